"""How long adding an article takes on a large corpus, next to a full build.

Generates N articles (bench/corpus_gen.py), builds them all (`build --full`), then adds one
saved news page, rebuilds with nothing changed, and removes the page again. Each step is the
command an admin runs, in a fresh process, timed on the wall clock (start-up included).

    python bench/ingest_bench.py [--articles 10000] [--dir DIR [--reuse]] [--check] [--examples]

--dir keeps the corpus (default: a temporary folder); --reuse skips generating and the full
build when DIR already holds them. --check makes a full build after the add and compares the
files byte for byte. --examples also times the add's check of its example questions, which
builds the engine over all facts (the same cost as the bot's /reload).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from corpus_gen import generate  # noqa: E402

PAGE = ROOT / "tests" / "data" / "pages" / "leshan_daily_tea.html"
GENERATED = ("stories.yaml", "entities.yaml", "facts.yaml")


def run(label: str, *args: str, folder: Path) -> str:
    """Run `python -m bot ARGS` on the corpus in `folder`; print and return its output."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BOT_SEEDS_DIR": str(folder / "seeds"),
        "BOT_KNOWLEDGE_DIR": str(folder / "knowledge"),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{label} failed:\n{done.stdout}\n{done.stderr}")
    print(f"{label:<50} {seconds:8.2f} s", flush=True)
    return done.stdout + done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, help="keep the corpus here")
    parser.add_argument("--reuse", action="store_true", help="reuse the corpus in --dir")
    parser.add_argument("--check", action="store_true", help="compare with a full build")
    parser.add_argument("--examples", action="store_true", help="time the example questions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        folder = args.dir or Path(tmp)
        seeds, knowledge = folder / "seeds", folder / "knowledge"
        if not (args.reuse and (knowledge / "facts.yaml").exists()):
            generate(seeds, args.articles)
            print(f"generated {args.articles} articles in {seeds}/")
            out = run("full build: every article extracted", "build", "--full", folder=folder)
            print("  " + out.strip().splitlines()[-1])
            size = (knowledge / "facts.yaml").stat().st_size / 2**20
            print(f"  facts.yaml: {size:.0f} MB")
        run("build, nothing changed: all from the cache", "build", folder=folder)
        examples = [] if args.examples else ["--no-examples"]
        out = run("add one page (python -m bot add)", "add", *examples, str(PAGE), folder=folder)
        print("\n".join("  " + line for line in out.splitlines() if "new" in line or "新" in line))
        added = next(line for line in out.splitlines() if line.startswith("已添加"))
        name = added.split()[1].split("：")[0]
        if args.check:
            full = ["build", "--full", "--out", str(folder / "full")]
            run("full build of the same, to compare", *full, folder=folder)
            same = all(
                (knowledge / n).read_bytes() == (folder / "full" / n).read_bytes()
                for n in GENERATED
            )
            print(f"  incremental == full, byte for byte: {same}")
        run("remove it again (python -m bot remove)", "remove", name, folder=folder)


if __name__ == "__main__":
    main()
