"""Writing to knowledge/curated.yaml from the Telegram inbox, without losing a hand edit.

The file belongs to people: it has comments, an order and a style of its own. So nothing
re-dumps it. A new item is inserted as text after the last item of its section (or the
section is added at the end), with a comment naming the admin and the date; every other
byte stays as it was. The result is checked the way the build reads it (bot.facts.curated)
and only then renamed over the old file, so a reader sees the old file or the new one, and a
file someone broke by hand is reported with its line and left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.facts.curated import Curated, read_curated
from bot.facts.model import Fact, Story
from bot.facts.store import KnowledgeError
from bot.files import write_atomically
from bot.querylog import similarity_key


class CurationError(Exception):
    """curated.yaml cannot take the change; the message says why, and nothing was written."""


@dataclass(frozen=True)
class Entry:
    """One curated question → answer, as the `entries` section holds it."""

    question: str
    answer: str
    file: str
    title: str
    paragraph: int = 0
    entity: str = ""

    def as_yaml_data(self) -> dict[str, Any]:
        source: dict[str, Any] = {"file": self.file}
        if self.title:
            source["title"] = self.title
        if self.paragraph:
            source["paragraph"] = self.paragraph
        data: dict[str, Any] = {"question": self.question, "answer": self.answer}
        if self.entity:
            data["entity"] = self.entity
        data["source"] = source
        return data


def entries_for_fact(questions: list[str], fact: Fact) -> list[Entry]:
    """ "✅ this fact answers it": each wording of the question, linked to the fact's text."""
    source = fact.source
    entity = fact.entities[0] if fact.entities else ""
    return [
        Entry(q, fact.text, source.file, source.title, source.paragraph, entity) for q in questions
    ]


def read_checked(path: Path, stories: list[Story]) -> Curated:
    """The file as the build reads it; CurationError (line and reason) when it is broken."""
    try:
        return read_curated(path, stories)
    except KnowledgeError as error:
        raise CurationError(str(error)) from None


def known_questions(curated: Curated) -> set[str]:
    """Similarity keys of every question the file already handles: answered or out of scope."""
    questions = [e.question for e in curated.entries] + curated.out_of_scope
    return {similarity_key(q) for q in questions}


def add_entries(path: Path, entries: list[Entry], stories: list[Story], comment: str) -> int:
    """Append the entries whose question the file lacks; returns how many were added."""
    curated = read_checked(path, stories)
    known = known_questions(curated)
    fresh = []
    for entry in entries:
        key = similarity_key(entry.question)
        if key not in known:
            known.add(key)
            fresh.append(entry)
    if fresh:
        items = [e.as_yaml_data() for e in fresh]
        write_section_items(path, "entries", items, stories, comment)
    return len(fresh)


def add_out_of_scope(path: Path, questions: list[str], stories: list[Story], comment: str) -> int:
    """Mark questions out of scope (the gate then checks they stay unanswered)."""
    curated = read_checked(path, stories)
    known = known_questions(curated)
    fresh = []
    for question in questions:
        if similarity_key(question) not in known:
            known.add(similarity_key(question))
            fresh.append(question)
    if fresh:
        write_section_items(path, "out_of_scope", fresh, stories, comment)
    return len(fresh)


def write_section_items(
    path: Path, section: str, items: list[Any], stories: list[Story], comment: str
) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    new_text = with_items(text, section, items, comment)
    write_checked(path, new_text, stories)


def with_items(text: str, section: str, items: list[Any], comment: str) -> str:
    """`text` with `items` appended to the top-level list `section`, everything else as is."""
    comment_line = "# " + " ".join(comment.split())
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:  # checked before, so only a race with a hand edit
        raise CurationError(f"not valid YAML ({error})") from None
    node = None
    if isinstance(root, yaml.MappingNode):
        node = next((v for k, v in root.value if k.value == section), None)
    elif root is not None:
        raise CurationError("the file must be a mapping of sections")
    if node is None:  # no such section yet: add it at the end
        body = text if not text or text.endswith("\n") else text + "\n"
        return body + f"{section}:\n" + block_items(items, 2, comment_line)
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return splice(text, node.start_mark.index, node.end_mark.index, "\n", items, comment_line)
    if not isinstance(node, yaml.SequenceNode):
        raise CurationError(f"section {section!r} must be a list")
    if node.flow_style:
        if not node.value:  # "[]": becomes a block list
            return splice(
                text, node.start_mark.index, node.end_mark.index, "\n", items, comment_line
            )
        close = text.rindex("]", node.start_mark.index, node.end_mark.index)
        flow = "".join(",\n  " + json.dumps(item, ensure_ascii=False) for item in items)
        return text[:close] + f",\n  {comment_line}" + flow[1:] + text[close:]  # JSON is YAML
    end = content_end(node)
    line_end = text.find("\n", end)
    at = len(text) if line_end == -1 else line_end + 1
    before = text[:at] if text[:at].endswith("\n") else text[:at] + "\n"
    return before + block_items(items, node.start_mark.column, comment_line) + text[at:]


def splice(text: str, start: int, end: int, lead: str, items: list[Any], comment_line: str) -> str:
    """Replace text[start:end] (an empty value) with a block list of `items`."""
    rest = text[end:]
    tail = rest if rest.startswith("\n") or not rest else "\n" + rest
    block = block_items(items, 2, comment_line).rstrip("\n")
    return text[:start].rstrip(" ") + lead + block + tail


def block_items(items: list[Any], indent: int, comment_line: str) -> str:
    """`items` as block list lines at `indent`, after the comment."""
    dumped = yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=1000)
    pad = " " * indent
    lines = [comment_line] + dumped.splitlines()
    return "".join(pad + line + "\n" for line in lines)


def content_end(node: yaml.Node) -> int:
    """Where a block node's own text ends: its last scalar, not the comments after it."""
    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return content_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        return content_end(node.value[-1])
    return node.end_mark.index


def write_checked(path: Path, text: str, stories: list[Story]) -> None:
    """Write `text` to `path` atomically, if the build would accept it."""

    def as_the_build_reads_it(written: Path) -> None:
        try:
            read_curated(written, stories)
        except KnowledgeError as error:
            raise CurationError(f"the change would break the file: {error}") from None

    write_atomically(path, text, check=as_the_build_reads_it)
