"""The fact base's other two layers as sentences the engine can match and cite.

Entities answer questions about a full name, an alias, a type and a person's role; story
metadata answers questions about the publication, the date and the reporter. The build
already knows these, but as fields, not sentences: here each becomes one (a "layer fact"),
ranked and weighed like any other, and cited with its story or its first fact's story.
"""

from __future__ import annotations

from dataclasses import replace

from bot.facts.model import Entity, Fact, FactBase, Person, Source, Story

# How a sentence names an entity's type, in the words questions use (是什么公司, 什么园区).
TYPE_WORDS = {
    "company": "公司（企业）",
    "park": "园区",
    "organisation": "机构（单位、部门）",
    "place": "地方",
    "project": "项目",
    "industry": "产业",
    "event": "活动",
}


def story_fact(story: Story) -> Fact | None:
    """ "《标题》由人民日报（媒体、报纸）于2024-12-26发表（刊发、报道），作者（记者）：…" """
    parts = []
    if story.publication:
        parts.append(f"由{story.publication}（媒体、报纸）")
    if story.date:
        parts.append(f"于{story.date}")
    if not parts and not story.byline:
        return None
    text = f"《{story.title}》" + "".join(parts) + "发表（刊发、报道）"
    if story.byline:
        text += f"，作者（记者）：{story.byline}"
    source = Source(story.file, story.title, story.publication, story.date, 0)
    people = [Person(name, "记者") for name in story.byline.split() if len(name) in (2, 3)]
    dates = [story.date] if story.date else []
    return Fact(f"story:{story.id}", text + "。", source, dates=dates, people=people)


def entity_fact(entity: Entity, source: Source, name_of: dict[str, str]) -> Fact | None:
    """ "四川伟力得能源股份有限公司，简称伟力得、伟力得能源，是一家公司（企业）。"
    `name_of`: alias → entity name, to link a person's organisation too."""
    if entity.type == "person":
        if not entity.role:
            return None
        text = f"{entity.name}，职务（身份）：{entity.organisation}{entity.role}。"
        person = Person(entity.name, entity.role, entity.organisation)
        linked = [entity.name] + [name_of[o] for o in [entity.organisation] if o in name_of]
        return Fact(f"entity:{entity.name}", text, source, linked, people=[person])
    aliases = [a for a in entity.aliases if a != entity.name]
    if not aliases:
        return None
    kind = TYPE_WORDS.get(entity.type, "")
    text = f"{entity.name}，全称{entity.name}，简称（又称）{'、'.join(aliases)}"
    text += f"，是一个{kind}。" if kind else "。"
    return Fact(f"entity:{entity.name}", text, source, [entity.name])


def layer_facts(factbase: FactBase) -> list[Fact]:
    """A sentence per story with metadata and per entity with an alias or a role, each
    entity cited by the first fact linked to it (there is no source without one)."""
    facts = [f for story in factbase.stories if (f := story_fact(story))]
    first_source: dict[str, Source] = {}
    for fact in factbase.facts:
        for name in fact.entities:  # cited by its story, not one paragraph of it
            first_source.setdefault(name, replace(fact.source, paragraph=0))
    name_of = {alias: e.name for e in factbase.entities for alias in [e.name, *e.aliases]}
    for entity in factbase.entities:
        source = first_source.get(entity.name)
        if source is not None and (fact := entity_fact(entity, source, name_of)) is not None:
            facts.append(fact)
    return facts
