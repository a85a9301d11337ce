"""The team's human-style validation questions (tests/data/team_questions.jsonl) stay true labels.

The answer model is fitted on dev and own questions, so their scores flatter it; these 324 are
never trained on and measure what the engine does with questions it has not seen (the held-out
set is kept for a final check, never for choosing). A stale label misleads that measure: each
in-corpus question's note must still be a fact sentence of its article in knowledge/facts.yaml,
holding every expected phrase verbatim; an out-of-corpus question expects nothing.
"""

import json
from pathlib import Path

import yaml

from bot.answer.train import DEFAULT_SETS

ROOT = Path(__file__).resolve().parent.parent
TEAM = ROOT / "tests" / "data" / "team_questions.jsonl"
KINDS = {"fact", "entity", "list", "paraphrase", "oos"}
QUESTIONS = [json.loads(line) for line in TEAM.read_text("utf-8").splitlines() if line.strip()]


def fact_sentences() -> dict[str, set[str]]:
    """Fact sentences by the article's three-digit file prefix."""
    facts = yaml.safe_load((ROOT / "knowledge" / "facts.yaml").read_text("utf-8"))
    found: dict[str, set[str]] = {}
    for fact in facts:
        found.setdefault(fact["source"]["file"][:3], set()).add(fact["text"])
    return found


def test_validation_questions_are_not_trained_on():
    assert TEAM not in DEFAULT_SETS


def test_every_question_is_well_formed_and_asked_once():
    assert [q["id"] for q in QUESTIONS] == [f"tq-{n:03d}" for n in range(1, len(QUESTIONS) + 1)]
    assert len({q["q"] for q in QUESTIONS}) == len(QUESTIONS)
    for q in QUESTIONS:
        assert q["kind"] in KINDS, q
        assert q["q"].strip() and q["note"].strip(), q
        if q["kind"] == "oos":
            assert q["expect"] == [] and q["source"] is None, q
        else:
            assert q["expect"] and all(e.strip() for e in q["expect"]), q


def test_every_expected_phrase_is_in_the_fact_sentence_that_answers_it():
    sentences = fact_sentences()
    for q in QUESTIONS:
        if q["kind"] == "oos":
            continue
        assert q["note"] in sentences.get(q["source"], set()), (q["id"], "no fact of its source")
        missing = [e for e in q["expect"] if e not in q["note"]]
        assert not missing, (q["id"], missing)


def test_no_question_is_copied_from_the_other_labelled_sets():
    others = {
        json.loads(line)["q"]
        for path in DEFAULT_SETS
        if path != TEAM and path.exists()
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    }
    assert not others & {q["q"] for q in QUESTIONS}
