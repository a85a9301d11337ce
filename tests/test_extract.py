"""Sentences, structured values, facts and entities from clean stories."""

import re
from pathlib import Path

import pytest

from bot.corpus import read_corpus
from bot.facts import parse
from bot.facts.extract import (
    MAX_FACT_CHARS,
    MIN_FACT_CHARS,
    candidate_names,
    extract_entities,
    link_entities,
    make_facts,
    split_sentences,
)
from bot.facts.model import Person, Story

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# Sentences


def test_short_sentence_joined_to_the_next():
    sentences = split_sentences("向高端，筑高地。瞄准“世界一流”，乐山全力建造医用同位素生产地。")
    assert sentences == ["向高端，筑高地。瞄准“世界一流”，乐山全力建造医用同位素生产地。"]


def test_short_last_sentence_joined_to_the_one_before():
    sentences = split_sentences("乐山全力建造医用同位素和核素原料药生产地。势头喜人。")
    assert sentences == ["乐山全力建造医用同位素和核素原料药生产地。势头喜人。"]


def test_ordinary_sentences_kept_apart():
    first = "2023年，乐山高新区地区生产总值同比增长4.6%。"
    second = "全社会固定资产投资同比增长45.2%。"
    assert split_sentences(first + second) == [first, second]
    assert all(len(s) >= MIN_FACT_CHARS for s in split_sentences(first + second))


def test_long_sentence_cut_after_semicolons():
    clause = "乐山高新区加快发展新质生产力，奋力打造千亿级产业园区；"
    sentence = clause * 12 + "成效明显。"
    pieces = split_sentences(sentence)
    assert len(sentence) > MAX_FACT_CHARS
    assert len(pieces) > 1
    assert all(len(p) <= MAX_FACT_CHARS for p in pieces)
    assert "".join(pieces) == sentence
    assert all(p.endswith("；") for p in pieces[:-1])


def test_long_sentence_without_semicolons_cut_after_commas():
    sentence = "，".join(["乐山高新区加快发展新质生产力打造千亿级产业园区"] * 12) + "。"
    pieces = split_sentences(sentence)
    assert len(pieces) > 1
    assert all(len(p) <= MAX_FACT_CHARS for p in pieces)
    assert "".join(pieces) == sentence
    assert all(p.endswith("，") for p in pieces[:-1])


# Numbers, dates, periods, people


def test_numbers_with_units():
    assert parse.numbers("总投资36.3亿元，同比增长45.2%") == ["36.3亿元", "45.2%"]


def test_a_year_is_not_a_quantity():
    assert parse.numbers("2023年，乐山高新区营业收入1780亿元") == ["1780亿元"]


def test_month_range_period():
    assert "2025年1-8月" in parse.periods(
        "2025年1-8月，乐山高新区48家规模以上工业企业总产值37.2亿元"
    )


def test_year_period():
    assert parse.periods("2023年，乐山高新区地区生产总值同比增长4.6%") == ["2023年"]


def test_plan_period():
    assert parse.periods("“十四五”以来，乐山高新区坚持初心使命") == ["十四五"]


def test_dates():
    found = parse.dates("2024年1月2日发布，12月19日完成热调试")
    assert found == ["2024年1月2日", "12月19日"]


def test_person_with_role_and_organisation():
    assert parse.people("伟力得副总经理朱晓星说，钒电池储能可以有效弥补充电缺口") == [
        Person("朱晓星", "副总经理", "伟力得")
    ]


def test_person_after_a_long_company_name():
    (person,) = parse.people("乐山组瑞特医疗科技有限公司总经理柳芳信心满满地谈到")
    assert (person.name, person.role) == ("柳芳", "总经理")


def test_a_byline_names_each_writer_with_their_role():
    assert parse.credited("本报记者 叶伟 特约通讯员 刘倩", "乐山日报") == [
        Person("叶伟", "记者", "乐山日报"),
        Person("刘倩", "特约通讯员", "乐山日报"),
    ]
    assert parse.credited("罗曦") == [Person("罗曦", "作者")]  # 本报讯（罗曦）: the writer
    # printed without spaces, after a longer role, or a name that is also a word (祝贺)
    assert [p.name for p in parse.credited("本报记者叶伟特约通讯员刘倩")] == ["叶伟", "刘倩"]
    assert parse.credited("首席记者 欧阳娜娜") == [Person("欧阳娜娜", "首席记者")]
    assert parse.credited("吴竟楠 记者 祝贺") == [Person("吴竟楠", "作者"), Person("祝贺", "记者")]
    assert parse.credited("全媒体记者 王五") == [Person("王五", "全媒体记者")]  # no 全媒体
    assert parse.credited("记者 吉克·阿依") == [Person("吉克·阿依", "记者")]  # a Yi name


def test_a_story_s_byline_is_a_fact_of_its_own():
    story = Story("002-3", "002_x.txt", "市总工会八届四次全体会议召开", "乐山日报", "", [], "罗曦")
    (headline, byline) = make_facts([story])
    assert byline.text == "《市总工会八届四次全体会议召开》作者：罗曦"
    assert byline.people == [Person("罗曦", "作者", "乐山日报")]
    assert byline.source == headline.source  # cited like the headline


def test_no_person_without_a_name():
    assert parse.people("乐山高新区将以打造千亿级产业园区为总牵引") == []
    # an everyday word after the role is what the unnamed person did, not a name
    assert parse.people("乐山高新区创新创业中心相关负责人表示，4年来") == []


# Entities and aliases

PARAGRAPHS = [
    "总部位于乐山的四川伟力得能源股份有限公司（简称“伟力得”），近年来成长为全钒液流电池行业的一匹黑马。",
    "“钒电池储能电站就像一个巨型的充电宝。”伟力得副总经理朱晓星说，钒电池储能可以有效弥补充电缺口。",
    "四川硅旺新材料科技有限公司年产能达到5万吨，硅旺正在扩建新的生产线。",
    "乐山国家高新技术产业开发区是全省8个国家高新区之一，乐山高新区营业收入1780亿元。",
    "乐山高新区今年新签约项目20个，高新区营收增长7.9%。",
    "电缆制造商尚纬股份在乐山投资建厂，尚纬股份的产品远销海外，尚伟股份也参与其中。",
]


@pytest.fixture(scope="module")
def extracted():
    stories = [
        Story("001-1", "001_x.txt", "乐山高新区奋力打造千亿级产业园区", "乐山日报", "", PARAGRAPHS)
    ]
    facts = make_facts(stories)
    entities = extract_entities(stories, facts)
    link_entities(facts, entities)
    return facts, {e.name: e for e in entities}


def entity_called(entities, name):
    matches = [e for e in entities.values() if name == e.name or name in e.aliases]
    assert len(matches) == 1, f"{name}: {[e.name for e in matches]}"
    return matches[0]


def test_short_name_note_gives_an_alias(extracted):
    _, entities = extracted
    assert "伟力得" in entities["四川伟力得能源股份有限公司"].aliases


def test_region_and_legal_form_stripped_into_an_alias(extracted):
    _, entities = extracted
    assert "硅旺" in entities["四川硅旺新材料科技有限公司"].aliases


def test_standard_abbreviation_of_a_development_zone(extracted):
    _, entities = extracted
    zone = entities["乐山国家高新技术产业开发区"]
    assert {"乐山高新区", "高新区"} <= set(zone.aliases)
    assert entity_called(entities, "乐山高新区") is zone


def test_variant_spellings_become_one_entity(extracted):
    _, entities = extracted
    shangwei = entity_called(entities, "尚纬股份")
    assert entity_called(entities, "尚伟股份") is shangwei
    assert shangwei.type == "company"


def test_people_keep_their_roles(extracted):
    _, entities = extracted
    person = entities["朱晓星"]
    assert (person.type, person.role, person.organisation) == ("person", "副总经理", "伟力得")


def test_facts_link_the_entities_they_mention(extracted):
    facts, _ = extracted
    (quote,) = [f for f in facts if "朱晓星" in f.text]
    assert set(quote.entities) == {"朱晓星", "四川伟力得能源股份有限公司"}
    (zone,) = [f for f in facts if f.text.startswith("乐山高新区今年")]
    assert zone.entities == ["乐山国家高新技术产业开发区"]


def test_facts_carry_their_numbers_and_people(extracted):
    facts, _ = extracted
    (silicon,) = [f for f in facts if "硅旺" in f.text]
    assert silicon.numbers == ["5万吨"]
    (quote,) = [f for f in facts if "朱晓星" in f.text]
    assert quote.people == [Person("朱晓星", "副总经理", "伟力得")]


def test_story_title_is_a_fact(extracted):
    facts, _ = extracted
    (title,) = [f for f in facts if f.source.paragraph == 0]
    assert title.text == "乐山高新区奋力打造千亿级产业园区"


@pytest.mark.parametrize(
    "text, names",
    [
        ("为此，高新区更加重视项目质量，签订招商引资项目10个。", set()),  # adverb + verb
        ("紧盯千亿产业园区建设目标。努力向着千亿创新型产业园区迈进。", set()),
        ("选举产生新委员；选举市总工会第八届委员会。近年来，市总工会作用明显。", {"市总工会"}),
        ("吸引有创业意愿的在校大学生到基地创业。", set()),  # 大学生 is one word
        ("打好制造业招商引资大会战。", set()),
        ("大家畅谈村里发生的变化。金口河区永胜乡前进村，村民正忙着。", {"永胜乡", "前进村"}),
        ("当前，夹江全县共有40家企业。市农业农村局党组书记介绍。", {"市农业农村局"}),
        ("加快建设“创新驱动发展示范区”，", {"创新驱动发展示范区"}),
        ("截至目前，夹江核技术应用产业园已落地7个项目。", {"夹江核技术应用产业园"}),
        ("建立服务专员制度，不断完善项目要素保障。", set()),
        # a one-character adverb before a verb opens a clause: 正|紧扣, 共|签订
        ("乐山高新区正紧扣省委十二届五次全会精神。", {"乐山高新区"}),
        ("乐山高新区共签订招商引资项目51个。", {"乐山高新区"}),
    ],
)
def test_a_name_does_not_swallow_the_verb_phrase_before_it(text, names):
    assert {name for _, name in candidate_names(text)} == names


# Facts from the real seeds


@pytest.fixture(scope="module")
def seed_facts():
    stories, _ = read_corpus(SEEDS)
    facts = make_facts(stories)
    entities = extract_entities(stories, facts)
    link_entities(facts, entities)
    return stories, facts, entities


def test_every_fact_has_file_title_and_paragraph(seed_facts):
    stories, facts, _ = seed_facts
    by_source = {(s.file, s.title): s for s in stories}
    for fact in facts:
        story = by_source[(fact.source.file, fact.source.title)]
        assert fact.source.title, fact.text
        if fact.source.paragraph == 0:  # the headline, or who wrote the story
            assert fact.text in (story.title, f"《{story.title}》作者：{story.byline}")
        else:
            assert fact.text in story.paragraphs[fact.source.paragraph - 1]


def test_fact_ids_are_unique(seed_facts):
    _, facts, _ = seed_facts
    assert len({f.id for f in facts}) == len(facts)


def test_facts_are_at_most_the_answer_length(seed_facts):
    _, facts, _ = seed_facts
    assert max(len(f.text) for f in facts if f.source.paragraph) <= MAX_FACT_CHARS


def test_linked_entities_are_named_in_the_fact(seed_facts):
    _, facts, entities = seed_facts
    names = {e.name: [e.name, *e.aliases] for e in entities}
    for fact in facts:
        for name in fact.entities:
            assert any(alias in fact.text for alias in names[name]), (name, fact.text)


def test_seed_entities_include_the_main_companies(seed_facts):
    _, _, entities = seed_facts
    by_name = {e.name: e for e in entities}
    assert "伟力得" in by_name["四川伟力得能源股份有限公司"].aliases
    assert "硅旺" in by_name["四川硅旺新材料科技有限公司"].aliases
    assert "乐山高新区" in by_name["乐山国家高新技术产业开发区"].aliases
    shangwei = [e for e in entities if {"尚纬股份", "尚伟股份"} <= {e.name, *e.aliases}]
    assert len(shangwei) == 1


def test_seed_people_have_roles(seed_facts):
    _, _, entities = seed_facts
    people = [e for e in entities if e.type == "person"]
    assert len(people) >= 5
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", p.name) and p.role for p in people)
    assert {"朱晓星", "柳芳"} <= {p.name for p in people}


def test_a_short_quote_joins_the_sentence_that_says_what_it_is():
    quote = "“2亿粒胶囊，2000万支口服液。”"
    said = "这是德世堂项目一期达产后每年的产能。"
    other = "施工人员正忙着安装通风管道、运送装修材料。"
    assert split_sentences(quote + said + other) == [quote + said, other]


def test_a_one_character_speaker_joins_the_quote_not_the_next_sentence():
    quote, said, other = "“我们计划三月投产。”", "他说。", "目前，企业正在扩建第二条生产线。"
    assert split_sentences(quote + said + other) == [quote + said, other]


def test_a_sentence_that_only_names_the_speaker_joins_the_quote():
    quote = "“装修工程于2025年9月25日进场，2026年2月必须完成。”"
    said = "该项目施工负责人谷翠芳说。"
    other = "据了解，该项目厂房还在装修，可生产设备早已采购完毕。"
    assert split_sentences(quote + said + other) == [quote + said, other]
    assert split_sentences(other + said) == [other, said]  # no quote before it: a sentence


def test_a_county_is_also_known_without_its_suffix(seed_facts):
    _, _, entities = seed_facts
    county = next(e for e in entities if e.name == "夹江县")
    assert "夹江" in county.aliases


def test_a_place_is_not_known_by_a_common_word_left_without_its_suffix(seed_facts):
    """民主村 without 村 is 民主, democracy: no alias, so 民主决策 is not about the village."""
    _, facts, entities = seed_facts
    village = next(e for e in entities if e.name == "民主村")
    assert "民主" not in village.aliases
    decided = next(f for f in facts if "民主决策" in f.text)
    assert "民主村" not in decided.entities


def test_seed_names_without_the_clause_before_them(seed_facts):
    _, _, entities = seed_facts
    names = {e.name for e in entities}
    good = {"夹江核技术应用产业园", "乐山沐川现代竹产业园", "福建钜能10GW高效异质结电池片项目"}
    assert good <= names
    assert {"民主村", "马村镇", "乐山市总工会", "市委八届九次全会", "创新驱动发展示范区"} <= names
    junk = {"紧盯千亿产业园区", "更加重视项目", "目前全县", "选举市总工会", "校大学"}
    junk |= {"乐山高新区正紧扣省委十二届五次全会", "乐山高新区共签订招商引资项目"}
    junk |= {"市直机关工委书记雷建新当选市总工会"}  # a clause about a person the article names
    assert not junk & names


def test_a_company_named_by_its_trade_name_alone():
    """希尔电子、嘉洋科技等 are companies with no legal form printed; 发展高科技 and 新能源新材料
    end the same way but their own part is a common word, no coined name."""
    text = (
        "重点推进希尔电子、嘉洋科技等企业技改项目建设，引进航达储能科技公司，"
        "大力发展高科技，主攻新能源新材料、电子信息两大产业，新建和美科技，推动乐山科技、"
        "教育事业发展。"
    )
    names = {name for kind, name in candidate_names(text) if kind == "company"}
    assert {"希尔电子", "嘉洋科技", "航达储能科技公司"} <= names
    assert not names & {"发展高科技", "大力发展高科技", "新能源新材料", "美科技", "乐山科技"}


def test_a_trade_name_is_an_alias_of_the_company_with_the_same_coined_core():
    paragraphs = [
        "四川吉晟生物医药有限公司落户乐山高新区，项目总投资5亿元。",
        "重点推进希尔电子、吉晟生物等企业技改项目建设。",
    ]
    stories = [Story("002-1", "002_x.txt", "技改项目", "乐山日报", "", paragraphs)]
    entities = {e.name: e for e in extract_entities(stories, make_facts(stories))}
    assert "吉晟生物" not in entities
    assert "吉晟生物" in entities["四川吉晟生物医药有限公司"].aliases
    assert entities["希尔电子"].type == "company"


def test_two_trade_names_of_one_core_stay_two_companies():
    """航达电子 and 航达储能科技公司 may be sister companies: no legal form says they are one."""
    paragraphs = ["以伟力得、航达电子为主体，引进航达储能科技公司等龙头企业，打造储能产业。"]
    stories = [Story("003-1", "003_x.txt", "储能产业", "乐山日报", "", paragraphs)]
    entities = {e.name for e in extract_entities(stories, make_facts(stories))}
    assert {"航达电子", "航达储能科技公司"} <= entities
