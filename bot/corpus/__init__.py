"""Read and clean the articles, and split them into stories."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.corpus.stories import CorpusError, Story, read_article

SOURCES_FILE = "sources.yaml"  # hand-edited metadata the article text lacks (publication, date)

__all__ = ["CorpusError", "read_corpus", "article_files"]


def article_files(seeds_dir: Path) -> list[Path]:
    if not seeds_dir.is_dir():
        raise CorpusError(f"{seeds_dir}: the articles folder does not exist")
    files = sorted(seeds_dir.glob("*.txt"))
    if not files:
        raise CorpusError(f"{seeds_dir}: no article (*.txt) files")
    return files


def read_sources(seeds_dir: Path) -> dict[str, dict[str, str]]:
    path = seeds_dir / SOURCES_FILE
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CorpusError(f"{path}: expected a mapping of file name → metadata")
    for name, meta in data.items():
        if meta is not None and not isinstance(meta, dict):
            raise CorpusError(f"{path}: the entry for {name} must be a mapping such as {{date: …}}")
    return {
        str(name): {k: str(v) for k, v in (meta or {}).items() if v not in (None, "")}
        for name, meta in data.items()
    }


def read_corpus(seeds_dir: Path) -> tuple[list[Story], list[str]]:
    """All stories, in file order, and a problem line for each article that could not be read."""
    sources = read_sources(seeds_dir)
    stories: list[Story] = []
    problems: list[str] = []
    for path in article_files(seeds_dir):
        try:
            stories += read_article(path, sources.get(path.name))
        except CorpusError as exc:
            problems.append(str(exc))
    return stories, problems
