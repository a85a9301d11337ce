"""What each fact is like, as arrays over all facts: what it states (a number, a date, a list,
a person), its years, phases, places and the entities around it. A question's preferences then
weigh every fact at once, in a few array operations, instead of fact by fact in Python."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from bot.answer.cues import NAMES, answer_kind_holds

if TYPE_CHECKING:
    from bot.answer.indexed import IndexedFact

# 二期, 3号, 第二批; 一、二期 and 1、2号 state two
ORDINAL = r"[一二三四五六七八九十\d]+"
PHASE = re.compile(rf"(第?{ORDINAL}(?:[、和]{ORDINAL})*)(期|号|批|届|次)")
# 该项目, 该企业: about the story's subject
REFERS_BACK = re.compile(r"该(?:项目|企业|公司|集团|联盟|园区|高新区|县|区|村)")
K = TypeVar("K", bound=Hashable)
Mask = np.ndarray  # one bool per fact


class Masks(Mapping[K, Mask]):
    """key → the facts that have it, as a Mask. Kept as the positions of those facts: most keys
    (a year, a place, an entity) hold for few facts, and a bool for every fact and key would
    grow as facts × keys."""

    def __init__(self, size: int, positions: dict[K, np.ndarray]) -> None:
        self.size = size
        self.positions = positions  # key → sorted int32 fact positions

    def __getitem__(self, key: K) -> Mask:
        mask = np.zeros(self.size, dtype=bool)
        mask[self.positions[key]] = True
        return mask

    def __contains__(self, key: object) -> bool:
        return key in self.positions

    def __iter__(self) -> Iterator[K]:
        return iter(self.positions)

    def __len__(self) -> int:
        return len(self.positions)

    def holds(self, key: K, rows: np.ndarray) -> Mask:
        """Whether each of the facts at `rows` has the key: the mask of those rows alone."""
        return among(rows, self.positions[key])


@dataclass
class Traits:
    size: int  # how many facts
    cues: dict[str, Mask]  # cue name → facts that have what the cue asks (cues.CUES)
    refers_back: Mask  # 该项目: about its story's subject
    units: Masks[str]  # unit class (元, 人, %…) → facts that give an amount in it
    dated: Mask  # states a year; or, if it states none, its paragraph does
    years: Masks[str]  # a four-digit year → facts that state it, in that sense
    story_years: Masks[str]  # a year → facts whose story names it
    planned: Mask  # states a plan period
    plans: Masks[str]  # 十四五 → facts that state it
    phase_kinds: Masks[str]  # 期 → facts that state a phase of that kind
    phases: Masks[tuple[str, str]]  # (二期, 期) → facts that state that phase
    place_counts: np.ndarray  # how many different places each fact names
    places: Masks[str]  # a place word → facts that name it
    people_names: Masks[str]  # a person's name → facts that name them with a role
    entity_types: Masks[str]  # company, person… → facts linked to an entity of the type
    linked: Masks[str]  # entity → facts linked to it
    in_context: Masks[str]  # entity → facts whose paragraph or title prints its name
    in_story: Masks[str]  # entity → facts whose story prints its name or an alias

    def any_of(self, table: Masks[K], keys: Iterable[K], rows: np.ndarray) -> Mask:
        """Whether each of the facts at `rows` has at least one of the keys."""
        found = np.zeros(len(rows), dtype=bool)
        for key in keys:
            if key in table:
                found |= table.holds(key, rows)
        return found


def among(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Whether each value is one of `ids` (sorted): a binary search per value, so its cost
    follows the values looked up, however many ids there are."""
    if not len(ids):
        return np.zeros(np.shape(values), dtype=bool)
    at = np.searchsorted(ids, values).clip(max=len(ids) - 1)
    return ids[at] == values


def phases_in(text: str) -> set[tuple[str, str]]:
    """Each phase the text states, with its kind: (二期, 期), (3号, 号)."""
    return {
        (number + m[2], m[2]) for m in PHASE.finditer(text) for number in re.split("[、和]", m[1])
    }


def traits_of(facts: list[IndexedFact], names_of: dict[str, list[str]]) -> Traits:
    def mask(holds: Callable[[IndexedFact], bool]) -> Mask:
        return np.array([bool(holds(fact)) for fact in facts], dtype=bool)

    def table(keys_of: Callable[[IndexedFact], Iterable[K]]) -> Masks[K]:
        found: dict[K, list[int]] = {}
        for position, fact in enumerate(facts):
            for key in set(keys_of(fact)):
                found.setdefault(key, []).append(position)
        positions = {key: np.array(held, dtype=np.int32) for key, held in found.items()}
        return Masks(len(facts), positions)

    def stated_years(fact: IndexedFact) -> set[str]:
        return fact.digit_years or fact.paragraph_years

    # a paragraph or story is shared by many facts: look for the names once in each
    named_in_context = {
        context: {n for n in names_of if n in context} for context in {f.context for f in facts}
    }
    named_in_story = {
        story: {n for n, aliases in names_of.items() if any(a in story for a in aliases)}
        for story in {f.story for f in facts}
    }
    return Traits(
        size=len(facts),
        cues={name: mask(lambda f, n=name: answer_kind_holds(n, f)) for name in NAMES},
        refers_back=mask(lambda f: REFERS_BACK.search(f.text)),
        units=table(lambda f: f.units),
        dated=mask(stated_years),
        years=table(stated_years),
        story_years=table(lambda f: f.story_years),
        planned=mask(lambda f: f.years - f.digit_years),
        plans=table(lambda f: f.years - f.digit_years),
        phase_kinds=table(lambda f: {kind for _, kind in phases_in(f.text)}),
        phases=table(lambda f: phases_in(f.text)),
        place_counts=np.array([len(set(f.places)) for f in facts], dtype=int),
        places=table(lambda f: f.places),
        people_names=table(lambda f: {person.name for person in f.fact.people}),
        entity_types=table(lambda f: f.entity_types),
        linked=table(lambda f: f.entities),
        in_context=table(lambda f: named_in_context[f.context]),
        in_story=table(lambda f: named_in_story[f.story]),
    )
