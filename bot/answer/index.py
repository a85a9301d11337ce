"""Everything the matcher looks up, computed once per fact base: folded texts and names."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import jieba

from bot.facts.model import Fact, FactBase
from bot.text import normalise, sound_string

YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
PLACE_WORD = re.compile(r"[\u4e00-\u9fff]{1,6}(?:省|市|县|区|镇|乡|村|河|岸|山|城区|路|街)")
COMMON_ENTITY_SHARE = 0.2  # an entity in more facts than this (乐山高新区) names no one thing


@dataclass
class IndexedFact:
    fact: Fact
    text: str  # normalised fact text
    sound: str
    near: str  # normalised neighbouring sentences and the fact's entity names
    near_sound: str
    context: str  # normalised paragraph and story title
    context_sound: str
    story: str  # normalised whole story, with its title and publication
    story_sound: str
    story_years: set[str]
    has_place: bool
    years: set[str]
    entities: set[str]
    has_people: bool
    has_list: bool
    units: set[str]


@dataclass
class Index:
    facts: list[IndexedFact]
    aliases: list[tuple[str, str, str]]  # (normalised alias, its sound, canonical entity name)
    common_entities: set[str]
    corpus: str  # every fact's normalised text, for "is this a word the articles use?"
    _idf: dict[str, float] = field(default_factory=dict)

    def idf(self, token: str) -> float:
        """Rarer words weigh more; a word the articles never use weighs most."""
        if token not in self._idf:
            sound = sound_string(token)
            df = sum(1 for f in self.facts if token in f.text or sound in f.sound)
            self._idf[token] = math.log((len(self.facts) + 1) / (df + 0.5))
        return self._idf[token]


def units_of(fact: Fact) -> set[str]:
    units = set()
    for number in fact.numbers:
        if number.endswith("%"):
            units.add("%")
        elif number.endswith("元") or number.endswith("美元"):
            units.add("元")
        elif number.endswith("吨"):
            units.add("吨")
        elif number.endswith("人"):
            units.add("人")
        elif number.endswith("家") or number.endswith("户"):
            units.add("家")
        elif number.endswith("项"):
            units.add("项")
        elif number.endswith("亩") or number.endswith("平方米"):
            units.add("亩")
    return units


def build_index(factbase: FactBase) -> Index:
    names = {e.name: e for e in factbase.entities}
    aliases = sorted(
        {
            (normalise(alias), e.name)
            for e in factbase.entities
            for alias in [e.name, *e.aliases]
            if len(alias) >= 2
        },
        key=lambda pair: (-len(pair[0]), pair),
    )
    for alias, _ in aliases:
        jieba.add_word(alias, freq=2000)
    counts: dict[str, int] = {}
    for fact in factbase.facts:
        for name in fact.entities:
            counts[name] = counts.get(name, 0) + 1
    common = {n for n, c in counts.items() if c > COMMON_ENTITY_SHARE * len(factbase.facts)}
    stories = {
        (s.file, s.title): normalise(" ".join([s.publication, s.title, *s.paragraphs]))
        for s in factbase.stories
    }
    sounds: dict[str, str] = {}
    paragraphs: dict[tuple[str, str, int], str] = {}  # shared strings: one match per paragraph
    indexed = []
    for position, fact in enumerate(factbase.facts):
        paragraph = factbase.paragraph(fact.source)
        neighbours = [
            other.text
            for other in factbase.facts[max(0, position - 1) : position + 2]
            if other is not fact and other.source == fact.source
        ]
        entity_words = [" ".join([n, *names[n].aliases]) for n in fact.entities if n in names]
        near = normalise(" ".join([*neighbours, *entity_words, fact.question]))
        key = (fact.source.file, fact.source.title, fact.source.paragraph)
        if key not in paragraphs:
            paragraphs[key] = normalise(" ".join([fact.source.title, paragraph]))
        context = paragraphs[key]
        story = stories.get((fact.source.file, fact.source.title), context)
        text = normalise(fact.text if not fact.question else f"{fact.question} {fact.text}")
        indexed.append(
            IndexedFact(
                fact=fact,
                text=text,
                sound=sound_string(text),
                near=near,
                near_sound=sound_string(near),
                context=context,
                context_sound=sounds.setdefault(context, sound_string(context)),
                story=story,
                story_sound=sounds.setdefault(story, sound_string(story)),
                story_years=set(YEAR.findall(story)),
                has_place=bool(PLACE_WORD.search(text)),
                years=set(YEAR.findall(text)) | {p for p in fact.periods if p.startswith("十")},
                entities=set(fact.entities),
                has_people=bool(fact.people)
                or any(names[n].type == "person" for n in fact.entities if n in names),
                has_list="、" in fact.text or "和" in fact.text,
                units=units_of(fact),
            )
        )
    alias_rows = [(alias, sound_string(alias), name) for alias, name in aliases]
    corpus = "\n".join(f.story for f in indexed)
    return Index(facts=indexed, aliases=alias_rows, common_entities=common, corpus=corpus)
