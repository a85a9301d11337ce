"""`python -m bot build`: seeds/ → knowledge/, deterministic, curated.yaml merged last.

The build is incremental. What one article yields (stories, facts, its entities, their YAML)
is cached in knowledge/.cache/ under a key made of its text, its sources.yaml entry and
EXTRACTOR_VERSION, so an unchanged article is not extracted again. Linking facts to entities
is the one step that looks across articles: it is redone only for the facts of new articles
and of those that a changed entity name occurs in. An unchanged article's facts are not even
loaded: their YAML is cached too. `--full` ignores the cache; it gives the same bytes
(tests/test_ingest.py holds this).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import pickle
import sys
import tempfile
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path

from bot.corpus import CorpusError, article_files, read_sources
from bot.corpus.stories import read_article
from bot.facts.curated import TEMPLATE, apply_curated, read_curated
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
)
from bot.files import write_atomically

# Bump when cleaning, story splitting or extraction changes what an article yields, or when
# Extraction's fields change: every cached extraction then counts as stale.
EXTRACTOR_VERSION = "2"
CACHE_DIR = ".cache"  # inside the knowledge folder; not committed, safe to delete
ARTICLES_CACHE = "articles"  # per article: <file>.pickle (small) and <file>.facts.pickle
LINKS_CACHE = "links.pickle"  # the names the cached links were made with

Say = Callable[[str], object]


@dataclass
class Extraction:
    """What one article yields on its own, and its facts' links to entities and their YAML.

    The facts themselves are pickled apart (`facts` is None until needed): an unchanged
    article whose links still hold needs only its YAML, which is what keeps an add fast.
    """

    file: str
    key: str
    stories: list[Story]
    fact_ids: list[str]
    fact_texts: list[str]  # what links are made from, and where a changed name is looked for
    entities: list[Entity]
    counts: Counter[str]
    stories_yaml: str
    links: list[list[str]] = field(default_factory=list)  # per fact, made with `stamp`'s names
    facts_yaml: list[str] = field(default_factory=list)
    stamp: str = ""  # which linking made `links`
    facts: list[Fact] | None = None  # as extracted: no curated.yaml changes, no entity links

    def __getstate__(self) -> dict:
        return {**self.__dict__, "facts": None}


@dataclass
class BuildReport:
    stories: list[Story]
    entities: list[Entity]
    articles: int
    extracted: list[str]  # files extracted this time (the rest came from the cache)
    skipped: list[str]  # a problem line per article that could not be read
    entities_before: set[str]  # entity names of the previous build (empty without one)
    fact_count: int
    seconds: float
    # the final facts of the given files (curated entries with None): loaded from the cache
    # only when asked, since a large corpus has many
    facts_of: Callable[[set[str] | None], list[Fact]]

    @cached_property
    def factbase(self) -> FactBase:
        return FactBase(stories=self.stories, entities=self.entities, facts=self.facts_of(None))


def article_key(data: bytes, meta: dict[str, str]) -> str:
    digest = hashlib.sha256(f"{EXTRACTOR_VERSION}\n{sorted(meta.items())}\n".encode())
    digest.update(data)
    return digest.hexdigest()


def extract_article(path: Path, data: bytes, key: str, meta: dict[str, str]) -> Extraction:
    stories = read_article(path, meta, data)
    facts = make_facts(stories)
    entities, counts = article_entities(stories, facts)
    return Extraction(
        file=path.name,
        key=key,
        stories=stories,
        fact_ids=[f.id for f in facts],
        fact_texts=[f.text for f in facts],
        entities=entities,
        counts=counts,
        stories_yaml=dump_yaml([asdict(s) for s in stories]) if stories else "",
        facts=facts,
    )


class Cache:
    """knowledge/.cache/: two pickles per article, and the names its links were made with."""

    def __init__(self, folder: Path, enabled: bool = True) -> None:
        self.folder = folder
        self.enabled = enabled

    def path(self, file: str, part: str = "") -> str:
        # os.path, not pathlib: this is called twice per article, 20,000 times on a big corpus
        return os.path.join(self.folder, ARTICLES_CACHE, f"{file}{part}.pickle")

    def article(self, file: str, key: str) -> Extraction | None:
        cached = load_pickle(self.path(file)) if self.enabled else None
        return cached if isinstance(cached, Extraction) and cached.key == key else None

    def facts(self, extraction: Extraction) -> list[Fact] | None:
        cached = load_pickle(self.path(extraction.file, ".facts"))
        if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == extraction.key:
            return cached[1]
        return None

    def links(self) -> tuple[frozenset, dict[str, str]]:
        """The names of the last linking, and file → the stamp of the links valid for them."""
        cached = load_pickle(self.folder / LINKS_CACHE) if self.enabled else None
        if isinstance(cached, tuple) and len(cached) == 2:
            return cached
        return frozenset(), {}

    def save_article(self, extraction: Extraction, with_facts: bool) -> None:
        if with_facts and extraction.facts is not None:
            dump_pickle(self.path(extraction.file, ".facts"), (extraction.key, extraction.facts))
        dump_pickle(self.path(extraction.file), extraction)

    def save_links(self, rows: frozenset, valid: dict[str, str]) -> None:
        dump_pickle(self.folder / LINKS_CACHE, (rows, valid))

    def forget(self, files: set[str]) -> None:
        """Drop the cache of articles no longer in the corpus (the last build's are known)."""
        last = load_pickle(self.folder / LINKS_CACHE)
        known = last[1] if isinstance(last, tuple) and len(last) == 2 else {}
        for file in set(known) - files:
            for part in ("", ".facts"):
                Path(self.path(file, part)).unlink(missing_ok=True)


def load_pickle(path: str | Path) -> object:
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None  # no cache, or one from another version of the code: extract again


def dump_pickle(path: str | Path, value: object) -> None:
    path = Path(path)
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
    if not names or not extractions:
        return set()
    chunks = ["\n".join(e.fact_texts) + "\0" for e in extractions]
    ends, length = [], 0
    for chunk in chunks:
        length += len(chunk)
        ends.append(length)
    corpus = "".join(chunks)
    found: set[str] = set()
    for name in names:
        start = corpus.find(name)
        while start != -1:
            index = bisect_right(ends, start)
            found.add(extractions[index].file)
            start = corpus.find(name, ends[index])  # on to the next article
    return found


def build(seeds_dir: Path, knowledge_dir: Path, say: Say = print, full: bool = False) -> FactBase:
    """Build and save the fact base; raises CorpusError or KnowledgeError before writing."""
    return build_report(seeds_dir, knowledge_dir, say, full).factbase


def build_report(
    seeds_dir: Path,
    knowledge_dir: Path,
    say: Say = print,
    full: bool = False,
    cache_of: Path | None = None,
) -> BuildReport:
    """The build, step by step: each article's extraction (from the cache if unchanged);
    entities merged across articles and curated.yaml applied; links redone for the articles
    that are new or name a name that changed since the last build; facts.yaml assembled from
    cached YAML wherever links and curated.yaml leave a fact as it was; the three files
    written together; the cache updated last.

    `cache_of` is the knowledge folder whose cache to use (default: `knowledge_dir`'s own): a
    reload builds into a staging folder, incrementally, with the live folder's cache."""
    started = time.perf_counter()
    cache_of = cache_of or knowledge_dir
    cache = Cache(cache_of / CACHE_DIR, enabled=not full)
    with gc_paused():  # thousands of cached objects: collecting while they load triples its time
        extractions, extracted, problems = read_articles(seeds_dir, cache, say)
    stories = [s for e in extractions for s in e.stories]
    if not stories:
        raise CorpusError(f"{seeds_dir}: no readable article")
    say(
        f"  {len(stories)} stories; {len(extracted)} articles extracted, "
        f"{len(extractions) - len(extracted)} unchanged (cached)"
    )
    entities = merge_entities((e.entities, e.counts) for e in extractions)
    curated_path = knowledge_dir / CURATED_FILE
    curated = read_curated(curated_path, stories)
    named_ids = set(curated.corrections) | curated.suppress
    known_ids = {i for e in extractions for i in e.fact_ids} | {e.id for e in curated.entries}
    for stale in sorted(named_ids - known_ids):
        say(f"  warning: {CURATED_FILE} names fact {stale}, which the articles no longer give")
    entities, entries = apply_curated(curated, entities, [])  # curated aliases, and entries
    only_facts = replace(curated, aliases={}, entries=[])  # corrections and suppressions

    old_rows, valid = cache.links()
    entities_before = {row[1] for row in old_rows} or entity_names(cache_of)
    linker = Linker(entities)
    changed_names = {row[0] for row in old_rows ^ linker.rows}
    reusable = [e for e in extractions if e.stamp and valid.get(e.file) == e.stamp]
    relink = {e.file for e in extractions} - {e.file for e in reusable}
    relink |= files_naming(changed_names, reusable)
    stamp = hashlib.sha256(f"{time.time_ns()} {os.getpid()}".encode()).hexdigest()[:16]

    finals: dict[str, list[Fact]] = {}  # file → final facts, for the articles loaded here
    pieces: list[str] = []
    for extraction in extractions:
        touched = named_ids.intersection(extraction.fact_ids)
        if extraction.file not in relink and not touched:
            pieces += extraction.facts_yaml  # links still hold, no curated change: as cached
            continue
        if extraction.file in relink:
            relink_article(extraction, linker, cache)
            extraction.stamp = stamp
        if not touched:
            pieces += extraction.facts_yaml
            continue
        facts = load_facts(extraction, cache)
        # curated.yaml corrects or suppresses facts of this article: those are written afresh
        for fact in facts:
            fact.entities = []  # as apply_curated would see them before linking
        finals[extraction.file] = kept = apply_curated(only_facts, [], facts)[1]
        position = {id(f): i for i, f in enumerate(facts)}
        for fact in kept:
            if id(fact) in position:
                fact.entities = list(extraction.links[position[id(fact)]])
                pieces.append(extraction.facts_yaml[position[id(fact)]])
            else:
                fact.entities = linker.entities_of(fact)
                pieces.append(dump_yaml([fact_to_dict(fact)]))
    for entry in entries:
        entry.entities = linker.entities_of(entry)
        pieces.append(dump_yaml([fact_to_dict(entry)]))

    save_knowledge(knowledge_dir, extractions, entities, pieces)
    if not curated_path.exists():
        write_atomically(curated_path, TEMPLATE)
    for extraction in extractions:
        if extraction.file in relink:
            cache.save_article(extraction, with_facts=extraction.file in extracted)
    cache.forget({e.file for e in extractions})
    cache.save_links(linker.rows, {e.file: e.stamp for e in extractions})
    seconds = time.perf_counter() - started
    say(
        f"done: {len(extractions)} articles, {len(stories)} stories, {len(entities)} entities, "
        f"{len(pieces)} facts in {seconds:.2f} s → {knowledge_dir}/"
    )

    def facts_of(files: set[str] | None) -> list[Fact]:
        chosen = [e for e in extractions if files is None or e.file in files]
        facts = [
            f for e in chosen for f in (finals[e.file] if e.file in finals else linked(e, cache))
        ]
        return facts + entries if files is None else facts

    return BuildReport(
        stories=stories,
        entities=entities,
        articles=len(extractions),
        extracted=extracted,
        skipped=problems,
        entities_before=entities_before,
        fact_count=len(pieces),
        seconds=seconds,
        facts_of=facts_of,
    )


@contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_articles(
    seeds_dir: Path, cache: Cache, say: Say
) -> tuple[list[Extraction], list[str], list[str]]:
    """Each article's extraction, from the cache when its key matches; the files extracted
    now; and a problem line for each article that could not be read."""
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
        if extraction is None or not os.path.exists(cache.path(path.name, ".facts")):
            try:
                extraction = extract_article(path, data, key, meta)
            except CorpusError as exc:
                problems.append(str(exc))
                continue
            extracted.append(path.name)
        extractions.append(extraction)
    for problem in problems:
        say(f"  skipped: {problem}")
    return extractions, extracted, problems


def load_facts(extraction: Extraction, cache: Cache) -> list[Fact]:
    if extraction.facts is None:
        extraction.facts = cache.facts(extraction)
    if extraction.facts is None:
        raise KnowledgeError(
            f"{cache.path(extraction.file, '.facts')}: missing or unreadable; "
            "run `python -m bot build --full`"
        )
    return extraction.facts


def relink_article(extraction: Extraction, linker: Linker, cache: Cache) -> None:
    """New links for the article's facts; only a fact whose links changed is written afresh
    (a new name usually occurs in few of an old article's facts)."""
    links = [linker.names_in(text) for text in extraction.fact_texts]
    old = extraction.links if len(extraction.facts_yaml) == len(links) else []
    changed = [i for i, new in enumerate(links) if i >= len(old) or old[i] != new]
    extraction.links = links
    if not changed:
        return
    facts = linked(extraction, cache)
    if len(extraction.facts_yaml) != len(facts):
        extraction.facts_yaml = [""] * len(facts)
    for i in changed:
        extraction.facts_yaml[i] = dump_yaml([fact_to_dict(facts[i])])


def linked(extraction: Extraction, cache: Cache | None = None) -> list[Fact]:
    """The article's facts with their cached links."""
    facts = extraction.facts if cache is None else load_facts(extraction, cache)
    assert facts is not None
    for fact, links in zip(facts, extraction.links, strict=True):
        fact.entities = list(links)
    return facts


def entity_names(knowledge_dir: Path) -> set[str]:
    """The entities of a fact base built without a cache (a fresh clone): what an add compares
    with to say which entities are new."""
    try:
        return {str(e["name"]) for e in read_yaml_list(knowledge_dir / ENTITIES_FILE)}
    except (KnowledgeError, KeyError, TypeError):
        return set()


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
    parser.add_argument("--seeds", type=Path, help="articles folder (default: BOT_SEEDS_DIR)")
    parser.add_argument("--out", type=Path, help="knowledge folder (default: BOT_KNOWLEDGE_DIR)")
    parser.add_argument("--full", action="store_true", help="extract every article again")
    args = parser.parse_args(argv)
    from bot.config import Config, ConfigError

    try:
        config = Config.from_env()
        seeds_dir, knowledge_dir = args.seeds or config.seeds_dir, args.out or config.knowledge_dir
        build_report(seeds_dir, knowledge_dir, full=args.full)  # facts stay on disk: no FactBase
    except (CorpusError, KnowledgeError, ConfigError) as exc:
        print(f"build failed, nothing written: {exc}", file=sys.stderr)
        return 1
    return 0
