"""How good the short answers are, on a labelled question set.

    python bench/short_check.py ../shared/eval/dev.jsonl [--misses]

Over the questions whose top answer is right (found, and its sentence holds an expected
phrase), it prints how often the short answer holds an expected phrase too (the target is at
least 0.85 of them), how often a short answer is given at all, how many given short answers
hold no expected phrase (read them with --misses: mostly right but shorter than the phrase, 18家
for 18家企业完成超低排放改造), and how many contradict their own sentence: a short answer whose
pieces (a name, a role, a number, a period, a list item) are not all printed in the sentence it
came from, or for a list in that sentence's paragraph (the target is 0).
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bot.answer import Answer, load_answerer
from bot.facts.model import FactBase
from bot.short_answer import add_short_answers


def norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def pieces(short: str) -> list[str]:
    """What a short answer states: 朱晓星（伟力得副总经理） → 朱晓星, 伟力得副总经理."""
    return [p for p in re.split(r"[（）、]", short) if p]


def contradicts(answer: Answer, factbase: FactBase) -> bool:
    """A short answer with a piece its own sentence (or, for a list, paragraph) does not print."""
    top = answer.top
    if top is None or answer.short is None:
        return False
    fact = factbase.fact(top.fact_id)
    if answer.items:
        where = norm(factbase.paragraph(top.source) or (fact.text if fact else ""))
        shown = [item.text for item in answer.items]
    else:
        where, shown = norm(top.answer), pieces(answer.short)
    return any(norm(piece) not in where for piece in shown)


@dataclass
class Figures:
    right: int = 0  # top answer right
    short_right: int = 0  # …and its short answer holds an expected phrase
    with_short: int = 0  # …and it has a short answer at all
    contradicting: int = 0  # short answers not printed in their own sentence (any question)

    def line(self, name: str) -> str:
        share = self.short_right / self.right if self.right else 0.0
        precision = self.short_right / self.with_short if self.with_short else 0.0
        return (
            f"{name}: top answer right {self.right}; short holds an expected phrase "
            f"{self.short_right} ({share:.3f} of right answers); short given "
            f"{self.with_short}, of which holding one {precision:.3f}; short without an "
            f"expected phrase {self.with_short - self.short_right}; contradicting their "
            f"sentence {self.contradicting}"
        )


def check(path: Path, knowledge: Path, misses: bool) -> Figures:
    answerer = load_answerer(knowledge)
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    figures = Figures()
    for row in rows:
        answer = add_short_answers(answerer.ask(row["q"]), answerer.factbase)
        figures.contradicting += contradicts(answer, answerer.factbase)
        top, expect = answer.top, [norm(e) for e in row.get("expect") or []]
        if top is None or not expect or not any(e in norm(top.answer) for e in expect):
            continue
        figures.right += 1
        short = norm(answer.short or "")
        figures.with_short += bool(short)
        figures.short_right += any(e in short for e in expect)
        if misses and not any(e in short for e in expect):
            print(f"  {row.get('id', '')} {row['q']} expect={row['expect']} short={answer.short!r}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", type=Path, nargs="+")
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    parser.add_argument("--misses", action="store_true", help="print the questions it misses")
    args = parser.parse_args()
    for path in args.questions:
        print(check(path, args.knowledge, args.misses).line(path.name))


if __name__ == "__main__":
    main()
