"""The articles folder (seeds/) as admins manage it: add, remove and list articles.

An added article is stored as text under a name derived from its content (the first 16 hex
digits of a SHA-256 of its text without whitespace), so the same article added twice has one
name and is found already present. Its metadata goes into sources.yaml, one line per article,
appended or removed as text so that the file's hand-written comments stay.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.corpus import SOURCES_FILE, CorpusError, read_sources
from bot.corpus.ingest import Article
from bot.files import write_atomically

META_FIELDS = ("title", "publication", "date", "author", "origin")


@dataclass(frozen=True)
class Listed:
    name: str
    title: str
    publication: str
    date: str
    origin: str


def content_key(text: str) -> str:
    return hashlib.sha256(re.sub(r"\s", "", text).encode()).hexdigest()[:16]


def stored_text(article: Article) -> str:
    """The file's text: the headline as a "#" heading (the cleaner reads it as the title),
    then one paragraph per line with a blank line between."""
    paragraphs = article.text.split("\n")
    if article.title and paragraphs[0].lstrip("# ").strip() == article.title:
        paragraphs = paragraphs[1:]
    head = [f"# {article.title}"] if article.title else []
    return "\n\n".join(head + paragraphs) + "\n"


def article_name(article: Article) -> str:
    return f"{content_key(stored_text(article))}.txt"


def present_keys(seeds_dir: Path) -> dict[str, str]:
    """content key → file name, for every article in the folder (whatever its name)."""
    keys = {}
    for path in sorted(seeds_dir.glob("*.txt")):
        try:
            keys[content_key(path.read_text(encoding="utf-8-sig"))] = path.name
        except (OSError, UnicodeDecodeError):
            continue  # the build reports an unreadable article; it is no duplicate of anything
    return keys


def meta_line(name: str, article: Article) -> str:
    meta = {key: getattr(article, key) for key in META_FIELDS if getattr(article, key)}
    flow = yaml.safe_dump(
        {name: meta}, allow_unicode=True, default_flow_style=None, width=10_000, sort_keys=False
    )
    return flow.strip() if meta else f"{name}: {{}}"


@dataclass
class SeedsSnapshot:
    """What to put back if an add or a remove fails half-way: nothing is lost."""

    sources: str | None
    created: list[Path]
    removed: dict[Path, bytes]

    def restore(self, seeds_dir: Path) -> None:
        for path in self.created:
            path.unlink(missing_ok=True)
        for path, data in self.removed.items():
            path.write_bytes(data)
        sources_path = seeds_dir / SOURCES_FILE
        if self.sources is None:
            sources_path.unlink(missing_ok=True)
        else:
            write_atomically(sources_path, self.sources)


def sources_text(seeds_dir: Path) -> str | None:
    path = seeds_dir / SOURCES_FILE
    return path.read_text(encoding="utf-8") if path.exists() else None


def store_articles(seeds_dir: Path, articles: list[tuple[str, Article]]) -> SeedsSnapshot:
    """Write each (name, article) and its sources.yaml line; returns how to undo it."""
    seeds_dir.mkdir(parents=True, exist_ok=True)
    before = sources_text(seeds_dir)
    snapshot = SeedsSnapshot(before, [], {})
    try:
        lines = [meta_line(name, article) for name, article in articles]
        for name, article in articles:
            path = seeds_dir / name
            write_atomically(path, stored_text(article))
            snapshot.created.append(path)
        text = before if before is not None else ""
        if text and not text.endswith("\n"):
            text += "\n"
        write_atomically(seeds_dir / SOURCES_FILE, text + "".join(f"{line}\n" for line in lines))
    except BaseException:
        snapshot.restore(seeds_dir)
        raise
    return snapshot


def find_article(seeds_dir: Path, wanted: str) -> Path:
    """The article file that NAME means: its file name, with or without .txt, a unique start
    of it, or its exact title."""
    files = sorted(seeds_dir.glob("*.txt"))
    wanted = wanted.strip()
    exact = [p for p in files if wanted in (p.name, p.stem)]
    if exact:
        return exact[0]
    by_title = [p for p in files if listing_of(p, {}).title == wanted]
    starts = [p for p in files if p.name.startswith(wanted)] if len(wanted) >= 4 else []
    matches = by_title or starts
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise CorpusError(f"no article named {wanted!r}; `python -m bot list` shows them")
    names = ", ".join(p.name for p in matches[:5])
    raise CorpusError(f"{wanted!r} could be any of {names}; give more of the name")


def remove_article(seeds_dir: Path, path: Path) -> SeedsSnapshot:
    """Take the file and its sources.yaml line out; returns how to undo it."""
    before = sources_text(seeds_dir)
    snapshot = SeedsSnapshot(before, [], {path: path.read_bytes()})
    try:
        if before is not None:
            kept = [
                line
                for line in before.splitlines(keepends=True)
                if not re.match(rf"['\"]?{re.escape(path.name)}['\"]?\s*:", line)
            ]
            write_atomically(seeds_dir / SOURCES_FILE, "".join(kept))
        path.unlink()
    except BaseException:
        snapshot.restore(seeds_dir)
        raise
    return snapshot


def listing_of(path: Path, meta: dict[str, str]) -> Listed:
    title = meta.get("title", "")
    if not title:
        try:
            with path.open(encoding="utf-8-sig") as handle:
                for line in handle:
                    if line.strip():
                        title = line.strip().lstrip("#").strip()[:60]
                        break
        except (OSError, UnicodeDecodeError):
            title = "(unreadable)"
    return Listed(
        path.name,
        title,
        meta.get("publication", ""),
        meta.get("date", ""),
        meta.get("origin", ""),
    )


def list_articles(seeds_dir: Path) -> list[Listed]:
    sources = read_sources(seeds_dir)
    return [listing_of(p, sources.get(p.name, {})) for p in sorted(seeds_dir.glob("*.txt"))]
