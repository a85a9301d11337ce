"""The candidate step (rank.candidate_rows): which facts are scored in full for a question.

On the seeds every fact a question word reaches is a candidate, so ranking the candidates is
ranking every fact; and with a pool far smaller than the fact base, the fact that full scoring
ranks first is still among them.
"""

import importlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.answer import load_answerer
from bot.answer.parameters import RANKING
from bot.answer.question import analyse

rank_module = importlib.import_module("bot.answer.rank")  # bot.answer.rank is also a function
ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
OWN = ROOT / "tests" / "data" / "own_questions.jsonl"
REPRESENTATIVE = [
    "伟力得的副总经理叫什么名字",
    "夹江核技术应用产业园总投资多少",
    "乐山高新区2023年全社会固定资产投资增长多少",
    "尚维股份是做什么的？",  # by sound
    "海同项目镥177热调试哪天完成的",
    "乐山有哪些关键共性技术做到了行业领先？",
    "组瑞特的总经理是谁",
    "米兰诺集团在全国陶瓷产能榜单排第几？",
]


@pytest.fixture(scope="module")
def answerer():
    return load_answerer(KNOWLEDGE)


def questions() -> list[str]:
    files = [OWN, *([DEV] if DEV.exists() else [])]
    return REPRESENTATIVE + [
        json.loads(line)["q"] for path in files for line in path.read_text("utf-8").splitlines()
    ]


def ranked(answerer, question: str, pool: int = RANKING.pool) -> list[tuple[str, float]]:
    parsed = analyse(question, answerer.index.uses, answerer.index.segmenter)
    hits = rank_module.rank(
        parsed, answerer.index, limit=20, parameters=replace(RANKING, pool=pool)
    )
    return [(hit.fact.fact.id, hit.score) for hit in hits]


def pool_of(answerer, question: str, size: int) -> np.ndarray:
    index = answerer.index
    parsed = analyse(question, index.uses, index.segmenter)
    evidence = rank_module.word_evidence(parsed, index)
    weights = {t: e.weight(RANKING) for t, e in evidence.items()}
    return rank_module.candidate_rows(evidence, weights, {}, index, replace(RANKING, pool=size))


def test_on_the_seeds_the_candidates_rank_as_every_fact_does(answerer, monkeypatch):
    asked = questions()
    through_pool = [ranked(answerer, q) for q in asked]
    every_fact = np.arange(len(answerer.index.facts))
    monkeypatch.setattr(rank_module, "candidate_rows", lambda *args: every_fact)
    assert [ranked(answerer, q) for q in asked] == through_pool


def test_the_candidates_are_the_facts_a_question_word_reaches(answerer):
    index = answerer.index
    question = "伟力得的副总经理叫什么名字"
    rows = pool_of(answerer, question, len(index.facts))
    parsed = analyse(question, index.uses, index.segmenter)
    evidence = rank_module.word_evidence(parsed, index)
    every_fact = np.arange(len(index.facts))
    reached = np.logical_or.reduce(
        [e.matches(every_fact, index, RANKING) > 0 for e in evidence.values()]
    )
    assert np.array_equal(rows, np.flatnonzero(reached))
    # …among them facts a word reaches only in their story (IN_STORY), as scoring counts them
    best = np.maximum.reduce([e.matches(every_fact, index, RANKING) for e in evidence.values()])
    assert (best[rows] == RANKING.in_story).any()
    assert len(rows) < len(index.facts)  # a fact no word reaches is no candidate


@pytest.mark.parametrize("question", REPRESENTATIVE)
def test_a_small_pool_keeps_the_fact_full_scoring_ranks_first(answerer, question):
    size = len(answerer.index.facts) // 10
    rows = pool_of(answerer, question, size)
    assert len(rows) <= size and np.all(np.diff(rows) > 0)  # at most `size`, ascending
    (first, _), *_ = ranked(answerer, question, pool=len(answerer.index.facts))
    kept = {answerer.index.facts[i].fact.id for i in rows}
    assert first in kept
    assert ranked(answerer, question, pool=size)[0][0] == first
