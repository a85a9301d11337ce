"""knowledge/curated.yaml: the admins' hand-made improvements, merged into every build.

Five sections, all optional:

    aliases:       {entity name: [alias, …]}   extra names people use for an entity
    entries:       [{question, answer, source: {file, title, paragraph}, entity?}]
    corrections:   {fact id: corrected text}
    suppress:      [fact id, …]                  facts never to show
    out_of_scope:  [question, …]                 questions the articles must not answer

The build ignores out_of_scope; the regression gate (bot.gate) checks each stays unanswered.
The Telegram /inbox appends to entries and out_of_scope (bot.curation); hand edits stay.

A mistake stops the build with the file, the line and the reason, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from bot.facts import parse
from bot.facts.extract import fact_id
from bot.facts.model import Entity, Fact, Source, Story
from bot.facts.store import KnowledgeError, parse_yaml_file

TEMPLATE = """\
# Hand-made improvements to the fact base. `python -m bot build` merges this file and never
# overwrites it; the bot picks up the result after /reload. All sections are optional.
#
# aliases:                      # more names for an entity (the entity is created if unknown)
#   四川伟力得能源股份有限公司: [伟力得公司]
# entries:                      # extra question → answer pairs; a source is required
#   - question: 伟力得的电堆生产线用的什么技术？
#     answer: 这条电堆生产线采用公司自主研发的激光全焊接密封技术，为全球首创。
#     entity: 四川伟力得能源股份有限公司
#     source:
#       file: 000_f791c31033d50d22.txt
#       title: 四川乐山：培育新质生产力，塑造发展新动能新优势
#       paragraph: 7
# corrections:                  # fact id (see facts.yaml) → corrected text
#   0123456789ab: 更正后的句子。
# suppress:                     # fact ids never to show
#   - 0123456789ab
# out_of_scope:                 # questions the articles do not answer; must stay unanswered
#   - 乐山的足球队叫什么？
"""


SECTIONS = ("aliases", "entries", "corrections", "suppress", "out_of_scope")


@dataclass
class Curated:
    aliases: dict[str, list[str]] = field(default_factory=dict)
    entries: list[Fact] = field(default_factory=list)
    corrections: dict[str, str] = field(default_factory=dict)
    suppress: set[str] = field(default_factory=set)
    out_of_scope: list[str] = field(default_factory=list)


def fail(path: Path, node: yaml.Node | None, reason: str) -> KnowledgeError:
    line = f", line {node.start_mark.line + 1}" if node is not None else ""
    return KnowledgeError(f"{path}{line}: {reason}")


def mapping(path: Path, node: yaml.Node, what: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise fail(path, node, f"{what} must be a mapping")
    return {str(k.value): v for k, v in node.value}


def scalar(path: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise fail(path, node, f"{what} must be non-empty text")
    return str(node.value).strip()


def text_list(path: Path, node: yaml.Node, what: str) -> list[str]:
    if not isinstance(node, yaml.SequenceNode):
        raise fail(path, node, f"{what} must be a list")
    return [scalar(path, item, f"each item of {what}") for item in node.value]


def read_curated(path: Path, stories: list[Story]) -> Curated:
    """Parse and check the curated file; a missing file is an empty one."""
    if not path.exists():
        return Curated()
    root = parse_yaml_file(path, yaml.compose)
    curated = Curated()
    if root is None:
        return curated
    sections = mapping(path, root, "the file")
    for key, _ in root.value:
        if key.value not in SECTIONS:
            raise fail(path, key, f"unknown section {key.value!r}")
    if "aliases" in sections:
        for name, node in mapping(path, sections["aliases"], "aliases").items():
            curated.aliases[name] = text_list(path, node, f"aliases of {name}")
    if "corrections" in sections:
        for fid, node in mapping(path, sections["corrections"], "corrections").items():
            curated.corrections[fid] = scalar(path, node, f"the correction of {fid}")
    if "suppress" in sections:
        curated.suppress = set(text_list(path, sections["suppress"], "suppress"))
    if "out_of_scope" in sections:
        curated.out_of_scope = text_list(path, sections["out_of_scope"], "out_of_scope")
    if "entries" in sections:
        node = sections["entries"]
        if not isinstance(node, yaml.SequenceNode):
            raise fail(path, node, "entries must be a list")
        curated.entries = [read_entry(path, item, stories) for item in node.value]
    return curated


def read_entry(path: Path, node: yaml.Node, stories: list[Story]) -> Fact:
    fields = mapping(path, node, "an entry")
    for required in ("question", "answer", "source"):
        if required not in fields:
            raise fail(path, node, f"an entry needs {required!r}")
    question = scalar(path, fields["question"], "question")
    answer = scalar(path, fields["answer"], "answer")
    source_fields = mapping(path, fields["source"], "source")
    file = scalar(path, source_fields.get("file", fields["source"]), "source file")
    story = next((s for s in stories if s.file == file), None)
    if story is None:
        raise fail(path, fields["source"], f"source file {file!r} is not one of the articles")
    title = story.title
    if "title" in source_fields:
        title = scalar(path, source_fields["title"], "source title")
        story = next((s for s in stories if s.file == file and s.title == title), None)
        if story is None:
            raise fail(path, source_fields["title"], f"no story titled {title!r} in {file}")
    paragraph = 0
    if "paragraph" in source_fields:
        raw = scalar(path, source_fields["paragraph"], "paragraph")
        if not raw.isdigit() or not 0 < int(raw) <= len(story.paragraphs):
            raise fail(
                path, source_fields["paragraph"], f"paragraph must be 1-{len(story.paragraphs)}"
            )
        paragraph = int(raw)
    entity = scalar(path, fields["entity"], "entity") if "entity" in fields else ""
    return Fact(
        id="c" + fact_id(file, question)[1:],
        text=answer,
        question=question,
        source=Source(file, title, story.publication, story.date, paragraph),
        entities=[entity] if entity else [],
        numbers=parse.numbers(answer),
        dates=parse.dates(answer),
        periods=parse.periods(question + answer),
        people=parse.people(answer),
        curated=True,
    )


def apply_curated(
    curated: Curated, entities: list[Entity], facts: list[Fact]
) -> tuple[list[Entity], list[Fact]]:
    """The generated fact base with the admins' changes on top."""
    by_name = {e.name: e for e in entities}
    for name, aliases in curated.aliases.items():
        entity = by_name.get(name)
        if entity is None:
            entity = by_name[name] = Entity(name=name, type="curated")
        entity.aliases = sorted(set(entity.aliases) | {a for a in aliases if a != name})
    merged: list[Fact] = []
    for fact in facts:
        if fact.id in curated.suppress:
            continue
        if fact.id in curated.corrections:
            text = curated.corrections[fact.id]
            fact = replace(
                fact,
                text=text,
                numbers=parse.numbers(text),
                dates=parse.dates(text),
                periods=parse.periods(text),
                people=parse.people(text),
                curated=True,
            )
        merged.append(fact)
    merged += [f for f in curated.entries if f.id not in curated.suppress]
    return sorted(by_name.values(), key=lambda e: (e.type, e.name)), merged


def unknown_ids(curated: Curated, facts: list[Fact]) -> list[str]:
    """Fact ids the curated file names that the build no longer produces (worth a warning)."""
    ids = {f.id for f in facts} | {e.id for e in curated.entries}
    return sorted((set(curated.corrections) | curated.suppress) - ids)
