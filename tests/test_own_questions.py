"""Questions written for this project, outside the shared development set.

The thresholds are calibrated on the development questions; these check that what the engine
learned there carries over to questions it was not tuned on: each in-corpus question must be
answered with a fact containing one of its expected phrases, and each out-of-corpus question
(no expected phrase) must get an honest "not found". Known misses say why they miss.
"""

import json
from pathlib import Path

import pytest

from bot.answer import load_answerer

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    json.loads(line)
    for line in (ROOT / "tests" / "data" / "own_questions.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]


@pytest.fixture(scope="module")
def answerer():
    return load_answerer(ROOT / "knowledge")


def case(item: dict) -> object:
    """A question the engine is known to get wrong carries the reason: its test must keep
    failing until the engine gets it right, and then the mark must go (strict)."""
    if reason := item.get("known_miss"):
        return pytest.param(item, marks=pytest.mark.xfail(reason=reason, strict=True), id=item["q"])
    return pytest.param(item, id=item["q"])


@pytest.mark.parametrize("item", [case(q) for q in QUESTIONS])
def test_own_question(answerer, item):
    answer = answerer.ask(item["q"])
    if item["expect"]:
        assert answer.found, f"not found (best score {answer.score})"
        assert any(e in answer.top.answer for e in item["expect"]), answer.top.answer
    else:
        assert not answer.found, f"answered {answer.top.answer!r} ({answer.score})"
