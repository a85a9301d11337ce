"""`python -m bot build`: seeds/ → knowledge/, deterministic, curated.yaml merged last.

The build is incremental. What one article yields (stories, facts, its entities, their YAML)
is cached in knowledge/.cache/ under a key made of its text, its sources.yaml entry and
EXTRACTOR_VERSION, so an unchanged article is not extracted again. Linking facts to entities
is the one step that looks across articles: it is redone only for the facts of new articles
and of those that a changed entity name occurs in. `--full` ignores the cache; it must give
the same bytes (tests/test_ingest.py holds this).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import sys
import tempfile
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.corpus import CorpusError, article_files, read_sources
from bot.corpus.stories import read_article
from bot.facts.curated import TEMPLATE, apply_curated, read_curated, unknown_ids
from bot.facts.extract import Linker, article_entities, make_facts, merge_entities
from bot.facts.model import Entity, Fact, FactBase, Story
from bot.facts.store import (
    CURATED_FILE,
    ENTITIES_FILE,
    FACTS_FILE,
    GENERATED_HEADER,
    STORIES_FILE,
    KnowledgeError,
    dump_yaml,
    entity_to_dict,
    fact_to_dict,
    read_yaml_list,
    write_atomically,
)

# Bump when cleaning, story splitting or extraction changes what an article yields: every
# cached extraction then counts as stale.
EXTRACTOR_VERSION = "1"
CACHE_DIR = ".cache"  # inside the knowledge folder; not committed, safe to delete
ARTICLES_CACHE = "articles"  # one pickle per article
LINKS_CACHE = "links.pickle"  # the names the cached links were made with


@dataclass
class Extraction:
    """What one article yields on its own, and the links of its facts to the entities."""

    file: str
    key: str
    stories: list[Story]
    facts: list[Fact]  # as extracted: no curated.yaml changes, no entity links
    entities: list[Entity]
    counts: Counter[str]
    stories_yaml: str
    links: list[list[str]] = field(default_factory=list)  # per fact, made with `stamp`'s names
    facts_yaml: list[str] = field(default_factory=list)
    stamp: str = ""  # which linking made `links`


@dataclass
class BuildReport:
    factbase: FactBase
    articles: int
    extracted: list[str]  # files extracted this time (the rest came from the cache)
    skipped: list[str]  # a problem line per article that could not be read
    entities_before: set[str]  # entity names of the previous build (empty without one)
    seconds: float


def article_key(data: bytes, meta: dict[str, str]) -> str:
    digest = hashlib.sha256(f"{EXTRACTOR_VERSION}\n{sorted(meta.items())}\n".encode())
    digest.update(data)
    return digest.hexdigest()


def extract_article(path: Path, data: bytes, key: str, meta: dict[str, str]) -> Extraction:
    stories = read_article(path, meta, data)
    facts = make_facts(stories)
    entities, counts = article_entities(stories, facts)
    stories_yaml = dump_yaml([asdict(s) for s in stories]) if stories else ""
    return Extraction(path.name, key, stories, facts, entities, counts, stories_yaml)


class Cache:
    """knowledge/.cache/: a pickle per article, and the names its links were made with."""

    def __init__(self, knowledge_dir: Path, enabled: bool = True) -> None:
        self.folder = knowledge_dir / CACHE_DIR
        self.enabled = enabled

    def article(self, file: str, key: str) -> Extraction | None:
        if not self.enabled:
            return None
        try:
            with open(self.folder / ARTICLES_CACHE / f"{file}.pickle", "rb") as handle:
                cached = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None  # no cache, or one from another version of the code: extract again
        return cached if isinstance(cached, Extraction) and cached.key == key else None

    def links(self) -> tuple[frozenset, dict[str, str]]:
        """The names of the last linking, and file → the stamp of the links valid for them."""
        if not self.enabled:
            return frozenset(), {}
        try:
            with open(self.folder / LINKS_CACHE, "rb") as handle:
                rows, valid = pickle.load(handle)
            return rows, valid
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
            return frozenset(), {}

    def save_article(self, extraction: Extraction) -> None:
        dump_pickle(self.folder / ARTICLES_CACHE / f"{extraction.file}.pickle", extraction)

    def save_links(self, rows: frozenset, valid: dict[str, str]) -> None:
        dump_pickle(self.folder / LINKS_CACHE, (rows, valid))

    def forget(self, files: set[str]) -> None:
        """Drop the cache of articles no longer in the corpus."""
        folder = self.folder / ARTICLES_CACHE
        if folder.is_dir():
            for path in folder.glob("*.pickle"):
                if path.name.removesuffix(".pickle") not in files:
                    path.unlink(missing_ok=True)


def dump_pickle(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def files_naming(names: set[str], extractions: list[Extraction]) -> set[str]:
    """The files whose facts contain any of the names (one text search per name)."""
    if not names:
        return set()
    texts, ends = [], []
    length = 0
    for extraction in extractions:
        chunk = "\n".join(f.text for f in extraction.facts) + "\n\0"
        texts.append(chunk)
        length += len(chunk)
        ends.append(length)
    corpus = "".join(texts)
    found: set[str] = set()
    for name in names:
        start = corpus.find(name)
        while start != -1:
            index = bisect_right(ends, start)
            found.add(extractions[index].file)
            start = corpus.find(name, ends[index])  # on to the next article
    return found


def build(
    seeds_dir: Path, knowledge_dir: Path, say: Callable[[str], object] = print, full: bool = False
) -> FactBase:
    """Build and save the fact base; raises CorpusError or KnowledgeError before writing."""
    return build_report(seeds_dir, knowledge_dir, say, full).factbase


def build_report(
    seeds_dir: Path, knowledge_dir: Path, say: Callable[[str], object] = print, full: bool = False
) -> BuildReport:
    started = time.perf_counter()
    cache = Cache(knowledge_dir, enabled=not full)
    files = article_files(seeds_dir)
    sources = read_sources(seeds_dir)
    say(f"reading {len(files)} articles from {seeds_dir}/ …")
    extractions: list[Extraction] = []
    extracted: list[str] = []
    problems: list[str] = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(f"{path.name}: cannot be read ({exc.strerror})")
            continue
        meta = sources.get(path.name, {})
        key = article_key(data, meta)
        extraction = cache.article(path.name, key)
        if extraction is None:
            try:
                extraction = extract_article(path, data, key, meta)
            except CorpusError as exc:
                problems.append(str(exc))
                continue
            extracted.append(path.name)
        extractions.append(extraction)
    for problem in problems:
        say(f"  skipped: {problem}")
    stories = [s for e in extractions for s in e.stories]
    if not stories:
        raise CorpusError(f"{seeds_dir}: no readable article")
    say(
        f"  {len(stories)} stories; {len(extracted)} articles extracted, "
        f"{len(extractions) - len(extracted)} unchanged (cached)"
    )
    facts = [f for e in extractions for f in e.facts]
    entities = merge_entities((e.entities, e.counts) for e in extractions)
    curated_path = knowledge_dir / CURATED_FILE
    curated = read_curated(curated_path, stories)
    stale_ids = unknown_ids(curated, facts)
    entities, final_facts = apply_curated(curated, entities, facts)
    for stale in stale_ids:
        say(f"  warning: {CURATED_FILE} names fact {stale}, which the articles no longer give")
    old_rows, valid = cache.links()
    entities_before = {row[1] for row in old_rows} or entity_names(knowledge_dir)
    linker = Linker(entities)
    changed_names = {row[0] for row in old_rows ^ linker.rows}
    reusable = [e for e in extractions if e.stamp and valid.get(e.file) == e.stamp]
    relink = {e.file for e in extractions} - {e.file for e in reusable}
    relink |= files_naming(changed_names, reusable)
    stamp = hashlib.sha256(f"{time.time_ns()}{os.getpid()}".encode()).hexdigest()[:16]
    for extraction in extractions:
        if extraction.file in relink:
            for fact in extraction.facts:
                fact.entities = []  # links of an earlier build are no starting point
            extraction.links = [linker.entities_of(f) for f in extraction.facts]
            extraction.facts_yaml = [""] * len(extraction.facts)
            extraction.stamp = stamp
    facts_yaml = link_and_dump(extractions, final_facts, linker)
    factbase = FactBase(stories=stories, entities=entities, facts=final_facts)
    save_knowledge(knowledge_dir, extractions, entities, facts_yaml)
    if not curated_path.exists():
        write_atomically(curated_path, TEMPLATE)
    for extraction in extractions:
        if extraction.file in relink or extraction.file in extracted:
            cache.save_article(extraction)
    cache.save_links(linker.rows, {e.file: e.stamp for e in extractions})
    cache.forget({e.file for e in extractions})
    seconds = time.perf_counter() - started
    say(
        f"done: {len(extractions)} articles, {len(stories)} stories, {len(entities)} entities, "
        f"{len(final_facts)} facts in {seconds:.2f} s → {knowledge_dir}/"
    )
    return BuildReport(factbase, len(extractions), extracted, problems, entities_before, seconds)


def entity_names(knowledge_dir: Path) -> set[str]:
    """The entities of a fact base built without a cache (a fresh clone): what an add compares
    with to say which entities are new."""
    try:
        return {str(e["name"]) for e in read_yaml_list(knowledge_dir / ENTITIES_FILE)}
    except (KnowledgeError, KeyError, TypeError):
        return set()


def link_and_dump(extractions: list[Extraction], facts: list[Fact], linker: Linker) -> list[str]:
    """Set each final fact's entities and return its YAML, reusing both where they are cached.

    apply_curated keeps the very object of a fact it does not change; a corrected fact or a
    curated entry is a new object, linked and written afresh.
    """
    cached: dict[int, tuple[Extraction, int]] = {
        id(fact): (extraction, i)
        for extraction in extractions
        for i, fact in enumerate(extraction.facts)
    }
    pieces: list[str] = []
    for fact in facts:
        place = cached.get(id(fact))
        if place is None:
            fact.entities = linker.entities_of(fact)
            pieces.append(dump_yaml([fact_to_dict(fact)]))
            continue
        extraction, i = place
        fact.entities = list(extraction.links[i])
        if not extraction.facts_yaml[i]:
            extraction.facts_yaml[i] = dump_yaml([fact_to_dict(fact)])
        pieces.append(extraction.facts_yaml[i])
    return pieces


def save_knowledge(
    knowledge_dir: Path, extractions: list[Extraction], entities: list[Entity], facts: list[str]
) -> None:
    files = {
        STORIES_FILE: "".join(e.stories_yaml for e in extractions),
        ENTITIES_FILE: dump_yaml([entity_to_dict(e) for e in entities]),
        FACTS_FILE: "".join(facts) or dump_yaml([]),
    }
    write_together({knowledge_dir / name: GENERATED_HEADER + text for name, text in files.items()})


def write_together(files: dict[Path, str]) -> None:
    """Write every file in full beside its target first, then rename them all: a failed write
    (a full disk) leaves the previous fact base whole, never one new file beside two old."""
    written: dict[Path, str] = {}
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            written[path] = tmp
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(tmp, 0o644)
    except BaseException:
        for tmp in written.values():
            Path(tmp).unlink(missing_ok=True)
        raise
    for path, tmp in written.items():
        os.replace(tmp, path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot build", description=__doc__)
    parser.add_argument("--seeds", type=Path, default=Path("seeds"), help="articles folder")
    parser.add_argument("--out", type=Path, default=None, help="knowledge folder")
    parser.add_argument("--full", action="store_true", help="extract every article again")
    args = parser.parse_args(argv)
    from bot.config import Config, ConfigError

    try:
        build(args.seeds, args.out or Config.from_env().knowledge_dir, full=args.full)
    except (CorpusError, KnowledgeError, ConfigError) as exc:
        print(f"build failed, nothing written: {exc}", file=sys.stderr)
        return 1
    return 0
