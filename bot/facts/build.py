"""`python -m bot build`: seeds/ → knowledge/, deterministic, curated.yaml merged last."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bot.corpus import CorpusError, article_files, read_corpus
from bot.facts.curated import TEMPLATE, apply_curated, read_curated, unknown_ids
from bot.facts.extract import extract_entities, link_entities, make_facts
from bot.facts.model import FactBase
from bot.facts.store import CURATED_FILE, KnowledgeError, save_factbase, write_atomically


def build(seeds_dir: Path, knowledge_dir: Path, say=print) -> FactBase:
    """Build and save the fact base; raises CorpusError or KnowledgeError before writing."""
    started = time.perf_counter()
    files = article_files(seeds_dir)
    say(f"reading {len(files)} articles from {seeds_dir}/ …")
    stories, problems = read_corpus(seeds_dir)
    for problem in problems:
        say(f"  skipped: {problem}")
    if not stories:
        raise CorpusError(f"{seeds_dir}: no readable article")
    say(f"  {len(stories)} stories")
    facts = make_facts(stories)
    say(f"extracting entities from {len(facts)} sentences …")
    entities = extract_entities(stories, facts)
    curated_path = knowledge_dir / CURATED_FILE
    curated = read_curated(curated_path, stories)
    stale_ids = unknown_ids(curated, facts)
    entities, facts = apply_curated(curated, entities, facts)
    for stale in stale_ids:
        say(f"  warning: {CURATED_FILE} names fact {stale}, which the articles no longer give")
    link_entities(facts, entities)
    factbase = FactBase(stories=stories, entities=entities, facts=facts)
    save_factbase(knowledge_dir, factbase)
    if not curated_path.exists():
        write_atomically(curated_path, TEMPLATE)
    seconds = time.perf_counter() - started
    articles = len(files) - len(problems)
    say(
        f"done: {articles} articles, {len(stories)} stories, {len(entities)} entities, "
        f"{len(facts)} facts in {seconds:.2f} s → {knowledge_dir}/"
    )
    return factbase


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot build", description=__doc__)
    parser.add_argument("--seeds", type=Path, default=Path("seeds"), help="articles folder")
    parser.add_argument("--out", type=Path, default=None, help="knowledge folder")
    args = parser.parse_args(argv)
    from bot.config import Config, ConfigError

    try:
        build(args.seeds, args.out or Config.from_env().knowledge_dir)
    except (CorpusError, KnowledgeError, ConfigError) as exc:
        print(f"build failed, nothing written: {exc}", file=sys.stderr)
        return 1
    return 0
