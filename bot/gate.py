"""The regression gate: a new fact base goes live only if it still answers what was right.

Its questions: every curated question → answer (curated.yaml `entries`), every answer a user
marked 👍 (the query log), every question an admin marked out of scope (`out_of_scope`, which
must stay unanswered). Each is asked of the running fact base and of the new one; a question
that passed before and fails now is a regression, and a reload with one is refused (an
admin may force it). `python -m bot check` runs the same gate from the shell.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.answer import Answerer, KnowledgeError, load_answerer
from bot.config import Config, ConfigError
from bot.facts.curated import Curated
from bot.querylog import QueryLog, SchemaTooNew, ThumbsUp
from bot.rebuild import discard, prepare_candidate
from bot.store import DatabaseError

CURATED = "curated"
THUMBS_UP = "thumbs_up"
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Case:
    """One regression question and what a passing answer is."""

    kind: str  # CURATED | THUMBS_UP | OUT_OF_SCOPE
    question: str
    answer: str = ""  # the expected answer's text (none for OUT_OF_SCOPE)
    fact_id: str = ""


@dataclass(frozen=True)
class Failure:
    case: Case
    got: str  # what the new fact base answers, "" for not found


@dataclass
class GateResult:
    checked: int = 0
    regressions: list[Failure] = field(default_factory=list)  # passed before, fail now
    failing: list[Failure] = field(default_factory=list)  # fail now, did not pass before either

    @property
    def passed(self) -> bool:
        return not self.regressions


def cases(curated: Curated, thumbs_up: list[ThumbsUp]) -> list[Case]:
    found = [Case(CURATED, f.question, f.text, f.id) for f in curated.entries]
    found += [Case(THUMBS_UP, t.question, t.answer, t.fact_id) for t in thumbs_up]
    return found + [Case(OUT_OF_SCOPE, q) for q in curated.out_of_scope]


def passes(answerer: Answerer, case: Case) -> tuple[bool, str]:
    """(passed, what the answer was). Right is the expected fact, or one with the same text:
    each curated wording of a question is its own fact with the same answer."""
    top = answerer.ask(case.question).top
    if case.kind == OUT_OF_SCOPE:
        return top is None, top.answer if top else ""
    if top is None:
        return False, ""
    fact = answerer.factbase.fact(top.fact_id)
    right = top.fact_id == case.fact_id or case.answer in (top.answer, fact.text if fact else "")
    return right, top.answer


def run_gate(old: Answerer | None, new: Answerer, gate_cases: list[Case]) -> GateResult:
    """Ask each case of both fact bases (old None: nothing passed before)."""
    result = GateResult(checked=len(gate_cases))
    for case in gate_cases:
        ok_now, got = passes(new, case)
        if ok_now:
            continue
        ok_before = old is not None and passes(old, case)[0]
        (result.regressions if ok_before else result.failing).append(Failure(case, got))
    return result


def format_result(result: GateResult, limit: int = 20) -> str:
    """The shell's report (Telegram has its own wording, in the admins' language)."""
    lines = [f"regression gate: {result.checked} questions, {len(result.regressions)} regressions"]
    for title, failures in (("would break", result.regressions), ("failing", result.failing)):
        if failures:
            lines.append(f"{title}:")
            lines += [f"  {describe(f)}" for f in failures[:limit]]
            if len(failures) > limit:
                lines.append(f"  … and {len(failures) - limit} more")
    return "\n".join(lines)


def describe(failure: Failure) -> str:
    case = failure.case
    if case.kind == OUT_OF_SCOPE:
        return f"[out of scope] {case.question} → now answered: {failure.got[:60]}"
    got = failure.got[:60] if failure.got else "(not found)"
    return f"[{case.kind}] {case.question} → expected {case.answer[:40]}… got {got}"


async def thumbs_up_of(database: Path | str) -> list[ThumbsUp]:
    """The 👍 answers of the query log (a SQLite file or a PostgreSQL URL); none when there is
    no SQLite log yet."""
    if isinstance(database, Path) and not database.is_file():
        return []
    async with QueryLog(database) as querylog:
        return await querylog.thumbs_up_answers()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot check",
        description="Run the regression gate /reload runs: rebuild from the articles and "
        "curated.yaml if they changed, ask the curated, 👍 and out-of-scope questions, and "
        "exit 1 if one that passes now would fail.",
    )
    parser.add_argument("--seeds", type=Path, default=None, help="articles (default seeds/)")
    parser.add_argument("--knowledge", type=Path, default=None, help="knowledge folder")
    parser.add_argument("--db", type=Path, default=None, help="the query log, for 👍 answers")
    args = parser.parse_args(argv)
    try:
        config = Config.from_env()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    knowledge = args.knowledge or config.knowledge_dir
    try:
        current = load_answerer(knowledge)
    except KnowledgeError as error:
        print(f"note: no running fact base to compare with ({error})", file=sys.stderr)
        current = None
    try:
        candidate = prepare_candidate(args.seeds or config.seeds_dir, knowledge)
    except KnowledgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        thumbs = asyncio.run(thumbs_up_of(args.db or config.database))
    except (SchemaTooNew, DatabaseError, OSError, sqlite3.Error) as error:
        print(f"error: query log: {error}", file=sys.stderr)
        discard(candidate)
        return 1
    result = run_gate(current, candidate.answerer, cases(candidate.curated, thumbs))
    discard(candidate)
    print(format_result(result))
    return 0 if result.passed else 1
