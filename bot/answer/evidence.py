"""Evidence that a candidate fact answers the question, as numbers a fitted model can weigh.

The ranker (rank.py) proposes candidates; this module says, for each (question, candidate),
what speaks for and against it: is the asked entity the subject of the answering clause, is the
question's predicate stated (in any wording), is there an answer of the wanted type, does the
time agree. model.py turns these into one calibrated probability.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answer.index import Index, IndexedFact
from bot.answer.question import Question
from bot.answer.rank import Scored
from bot.answer.thesaurus import Thesaurus
from bot.text import normalise

CLAUSE = re.compile(r"[^，。；：！？,;:!?]+")

# The evidence features, in the model's order. Each is documented where it is computed.
FEATURES = (
    "rank_score",
    "gap_to_best",
    "is_first",
    "asks_entity",
    "subject_in_clause",
    "subject_in_fact",
    "subject_around",
    "rival_subject",
    "focus_asked",
    "focus_stated",
    "predicate_share",
    "predicate_by_synonym",
    "missing_weight",
    "type_asked",
    "type_fits",
    "time_asked",
    "time_agrees",
    "unknown_words",
)


@dataclass(frozen=True)
class Asked:
    """What the question asks, worked out once for all its candidates."""

    question: Question
    specific: tuple[str, ...]  # entities it names, bar those named all over the corpus
    aliases: tuple[str, ...]  # the normalised names of `specific`
    predicates: tuple[tuple[str, float], ...]  # content words that are no name, with weights
    unknown_share: float  # weight share of words the articles never use


def asked_of(question: Question, named: set[str], index: Index, weights: dict[str, float]) -> Asked:
    specific = tuple(sorted(named - index.common_entities))
    aliases = tuple(a for name in specific for a in index.names_of.get(name, []))
    all_names = {a for name in named for a in index.names_of.get(name, [])}
    predicates = tuple(
        (t, weights.get(t, 1.0))
        for t in question.tokens
        if t not in all_names and not any(t in a or a in t for a in all_names)
    )
    total = sum(weights.values()) or 1.0
    unknown = sum(w for t, w in weights.items() if not index.uses(t))
    return Asked(question, specific, aliases, predicates, unknown / total)


def clauses(text: str) -> list[tuple[int, str]]:
    """(start, clause) of each clause of a text."""
    return [(m.start(), m.group(0)) for m in CLAUSE.finditer(text)]


def answer_slot(question: Question, fact: IndexedFact) -> int | None:
    """Where in the fact text the wanted answer stands: its first number, date or person of
    the kind asked; None when the fact has none or the question wants no such kind."""
    text = fact.text
    wanted: list[str] = []
    if question.wants_number:
        wanted = [normalise(n) for n in fact.fact.numbers]
    elif question.wants_date:
        wanted = [normalise(d) for d in fact.fact.dates] + sorted(fact.years)
    elif question.wants_person:
        wanted = [p.name for p in fact.fact.people]
    positions = [text.find(w) for w in wanted if w and w in text]
    return min(positions) if positions else None


def subject_evidence(
    asked: Asked, fact: IndexedFact, slot: int | None, index: Index
) -> list[float]:
    """subject_in_clause: the entity named nearest before the answer (with no answer slot: in
    the fact's first clause) is an asked one; subject_in_fact: one is named anywhere in the
    fact; subject_around: only linked, or named in the sentence before or the paragraph;
    rival_subject: the nearest is another entity of an asked type (the alliance in the story,
    the park that holds the project, the neighbour company)."""
    if not asked.specific:
        return [0.0, 0.0, 0.0, 0.0]
    text = fact.text
    lead = text[:slot] if slot is not None else (clauses(text) or [(0, text)])[0][1]
    asked_at = max(lead.rfind(a) for a in asked.aliases)
    asked_types = {index.types.get(name) for name in asked.specific}
    other_at = rival_at = -1
    for alias, _, name in index.aliases.rows:
        if name in asked.specific or name in index.common_entities:
            continue
        if any(alias in a for a in asked.aliases) or (at := lead.rfind(alias)) < 0:
            continue
        other_at = max(other_at, at)
        if index.types.get(name) in asked_types:
            rival_at = max(rival_at, at)
    in_fact = any(a in text for a in asked.aliases)
    around = bool(set(asked.specific) & fact.entities) or any(
        a in fact.near or a in fact.context for a in asked.aliases
    )
    return [
        float(asked_at >= 0 and asked_at >= other_at),
        float(in_fact),
        float(around and not in_fact),
        float(rival_at > asked_at),
    ]


def stated(word: str, text: str, thesaurus: Thesaurus) -> tuple[bool, bool]:
    """(as written, by a synonym) in the text; a corpus short form (营收 → 营业收入) counts as
    a synonym through the lexicon's variants."""
    if word in text:
        return True, False
    return False, any(s in text for s in thesaurus.synonyms(word))


def predicate_evidence(asked: Asked, fact: IndexedFact, thesaurus: Thesaurus) -> list[float]:
    """focus_asked / focus_stated: the word next to the asking word (总投资 in 总投资多少) is
    stated in the fact, in any wording; predicate_share: the weight share of the question's
    non-name words the fact states, as written or by a synonym; predicate_by_synonym: the
    share found only by a synonym; missing_weight: the heaviest such word found nowhere near
    the fact (fact, sentence before, paragraph), as a share of the question's weight."""
    question = asked.question
    focus = sorted(question.focus)
    focus_hits = [any(stated(w, fact.text, thesaurus)) for w in focus]
    total = sum(w for _, w in asked.predicates) or 1.0
    found = by_synonym = 0.0
    missing = 0.0
    surroundings = fact.near + " " + fact.context
    for word, weight in asked.predicates:
        exact, synonym = stated(word, fact.text, thesaurus)
        if exact or synonym:
            found += weight
            by_synonym += weight if synonym else 0.0
        elif not any(stated(word, surroundings, thesaurus)):
            missing = max(missing, weight)
    return [
        float(bool(focus)),
        float(bool(focus) and all(focus_hits)),
        found / total,
        by_synonym / total,
        missing / total,
    ]


def type_evidence(question: Question, fact: IndexedFact) -> list[float]:
    """type_asked: the question wants a number, date, person or list; type_fits: the fact has
    one (a number counts half without the unit asked for)."""
    fits: list[float] = []
    if question.wants_number:
        unit = question.unit
        unit_ok = not unit or unit in fact.units or any(unit in n for n in fact.fact.numbers)
        fits.append(0.0 if not fact.fact.numbers else 1.0 if unit_ok else 0.5)
    if question.wants_date:
        fits.append(float(bool(fact.fact.dates or fact.years)))
    if question.wants_person:
        fits.append(float(fact.has_people))
    if question.wants_list:
        fits.append(float(fact.has_list))
    if not fits:
        return [0.0, 0.0]
    return [1.0, min(fits)]


def time_evidence(question: Question, fact: IndexedFact) -> list[float]:
    """time_asked: the question names a year or plan period; time_agrees: +1 the fact (or,
    stating none, its paragraph) is of that time, -1 of another only, 0 unknown."""
    asked = {y for y in question.years}
    if not asked:
        return [0.0, 0.0]
    of_fact = fact.years or fact.paragraph_years
    if asked & of_fact:
        return [1.0, 1.0]
    return [1.0, -1.0 if of_fact else 0.0]


def evidence_rows(
    asked: Asked, candidates: list[Scored], index: Index, thesaurus: Thesaurus
) -> list[list[float]]:
    """One row of FEATURES per candidate, in the candidates' order."""
    if not candidates:
        return []
    best = candidates[0].score
    rows = []
    for position, scored in enumerate(candidates):
        fact = scored.fact
        slot = answer_slot(asked.question, fact)
        row = [scored.score / 100, (scored.score - best) / 100, float(position == 0)]
        row += [float(bool(asked.specific))]
        row += subject_evidence(asked, fact, slot, index)
        row += predicate_evidence(asked, fact, thesaurus)
        row += type_evidence(asked.question, fact)
        row += time_evidence(asked.question, fact)
        row += [asked.unknown_share]
        rows.append([round(value, 6) for value in row])
    return rows
