"""One fact as the engine indexes it: its normalised texts and the traits the cues check.

Its own module, so that the cues and traits that read it need not import the index that
builds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.facts.model import Fact


@dataclass(slots=True)
class IndexedFact:
    fact: Fact
    text: str  # normalised fact text
    near: str  # normalised sentence before it and the fact's entity names
    context: str  # normalised paragraph and story title
    story: str  # normalised whole story, with its title and publication
    story_years: frozenset[str]
    paragraph_years: frozenset[str]
    digit_years: frozenset[str]  # the four-digit ones of `years`
    places: tuple[str, ...]  # place-like words: 乐山市中心城区, 大渡河南岸
    locates: bool  # says where something is: 位于, 坐落
    years: frozenset[str]  # the years and plan periods (十四五) the fact speaks of
    entities: frozenset[str]
    has_people: bool
    entity_types: frozenset[str]  # company, person, …: of the entities it is linked to
    has_list: bool
    units: frozenset[str]
