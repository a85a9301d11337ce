"""A new fact base for a reload, built beside the live one and promoted only when accepted.

When the articles or curated.yaml changed since knowledge/ was generated, the fact base is
built as `python -m bot build` builds it, but into a staging folder next to knowledge/; the
regression gate (bot.gate) asks it its questions; only then are the generated files moved
into knowledge/. The staged build uses knowledge/.cache, so it extracts only the articles
that changed. An admin's uploaded document (bot/telegram/documents.py) comes this way too.
When nothing changed, knowledge/ is loaded as it is (a hand-edited facts.yaml included).
Either way a broken file raises KnowledgeError naming the file, the line and the reason,
and the running fact base is untouched.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.answer import Answerer, KnowledgeError, load_answerer
from bot.articles import one_at_a_time
from bot.corpus import CorpusError
from bot.facts.build import BuildReport, build_report
from bot.facts.curated import Curated, read_curated
from bot.facts.store import CURATED_FILE, ENTITIES_FILE, FACTS_FILE, STORIES_FILE

log = logging.getLogger(__name__)

GENERATED = (STORIES_FILE, ENTITIES_FILE, FACTS_FILE)


@dataclass
class Candidate:
    """A fact base that is not live yet."""

    answerer: Answerer
    curated: Curated  # what its curated.yaml says (the gate's questions)
    staging: Path | None  # its generated files until promoted or discarded
    rebuilt: bool  # built from the articles and curated.yaml, not loaded from knowledge/
    report: BuildReport | None = None  # the build's, when rebuilt: what an upload added


def needs_build(seeds_dir: Path, knowledge_dir: Path) -> bool:
    """Whether an article or curated.yaml is newer than the generated facts.yaml.

    KnowledgeError when curated.yaml changed but there are no articles to rebuild from:
    loading knowledge/ as it is would silently drop the admins' change.
    """
    facts, curated = knowledge_dir / FACTS_FILE, knowledge_dir / CURATED_FILE
    generated = facts.stat().st_mtime_ns if facts.exists() else None
    if not seeds_dir.is_dir():
        if generated is not None and curated.exists() and curated.stat().st_mtime_ns > generated:
            raise KnowledgeError(
                f"{curated} changed, but there are no articles in {seeds_dir} to rebuild "
                "from (set BOT_SEEDS_DIR)"
            )
        return False
    if generated is None:
        return True
    inputs = [curated, seeds_dir / "sources.yaml", *seeds_dir.glob("*.txt")]
    return any(p.exists() and p.stat().st_mtime_ns > generated for p in inputs)


def prepare_candidate(seeds_dir: Path, knowledge_dir: Path, rebuild: bool = False) -> Candidate:
    """The fact base a reload would put live; KnowledgeError if it cannot be built or read.

    `rebuild` builds even if no file looks newer (an upload needs the build's report)."""
    if not rebuild and not needs_build(seeds_dir, knowledge_dir):
        answerer = load_answerer(knowledge_dir)
        curated = read_curated(knowledge_dir / CURATED_FILE, answerer.factbase.stories)
        return Candidate(answerer, curated, None, rebuilt=False)
    knowledge_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(dir=knowledge_dir.parent, prefix=f".{knowledge_dir.name}-staging-")
    )
    try:
        if (knowledge_dir / CURATED_FILE).exists():
            shutil.copy2(knowledge_dir / CURATED_FILE, staging / CURATED_FILE)
        with one_at_a_time(knowledge_dir):  # the cache is shared with `python -m bot add`
            report = build_report(seeds_dir, staging, say=log.debug, cache_of=knowledge_dir)
        answerer = load_answerer(staging)
        curated = read_curated(staging / CURATED_FILE, answerer.factbase.stories)
    except (CorpusError, KnowledgeError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        # name the admins' file, not the staging copy they never see
        raise KnowledgeError(str(error).replace(str(staging), str(knowledge_dir))) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Candidate(answerer, curated, staging, rebuilt=True, report=report)


def promote(candidate: Candidate, knowledge_dir: Path) -> None:
    """Move a rebuilt candidate's generated files into knowledge/ (each rename is atomic)."""
    if candidate.staging is None:
        return
    for name in GENERATED:
        os.replace(candidate.staging / name, knowledge_dir / name)
    discard(candidate)


def discard(candidate: Candidate) -> None:
    if candidate.staging is not None:
        shutil.rmtree(candidate.staging, ignore_errors=True)
        candidate.staging = None
