"""Text folding (bot.text) and question analysis (bot.answer.question)."""

import unicodedata

import pytest

from bot.answer.cues import DURATION, asked_cues, describes, only_listed
from bot.answer.question import MAX_QUESTION_CHARS, analyse
from bot.text import normalise, sound_string

# normalise


def test_traditional_chinese_becomes_simplified():
    assert normalise("樂山高新區") == "乐山高新区"


def test_full_width_letters_and_digits_become_half_width_lower_case():
    assert normalise("ＡＢＣ１２３") == "abc123"


def test_spaces_collapsed_and_trimmed():
    assert normalise("  乐山 \u3000 高新区\n\t投资  ") == "乐山 高新区 投资"


def test_control_and_zero_width_characters_removed():
    assert normalise("\ufeff乐山\u200b高新区\x07") == "乐山高新区"
    assert normalise("乐山\x00高新区") == "乐山高新区"


def test_normalise_is_idempotent():
    once = normalise("偉力得 ＧＭ　是誰？")
    assert normalise(once) == once


# sound_string


@pytest.mark.parametrize(("right", "typo"), [("尚纬", "尚维"), ("德世堂", "德士堂")])
def test_homophone_typos_sound_the_same(right, typo):
    assert sound_string(right) == sound_string(typo)


def test_different_words_sound_different():
    assert sound_string("尚纬") != sound_string("伟力")


def test_sound_string_keeps_length_and_non_chinese_characters():
    assert len(sound_string("尚纬股份2023")) == len("尚纬股份2023")
    assert sound_string("尚纬GW").endswith("GW")


def test_the_sounds_of_all_common_characters_are_worked_out_ahead():
    from bot.text import _SOUNDS, common_characters, warm_sounds

    common = common_characters()
    assert len(common) == len(set(common)) == 6763  # GB 2312
    assert {"乐", "山", "纬", "钒"} <= set(common)
    warm_sounds()
    looked_up = len(_SOUNDS)
    sound_string(common)
    assert len(_SOUNDS) == looked_up  # all known: pypinyin is not asked
    assert all(ord(char) in _SOUNDS for char in common)


# Cues


@pytest.mark.parametrize("question", ["伟力得有多少员工", "园区有几家企业", "落地了几个项目"])
def test_how_many_wants_a_number(question):
    parsed = analyse(question)
    assert parsed.wants_number
    assert not parsed.wants_date


@pytest.mark.parametrize(
    "question",
    ["热调试哪天完成的", "项目何时开工", "什么时候投产", "恳谈会是几月份开的", "几号开工"],
)
def test_when_wants_a_date(question):
    parsed = analyse(question)
    assert parsed.wants_date
    assert not parsed.wants_number


@pytest.mark.parametrize("question", ["开工一般要多久", "许可证多久办好", "对话持续了多长时间"])
def test_how_long_wants_a_span_of_time_not_a_date_nor_a_number(question):
    parsed = analyse(question)
    assert parsed.wants_duration
    assert not parsed.wants_date and not parsed.wants_number


def test_haojiu_asks_when_in_sichuan_speech():
    assert analyse("生产线好久全部建成").wants_date


def test_how_long_a_time_asks_no_date():
    assert asked_cues("项目用了多久时间建成") == {"duration"}


@pytest.mark.parametrize(
    "text, span",
    [
        ("两周时间就搞定", "两周"),
        ("一般需要半年左右", "半年"),
        ("压缩到36个工作日", "36个工作日"),
        ("用了3个月", "3个月"),
        ("连续5年超额完成", "5年"),
        ("2024年12月18日投产", None),
        ("今年7月开工", None),
        ("工期1.5年", "1.5年"),  # the whole number, not 5年
        ("建党100周年", None),  # an anniversary
    ],
)
def test_a_span_of_time_is_no_date(text, span):
    found = DURATION.search(text)
    assert (found.group(0) if found else None) == span


@pytest.mark.parametrize("question", ["恳谈会是几月份开的", "恳谈会几号开的", "恳谈会何时开的"])
def test_the_asking_words_are_no_content(question):
    """几月份 asks for a date: a fact never states it, so it must not count as a word missed."""
    assert analyse(question).tokens == ["恳谈会"]


@pytest.mark.parametrize(
    "question", ["全县有几户中小企业", "全县有几批中小企业", "全县有几名中小企业"]
)
def test_how_many_with_any_counted_word_is_no_content(question):
    """几户, like 几家: whatever classifier of the lexicon follows 几, it asks, and is no word
    an answer must state."""
    assert analyse(question).tokens == ["全县", "中小企业"]


def test_the_noun_naming_the_kind_of_answer_is_no_content():
    """什么性质的组织 asks for a kind, as 什么类型 does: the answer never states 性质."""
    tokens = analyse("雷建新说工会是什么性质的组织").tokens
    assert "性质" not in tokens and "组织" in tokens


@pytest.mark.parametrize("question", ["伟力得担任什么职务", "谁担任伟力得的副总经理"])
def test_the_frame_of_a_role_question_is_no_content(question):
    assert "担任" not in analyse(question).tokens


def test_who_wants_a_person():
    assert analyse("谁是伟力得的副总经理").wants_person
    assert not analyse("伟力得在哪里").wants_person


def test_which_ones_wants_a_list():
    assert analyse("乐山有哪些企业").wants_list
    assert not analyse("乐山有多少企业").wants_list


@pytest.mark.parametrize(
    "question,subject",
    [
        ("希尔电子是做什么的？", "希尔电子"),
        ("尚纬股份是什么类型的企业？", "尚纬股份"),
        ("成都中医药大学附属乐山医院是哪种类型的附属医院", "成都中医药大学附属乐山医院"),
        ("四川伟力得在液流电池产业联盟里是什么身份？", "四川伟力得"),
        ("伟力得在产业链里是什么角色", "伟力得"),
        ("工会是什么性质的组织", "工会"),
    ],
)
def test_what_a_thing_is_wants_a_definition_of_its_subject(question, subject):
    parsed = analyse(question)
    assert parsed.wants_definition and parsed.subject == subject


def test_a_description_is_not_a_mention_in_a_list():
    assert describes(
        "行业领先的高端特种电缆制造商尚纬股份和半导体器件供应商希尔电子等", ["希尔电子"]
    )
    assert describes(normalise("合作共建非直属附属医院——乐山医院签约"), ["乐山医院"])
    assert describes("作为联盟发起单位之一,四川伟力得是乐山高新区龙头企业", ["四川伟力得"])
    assert only_listed("重点推进希尔电子、嘉洋科技、一拉得等企业技改", ["嘉洋科技"])
    assert only_listed("支持福建钜能、尚纬股份等大企业", ["尚纬", "尚纬股份"])  # the longest name
    assert only_listed(
        "由融科储能、四川伟力得能源股份有限公司(以下简称“四川伟力得”)等组建",
        ["四川伟力得", "四川伟力得能源股份有限公司"],
    )
    assert not only_listed("充分发挥四川伟力得的带动作用", ["四川伟力得"])
    assert not only_listed("乐山高新区的项目", ["希尔电子"])  # not named: no evidence either way


def test_plain_question_has_no_cues():
    parsed = analyse("介绍一下伟力得")
    assert not (parsed.wants_number or parsed.wants_date or parsed.wants_person)
    assert not parsed.wants_list


def test_above_size_enterprises_ask_no_size():
    """规上 reads 规模以上 (a class of enterprise): its 规模 asks for no number; 装机规模 does."""
    assert not analyse("规上企业数字化转型要大力建设什么？").wants_number
    assert analyse("规上企业有多少家").wants_number
    assert analyse("伟力得储能装机规模").wants_number


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        ("项目花了多少钱", "元"),
        ("园区有多少人", "人"),
        ("钒电池渗透率是多少", "%"),
        ("有几家企业", "家"),
    ],
)
def test_unit_cues(question, unit):
    assert analyse(question).unit == unit


def test_growth_of_an_amount_wants_a_percentage():
    assert analyse("乐山高新区2023年全社会固定资产投资增长多少").unit == "%"


def test_no_unit_without_a_number_cue():
    assert analyse("投资方是谁").unit == ""


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        ("种子资金培育了多少家科技型中小企业", "家"),  # 资金 alone would say 元
        ("投资建了几个项目", "个"),
        ("营业收入增长了多少个百分点", "%"),
    ],
)
def test_a_unit_asked_outright_beats_the_topic(question, unit):
    assert analyse(question).unit == unit


def test_a_character_after_a_number_stays_with_it():
    assert "500强" in analyse("乐山高新区有几家企业入选了全国500强？").tokens  # not a bare 500


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("夹江有几家陶瓷企业完成了超低排放改造", {"陶瓷"}),  # counted: what follows 几家
        ("伟力得营收多少", {"营收"}),  # asked for: what comes before 多少
        ("伟力得的副总经理是谁", {"副总经理"}),
    ],
)
def test_the_focus_is_the_thing_counted_or_asked_for(question, focus):
    assert analyse(question).focus == focus


@pytest.mark.parametrize(
    ("question", "event"),
    [
        ("海创尚纬项目是哪一年开工的", {"开工"}),
        ("组瑞特基地哪一年正式投产", {"投产"}),  # an adverb between
        ("德世堂项目啥时候开始投产", {"投产"}),  # 开始 says how, not what
        ("伟力得成立于哪一年", {"成立"}),  # the event before the asking word
        ("项目哪一年开工建设", {"开工"}),  # the first event verb
        ("什么时间开工", {"开工"}),
        ("伟力得营收多少", set()),
    ],
)
def test_a_when_question_asks_of_an_event(question, event):
    assert analyse(question).events == event


# English mixed in


@pytest.mark.parametrize(
    ("question", "chinese"),
    [
        ("伟力得 revenue 多少", "营收"),
        ("伟力得 GM 是谁", "总经理"),
        ("夹江核技术园 total investment 多少", "总投资"),
        ("威士忌生产线 annual capacity 多少", "年产能"),  # the longer phrase wins
    ],
)
def test_english_between_spaces_mapped_to_chinese(question, chinese):
    parsed = analyse(question)
    assert chinese in parsed.text
    assert not any(word in parsed.text for word in ("revenue", "gm", "investment"))


@pytest.mark.parametrize(
    ("question", "chinese"),
    [
        ("伟力得的GM是谁", "总经理"),
        ("伟力得revenue多少", "营收"),
        ("夹江核技术园total investment多少", "总投资"),
    ],
)
def test_english_written_against_chinese_mapped_to_chinese(question, chinese):
    assert chinese in analyse(question).text


def test_english_inside_a_longer_english_word_left_alone():
    assert "总经理" not in analyse("gmail 多少").text


# Years


def test_year_with_nian():
    assert analyse("乐山高新区2023年营收多少").years == {"2023"}


def test_bare_year():
    assert analyse("乐山高新区 2023 营收多少").years == {"2023"}


def test_no_year_from_other_numbers():
    assert analyse("落地了7个项目，总投资36.3亿元吗").years == set()


def test_plan_period_counts_as_a_time():
    assert "十四五" in analyse("十四五以来高新区发展如何").years


# Odd input


@pytest.mark.parametrize("raw", ["", "   \n\t ", "😀😀🎉", "<p><br/></p>", None])
def test_empty_input_gives_an_empty_question(raw):
    parsed = analyse(raw)
    assert parsed.text == ""
    assert parsed.tokens == []


def test_html_tags_stripped_and_entities_unescaped():
    parsed = analyse("<b>伟力得</b>的副总经理是谁&#xff1f;")
    assert "<" not in parsed.text and "b>" not in parsed.text
    assert "伟力得" in parsed.text
    assert parsed.wants_person


def test_emoji_around_a_question_ignored():
    parsed = analyse("🙂伟力得的副总经理是谁🙏")
    assert parsed.text.startswith("伟力得")
    assert parsed.wants_person


def test_very_long_question_truncated_with_a_notice():
    parsed = analyse("乐山" * 5000)
    assert len(parsed.raw) == MAX_QUESTION_CHARS
    assert len(parsed.text) <= MAX_QUESTION_CHARS
    assert parsed.notice
    assert str(MAX_QUESTION_CHARS) in parsed.notice


def test_normal_question_has_no_notice():
    assert analyse("伟力得的副总经理是谁").notice == ""


def test_plain_text_needs_no_look_at_each_character():
    import unicodedata

    from bot.answer.question import _PLAIN_TEXT, DROPPED, clean_input

    # The fast path is exact: no character it lets through is one the slow path blanks.
    for code in range(0x10000):
        if _PLAIN_TEXT.fullmatch(chr(code)):
            assert unicodedata.category(chr(code)) not in DROPPED, hex(code)
    assert clean_input("伟力得的副总经理是谁？（2023年，GDP）") == (
        "伟力得的副总经理是谁？（2023年，GDP）",
        "",
    )
    assert clean_input("伟力得\u2603的副总经理") == ("伟力得 的副总经理", "")  # ☃ is a symbol


def test_emoji_parts_leave_nothing_behind():
    assert analyse("❤️").text == ""
    assert analyse("👍🏽 伟力得").text == "伟力得"


@pytest.mark.parametrize("question", ["刘倩是什么身份", "刘倩是什么职务", "伟力得是什么角色"])
def test_a_word_naming_the_kind_of_answer_is_no_content(question):
    assert not {"身份", "职务", "角色"} & set(analyse(question).tokens)


def test_full_width_letters_fold_as_nfkc_folds_them():
    """normalise folds the full-width block itself before NFKC (a shortcut): the same result."""
    for code in [0x3000, *range(0xFF01, 0xFF5F)]:
        char = chr(code)
        assert normalise(f"乐{char}山") == normalise(f"乐{unicodedata.normalize('NFKC', char)}山")
    assert normalise("伟力得ＧＭ是谁？") == "伟力得gm是谁?"


def test_the_plain_tagger_has_the_dictionary_files_tags_as_its_own():
    """plain_tags copies the table jieba.posseg read on import rather than reading the file
    again: the same tags, in a table of its own."""
    import jieba
    import jieba.posseg

    from bot.text import plain_jieba, plain_tagger, plain_tags

    read_again = jieba.posseg.POSTokenizer(jieba.Tokenizer()).word_tag_tab
    assert plain_tags() == read_again and len(read_again) > 300_000
    assert plain_tags() is not jieba.posseg.dt.word_tag_tab
    assert plain_tagger().tokenizer is plain_jieba()
    assert [(w.word, w.flag) for w in plain_tagger().cut("伟力得副总经理说")][-1] == ("说", "v")
