"""Pick the "found" threshold from a labelled question set, instead of guessing it.

    python bench/calibrate.py ../shared/eval/dev.jsonl [--misses]

For every candidate threshold it prints in-scope accuracy (top answer right and shown) and
out-of-scope abstention, and marks the threshold that maximises their sum. Use the printout to
set FOUND_THRESHOLD in bot/answer/rank.py; STRICT_THRESHOLD (groups) is the lowest threshold
whose abstention is at least 0.97.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from pathlib import Path

from bot.answer import load_answerer
from bot.answer.question import analyse
from bot.answer.rank import rank


def norm(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", type=Path)
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    parser.add_argument("--misses", action="store_true", help="print what goes wrong")
    args = parser.parse_args()
    answerer = load_answerer(args.knowledge)
    rows = [json.loads(line) for line in args.questions.read_text("utf-8").splitlines() if line]
    results = []
    for row in rows:
        ranked = rank(analyse(row["q"], answerer.index.uses), answerer.index)
        top = ranked[0] if ranked else None
        right = bool(top) and any(norm(e) in norm(top.fact.fact.text) for e in row["expect"])
        results.append((row, ranked, top.score if top else 0.0, right))
    in_scope = [r for r in results if r[0]["kind"] != "oos"]
    oos = [r for r in results if r[0]["kind"] == "oos"]
    best = max(
        range(0, 101),
        key=lambda t: (
            sum(r[3] and r[2] >= t for r in in_scope) / len(in_scope)
            + sum(r[2] < t for r in oos) / len(oos)
        ),
    )
    for t in range(20, 91, 2):
        acc = sum(r[3] and r[2] >= t for r in in_scope) / len(in_scope)
        abstain = sum(r[2] < t for r in oos) / len(oos)
        mark = " <= best" if t == best or (best % 2 and t == best - 1) else ""
        print(
            f"threshold {t:3d}: acc1 {acc:.3f}  abstain {abstain:.3f}  "
            f"sum {acc + abstain:.3f}{mark}"
        )
    print(
        f"best threshold: {best}; right at rank 1 regardless of threshold: "
        f"{sum(r[3] for r in in_scope) / len(in_scope):.3f}"
    )
    if args.misses:
        for row, ranked, score, right in results:
            oos_row = row["kind"] == "oos"
            if (oos_row and score >= best) or (not oos_row and (not right or score < best)):
                print(f"\n{row['id']} {row['kind']} {row['q']} expect={row['expect']}")
                for s in ranked[:3]:
                    print(f"   {s.score:5.1f} {s.fact.fact.text[:90]}")


if __name__ == "__main__":
    main()
