"""How long adding an article takes on a large corpus, next to a full build.

Generates N articles (bench/corpus_gen.py), builds them all (`build --full`), then adds one
saved news page the way `python -m bot add` does (read, store, incremental build) and times
each step; then a rebuild with nothing changed, and removing the page again.

    python bench/ingest_bench.py [--articles 10000] [--check]

--check also makes a full build after the add and compares the files byte for byte;
--examples also times what `python -m bot add` does next: build the engine over all facts to
check its example questions (the engine's own load time, the same as the bot's /reload).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus_gen import generate  # noqa: E402

from bot.answer import Answerer  # noqa: E402
from bot.articles import add_documents, example_questions  # noqa: E402
from bot.corpus.library import find_article, remove_article  # noqa: E402
from bot.facts.build import build, build_report  # noqa: E402

PAGE = ROOT / "tests" / "data" / "pages" / "leshan_daily_tea.html"
GENERATED = ("stories.yaml", "entities.yaml", "facts.yaml")


def quiet(_line: str) -> None:
    return None


def timed(label: str, action):
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"{label:<52} {seconds:8.2f} s", flush=True)
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--check", action="store_true", help="compare with a full build")
    parser.add_argument(
        "--examples", action="store_true", help="also time the example questions' check"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        folder = Path(tmp)
        seeds, knowledge = folder / "seeds", folder / "knowledge"
        timed(f"generate {args.articles} articles", lambda: generate(seeds, args.articles))
        report, _ = timed(
            "full build (every article extracted)",
            lambda: build_report(seeds, knowledge, say=quiet, full=True),
        )
        print(
            f"  {len(report.stories)} stories, {len(report.entities)} entities, "
            f"{report.fact_count} facts; facts.yaml "
            f"{(knowledge / 'facts.yaml').stat().st_size / 2**20:.0f} MB"
        )
        timed("rebuild, nothing changed (all cached)", lambda: build(seeds, knowledge, quiet))
        change, _ = timed(
            "add one page (read, store, incremental build)",
            lambda: add_documents(seeds, knowledge, [(PAGE.name, PAGE)], examples=False),
        )
        print(f"  added {change.facts} facts, {len(change.entities)} new entities")
        if args.examples:  # the CLI's check of its example questions builds the engine
            examples, _ = timed(
                "  + example questions (the engine on all facts)",
                lambda: example_questions(Answerer(change.report.factbase), change.new_facts),
            )
            print(f"  examples: {examples}")
        if args.check:
            full = folder / "full"
            timed(
                "full build of the same articles, to compare",
                lambda: build(seeds, full, quiet, True),
            )
            same = all((knowledge / n).read_bytes() == (full / n).read_bytes() for n in GENERATED)
            print(f"  incremental == full, byte for byte: {same}")
        name = change.added[0][0]

        def remove() -> None:
            remove_article(seeds, find_article(seeds, name))
            build(seeds, knowledge, quiet)

        timed("remove it again (incremental build)", remove)


if __name__ == "__main__":
    main()
