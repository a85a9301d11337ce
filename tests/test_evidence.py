"""The evidence features, the question generator, the fitted model and the answer policy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.answer import load_answerer
from bot.answer.evidence import (
    FEATURES,
    asked_of,
    core_word,
    is_asked_for,
    predicate_evidence,
    stated,
    story_evidence,
    subject_evidence,
    subject_span,
    time_evidence,
    type_evidence,
)
from bot.answer.generate import generated_questions
from bot.answer.model import MODEL_FILE, ModelError, read_model
from bot.answer.policy import AnswerPolicy
from bot.answer.question import analyse
from bot.answer.rank import word_weights
from bot.answer.result import Hit
from bot.answer.thesaurus import load_thesaurus
from bot.facts.model import Source

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
SHARED = ROOT.parent / "shared"
STRANGERS = ["足球", "钢琴"]  # nouns the articles never use


@pytest.fixture(scope="module")
def answerer():
    return load_answerer(KNOWLEDGE)


def fact_holding(answerer, *pieces):
    return next(f for f in answerer.index.facts if all(p in f.text for p in pieces))


def asked(answerer, question):
    parsed = analyse(question, answerer.index.uses, answerer.index.segmenter)
    named, _, _ = answerer.candidates(parsed)
    return asked_of(parsed, named, answerer.index, word_weights(parsed, answerer.index)), parsed


# Evidence features


def test_subject_is_the_asked_entity_in_the_answering_clause(answerer):
    """伟力得's own sentence names it before its number; 海创尚纬's sentence names 伟力得 only
    as its neighbour (与伟力得比邻而居): another company is the subject of the number there."""
    question, parsed = asked(answerer, "伟力得的产能将达到多少？")
    own = fact_holding(answerer, "伟力得", "5吉瓦")
    slot = own.text.find("5吉瓦")
    assert subject_evidence(question, own, slot, answerer.index) == [1.0, 1.0, 0.0, 0.0, 0.0]
    neighbour = fact_holding(answerer, "与伟力得比邻而居")
    slot = neighbour.text.find("25亿元")
    in_clause, in_fact, _, missing, rival = subject_evidence(
        question, neighbour, slot, answerer.index
    )
    assert (in_clause, in_fact, missing, rival) == (0.0, 1.0, 0.0, 1.0)
    elsewhere = fact_holding(answerer, "民主村")
    assert subject_evidence(question, elsewhere, None, answerer.index)[3] == 1.0  # missing


def test_a_time_said_first_leaves_the_subject_after_it(answerer):
    """2025年7月，液流电池产业联盟…成立: the date opens the clause, so its subject, the alliance,
    follows it; asked when a company was founded, the alliance is a rival (an organisation is
    a company's rival, as a park is a project's)."""
    question, _ = asked(answerer, "四川伟力得是什么时候成立的？")
    founding = fact_holding(answerer, "液流电池产业联盟在", "成立")
    in_clause, _, _, _, rival = subject_evidence(question, founding, 0, answerer.index)
    assert (in_clause, rival) == (0.0, 1.0)
    assert subject_span("2025年7月，联盟成立，会员50家。", 0) == ("2025年7月，联盟成立", True)
    assert subject_span("联盟于2025年7月成立。", 3) == ("联盟于", False)


def test_the_park_that_holds_the_project_is_its_rival(answerer):
    question, _ = asked(answerer, "四川海同医用同位素生产设施项目已落地了多少个项目？")
    park = fact_holding(answerer, "已落地7个项目")
    slot = park.text.find("7个项目")
    assert subject_evidence(question, park, slot, answerer.index)[4] == 1.0


def test_the_items_a_which_question_asks_for_are_no_rivals(answerer):
    """该联盟由大连融科…、四川伟力得…等组建: the companies listed are the answer to 哪些企业."""
    alliance = fact_holding(answerer, "该联盟由大连融科")
    listing, _ = asked(answerer, "液流电池产业联盟有哪些成员企业？")
    assert subject_evidence(listing, alliance, None, answerer.index)[4] == 0.0
    one, _ = asked(answerer, "液流电池产业联盟的成员企业总部在哪里？")
    assert subject_evidence(one, alliance, None, answerer.index)[4] == 1.0


def test_what_the_question_asks_for_is_no_rival(answerer):
    """The park is the answer to 在哪个产业园 and to 在哪里, a rival only where something else
    is asked."""
    park = "夹江核技术应用产业园"
    which, _ = asked(answerer, "四川海同医用同位素生产设施项目落户在哪个产业园？")
    where, _ = asked(answerer, "四川海同医用同位素生产设施项目在哪里？")
    how_much, _ = asked(answerer, "四川海同医用同位素生产设施项目总投资多少？")
    assert is_asked_for(which, park, "", answerer.index)
    assert is_asked_for(where, park, "", answerer.index)
    assert not is_asked_for(how_much, park, "", answerer.index)


def test_a_fact_describing_the_asked_one_is_about_it(answerer):
    """半导体器件供应商希尔电子, in a sentence that opens with 伟力得: it says what 希尔电子 is."""
    described = fact_holding(answerer, "半导体器件供应商希尔电子")
    question, _ = asked(answerer, "希尔电子是干什么的？")
    assert subject_evidence(question, described, None, answerer.index) == [1.0, 1.0, 0, 0, 0]


def test_subject_features_are_silent_when_no_entity_is_asked(answerer):
    question, _ = asked(answerer, "多少个工作日压缩到了36个工作日？")
    fact = answerer.index.facts[0]
    assert subject_evidence(question, fact, None, answerer.index) == [0.0] * 5


def test_predicate_matches_across_wording(answerer):
    """营收 (a corpus variant) and 价钱 (Cilin: 价格) find the fact's wording; a word stated
    nowhere near the fact weighs as missing."""
    thesaurus = answerer.thesaurus
    assert "营业收入" in thesaurus.synonyms("营收")
    assert "价格" in thesaurus.synonyms("价钱")
    question, _ = asked(answerer, "高新技术产业营收突破多少？")
    fact = fact_holding(answerer, "高新技术产业营业收入")
    focus_unstated, share, by_synonym, missing, unstated = predicate_evidence(
        question, fact, thesaurus
    )
    assert focus_unstated == 0.0 and by_synonym > 0 and share >= by_synonym
    assert missing == 0.0 and unstated == 0.0
    question, _ = asked(answerer, "高新技术产业的足球场有多大？")
    assert predicate_evidence(question, fact, thesaurus)[3] > 0  # 足球场: missing
    assert predicate_evidence(question, fact, thesaurus)[4] == 1.0


def test_a_compound_the_articles_never_print_is_stated_by_its_core_word(answerer):
    """工会工作 is printed nowhere; 工会, its rarer word, is: the fact states it by synonym."""
    assert core_word("工会工作", answerer.index.segmenter.freq) == "工会"
    assert core_word("足球", answerer.index.segmenter.freq) is None
    question, _ = asked(answerer, "雷建新对工会工作提了哪几个“始终保持”？")
    fact = fact_holding(answerer, "始终保持政治定力")
    _, share, by_synonym, missing, unstated = predicate_evidence(question, fact, answerer.thesaurus)
    assert share == 1.0 and by_synonym > 0 and missing == 0.0 and unstated == 0.0


def test_a_word_typed_by_its_sound_is_stated(answerer):
    """蝶川 is printed nowhere; 叠川 sounds the same and is: stated, by synonym."""
    question, _ = asked(answerer, "蝶川威士忌项目离郎酒那个项目有多远")
    fact = fact_holding(answerer, "叠川", "5公里")
    _, share, by_synonym, missing, _ = predicate_evidence(question, fact, answerer.thesaurus)
    assert share == 1.0 and by_synonym > 0 and missing == 0.0


def test_a_date_of_another_event_leaves_the_event_asked_unstated(answerer):
    """项目于12月18日建成投产 says when it went into production, not when work began."""
    opened = fact_holding(answerer, "于12月18日建成投产")
    began, _ = asked(answerer, "海创尚纬负极材料项目是哪一年开工的？")
    assert predicate_evidence(began, opened, answerer.thesaurus)[0] == 1.0
    produced, _ = asked(answerer, "海创尚纬负极材料项目是什么时候投产的？")
    assert predicate_evidence(produced, opened, answerer.thesaurus)[0] == 0.0


def test_a_noun_with_a_suffix_is_stated_by_its_root(answerer):
    """牌子: 子 only makes the noun; the article awarding a 铭牌 states it (by synonym), one
    without 牌 does not, and a word with no such suffix is not cut down to a character."""
    question, _ = asked(answerer, "市中医院挂上了成都中医药大学附属乐山医院的牌子吗")
    awarded = fact_holding(answerer, "授予", "铭牌")
    _, share, by_synonym, missing, unstated = predicate_evidence(
        question, awarded, answerer.thesaurus
    )
    assert share == 1.0 and by_synonym > 0 and missing == 0.0 and unstated == 0.0
    assert stated("牌子", "授予铭牌", answerer.thesaurus) == (False, True)
    assert stated("牌子", "签约仪式举行", answerer.thesaurus) == (False, False)
    assert stated("牌照", "授予铭牌", answerer.thesaurus) == (False, False)


def test_a_list_states_the_kind_it_asks_for_by_example(answerer):
    """哪些环节: 设计、研发、生产、销售、运维 are the 环节, though the fact never says the word;
    a fact with no list leaves it unstated, and a question asking for no list still wants it."""
    listing = fact_holding(answerer, "设计、研发、生产、销售、运维", "伟力得已成为")
    no_list = fact_holding(answerer, "伟力得", "5吉瓦")
    assert listing.has_list and not no_list.has_list
    question, parsed = asked(answerer, "伟力得的储能系统覆盖哪些环节？")
    assert parsed.kinds == {"环节"} and parsed.wants_list
    # 环节 is stated by the list; 覆盖 is the one word the fact misses
    focus_unstated, _, by_synonym, _, unstated = predicate_evidence(
        question, listing, answerer.thesaurus
    )
    assert focus_unstated == 0.0 and by_synonym > 0 and unstated == 1.0
    assert predicate_evidence(question, no_list, answerer.thesaurus)[0] == 1.0
    one_thing, _ = asked(answerer, "伟力得的储能系统覆盖什么环节？")
    assert predicate_evidence(one_thing, listing, answerer.thesaurus)[0] == 1.0


def test_the_doing_asked_with_how_is_the_focus(answerer):
    """怎么挂失: a fact about bank cards that never says 挂失 leaves the focus unstated."""
    assert analyse("银行卡丢了怎么挂失").focus == {"挂失"}
    assert analyse("乐山如何推进核技术应用产业发展").focus == {"推进"}
    question, _ = asked(answerer, "伟力得怎么挂失")
    fact = fact_holding(answerer, "伟力得", "5吉瓦")
    assert predicate_evidence(question, fact, answerer.thesaurus)[0] == 1.0


def test_story_share_counts_the_question_words_its_story_states(answerer):
    question, _ = asked(answerer, "伟力得的产能是多少？")
    own = fact_holding(answerer, "伟力得", "5吉瓦")
    assert story_evidence(question, own, answerer.thesaurus) == [1.0]
    question, _ = asked(answerer, "伟力得的足球场有多大？")
    assert story_evidence(question, own, answerer.thesaurus)[0] < 1.0


def test_cilin_groups_are_synonyms_only():
    """Only "=" groups: 董事长 is in a "#" (related) group with 会长, which is no synonym."""
    thesaurus = load_thesaurus()
    assert "会长" not in thesaurus.synonyms("董事长")
    assert "建立" in thesaurus.synonyms("成立")


def test_a_byline_answers_who_wrote_the_story_and_no_other_who(answerer):
    """作者：羊科 记者 杨心梅 names who reported, not who lectured at the event reported; the
    speaker's own sentence is still of the asked kind."""
    byline = fact_holding(answerer, "委员讲堂召开》作者")
    speaker = fact_holding(answerer, "座谈会后举办了委员讲堂")
    assert byline.has_people and speaker.has_people
    lecturer = analyse("委员讲堂是谁来讲的？")
    assert type_evidence(lecturer, byline) == [1.0]
    assert type_evidence(lecturer, speaker) == [0.0]
    for reporting in ["委员讲堂那篇报道是谁写的？", "委员讲堂那篇稿子的记者是谁？"]:
        assert type_evidence(analyse(reporting), byline) == [0.0], reporting


def test_who_else_is_not_answered_by_the_one_named(answerer):
    """A 谁 question that names a person, yet does not ask who that one is, wants someone
    else: 雷建新之前的上一任 is not 雷建新, whatever the fact says of him."""
    elected = fact_holding(answerer, "雷建新当选市总工会主席")
    predecessor = analyse("雷建新之前的上一任乐山市总工会主席是谁？")
    assert type_evidence(predecessor, elected) == [1.0]
    for identity in ["雷建新是谁？", "谁是雷建新", "市总工会主席是谁？"]:
        assert type_evidence(analyse(identity), elected) == [0.0], identity


def test_answer_type_fits(answerer):
    number = analyse("伟力得的产能将达到多少吉瓦？")
    date = analyse("海同项目热调试哪天完成的？")
    person = analyse("伟力得的副总经理是谁？")
    with_number = fact_holding(answerer, "5吉瓦")
    with_date = fact_holding(answerer, "12月19日", "热调试")
    with_person = next(
        f for f in answerer.index.facts if any(p.role == "副总经理" for p in f.fact.people)
    )
    without = next(f for f in answerer.index.facts if not f.fact.numbers and not f.has_people)
    assert type_evidence(number, with_number) == [0.0]
    assert type_evidence(number, without) == [1.0]
    assert type_evidence(date, with_date) == [0.0]
    assert type_evidence(person, with_person) == [0.0]
    assert type_evidence(analyse("伟力得的产能将达到多少人？"), with_number) == [1.0]  # unit
    assert type_evidence(analyse("介绍一下伟力得"), without) == [0.0]  # no kind asked
    bases = fact_holding(answerer, "五大基地")  # a count in words, of the very thing asked
    assert type_evidence(analyse("伟力得在全国一共布了几个基地？"), bases) == [0.0]
    assert type_evidence(analyse("伟力得在全国一共布了几个工厂？"), bases) == [1.0]
    years = fact_holding(answerer, "连续5年超额完成")  # 几年 asks for years, whatever 金额 says
    assert analyse("连续几年超额完成了招商引资签约金额目标？").unit == "年"
    assert type_evidence(analyse("连续几年超额完成了招商引资签约金额目标？"), years) == [0.0]
    activity = analyse("乐山高新区搞的政务服务体验活动叫什么名字")  # a thing's name, not a person
    assert not activity.wants_person and type_evidence(activity, without) == [0.0]
    assert analyse("伟力得的副总经理叫什么名字").wants_person
    permit = fact_holding(answerer, "两周时间就搞定")  # how long: a span of time, no date
    assert type_evidence(analyse("装修施工许可证多久就办好了？"), permit) == [0.0]
    assert type_evidence(analyse("装修施工许可证多久就办好了？"), with_date) == [1.0]
    deputy = fact_holding(answerer, "副主任曲刚")  # the deputy answers no question for the head
    assert type_evidence(analyse("市卫生健康委副主任是谁？"), deputy) == [0.0]
    assert type_evidence(analyse("市卫生健康委主任是谁？"), deputy) == [1.0]


def test_a_fact_that_only_lists_the_thing_defined_says_not_what_it_is(answerer):
    """希尔电子是做什么的: 重点推进希尔电子、嘉洋科技…等企业技改 names it only as one of a list
    (type_misfit), 半导体器件供应商希尔电子 describes it; the question's subject counts though
    no entity has that name. An aside naming it again (以下简称“四川伟力得”) leaves it listed."""
    question, parsed = asked(answerer, "希尔电子是做什么的？")
    assert parsed.subject == "希尔电子" and "希尔电子" in question.defined
    listed = fact_holding(answerer, "希尔电子、嘉洋科技")
    described = fact_holding(answerer, "供应商希尔电子")
    assert type_evidence(parsed, listed, question.defined) == [1.0]
    assert type_evidence(parsed, described, question.defined) == [0.0]
    question, parsed = asked(answerer, "四川伟力得在液流电池产业联盟里是什么身份？")
    founders = fact_holding(answerer, "该联盟由", "以下简称“四川伟力得”")
    founder = fact_holding(answerer, "作为联盟发起单位之一")
    assert type_evidence(parsed, founders, question.defined) == [1.0]
    assert type_evidence(parsed, founder, question.defined) == [0.0]
    other, parsed = asked(answerer, "希尔电子在推进什么项目？")  # asks no definition
    assert not other.defined and type_evidence(parsed, listed, other.defined) == [0.0]


def test_a_definition_question_is_answered_by_a_describing_fact(answerer):
    """The describing fact ranks first, and a fact that only lists the thing is no answer for a
    group (strict) where no fact describes it (嘉洋科技 is only ever listed)."""
    answer = answerer.ask("希尔电子是一家什么样的企业？")
    assert "半导体器件供应商希尔电子" in answer.top.answer
    answer = answerer.ask("成都中医药大学附属乐山医院是什么性质的医院")
    assert "非直属附属医院" in answer.top.answer
    assert not answerer.ask("嘉洋科技是做什么的？", strict=True).found


def test_a_month_alone_answers_when(answerer):
    """今年9月 and 6月 say when, without a day or a year; 3个月 is a span, not a month."""
    from bot.answer.cues import MONTH_NAMED

    when = analyse("组瑞特的生产设备什么时候进场安装")
    month = fact_holding(answerer, "预计今年9月正式进场安装")
    assert not month.fact.dates and not month.years
    assert type_evidence(when, month) == [0.0]
    assert MONTH_NAMED.search("刚刚过去的6月") and not MONTH_NAMED.search("只用了3个月")


def test_time_agrees_or_not(answerer):
    compared = fact_holding(answerer, "科技型中小企业119家")  # 较“十三五”末: a period, no year
    assert time_evidence(analyse("2025年乐山高新区科技型中小企业有多少家"), compared)[1] == 0.0
    first_phase = fact_holding(answerer, "2000万支口服液")  # 一期: no answer for a 二期
    assert time_evidence(analyse("德世堂项目二期每年能生产多少支口服液？"), first_phase) == [0, 1]
    assert time_evidence(analyse("德世堂项目一期每年能生产多少支口服液？"), first_phase) == [1, 0]
    fact = fact_holding(answerer, "2023年", "高新技术产业营业收入")
    assert time_evidence(analyse("2023年高新技术产业营收多少"), fact) == [1.0, 0.0]
    assert time_evidence(analyse("2019年高新技术产业营收多少"), fact) == [0.0, 1.0]
    assert time_evidence(analyse("高新技术产业营收多少"), fact) == [0.0, 0.0]


def test_a_goal_is_not_of_the_years_before_its_story(answerer):
    """A goal or forecast stating no year (力争…, in a story of 2024) is of 2024 or later: no
    answer for what happened in 2023, unless the question asks for a goal itself. A figure of
    what is, stating no year, may still be of the year asked."""
    goal = fact_holding(answerer, "力争通过3", "工业总产值达4500亿元以上")
    assert goal.fact.source.date.startswith("2024") and not goal.years
    assert time_evidence(analyse("乐山2023年工业总产值是多少"), goal) == [0.0, 1.0]
    assert time_evidence(analyse("乐山2024年工业总产值是多少"), goal)[1] == 0.0
    assert time_evidence(analyse("乐山2023年定的工业总产值目标是多少"), goal)[1] == 0.0
    present = fact_holding(answerer, "700多户规模以上工业企业全部上")
    assert not present.years and present.fact.source.date.startswith("2024")
    assert time_evidence(analyse("2023年乐山有多少户规上工业企业上云"), present)[1] == 0.0
    assert not answerer.ask("乐山2023年工业总产值是多少", strict=True).found


def test_every_candidate_gets_one_row_of_every_feature(answerer):
    parsed = analyse("伟力得的副总经理是谁？", answerer.index.uses, answerer.index.segmenter)
    _, ranked, rows = answerer.candidates(parsed)
    assert ranked and len(rows) == len(ranked)
    assert all(len(row) == len(FEATURES) for row in rows)
    assert rows[0][FEATURES.index("is_first")] == 1.0


# The question generator


def test_generated_questions_have_answers_in_their_facts(answerer):
    questions = generated_questions(answerer.factbase, answerer.thesaurus, STRANGERS)
    positives = [q for q in questions if q.expect]
    negatives = [q for q in questions if not q.expect]
    assert len(positives) > 50 and len(negatives) > 50
    texts = [f.text for f in answerer.factbase.facts]
    assert all(any(q.expect[0] in t for t in texts) for q in positives)
    assert any("是谁" in q.text for q in positives) and any("职务" in q.text for q in positives)
    assert any("什么时候" in q.text for q in positives)
    assert any(q.unsure for q in negatives)  # asked of a sibling entity
    assert (
        generated_questions(answerer.factbase, answerer.thesaurus, STRANGERS) == questions
    )  # deterministic


def test_a_sibling_question_names_another_entity_of_the_same_type(answerer):
    questions = generated_questions(answerer.factbase, answerer.thesaurus, STRANGERS)
    types = {e.name: e.type for e in answerer.factbase.entities}
    siblings = [q for q in questions if q.unsure]
    by_group = {q.group: q for q in questions if q.expect}
    for negative in siblings[:20]:
        positive = by_group[negative.group]
        assert negative.text != positive.text
        assert types.get(negative.unsure) != "person"


# The model


def test_the_shipped_model_is_for_these_features():
    model = read_model(KNOWLEDGE / MODEL_FILE)
    assert model.features == FEATURES
    assert 0 < model.policy.lenient <= model.policy.strict < 100
    assert 0.0 < model.probability([0.0] * len(FEATURES)) < 1.0


def test_a_model_for_other_features_is_refused(tmp_path):
    data = json.loads((KNOWLEDGE / MODEL_FILE).read_text("utf-8"))
    data["features"] = data["features"][:-1]
    (tmp_path / MODEL_FILE).write_text(json.dumps(data), "utf-8")
    with pytest.raises(ModelError, match="other features"):
        read_model(tmp_path / MODEL_FILE)


def test_training_writes_a_byte_identical_model(tmp_path):
    """Same fact base, same questions: the same file, whatever Python's hash seed."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    own = ROOT / "tests" / "data" / "own_questions.jsonl"
    files = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "bot", "train", "--knowledge", str(knowledge)]
        done = subprocess.run(
            [*command, "--questions", str(own)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        files.append((knowledge / MODEL_FILE).read_bytes())
    assert files[0] == files[1]
    assert read_model(knowledge / MODEL_FILE).features == FEATURES


def test_train_refuses_a_missing_question_set(tmp_path):
    command = [sys.executable, "-m", "bot", "train", "--knowledge", str(KNOWLEDGE)]
    done = subprocess.run(
        [*command, "--questions", str(tmp_path / "none.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "no such question set" in done.stderr


# The policy


def hit(score):
    return Hit("f", "answer", None, Source("a.txt", "title"), score)


def test_policy_thresholds_and_suggestions():
    policy = AnswerPolicy(lenient=40, strict=80, suggestion_floor=10)
    assert policy.answers(40) and not policy.answers(39.9)
    assert policy.answers(80, strict=True) and not policy.answers(79, strict=True)
    hits = (hit(90), hit(50), hit(20), hit(5))
    assert [h.score for h in policy.sure_hits(hits)] == [90, 50]
    assert [h.score for h in policy.sure_hits(hits, strict=True)] == [90]
    assert [h.score for h in policy.suggestions(hits)] == [90, 50, 20]


def test_the_engine_decides_by_its_policy(answerer):
    answer = answerer.ask("伟力得的副总经理是谁？")
    assert answer.found and answer.score == answer.hits[0].score
    assert answer.score >= answerer.policy.lenient
    strict = answerer.ask("伟力得的副总经理是谁？", strict=True)
    assert strict.found == (answer.score >= answerer.policy.strict)


def test_nothing_imports_thresholds_from_the_ranker():
    for path in (ROOT / "bot").rglob("*.py"):
        text = path.read_text("utf-8")
        assert "FOUND_THRESHOLD" not in text and "STRICT_THRESHOLD" not in text, path


# The lexicon


def test_the_lexicon_is_data_loaded_into_a_frozen_object():
    import dataclasses

    from bot.answer.lexicon import FOLDER, LEXICON

    assert "营业收入" in LEXICON.synonyms["营收"]
    assert LEXICON.english["gm"] == "总经理"
    assert "的" in LEXICON.stopwords and "职务" in LEXICON.cue_nouns
    assert dict(LEXICON.unit_endings)["美元"] == "元"
    with pytest.raises(dataclasses.FrozenInstanceError):
        LEXICON.stopwords = frozenset()
    with pytest.raises(TypeError):
        LEXICON.synonyms["新词"] = ("新",)
    assert {p.name for p in FOLDER.iterdir()} >= {"stopwords.txt", "synonyms.tsv", "units.tsv"}


def test_a_corpus_variant_in_the_data_file_reaches_the_thesaurus(answerer):
    assert "营业收入" in answerer.thesaurus.synonyms("营收")


# The cache layer


def test_the_result_cache_keeps_recent_results_up_to_its_size():
    from bot.answer.cache import ResultCache

    cache = ResultCache(size=2)
    calls = []

    def compute(value):
        calls.append(value)
        return value

    for key in ("a", "b", "a", "c"):  # "a" used again: "b" is the least recent when "c" comes
        cache.remember(key, lambda k=key: compute(k))
    assert calls == ["a", "b", "c"]
    assert list(cache.recent) == ["a", "c"]
    cache.remember("b", lambda: compute("b again"))
    assert calls[-1] == "b again"


def test_a_words_evidence_is_counted_with_the_arrays_of_its_parts():
    from bot.answer.cache import SMALL, footprint
    from bot.answer.rank import WordEvidence

    ids = np.arange(10, dtype=np.int32)
    evidence = WordEvidence(1.0, 1.0, False, False, ids, ids[:2], (ids, ids[:5]), ids[:1])
    assert footprint(evidence) == SMALL + 4 * (10 + 2 + 10 + 5 + 1)
