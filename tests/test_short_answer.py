"""Short answers on a small fact base made here: a span per question type, lists gathered once
each, and conflicting values shown both, newest first."""

from __future__ import annotations

import pytest
from botapi.server import parse_html

from bot import render
from bot.answer.policy import AnswerPolicy
from bot.answer.result import Answer, Hit
from bot.facts import parse
from bot.facts.model import Fact, FactBase, Source, Story
from bot.short_answer import add_short_answers
from bot.short_answer.asked import asked_of
from bot.short_answer.spans import short_span

PEOPLE = Source("people.txt", "人物报道", "乐山日报", "2025-07-05", 1)
PARK = Source("park.txt", "园区报道", "", "", 1)
OLD = Source("old.txt", "去年的报道", "乐山日报", "2024-07-01", 1)
NEW = Source("new.txt", "今年的报道", "乐山日报", "2025-10-20", 1)
LIST_STORY = Story(
    "list-1",
    "list.txt",
    "产业报道",
    "乐山日报",
    "2025-01-01",
    [
        "会上，张三、李四、王五出席。乐山将加快培育晶硅光伏、绿色化工、核技术应用等优势产业。"
        "同时，乐山将加快培育新型储能、晶硅光伏等优势产业。"
    ],
)
LISTED = Source("list.txt", "产业报道", "乐山日报", "2025-01-01", 1)


def fact(fact_id: str, text: str, source: Source = PARK, entities: tuple[str, ...] = ()) -> Fact:
    """A fact with the values the build would parse out of it."""
    return Fact(
        id=fact_id,
        text=text,
        source=source,
        entities=list(entities),
        numbers=parse.numbers(text),
        dates=parse.dates(text),
        periods=parse.periods(text),
        people=parse.people(text),
    )


def short(question: str, text: str, entities: tuple[str, ...] = ()) -> str | None:
    return short_span(asked_of(question), fact("f", text, entities=entities))


# -- one span per question type ----------------------------------------------------------------


def test_who_gives_the_person_with_role_and_organisation():
    text = "伟力得副总经理朱晓星说，钒电池储能可以有效弥补充电缺口。"
    assert short("伟力得的副总经理是谁？", text) == "朱晓星（伟力得副总经理）"
    assert short("伟力得的董事长是谁？", text) is None  # the fact names no chairman


def test_role_of_a_named_person():
    text = "成都中医药大学党委副书记、校长余曙光，市委常委、统战部部长席代金出席签约仪式并致辞。"
    assert short("席代金是什么职务", text) == "统战部部长"
    text = "市委常委、市直机关工委书记雷建新当选市总工会主席。"
    assert short("雷建新当选了什么职务", text) == "市总工会主席"  # what follows 当选


def test_how_much_gives_number_unit_and_period():
    text = "晶硅光伏是乐山60年来从未间断的“拳头产业”，2023年产值达836亿元。"
    assert short("乐山晶硅光伏一年产值多少？", text) == "836亿元（2023年）"
    assert short("乐山晶硅光伏2023年产值多少？", text) == "836亿元"  # the question has the year
    assert short("力争工业总产值达到多少", "力争通过3—5年努力，工业总产值达4500亿元以上。") == (
        "4500亿元以上"
    )
    text = "2023年，乐山高新区全社会固定资产投资同比增长45.2%，社会消费品零售总额增长11%。"
    assert short("2023年高新区社零总额增长了多少", text) == "增长11%"


def test_a_count_keeps_the_words_the_question_counts():
    text = "近年来获得45项国家发明专利、176项实用新型专利。"
    assert short("获得了多少项国家发明专利？", text) == "45项国家发明专利"


def test_two_figures_that_fit_equally_give_no_short_answer():
    assert short("项目投资多少", "甲项目投资10亿元，乙项目投资20亿元。") is None


def test_when_gives_the_date_with_the_time_of_day():
    assert short("生产线什么时候开机调试", "生产线计划于2025年4月开机调试。") == "2025年4月"
    text = "7月4日下午，市政府新闻办举行夹江县专场新闻发布会。"
    assert short("夹江县专场新闻发布会是哪天开的", text) == "7月4日下午"
    text = "装修工程于2025年9月25日进场，2026年2月必须完成。"
    assert short("装修工程什么时候必须完成", text) == "2026年2月"


def test_how_long_gives_the_span_of_time_the_question_asks_about():
    text = "同类项目在其他地方从签约到开工一般需要半年左右，而在乐山只用了两个月。"
    assert short("同类项目在别的地方一般要多久才能开工", text) == "半年左右"
    assert short("在乐山用了多长时间开工", text) == "两个月"
    assert short("多久能开工", "项目计划于2025年4月开工。") is None  # a date says not how long


def test_where_gives_the_place_of_the_kind_asked():
    text = "在乐山市峨眉山市高桥镇，郎酒集团投资建设的威士忌项目正快马加鞭地建设。"
    assert short("郎酒的威士忌项目建在峨眉山市哪个镇？", text) == "高桥镇"
    text = "签约仪式在乐山市中医医院举行。"
    assert short("签约仪式在哪家医院办的", text) == "乐山市中医医院"


def test_what_gives_the_name():
    text = "乐山高新区布局“1+3+N”大孵化格局，打造“双创”平台。"
    assert short("乐山高新区布局的大孵化格局叫什么？", text) == "1+3+N"
    text = "行业领先的高端特种电缆制造商尚纬股份落户乐山。"
    assert short("尚纬股份是做什么的？", text) == "高端特种电缆制造商"


def test_a_bare_query_naming_an_amount_gets_the_amount():
    """No asking word, yet 总产值 says an amount is wanted, and in 元: not the 48家 before it."""
    text = "2025年1-8月，乐山高新区48家规模以上工业企业总产值37.2亿元，增速居乐山市第一。"
    assert short("乐山高新区 2025年1-8月 规上工业 总产值", text) == "37.2亿元"
    assert short("伟力得 储能", "伟力得储能产能将达到5吉瓦。") is None  # no amount named


def test_no_clean_span_gives_no_short_answer():
    text = "作为“中国核动力工程的摇篮”，乐山成为四川核医疗产业重点区域。"
    assert short("夹江核技术园 总投资", text) is None  # the sentence states no amount
    assert short("乐山是什么东西的摇篮", "乐山高质量发展正按下加速键。") is None
    text = "在乐山国家高新技术产业开发区，伟力得电堆生产线进入试生产阶段。"
    entities = ("乐山国家高新技术产业开发区",)
    assert short("伟力得的电堆生产线用的是什么技术？", text, entities) is None


# -- lists ---------------------------------------------------------------------------------------


def list_factbase() -> tuple[FactBase, Fact]:
    sentences = [
        "会上，张三、李四、王五出席。",
        "乐山将加快培育晶硅光伏、绿色化工、核技术应用等优势产业。",
    ]
    sentences.append("同时，乐山将加快培育新型储能、晶硅光伏等优势产业。")
    facts = [fact(f"l{n}", s, LISTED) for n, s in enumerate(sentences)]
    return FactBase([LIST_STORY], [], facts), facts[1]


def found(*hits: Hit, question: str) -> Answer:
    return Answer(
        question=question, normalised=question, found=True, hits=hits, score=hits[0].score
    )


def hit(f: Fact, score: float = 90.0) -> Hit:
    return Hit(f.id, f.text, None, f.source, score)


def test_a_list_is_gathered_from_the_fact_and_its_neighbours_each_item_once():
    factbase, listing = list_factbase()
    answer = add_short_answers(
        found(hit(listing), question="乐山将加快培育哪些优势产业？"), factbase
    )
    assert [item.text for item in answer.items] == [
        "晶硅光伏",
        "绿色化工",
        "核技术应用",
        "新型储能",
    ]
    assert {item.source for item in answer.items} == {LISTED}  # each item cites its source
    assert answer.short == "晶硅光伏、绿色化工、核技术应用、新型储能"
    assert answer.top.short == answer.short


def test_a_list_leaves_out_what_the_question_already_names():
    factbase, listing = list_factbase()
    question = "除了晶硅光伏，乐山还要加快培育哪些优势产业？"
    answer = add_short_answers(found(hit(listing), question=question), factbase)
    assert [item.text for item in answer.items] == ["绿色化工", "核技术应用", "新型储能"]


def test_a_list_rendered_as_items_then_sentence_and_source():
    factbase, listing = list_factbase()
    answer = add_short_answers(
        found(hit(listing), question="乐山将加快培育哪些优势产业？"), factbase
    )
    markup = render.answer_html(answer)
    text, entities = parse_html(markup)
    assert text.startswith("共4项：\n• 晶硅光伏\n• 绿色化工\n• 核技术应用\n• 新型储能\n")
    assert listing.text in text and LISTED.citation() in text
    bold = [text[e["offset"] : e["offset"] + e["length"]] for e in entities if e["type"] == "bold"]
    assert bold[1:5] == ["晶硅光伏", "绿色化工", "核技术应用", "新型储能"]  # no emoji before them


# -- conflicts -------------------------------------------------------------------------------------


def conflict_factbase(*texts_and_sources: tuple[str, Source]) -> tuple[FactBase, list[Fact]]:
    facts = [fact(f"c{n}", text, source) for n, (text, source) in enumerate(texts_and_sources)]
    return FactBase([], [], facts), facts


QUESTION = "乐山高新区有多少家高新技术企业？"


def test_different_values_for_the_same_thing_are_both_shown_newest_first():
    factbase, (older, newer, other) = conflict_factbase(
        ("目前，乐山高新区直管区聚集高新技术企业41家、各类创新平台67个。", OLD),
        ("截至目前，乐山高新区高新技术企业49家，科技型中小企业119家。", NEW),
        ("4年来，乐山高新区新孵化培育高新技术企业5家。", PARK),
    )
    hits = (hit(older, 100), hit(newer, 99), hit(other, 98))
    answer = add_short_answers(found(*hits, question=QUESTION), factbase)
    assert [h.fact_id for h in answer.conflict] == [newer.id, older.id]  # 5家 is another thing
    assert [h.short for h in answer.conflict] == ["高新技术企业49家", "高新技术企业41家"]

    text, entities = parse_html(render.answer_html(answer))
    assert text.startswith("⚠️ 这几篇文章的说法不一致")
    assert text.index("49家") < text.index("41家")
    assert "2025-10-20" in text and "2024-07-01" in text
    assert NEW.citation() in text and OLD.citation() in text


def test_an_undated_article_is_named_by_its_story_title():
    factbase, (dated, undated) = conflict_factbase(
        ("目前，乐山高新区直管区聚集高新技术企业41家。", OLD),
        ("截至目前，乐山高新区高新技术企业49家。", PARK),
    )
    answer = add_short_answers(
        found(hit(dated, 100), hit(undated, 100), question=QUESTION), factbase
    )
    assert [h.fact_id for h in answer.conflict] == [dated.id, undated.id]  # known date first
    assert f"（《{PARK.title}》）" in render.to_plain(render.answer_html(answer))


@pytest.mark.parametrize(
    ("first", "second", "scores"),
    [
        (
            "乐山高新区高新技术企业49家。",
            "乐山高新区现有高新技术企业49家。",
            (100, 100),
        ),  # same value
        (
            "2023年，乐山高新区高新技术企业41家。",
            "2024年，乐山高新区高新技术企业49家。",
            (100, 100),
        ),
        ("乐山高新区高新技术企业41家。", "乐山高新区高新技术企业49家。", (100, 20)),  # not answered
    ],
)
def test_no_conflict_for_the_same_value_other_years_or_a_weak_rival(first, second, scores):
    factbase, (a, b) = conflict_factbase((first, OLD), (second, NEW))
    answer = add_short_answers(
        found(hit(a, scores[0]), hit(b, scores[1]), question=QUESTION), factbase
    )
    assert answer.conflict == ()
    assert answer.short is not None and "说法不一致" not in render.answer_html(answer)


def test_a_rival_counts_when_the_answerers_policy_would_answer_with_it():
    """The score is a calibrated probability: a rival far below the top one still conflicts
    when the bot would give it as an answer, and not when the policy would refuse it."""
    factbase, (a, b) = conflict_factbase(
        ("乐山高新区高新技术企业41家。", OLD), ("乐山高新区现有高新技术企业49家。", NEW)
    )
    hits = (hit(a, 95.0), hit(b, 40.0))
    lenient = AnswerPolicy(lenient=30.0, strict=74.0)
    answer = add_short_answers(found(*hits, question=QUESTION), factbase, lenient)
    assert [h.fact_id for h in answer.conflict] == [b.id, a.id]
    choosy = AnswerPolicy(lenient=50.0, strict=74.0)
    assert add_short_answers(found(*hits, question=QUESTION), factbase, choosy).conflict == ()


def test_entity_and_story_hits_have_no_fact_and_are_passed_through():
    """Hits from the entity and story layers (entity:…, story:…) are not in the fact list:
    they keep their answer, get no short form, and neither gather a list nor start a conflict."""
    factbase, (a, b) = conflict_factbase(
        ("乐山高新区高新技术企业41家。", OLD), ("乐山高新区现有高新技术企业49家。", NEW)
    )
    assert factbase.fact("entity:乐山高新区") is None and factbase.fact("story:old") is None
    entity = Hit(
        "entity:乐山高新区",
        "乐山高新区，全称乐山国家高新技术产业开发区。",
        "乐山高新区",
        PARK,
        90.0,
    )
    story = Hit("story:old", "《去年的报道》刊于2024-07-01。", None, OLD, 80.0)
    for question in (QUESTION, "乐山高新区的全称是什么？", "乐山将加快培育哪些优势产业？"):
        answer = add_short_answers(found(entity, story, hit(a, 70.0), question=question), factbase)
        assert answer.top.answer == entity.answer and answer.top.short is None
        assert answer.conflict == () and answer.items == ()
        render.answer_html(answer)  # renders as the sentence alone
    answer = add_short_answers(
        found(hit(a, 95.0), entity, hit(b, 90.0), question=QUESTION), factbase
    )
    assert [h.fact_id for h in answer.conflict] == [b.id, a.id]  # the entity hit is skipped


# -- what every answer gets ----------------------------------------------------------------------


def test_short_answer_comes_first_in_bold_and_only_from_the_shown_sentence():
    factbase, (f,) = conflict_factbase(
        ("伟力得副总经理朱晓星说，钒电池储能前景广阔。", PEOPLE),
    )
    answer = add_short_answers(found(hit(f), question="伟力得的副总经理是谁？"), factbase)
    text, entities = parse_html(render.answer_html(answer))
    assert text.startswith("朱晓星（伟力得副总经理）\n伟力得副总经理朱晓星说")
    assert {"type": "bold", "offset": 0, "length": len("朱晓星（伟力得副总经理）")} in entities

    trimmed = Hit(f.id, "钒电池储能前景广阔。", None, f.source, 90.0)  # the name is cut off
    answer = add_short_answers(found(trimmed, question="伟力得的副总经理是谁？"), factbase)
    assert answer.short is None and answer.top.short is None


def test_not_found_answers_are_left_as_they_are():
    answer = Answer(question="麻婆豆腐怎么做", normalised="麻婆豆腐怎么做", found=False)
    assert add_short_answers(answer, FactBase([], [], [])) is answer


def test_a_long_list_is_split_into_valid_messages_within_telegram_limits():
    items = [f"第{n}号<特色>产业" for n in range(600)]
    text = "乐山将加快培育" + "、".join(items) + "等优势产业。"
    story = Story("s", "long.txt", "长报道", "", "", [text])
    source = Source("long.txt", "长报道", "", "", 1)
    f = fact("long", text, source)
    factbase = FactBase([story], [], [f])
    answer = add_short_answers(found(hit(f), question="乐山将加快培育哪些优势产业？"), factbase)
    assert len(answer.items) > 500
    parts = render.split_html(render.answer_html(answer))
    assert len(parts) > 1
    for part in parts:
        assert render.telegram_length(part) <= render.MAX_MESSAGE_CHARS
        parse_html(part)  # raises where Telegram would refuse the markup


def test_an_inline_answer_carries_the_whole_list_only_when_it_fits_one_message():
    factbase, listing = list_factbase()
    answer = add_short_answers(
        found(hit(listing), question="乐山将加快培育哪些优势产业？"), factbase
    )
    whole = render.inline_answer_html("乐山将加快培育哪些优势产业？", answer.top, answer)
    assert "• 新型储能" in parse_html(whole)[0]

    items = "、".join(f"第{n}号特色产业" for n in range(600))
    text = f"乐山将加快培育{items}等优势产业。"
    f = fact("long", text, Source("long.txt", "长报道", "", "", 1))
    factbase = FactBase([Story("s", "long.txt", "长报道", "", "", [text])], [], [f])
    answer = add_short_answers(found(hit(f), question="乐山将加快培育哪些优势产业？"), factbase)
    markup = render.inline_answer_html("乐山将加快培育哪些优势产业？", answer.top, answer)
    assert render.telegram_length(markup) <= render.MAX_MESSAGE_CHARS
    parse_html(markup)


def test_short_answers_ignore_words_added_to_jiebas_process_wide_tokenizer():
    """Short answers cut with their own copy of jieba's general dictionary: a word some other
    code adds to jieba's global tokenizer (with a tag) changes nothing."""
    import jieba
    import jieba.posseg

    from bot.short_answer.asked import tagged, words_of

    text = "伟力得副总经理朱晓星说，钒电池储能可以有效弥补充电缺口。"
    jieba.initialize()
    freq, total = dict(jieba.dt.FREQ), jieba.dt.total
    tags = dict(jieba.posseg.dt.word_tag_tab)
    words_of.cache_clear(), tagged.cache_clear()
    try:
        for word in ("朱晓星说", "得副总经理朱"):
            jieba.add_word(word, freq=10**9, tag="v")
        assert "朱晓星说" in jieba.lcut(text)  # the global tokenizer did change
        assert short("伟力得的副总经理是谁？", text) == "朱晓星（伟力得副总经理）"
        assert "朱晓星" in words_of("副总经理朱晓星说")
    finally:
        jieba.dt.FREQ.clear()
        jieba.dt.FREQ.update(freq)
        jieba.dt.total = total
        jieba.posseg.dt.word_tag_tab.clear()
        jieba.posseg.dt.word_tag_tab.update(tags)
        words_of.cache_clear(), tagged.cache_clear()
