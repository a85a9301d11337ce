"""The engine's runtime cache: the fact base and its index, as built from the YAML, pickled
beside it (knowledge/.engine.pickle, its numpy arrays in knowledge/.engine.arrays).

Building the index cuts every fact with jieba and files every character pair: minutes on a
corpus of 10,000 articles. A start reads this file instead. It is used only while it matches
both the YAML files (size and modification time) and the code that built it (a hash of the
engine's and the fact base's sources and data), so editing either simply rebuilds it. The
index's sound strings hold only with the sound codes of the process that built it
(bot.text.sound_codes), which are kept with it and taken on at load. The YAML
stays the record; deleting this file loses nothing.
"""

from __future__ import annotations

import gc
import hashlib
import mmap
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import jieba

from bot.answer.index import Index, build_index
from bot.facts.model import FactBase
from bot.facts.store import load_factbase, runtime_key
from bot.files import atomic_file
from bot.text import adopt_sound_codes, sound_codes

ENGINE_CACHE = ".engine.pickle"
ENGINE_ARRAYS = ".engine.arrays"  # the numpy arrays of ENGINE_CACHE, memory-mapped at start
ALIGN = 64
# The arrays are written this much at a time. Linux caches a file in blocks as large as the
# writes that made it (up to 2 MiB on ext4), and maps a whole cached block into a process that
# reads one byte of it: a question's few thousand scattered look-ups into the postings then
# held hundreds of MiB more of the file resident than they read.
WRITE_BLOCK = 64 * 1024
BOT = Path(__file__).resolve().parents[1]
BUILT_BY = [BOT / "answer", BOT / "facts", BOT / "corpus" / "stories.py", BOT / "text.py"]


def code_key() -> str:
    """A hash of every file the index is built by, and jieba's version."""
    digest = hashlib.sha256(jieba.__version__.encode())
    for root in BUILT_BY:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if path.is_file() and path.suffix != ".pyc":
                digest.update(str(path.relative_to(BOT)).encode() + path.read_bytes())
    return digest.hexdigest()


@contextmanager
def collection_paused() -> Iterator[None]:
    """Python's garbage collector scans all objects again and again while millions are made at
    once, as unpickling does; none of them is garbage, so it waits until they are made."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_engine_data(directory: Path) -> tuple[FactBase, Index]:
    """The fact base and its index: from the cache when it matches, else built and cached."""
    directory = Path(directory)
    try:
        key = (runtime_key(directory), code_key())
        with open(directory / ENGINE_CACHE, "rb") as cached:
            stored_key, sounds, spans, stamp = pickle.load(cached)
            if stored_key == key and stamp == arrays_stamp(directory):
                with collection_paused():
                    factbase, index = pickle.load(cached, buffers=mapped(directory, spans))
                    # None of it is garbage: moved out of the collector's generations, it is
                    # never scanned again (its first passes took about a second at 10,000
                    # articles). It is still freed by reference counting when dropped (/reload):
                    # the engine holds no reference cycles (test_answer checks).
                    gc.freeze()
                if isinstance(index, Index) and adopt_sound_codes(sounds):
                    return factbase, index
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        pass
    factbase = load_factbase(directory)  # raises KnowledgeError naming the file
    index = build_index(factbase)
    write_engine_cache(directory, factbase, index)
    return factbase, index


def arrays_stamp(directory: Path) -> tuple[int, int]:
    """The arrays file's size and modification time: the pickle is of those arrays only."""
    stat = (directory / ENGINE_ARRAYS).stat()
    return stat.st_size, stat.st_mtime_ns


def mapped(directory: Path, spans: list[tuple[int, int]]) -> list[memoryview]:
    """The arrays file, mapped read-only, cut into the pickled arrays' buffers: pages are read
    when a question first touches them, and shared by every process that maps the file. Read
    at random (MADV_RANDOM): a page read from disk brings no read-ahead of its neighbours, which
    the look-ups into the postings would rarely use (see WRITE_BLOCK)."""
    if not spans:
        return []
    with open(directory / ENGINE_ARRAYS, "rb") as arrays:
        whole_file = mmap.mmap(arrays.fileno(), 0, access=mmap.ACCESS_READ)
        whole_file.madvise(mmap.MADV_RANDOM)
        whole = memoryview(whole_file)
    return [whole[start:end] for start, end in spans]


def write_engine_cache(directory: Path, factbase: FactBase, index: Index) -> None:
    """Best effort: a read-only knowledge folder builds the index at every start. The numpy
    arrays (the postings, most of it) go to ENGINE_ARRAYS, the rest to ENGINE_CACHE.

    Both are pickled straight to files, never whole into memory (that bytes object was 0.55 GB
    more at the first start at 10,000 articles). ENGINE_CACHE opens with what is known only once
    the body is written (the arrays' spans and stamp), so the body waits in an unnamed file
    beside it and is then copied in behind that header."""
    try:
        key = (runtime_key(directory), code_key())
        with tempfile.TemporaryFile(dir=directory) as body:
            with atomic_file(directory / ENGINE_ARRAYS) as arrays:
                spans = pickle_body(body, arrays, (factbase, index))
            with atomic_file(directory / ENGINE_CACHE) as out:
                pickle.dump((key, sound_codes(), spans, arrays_stamp(directory)), out)
                body.seek(0)
                shutil.copyfileobj(body, out)
    except OSError:
        return


def pickle_body(body: BinaryIO, arrays: BinaryIO, data: object) -> list[tuple[int, int]]:
    """Pickle `data` to `body`, each of its numpy arrays' buffers to `arrays` as the pickler
    meets it (aligned: numpy wants its arrays so); returns where each buffer lies there."""
    spans: list[tuple[int, int]] = []

    def write_buffer(buffer: pickle.PickleBuffer) -> None:
        start = -(-arrays.tell() // ALIGN) * ALIGN
        arrays.write(bytes(start - arrays.tell()))
        raw = buffer.raw()
        for block in range(0, raw.nbytes, WRITE_BLOCK):
            arrays.write(raw[block : block + WRITE_BLOCK])
        spans.append((start, start + raw.nbytes))

    pickle.dump(data, body, protocol=5, buffer_callback=write_buffer)
    return spans
