"""Speed and memory of the answer engine, printed, never asserted (the machines are noisy).

    python bench/bench.py [../shared/eval/dev.jsonl]

Prints: per-question latency p50/p99 in-process over the questions, next to a BM25 baseline
(bm25s over jieba-tokenised sentences) in the same run; the build time of seeds/; peak memory.
Targets from the issue: p99 at most twice BM25's, and a build of the five articles in ≤ 5 s.

Latency is measured twice. First sight: each question asked of a freshly started engine, which
has not seen its words before; FRESH_STARTS such starts, and each question's median over them,
so that one noisy moment does not make the p99. Steady: STEADY_ROUNDS more rounds on the last
start, each question's median.
"""

from __future__ import annotations

import json
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import jieba

from bot.answer import Answerer, load_answerer
from bot.answer.question import is_content
from bot.facts.build import build

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.jsonl"
FRESH_STARTS = 7  # engines started afresh, each asked every question once (first sight)
STEADY_ROUNDS = 7  # rounds after that on the last one (steady latency)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def time_rounds(systems: list, questions: list[str], rounds: int) -> list[list[list[float]]]:
    """Milliseconds per system, per round, per question. The systems take turns on each
    question, so a noisy moment on the machine hits them alike."""
    timings = [[[0.0] * len(questions) for _ in range(rounds)] for _ in systems]
    for round_ in range(rounds):
        for q, question in enumerate(questions):
            for s, answer in enumerate(systems):
                started = time.perf_counter()
                answer(question)
                timings[s][round_][q] = (time.perf_counter() - started) * 1000
    return timings


def median_per_question(rounds: list[list[float]]) -> list[float]:
    return [statistics.median(times) for times in zip(*rounds, strict=True)]


def report(name: str, ours: list[float], bm25: list[float]) -> None:
    p99_ratio = percentile(ours, 0.99) / percentile(bm25, 0.99)
    print(
        f"{name:<38} engine p50 {percentile(ours, 0.5):5.2f} p99 {percentile(ours, 0.99):5.2f} ms"
        f" | bm25 p50 {percentile(bm25, 0.5):5.2f} p99 {percentile(bm25, 0.99):5.2f} ms"
        f" | p99 ratio {p99_ratio:.2f} (target ≤ 2)"
    )


def bm25_answerer(seeds: Path):
    import bm25s

    sentences = [
        s.strip(" \t\u3000#")
        for f in sorted(seeds.glob("*.txt"))
        for s in re.split(r"[。！？!?；;\n]+", f.read_text(encoding="utf-8"))
        if len(s.strip()) > 4
    ]
    retriever = bm25s.BM25()
    retriever.index(
        [[w for w in jieba.lcut_for_search(s) if w.strip()] for s in sentences], show_progress=False
    )

    def answer(question: str):
        tokens = [w for w in jieba.lcut_for_search(question) if w in retriever.vocab_dict]
        return retriever.retrieve([tokens or ["乐山"]], k=5, show_progress=False)

    return answer


def start_engine() -> tuple[Answerer, float, float]:
    """An engine as the bot starts it, with nothing cached from an earlier start: the fact
    base loaded, then the start-up work, which is not per question (the match vectors of the
    articles' words, and the /start examples, which pay jieba's, numpy's and re's first-use
    costs). Returns the engine and the seconds its load and warm-up took."""
    is_content.cache_clear()
    started = time.perf_counter()
    answerer = load_answerer(ROOT / "knowledge")
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    answerer.warm_up()
    warm_up_s = time.perf_counter() - started
    answerer.examples()
    return answerer, load_s, warm_up_s


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_QUESTIONS
    questions = [json.loads(line)["q"] for line in path.read_text("utf-8").splitlines() if line]
    jieba.setLogLevel(60)
    jieba.initialize()

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        build(ROOT / "seeds", Path(out), say=lambda _: None)
        build_s = time.perf_counter() - started

    bm25 = bm25_answerer(ROOT / "seeds")
    first: list[list[float]] = []
    bm25_first: list[list[float]] = []
    for _ in range(FRESH_STARTS):
        answerer = None  # the previous start's engine is dropped first: peak memory is one's
        answerer, load_s, warm_up_s = start_engine()
        (engine_round,), (bm25_round,) = time_rounds([answerer.ask, bm25], questions, 1)
        first.append(engine_round)
        bm25_first.append(bm25_round)
    repeats, bm25_repeats = time_rounds([answerer.ask, bm25], questions, STEADY_ROUNDS)

    print(f"questions: {len(questions)} from {path}")
    report(
        f"first sight (median of {FRESH_STARTS} starts):",
        median_per_question(first),
        median_per_question(bm25_first),
    )
    report(
        f"steady (median of {STEADY_ROUNDS} more rounds):",
        median_per_question(repeats),
        median_per_question(bm25_repeats),
    )
    print(
        f"build of seeds/: {build_s:.2f} s  (target ≤ 5 s); fact base load: {load_s:.2f} s; "
        f"warm-up: {warm_up_s:.2f} s"
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
