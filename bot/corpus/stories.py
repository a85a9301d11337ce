"""Split a cleaned page into stories: each separately headed story is its own source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.corpus.clean import Block, clean_page

SECTION_LEVEL = 3  # "###" headings are sections inside a story, not new stories


@dataclass
class Story:
    """One separately headed story of an article page; each story is its own source."""

    id: str
    file: str
    title: str
    publication: str
    date: str
    paragraphs: list[str]
    byline: str = ""  # who wrote it, as printed: 本报记者 叶伟 特约通讯员 刘倩


class CorpusError(Exception):
    """The articles cannot be read; the message names the file and the reason."""


def title_of(headings: list[Block]) -> str:
    """The story's title from a run of headings: the main ("#") one, after any "——" kicker."""
    main = min(headings, key=lambda h: (h.level if h.level != 4 else 2.5, -len(h.text)))
    kicker = [h.text for h in headings if h is not main and h.text.endswith("——")]
    return "".join(kicker) + main.text


def story_id(file: str, number: int) -> str:
    return f"{Path(file).stem.split('_')[0]}-{number}"


def split_stories(file: str, blocks: list[Block], publication: str, date: str) -> list[Story]:
    stories: list[Story] = []
    pending: list[Block] = []  # headings seen since the last paragraph
    byline = ""  # printed under the headline, or at the start of the first paragraph
    for block in blocks:
        if block.kind == "heading":
            if block.level != SECTION_LEVEL or not stories:
                pending.append(block)
            continue
        if block.kind == "byline":  # the first is the story's; a later one credits a photo
            if stories and not pending and not stories[-1].byline:
                stories[-1].byline = block.text  # printed after the story's lead paragraph
            elif pending or not stories:
                byline = byline or block.text  # under the headline: the coming story's
            continue
        if pending:
            stories.append(
                Story(
                    id=story_id(file, len(stories) + 1),
                    file=file,
                    title=title_of(pending),
                    publication=publication,
                    date=date,
                    paragraphs=[],
                    byline=byline,
                )
            )
            pending, byline = [], ""
        elif not stories:
            stories.append(Story(story_id(file, 1), file, "", publication, date, [], byline))
            byline = ""
        stories[-1].paragraphs.append(block.text)
    return stories


def read_article(
    path: Path, overrides: dict[str, str] | None = None, data: bytes | None = None
) -> list[Story]:
    """The stories of one article file; `overrides` (its sources.yaml entry) fill metadata the
    text lacks: publication, date, title, author. `data` is the file's bytes, if already read."""
    try:
        raw = (path.read_bytes() if data is None else data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path.name}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise CorpusError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    page = clean_page(raw)
    overrides = overrides or {}
    publication = page.publication or overrides.get("publication", "")
    date = page.date or overrides.get("date", "")
    stories = split_stories(path.name, page.blocks, publication, date)
    if overrides.get("title") and stories and not stories[0].title:
        stories[0].title = overrides["title"]
    if overrides.get("author") and stories and not stories[0].byline:
        stories[0].byline = overrides["author"]
    return stories
