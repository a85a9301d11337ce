"""The engine's runtime cache: the fact base and its index, as built from the YAML, in one
pickle beside it (knowledge/.engine.pickle).

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
import os
import pickle
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jieba

from bot.answer.index import Index, build_index
from bot.facts.model import FactBase
from bot.facts.store import load_factbase, runtime_key
from bot.text import adopt_sound_codes, sound_codes

ENGINE_CACHE = ".engine.pickle"
BOT = Path(__file__).resolve().parents[1]
BUILT_BY = [BOT / "answer", BOT / "facts", BOT / "text.py"]  # what the index depends on


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
        with open(directory / ENGINE_CACHE, "rb") as cached, collection_paused():
            stored_key, sounds, factbase, index = pickle.load(cached)
        if stored_key == key and isinstance(index, Index) and adopt_sound_codes(sounds):
            return factbase, index
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        pass
    factbase = load_factbase(directory)  # raises KnowledgeError naming the file
    index = build_index(factbase)
    write_engine_cache(directory, factbase, index)
    return factbase, index


def write_engine_cache(directory: Path, factbase: FactBase, index: Index) -> None:
    """Best effort: a read-only knowledge folder builds the index at every start."""
    try:
        key = (runtime_key(directory), code_key())
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f"{ENGINE_CACHE}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            record = (key, sound_codes(), factbase, index)
            pickle.dump(record, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / ENGINE_CACHE)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
