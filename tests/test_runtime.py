"""The engine's runtime cache (bot/answer/runtime.py): a start that reads it answers exactly as
one that builds the index from the YAML, in a fresh process too (sound codes differ there)."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from bot.answer import Answerer, load_answerer, runtime
from bot.answer.model import load_model
from bot.answer.runtime import ENGINE_CACHE
from bot.facts.store import FACTS_FILE, load_factbase

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
QUESTIONS = [
    "伟力得的副总经理叫什么名字",
    "夹江核技术应用产业园总投资多少",
    "尚维股份是做什么的？",  # by sound: the index's sound strings must hold after loading
    "德士堂现代中药项目在哪",
    "乐山有哪些关键共性技术做到了行业领先？",
    "麻婆豆腐怎么做",
]
# Run in a fresh process: answers from the cache alone (building the index there would fail).
FROM_CACHE = """
import json, sys
import bot.answer.runtime as runtime
def no_build(factbase):
    raise AssertionError("the index was built, not read from the runtime cache")
runtime.build_index = no_build
from bot.answer import load_answerer
answerer = load_answerer(sys.argv[1])
from dataclasses import asdict
print(json.dumps([asdict(answerer.ask(q)) for q in json.loads(sys.argv[2])]))
"""


@pytest.fixture()
def knowledge(tmp_path):
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder, ignore=shutil.ignore_patterns(".*"))
    return folder


def answers(answerer):
    """Every field of each answer, as JSON gives it back."""
    return json.loads(json.dumps([asdict(answerer.ask(q)) for q in QUESTIONS]))


def test_answers_from_the_cache_are_those_built_from_the_yaml(knowledge):
    factbase = load_factbase(knowledge)
    built = answers(Answerer(factbase, load_model(knowledge)))
    assert answers(load_answerer(knowledge)) == built  # builds the index and writes the cache
    assert (knowledge / ENGINE_CACHE).exists()
    done = subprocess.run(
        [sys.executable, "-c", FROM_CACHE, str(knowledge), json.dumps(QUESTIONS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == built


def test_changed_yaml_or_a_broken_cache_is_built_again(knowledge):
    load_answerer(knowledge)
    cache = knowledge / ENGINE_CACHE
    written = cache.stat().st_mtime_ns
    facts = knowledge / FACTS_FILE
    facts.write_text(facts.read_text("utf-8") + "\n", "utf-8")  # the YAML changed: rebuilt
    first = load_answerer(knowledge)
    assert cache.stat().st_mtime_ns != written
    cache.write_bytes(b"not a pickle")  # a damaged cache is ignored and written again
    again = load_answerer(knowledge)
    assert answers(again) == answers(first)
    assert cache.read_bytes() != b"not a pickle"


def test_the_result_cache_keeps_recent_arrays_within_its_memory_size():
    import numpy as np

    from bot.answer.cache import ResultCache

    cache = ResultCache(size=100, max_bytes=20_000)  # room for two arrays of 1,000 floats
    for key in "abcd":
        cache.remember(key, lambda: np.zeros(1_000))
    assert list(cache.recent) == ["c", "d"]
    assert cache.remember("d", lambda: np.ones(1)).sum() == 0  # kept, not computed again
    cache.remember("huge", lambda: np.zeros(10_000))  # larger than the room: kept alone
    assert list(cache.recent) == ["huge"]


def test_highest_scores_are_a_stable_sorts_first_ones():
    import numpy as np

    from bot.answer.rank import highest

    rng = np.random.default_rng(7)
    for _ in range(500):  # many ties: scores from a few values
        scores = rng.integers(0, 5, rng.integers(1, 60)) * 0.5
        n = int(rng.integers(1, 30))
        assert highest(scores, n).tolist() == np.argsort(-scores, kind="stable")[:n].tolist()


def no_build(factbase):
    raise AssertionError("the index was built, not read from the runtime cache")


def postings_of(index):
    """Every numpy array of the index's postings, by where it sits."""
    return {
        f"{haystack}.{table}.{name}": getattr(getattr(getattr(index, haystack), table), name)
        for haystack in ("tiers", "facts_text")
        for table in ("pieces", "sound_pieces")
        for name in ("alphabet", "codes", "starts", "ids")
    }


def test_the_cache_pickled_straight_to_its_files_reads_back_what_was_written(
    knowledge, monkeypatch
):
    built_facts, built = runtime.load_engine_data(knowledge)  # built, then written
    monkeypatch.setattr(runtime, "build_index", no_build)  # the next load reads the cache
    read_facts, read = runtime.load_engine_data(knowledge)
    assert read_facts.facts == built_facts.facts and read_facts.stories == built_facts.stories
    assert read.tiers.texts == built.tiers.texts and read.name_of == built.name_of
    read_arrays = postings_of(read)
    for where, array in postings_of(built).items():
        assert np.array_equal(read_arrays[where], array), where
        assert read_arrays[where].dtype == array.dtype, where
    assert not read.tiers.pieces.ids.flags.writeable  # mapped from ENGINE_ARRAYS, not copied
    assert not list(knowledge.glob("*.tmp"))


def broken_copy(source, target):
    target.write(source.read(100))
    raise OSError("no space left on device")


def broken_pickle(body, arrays, data):
    runtime_pickle_body(body, arrays, data)
    raise OSError("no space left on device")


runtime_pickle_body = runtime.pickle_body


@pytest.mark.parametrize(
    "where, fault", [("pickle_body", broken_pickle), ("shutil.copyfileobj", broken_copy)]
)
def test_a_cache_write_that_fails_leaves_no_part_of_a_cache(knowledge, monkeypatch, where, fault):
    """A full disk, half way: no cache to be read, no temporary file left; the engine works."""
    factbase, index = runtime.load_engine_data(knowledge)
    (knowledge / ENGINE_CACHE).unlink()
    monkeypatch.setattr(f"bot.answer.runtime.{where}", fault)
    runtime.write_engine_cache(knowledge, factbase, index)
    assert not (knowledge / ENGINE_CACHE).exists()
    assert not list(knowledge.glob("*.tmp"))
    monkeypatch.undo()
    assert answers(load_answerer(knowledge)) == answers(Answerer(factbase, load_model(knowledge)))
