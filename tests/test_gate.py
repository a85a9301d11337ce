"""The reload's new fact base (bot.rebuild) and the regression gate (bot.gate, `bot check`)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from bot.answer import Answerer, KnowledgeError
from bot.curation import add_entries, add_out_of_scope, entries_for_fact
from bot.facts.curated import Curated
from bot.gate import CURATED, OUT_OF_SCOPE, THUMBS_UP, Case, cases, main, run_gate
from bot.querylog import ThumbsUp
from bot.rebuild import needs_build, prepare_candidate, promote

pytest_plugins = ["test_telegram_app"]  # fixture: answerer

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
OUTSIDE = "乐山的足球队叫什么？"  # the articles do not say
LIKED = "伟力得的总部在哪里？"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A copy of knowledge/ whose generated files are newer than its inputs."""
    copy = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", copy)
    now = time.time()
    for name in ("stories.yaml", "entities.yaml", "facts.yaml"):
        os.utime(copy / name, (now, now))  # as if just built: newer than curated.yaml and seeds
    os.utime(copy / "curated.yaml", (now - 60, now - 60))
    return copy


def answer_by_hand(knowledge: Path, answerer: Answerer, question: str) -> None:
    """A hand edit: a curated entry answering `question` with the first fact."""
    fact = answerer.factbase.facts[0]
    entry = (
        f"entries:\n  - question: {question}\n    answer: {fact.text}\n"
        f"    source: {{file: {fact.source.file}}}\n"
    )
    curated = knowledge / "curated.yaml"
    curated.write_text(curated.read_text("utf-8") + entry, "utf-8")


def staging_dirs(knowledge: Path) -> list[str]:
    return [p.name for p in knowledge.parent.iterdir() if "staging" in p.name]


def test_cases_cover_curated_liked_and_out_of_scope(answerer: Answerer):
    fact = answerer.factbase.facts[0]
    curated = Curated(out_of_scope=[OUTSIDE])
    curated.entries = [fact]
    liked = [ThumbsUp(LIKED, "abc", "答案")]
    assert [(c.kind, c.question) for c in cases(curated, liked)] == [
        (CURATED, fact.question),
        (THUMBS_UP, LIKED),
        (OUT_OF_SCOPE, OUTSIDE),
    ]


def test_only_what_passed_before_and_fails_now_is_a_regression(answerer: Answerer):
    top = answerer.ask(LIKED).top
    right = Case(THUMBS_UP, LIKED, top.answer, top.fact_id)
    never = Case(THUMBS_UP, OUTSIDE, "不存在的答案", "nope")
    outside = Case(OUT_OF_SCOPE, OUTSIDE)
    result = run_gate(answerer, answerer, [right, never, outside])
    assert result.passed and result.checked == 3
    assert [f.case for f in result.failing] == [never]  # failed before too: no regression
    wrong_now = Case(OUT_OF_SCOPE, LIKED)  # as if LIKED had been marked out of scope
    assert run_gate(None, answerer, [wrong_now]).passed  # nothing to compare with
    assert not run_gate(_NotFound(answerer), answerer, [wrong_now]).passed


class _NotFound:
    """An old fact base that answers nothing."""

    def __init__(self, answerer: Answerer) -> None:
        self.factbase = answerer.factbase

    def ask(self, question: str):
        from bot.answer.result import Answer

        return Answer(question=question, normalised=question, found=False)


def test_unchanged_knowledge_is_loaded_as_it_is(knowledge: Path):
    assert not needs_build(SEEDS, knowledge)
    candidate = prepare_candidate(SEEDS, knowledge)
    assert not candidate.rebuilt and staging_dirs(knowledge) == []


def test_a_curated_change_without_articles_to_build_from_is_reported(knowledge: Path, tmp_path):
    later = time.time() + 10
    os.utime(knowledge / "curated.yaml", (later, later))  # edited after the last build
    with pytest.raises(KnowledgeError, match="no articles"):
        prepare_candidate(tmp_path / "no-seeds", knowledge)


def test_a_curated_change_is_built_aside_gated_then_promoted(knowledge: Path, answerer: Answerer):
    fact = answerer.factbase.fact("381e670cca61")
    before = (knowledge / "facts.yaml").read_bytes()
    add_entries(
        knowledge / "curated.yaml",
        entries_for_fact(["威士忌酒厂在哪？"], fact),
        answerer.factbase.stories,
        "test",
    )
    assert needs_build(SEEDS, knowledge)
    candidate = prepare_candidate(SEEDS, knowledge)
    assert candidate.rebuilt and len(staging_dirs(knowledge)) == 1
    assert (knowledge / "facts.yaml").read_bytes() == before  # not live yet
    result = run_gate(answerer, candidate.answerer, cases(candidate.curated, []))
    assert result.passed and result.checked == 1 and not result.failing
    promote(candidate, knowledge)
    assert staging_dirs(knowledge) == []
    assert "威士忌酒厂在哪？" in (knowledge / "facts.yaml").read_text("utf-8")
    assert not needs_build(SEEDS, knowledge)


def test_answering_an_out_of_scope_question_is_a_regression(knowledge: Path, answerer: Answerer):
    add_out_of_scope(knowledge / "curated.yaml", [OUTSIDE], answerer.factbase.stories, "test")
    answer_by_hand(knowledge, answerer, OUTSIDE)
    candidate = prepare_candidate(SEEDS, knowledge)
    result = run_gate(answerer, candidate.answerer, cases(candidate.curated, []))
    assert [(f.case.kind, f.case.question) for f in result.regressions] == [(OUT_OF_SCOPE, OUTSIDE)]


def test_malformed_yaml_names_the_file_and_line_and_leaves_nothing(knowledge: Path):
    curated = knowledge / "curated.yaml"
    curated.write_text("entries:\n  - question: [unclosed\n", "utf-8")
    with pytest.raises(KnowledgeError) as raised:
        prepare_candidate(SEEDS, knowledge)
    assert f"{curated}, line 3" in str(raised.value) and "staging" not in str(raised.value)
    assert staging_dirs(knowledge) == []


def test_check_exits_1_on_a_regression(knowledge: Path, answerer: Answerer, capsys, tmp_path):
    args = ["--seeds", str(SEEDS), "--knowledge", str(knowledge), "--db", str(tmp_path / "no.db")]
    assert main(args) == 0
    add_out_of_scope(knowledge / "curated.yaml", [OUTSIDE], answerer.factbase.stories, "test")
    answer_by_hand(knowledge, answerer, OUTSIDE)
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "1 regressions" in out and OUTSIDE in out
    (knowledge / "curated.yaml").write_text("entries: [\n", "utf-8")
    assert main(args) == 1
    assert "curated.yaml, line" in capsys.readouterr().err
    assert staging_dirs(knowledge) == []
