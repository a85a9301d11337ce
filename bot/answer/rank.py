"""Score every fact against a question, then decide: answer, or say honestly "not found".

A fact's score is how much of the question's content it covers, weighted by how rare each word
is (a word the articles never use weighs most, so a question about something they do not state
scores low), then adjusted by the question's cues: a "多少" question wants a number, a "谁"
question a person, a year in the question wants a fact of that year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.answer.index import YEAR, Index, IndexedFact
from bot.answer.question import SYNONYMS, Question
from bot.text import sound_string

# Calibrated on the development questions (bench/calibrate.py); see README "Answer quality".
FOUND_THRESHOLD = 66.0
STRICT_THRESHOLD = 72.0  # groups: the lowest threshold abstaining on >= 0.97 of dev oos questions
SUGGESTION_FLOOR = 20.0
NEAR = 0.7  # a word found in the neighbouring sentences, which often name the subject
IN_CONTEXT = 0.5  # a word found only in the fact's paragraph or story title counts half
IN_STORY = 0.3  # a word found elsewhere in the same story
PART_OF_WORD = 0.6  # a word not found whole, credited by the share of its two-character parts
FOCUS_WEIGHT = 2.5  # the word the question asks about (总投资 in 总投资多少) weighs more
FOCUS_MISSING = 0.65
NAMED_THING = re.compile(r"..(?:省|市|县|区|镇|乡|村|公司|集团|大学|医院)$")
UNKNOWN_NAME = 0.5
DEPUTY = "副"
BY_SOUND = 0.9  # 尚维 for 尚纬: a homophone typo still counts, nearly in full
FUZZY_CANDIDATES = 40  # facts rescored with rapidfuzz after a first, exact-only pass
FUZZY_FLOOR = 75  # rapidfuzz partial_ratio for a near-miss word of three or more characters


@dataclass
class Scored:
    fact: IndexedFact
    score: float
    entity: str | None


def find_entities(question: Question, index: Index) -> set[str]:
    """Entities the question names, by exact alias, by sound, or by a near-miss spelling."""
    found: set[str] = set()
    text, sound = question.text, sound_string(question.text)
    for alias, alias_sound, name in index.aliases:
        if (
            alias in text
            or (len(alias) >= 3 and alias_sound in sound)
            or len(alias) >= 4
            and fuzz.partial_ratio(alias, text) >= FUZZY_FLOOR
        ):
            found.add(name)
    return found


def occurs(needle: str, haystack: str, original: str | None = None) -> bool:
    """A substring match that is not a different role: 主任 is not found in 副主任.

    `original` is the text a sound string was made from, to look at the character before.
    """
    original = original or haystack
    start = haystack.find(needle)
    while start != -1:
        if not (start > 0 and original[start - 1] in DEPUTY):
            return True
        start = haystack.find(needle, start + 1)
    return False


def found_in(token: str, sound: str, text: str, text_sound: str) -> float:
    """1 for the word itself, BY_SOUND for a homophone spelling, 0 when absent."""
    if occurs(token, text):
        return 1.0
    if len(token) >= 2 and occurs(sound, text_sound, text):
        return BY_SOUND
    return 0.0


class Matcher:
    """Finds one question's words in facts, remembering answers for texts that facts share
    (a paragraph, a story), so a question costs one look per text, not one per fact."""

    def __init__(self, tokens: list[str]) -> None:
        self.variants = {
            t: [(v, sound_string(v)) for v in [t, *SYNONYMS.get(t, [])]] for t in tokens
        }
        self.seen: dict[tuple[str, int], float] = {}

    def found(self, token: str, text: str, text_sound: str) -> float:
        key = (token, id(text))
        if key not in self.seen:
            self.seen[key] = max(found_in(v, s, text, text_sound) for v, s in self.variants[token])
        return self.seen[key]

    def match(self, token: str, fact: IndexedFact, fuzzy: bool) -> float:
        """How well one question word is found: in the fact, around it, or only in part."""
        best = 0.0
        for weight, text, text_sound in (
            (1.0, fact.text, fact.sound),
            (NEAR, fact.near, fact.near_sound),
            (IN_CONTEXT, fact.context, fact.context_sound),
            (IN_STORY, fact.story, fact.story_sound),
        ):
            if weight <= best:
                break
            best = max(best, weight * self.found(token, text, text_sound))
        if best < PART_OF_WORD and len(token) >= 3:
            parts = [token[i : i + 2] for i in range(len(token) - 1)]
            share = sum(occurs(p, fact.text) for p in parts) / len(parts)
            best = max(best, PART_OF_WORD * share)
        near_miss = fuzzy and best < 0.6 and len(token) >= 3
        if near_miss and fuzz.partial_ratio(token, fact.text) >= FUZZY_FLOOR:
            best = 0.6
        return best


def word_match(token: str, fact: IndexedFact) -> float:
    """One word against one fact (for diagnostics; ranking uses a Matcher)."""
    return Matcher([token]).match(token, fact, fuzzy=True)


def cue_factor(question: Question, fact: IndexedFact) -> float:
    factor = 1.0
    f = fact.fact
    if question.wants_number:
        factor *= 1.0 if f.numbers else 0.7
        if question.unit:
            factor *= 1.1 if question.unit in fact.units else 0.85
    if question.wants_date:
        factor *= 1.0 if (f.dates or fact.years) else 0.7
    if question.wants_person:
        factor *= 1.05 if fact.has_people else 0.7
    if question.wants_list:
        factor *= 1.05 if fact.has_list else 0.9
    if question.wants_place:
        factor *= 1.1 if fact.has_place else 0.85
    return factor


def time_factor(question: Question, fact: IndexedFact) -> float:
    asked = question.years
    if not asked:
        return 1.0
    stated = fact.years or set(YEAR.findall(fact.context))
    if stated:
        return 1.1 if asked & stated else 0.55
    return 1.0 if asked & fact.story_years else 0.8


def entity_factor(named: set[str], fact: IndexedFact, index: Index) -> float:
    specific = named - index.common_entities
    if not specific:
        return 1.0
    if specific & fact.entities:
        return 1.1
    if any(re.search(re.escape(n), fact.context) for n in specific):
        return 0.95
    return 0.6


def definition_factor(
    question: Question, named: set[str], fact: IndexedFact, index: Index
) -> float:
    """ "X是做什么的" prefers a fact that describes X: "…电缆制造商尚纬股份", "X是…"."""
    if not question.wants_definition or not named:
        return 1.0
    names = [alias for alias, _, name in index.aliases if name in named]
    for name in names:
        pattern = rf"(?:商|企业|公司|机构|平台){re.escape(name)}|{re.escape(name)}(?:是|为)"
        if re.search(pattern, fact.text):
            return 1.2
    return 1.0


def score_fact(
    question: Question,
    fact: IndexedFact,
    named: set[str],
    weights: dict[str, float],
    index: Index,
    matcher: Matcher,
    fuzzy: bool = False,
) -> float:
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    matches = {t: matcher.match(t, fact, fuzzy) for t in weights}
    score = 100 * sum(w * matches[t] for t, w in weights.items()) / total
    if any(matches[t] == 0 and NAMED_THING.search(t) for t in weights):
        score *= UNKNOWN_NAME  # 绵阳市…: the question is about something the articles never name
    if question.focus and max(matches.get(t, 0.0) for t in question.focus) < NEAR:
        score *= FOCUS_MISSING  # the very thing asked about is not stated with this fact
    score *= cue_factor(question, fact) * time_factor(question, fact)
    return (
        score * entity_factor(named, fact, index) * definition_factor(question, named, fact, index)
    )


def rank(
    question: Question, index: Index, named: set[str] | None = None, limit: int = 5
) -> list[Scored]:
    """The best facts for a question, best first; `named` are the entities it names."""
    if not question.tokens:
        return []
    named = find_entities(question, index) if named is None else named
    weights = {
        t: index.idf(t) * (FOCUS_WEIGHT if t in question.focus else 1.0) for t in question.tokens
    }
    matcher = Matcher(question.tokens)
    quick = sorted(
        (
            (score_fact(question, f, named, weights, index, matcher), i)
            for i, f in enumerate(index.facts)
        ),
        reverse=True,
    )
    scored = []
    for _, i in quick[:FUZZY_CANDIDATES]:  # near-miss spellings only for the likely facts
        fact = index.facts[i]
        score = score_fact(question, fact, named, weights, index, matcher, fuzzy=True)
        if score > 0:
            shown = next((n for n in fact.fact.entities if n in named), None)
            entity = shown or (fact.fact.entities[0] if fact.fact.entities else None)
            scored.append(Scored(fact, score, entity))
    scored.sort(key=lambda s: (-s.score, s.fact.fact.id))
    for s in scored[:limit]:
        s.score = round(min(s.score, 100.0), 1)  # factors above 1 only order, never exceed 100
    return scored[:limit]
