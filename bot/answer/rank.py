"""Score facts against a question: the candidates whose evidence (evidence.py) is weighed.

A fact's score is how much of the question's content it covers, weighted by how rare each word
is (a word the articles never use weighs most, so a question about something they do not state
scores low), then adjusted by the question's cues: a "多少" question wants a number, a "谁"
question a person, a year in the question wants a fact of that year. Every number this takes
is a field of the RankParameters passed in (parameters.py).

Scoring runs in two steps, so that a question costs time in proportion to its candidates, not
to the corpus: `candidate_rows` picks a pool of facts from where the question's words are
found (any tier, by sound, in part, by a linked entity), ordered by a cheap bound of their
coverage; the full score is then worked out for those rows alone. A fact none of the question's
words reaches scores 0 anyway, so where fewer facts than the pool are reached (the seeds), the
ranking is the same as scoring every fact.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Set
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.answer.cues import describes, entries_asked
from bot.answer.index import Index
from bot.answer.indexed import IndexedFact
from bot.answer.lexicon import LEXICON
from bot.answer.parameters import RANKING, RankParameters
from bot.answer.question import (
    Question,
    word_class_weight,
)
from bot.answer.segmenter import Segmenter
from bot.answer.traits import K, Masks, among, phases_in
from bot.text import is_common_word, is_everyday_word, sound_string

NAMED_THING = re.compile(r"..(?:省|市|县|区|镇|乡|村|公司|集团|大学|医院)$")
# Listed names end in one of these (…示范园、…产业园, 教育局), right before one of LIST_MARKS.
LISTED = "园区市县镇村局院校厂馆站所司委会科部"
LIST_MARKS = "、，。；和及"
NO_FACTS = NO_TEXTS = np.zeros(0, dtype=np.int32)


@dataclass
class Scored:
    fact: IndexedFact
    score: float
    entity: str | None


def find_entities(
    question: Question, index: Index, parameters: RankParameters = RANKING
) -> set[str]:
    """Entities the question names, by exact alias, by sound, or by a near-miss spelling."""
    text = question.text
    found = index.aliases.named_in(text, sound_string(text))
    long_aliases = [  # of the entities not already found
        alias
        for alias in index.aliases.could_resemble(text, parameters.fuzzy_floor)
        if index.name_of[alias] not in found
    ]
    near = process.extract(
        text,
        long_aliases,
        scorer=fuzz.partial_ratio,
        score_cutoff=parameters.fuzzy_floor,
        limit=None,
    )
    for alias, _, _ in near:
        head = alias[: len(alias) // 2 + 1]  # 成都高新区 is not named by a bare 高新区
        if fuzz.partial_ratio(head, text) >= parameters.head_floor:
            found.add(index.name_of[alias])
    return found


@dataclass(frozen=True)
class WordEvidence:
    """Where one question word is found, the same in every question, so it is worked out once:
    as the ids of the texts (Index.tiers) and facts that hold it, never an array over all facts."""

    idf: float  # rarer words weigh more; a word the articles never use, most
    class_weight: float  # see word_class_weight
    everyday: bool  # a common word of the language the articles never use: phrasing
    name_like: bool  # see names_elsewhere
    texts: np.ndarray  # sorted ids of the texts holding the word or a synonym of it
    sounded: np.ndarray  # sorted ids of the texts holding only its sound (a homophone)
    parts: tuple[np.ndarray, ...]  # per part of the word (word_parts), the fact texts with it
    linked: np.ndarray  # sorted positions of the facts linked to the entity the word names

    def weight(self, parameters: RankParameters) -> float:
        """Its rarity times its word class (an everyday word: a share of that)."""
        idf = self.idf * parameters.everyday_word if self.everyday else self.idf
        return idf * self.class_weight

    def matches(self, rows: np.ndarray, index: Index, parameters: RankParameters) -> np.ndarray:
        """For each of the facts at `rows`, how well the word is found: in the fact itself,
        around it (the tier weights), as a homophone (× by_sound), or only in part
        (part_of_word × the share of its parts the fact holds); 0 if not; in full where the
        word names an entity the fact is linked to. Worked out per text, then looked up for the
        rows' texts: a binary search of each in the word's texts took several times longer."""
        texts = index.tiers.text_of[:, rows]
        strength = np.zeros(len(index.tiers.texts))  # per text: 1 if it holds the word
        strength[self.sounded] = parameters.by_sound
        strength[self.texts] = 1.0
        best = (strength[texts] * parameters.tier_weights).max(axis=0)
        if self.parts:
            shares = sum(among(texts[0], part).astype(int) for part in self.parts)
            np.maximum(best, parameters.part_of_word * shares / len(self.parts), out=best)
        best[among(rows, self.linked)] = 1.0  # 市中医院 names the 市中医医院 of its facts
        return best


def union(arrays: list[np.ndarray]) -> np.ndarray:
    """The ids in any of the arrays, sorted, each once."""
    ids = np.sort(np.concatenate(arrays))
    return ids[np.r_[True, ids[1:] != ids[:-1]]] if len(ids) else ids


def without(ids: np.ndarray, others: np.ndarray) -> np.ndarray:
    """The ids not among the others (sorted)."""
    return ids[~among(ids, others)]


def sorted_ids(ids: Set[int]) -> np.ndarray:
    """A set of ids as a sorted array, which `among` searches."""
    found = np.fromiter(ids, dtype=np.int32, count=len(ids))
    found.sort()
    return found


def look_up(token: str, index: Index) -> WordEvidence:
    """Where one question word is found (see WordEvidence.matches), and its rarity: the facts
    that hold the word or its sound."""
    found, sounded = [NO_TEXTS], [NO_TEXTS]
    holders = 0
    tiers = index.tiers
    for variant in [token, *LEXICON.synonyms.get(token, ())]:
        sound = sound_string(variant)
        # Two characters sound alike too often: a real word (大佛) is meant as written, while a
        # non-word (蝶川, 曲钢) is likely a name typed by sound.
        by_sound = len(variant) >= 3 or (len(variant) == 2 and not is_common_word(variant))
        texts = tiers.find_ids(variant)
        # A word without Chinese characters (7, GDP) is its own sound: no text holds only that.
        sounds_other = sound != variant
        # a homophone counts for less, so only texts without the word itself need a look
        homophones = NO_TEXTS
        if by_sound and sounds_other:
            homophones = tiers.find_ids(sound, True, besides=texts)
        if variant == token:  # rarity: the facts that hold either spelling
            spelt = homophones
            if not by_sound and sounds_other:  # only the facts' own texts count here
                spelt = index.facts_text.find_ids(sound, True, besides=texts)
            holders = int(
                among(texts, index.fact_texts).sum() + among(spelt, index.fact_texts).sum()
            )
        found.append(texts)
        sounded.append(homophones)
    held = union(found)
    # A word not found whole is credited by the share of its parts each fact holds. Every part
    # holds a pair of the word's characters, so a word no fact holds a pair of has no credit.
    facts = index.facts_text
    parts: tuple[np.ndarray, ...] = ()
    if len(token) >= 3 and facts.holds_a_pair_of(token):
        words = word_parts(token, index.segmenter)
        in_facts = {part: facts.find_ids(part) for part in set(words)}
        parts = tuple(in_facts[part] for part in words)
    idf = math.log((len(index.facts) + 1) / (holders + 0.5))
    linked = index.traits.linked.positions.get(index.name_of.get(token, ""), NO_FACTS)
    return WordEvidence(
        idf,
        word_class_weight(token, index.segmenter),
        not index.uses(token) and is_everyday_word(token),
        names_elsewhere(token, index),
        held,
        without(union(sounded), held),
        parts,
        linked,
    )


def candidate_rows(
    evidence: dict[str, WordEvidence],
    weights: dict[str, float],
    lists: dict[str, np.ndarray],
    index: Index,
    parameters: RankParameters = RANKING,
) -> np.ndarray:
    """The positions (ascending) of at most `parameters.pool` facts worth scoring in full: those
    question word reaches, the `size` best by a bound of their coverage, each word's weight
    times the tier weight of every tier text holding it (summed, where the score takes the
    best tier), its parts' share, or in full by a linked entity. Worked out per text, then
    spread to the facts by one look-up per tier: no array over all facts per word.
    `lists`: a kind word's facts that list names of its kind (哪些园区), over all facts."""
    credit = np.zeros(len(index.tiers.texts), np.float32)  # per text: its words' weight
    part_credit = np.zeros(len(index.tiers.texts), np.float32)  # per fact text: parts held
    bound = np.zeros(len(index.facts), np.float32)
    for token, found in evidence.items():
        weight = weights[token]
        credit[found.texts] += weight
        credit[found.sounded] += weight * parameters.by_sound
        for part in found.parts:
            part_credit[part] += weight * parameters.part_of_word / len(found.parts)
        bound[found.linked] += weight
    for kind, listed in lists.items():
        bound[listed] += weights[kind] * parameters.kind_by_head
    for tier, text_of in zip(parameters.tier_weights[:, 0], index.tiers.text_of, strict=True):
        spread = credit.take(text_of)
        spread *= tier
        bound += spread
    if any(found.parts for found in evidence.values()):
        bound += part_credit.take(index.tiers.text_of[0])
    reached = np.flatnonzero(bound > 0)
    if len(reached) <= parameters.pool:
        return reached
    return np.sort(reached[highest(bound[reached], parameters.pool)])


def names_elsewhere(token: str, index: Index) -> bool:
    """绵阳市 by its suffix, 内江 by jieba's place tag (ns): a place or body the question names;
    if no fact holds it, the question is about something the articles do not cover."""
    unused_place = index.segmenter.word_flags(token) == ("ns",) and not index.uses(token)
    return bool(NAMED_THING.search(token)) or unused_place


def word_parts(token: str, segmenter: Segmenter) -> list[str]:
    """The dictionary words inside a longer word (投资规模 → 投资, 规模), else its bigrams:
    jieba's search mode, each word preceded by the dictionary's two- and three-letter words
    inside it, made from the cut that word_flags also uses."""
    parts = []
    for word in segmenter.dictionary_words(token):
        grams = [word[i : i + n] for n in (2, 3) if len(word) > n for i in range(len(word) - n + 1)]
        parts += [gram for gram in grams if segmenter.freq(gram)] + [word]
    parts = [part for part in parts if len(part) >= 2 and part != token]
    return parts or [token[i : i + 2] for i in range(len(token) - 1)]


def with_near_misses(
    matches: dict[str, np.ndarray],
    candidates: np.ndarray,
    rows: np.ndarray,
    index: Index,
    parameters: RankParameters,
) -> dict[str, np.ndarray]:
    """`matches` (over `rows`), with a longer word raised to near_miss in the candidates (of
    the rows) that hold it only in a misspelt form (rapidfuzz); the same arrays where none does."""
    floor, near_miss = parameters.fuzzy_floor, parameters.near_miss
    raised = dict(matches)
    for token, found in matches.items():
        if len(token) < 3 or index.uses(token):  # a word the articles print is not misspelt
            continue
        weak = [
            i
            for i in candidates[found[candidates] < near_miss].tolist()
            if could_be_near(token, index.facts[rows[i]].text, floor)
        ]
        texts = [index.facts[rows[i]].text for i in weak]
        near = process.extract(
            token, texts, scorer=fuzz.partial_ratio, score_cutoff=floor, limit=None
        )
        if near:
            raised[token] = found.copy()
            raised[token][[weak[position] for _, _, position in near]] = near_miss
    return raised


def could_be_near(token: str, text: str, floor: int) -> bool:
    """Whether rapidfuzz's partial_ratio could score the token `floor` or more in the
    text: only if enough of its letters occur there (see Aliases.could_resemble for why), a
    check far cheaper than the score."""
    if len(text) < len(token):  # partial_ratio then slides the text over the token
        return True
    shared = sum(letter in text for letter in token)
    return shared * (200 - floor) >= floor * len(token)


class Scorer:
    """Scores the candidate facts for one question: what depends only on the question is
    worked out once, and every step covers all candidates at once."""

    def __init__(
        self,
        question: Question,
        named: set[str],
        weights: dict[str, float],
        index: Index,
        name_like: list[str],
        rows: np.ndarray,
        parameters: RankParameters = RANKING,
    ) -> None:
        """`name_like`: the words that name a place or body (names_elsewhere); `rows`: the
        positions of the facts scored (candidate_rows), which every array here follows."""
        self.question = question
        self.index = index
        self.parameters = parameters
        self.rows = rows
        self.size = len(rows)
        self.traits = index.traits
        self.facts_text = index.facts_text
        self.weights = weights
        self.total = sum(weights.values())
        self.weight_row = np.array(list(weights.values()))
        self.name_like = name_like
        self.specific = named - index.common_entities
        self.specific_types = {index.types[n] for n in self.specific}
        self.asked_years = {y for y in question.years if y.isdigit()}
        self.phases = phases_in(question.text)
        self.asked_plans = question.years - self.asked_years
        self.defined = defined_names(question, named, index)
        q = question
        self.asked_places = [p for p in self.traits.places if p in q.text] if q.wants_place else []
        self.asked_people = (
            [name for name in self.traits.people_names if name in q.text] if q.wants_role else []
        )
        wants = (*sorted(q.cues), q.unit, *self.asked_places, *self.asked_people)
        # The checks that can give other than 1 for this question
        self.checks = [
            check
            for check, applies in [
                (Scorer.cues, any(wants)),
                (Scorer.time, bool(q.years)),
                (Scorer.entity, bool(self.specific)),
                (Scorer.definition, bool(self.defined)),
                (Scorer.phase, bool(self.phases)),
            ]
            if applies
        ]

    def coverage(self, matches: dict[str, np.ndarray]) -> np.ndarray:
        """How much of the question each fact covers, 0-100, lowered where the thing asked
        about or a name the question gives is missing."""
        if self.total <= 0:
            return np.zeros(self.size)
        score = 100 * (self.weight_row @ np.array([matches[t] for t in self.weights])) / self.total
        if self.name_like:  # 绵阳市…: about something the articles never name
            unnamed = np.logical_or.reduce([matches[t] == 0 for t in self.name_like])
            score[unnamed] *= self.parameters.unknown_name
        if focus := self.question.focus:  # the very thing asked about is not stated here
            stated = [matches[t] for t in focus if t in matches]
            asked = np.maximum.reduce(stated) if stated else np.zeros(self.size)
            score[asked < self.parameters.near] *= self.parameters.focus_missing
        return score

    def factors(self) -> np.ndarray:
        """How well each fact fits the kind of answer wanted, its time, entity and phase."""
        value = np.ones(self.size)
        for check in self.checks:
            value = value * check(self)
        return value

    def held(self, table: Masks[K], keys: Iterable[K]) -> np.ndarray:
        """Whether each candidate has one of the keys in the table."""
        return self.traits.any_of(table, keys, self.rows)

    def marked(self, mask: np.ndarray) -> np.ndarray:
        """A per-fact array (Traits), for the candidates."""
        return mask[self.rows]

    def phase(self) -> np.ndarray:
        """二期 is not 一期, 3号 is not 5号: a fact about other phases than those asked answers
        another question."""
        traits = self.traits
        other = np.zeros(self.size, dtype=bool)
        for kind in {kind for _, kind in self.phases} & traits.phase_kinds.keys():
            asked = [phase for phase in self.phases if phase[1] == kind]
            other |= self.held(traits.phase_kinds, [kind]) & ~self.held(traits.phases, asked)
        return np.where(other, self.parameters.other_phase, 1.0)

    def cues(self) -> np.ndarray:
        """What kind of answer the question wants: a number, a date, a person, a list …"""
        question, traits, p = self.question, self.traits, self.parameters
        factor = np.ones(self.size)
        for cue in entries_asked(question.text):
            factor *= np.where(self.marked(traits.cues[cue.name]), cue.if_held, cue.if_not)
        if question.wants_number and question.unit:
            has_unit = self.held(traits.units, [question.unit])
            factor *= np.where(has_unit, p.unit_held, p.unit_missing)
        if question.wants_place:  # a place the question does not already name
            asked = self.asked_places
            named = sum(
                (self.held(traits.places, [place]).astype(int) for place in asked),
                np.zeros(self.size, int),
            )
            new_place = self.marked(traits.place_counts) > named
            factor *= np.where(new_place, p.new_place, p.no_new_place)
        if question.wants_role:
            people = self.asked_people
            factor *= np.where(
                self.held(traits.people_names, people), p.role_named, p.role_not_named
            )
        return factor

    def time(self) -> np.ndarray:
        """A year (or plan period such as 十四五) in the question prefers facts of that time;
        a fact that states no year may still belong to its story's."""
        traits, p = self.traits, self.parameters
        factor = np.ones(self.size)
        if asked := self.asked_years:
            stated = np.where(self.held(traits.years, asked), p.time_stated, p.other_time)
            in_story = np.where(self.held(traits.story_years, asked), p.undated_in_story, p.undated)
            factor *= np.where(self.marked(traits.dated), stated, in_story)
        if asked := self.asked_plans:
            stated = np.where(self.held(traits.plans, asked), p.time_stated, p.other_time)
            factor *= np.where(self.marked(traits.planned), stated, p.undated)
        return factor

    def entity(self) -> np.ndarray:
        """A fact about another entity than the one the question names is likely wrong, unless
        its paragraph names it, or its story does and the fact is about no rival of it."""
        traits, specific = self.traits, self.specific
        about = self.held(traits.linked, specific) | self.held(traits.in_context, specific)
        rival = self.held(traits.entity_types, self.specific_types)
        refers_back = self.marked(traits.refers_back)
        in_story = self.held(traits.in_story, specific) & (refers_back | ~rival)
        p = self.parameters
        return np.where(about, 1.0, np.where(in_story, p.in_story_entity, p.other_entity))

    def definition(self) -> np.ndarray:
        """ "X是做什么的" prefers a fact that describes X (cues.describes): 制造商尚纬股份, X是…"""
        facts, names = self.facts_text, self.defined
        bodies = {text: facts.texts[text] for name in names for text in facts.holding(name)}
        described = {t for t, body in bodies.items() if describes(body, names)}
        fact_texts = facts.text_of[0][self.rows]
        return np.where(among(fact_texts, sorted_ids(described)), self.parameters.described, 1.0)


def defined_names(question: Question, named: set[str], index: Index) -> list[str]:
    """What a definition question asks about: the names of the entities it names, and its
    subject as typed (希尔电子, which no entity is called); none for another question."""
    if not question.wants_definition:
        return []
    names = [alias for name in sorted(named) for alias in index.names_of[name]]
    return names + [question.subject] if question.subject else names


def word_evidence(question: Question, index: Index) -> dict[str, WordEvidence]:
    """Each question word's evidence, kept between questions (the same for every question)."""
    return {t: index.remember(("word", t), lambda t=t: look_up(t, index)) for t in question.tokens}


def word_weights(
    question: Question, index: Index, parameters: RankParameters = RANKING
) -> dict[str, float]:
    """How much each question word weighs (WordEvidence.weight)."""
    return {t: e.weight(parameters) for t, e in word_evidence(question, index).items()}


def rank(
    question: Question,
    index: Index,
    named: set[str] | None = None,
    limit: int = 5,
    parameters: RankParameters = RANKING,
) -> list[Scored]:
    """The best facts for a question, best first; `named` are the entities it names."""
    if not question.tokens:
        return []
    named = find_entities(question, index, parameters) if named is None else named
    evidence = word_evidence(question, index)
    weights = {t: e.weight(parameters) for t, e in evidence.items()}
    kinds = [k for k in question.kinds if k in weights and k[0] in LISTED]
    lists = {  # 哪些园区 is answered by 示范园、产业园
        kind: index.remember(("listed", kind[0]), lambda k=kind[0]: listing(k, index))
        for kind in kinds
    }
    rows = candidate_rows(evidence, weights, lists, index, parameters)
    matches = {t: e.matches(rows, index, parameters) for t, e in evidence.items()}
    for kind, listed in lists.items():
        matches[kind] = np.where(
            listed[rows], np.maximum(matches[kind], parameters.kind_by_head), matches[kind]
        )

    name_like = [t for t, e in evidence.items() if e.name_like]
    scorer = Scorer(question, named, weights, index, name_like, rows, parameters)
    factors = scorer.factors()
    coverage = scorer.coverage(matches)
    # before near-miss spellings are looked for; rounded, as the last bits of a product differ
    # with the length of the arrays it is worked out in, and equal facts must tie
    exact_scores = np.round(coverage * factors, 9)
    by_score = highest(exact_scores, parameters.fuzzy_candidates)
    likely = by_score[exact_scores[by_score] > 0]
    near_missed = with_near_misses(matches, likely, rows, index, parameters)
    changed = any(near_missed[t] is not matches[t] for t in weights)
    scores = np.round(scorer.coverage(near_missed) * factors, 9) if changed else exact_scores
    values = scores[likely].tolist()
    best = sorted(  # highest first, then by fact id
        (-value, index.facts[i].fact.id, i)
        for i, value in zip(rows[likely].tolist(), values, strict=True)
        if value > 0
    )
    return [  # factors above 1 only order: a score never exceeds 100
        Scored(index.facts[i], round(min(-negated, 100.0), 1), shown_entity(index.facts[i], named))
        for negated, _, i in best[:limit]
    ]


def highest(scores: np.ndarray, n: int) -> np.ndarray:
    """The positions of the n highest scores, highest first, equal ones in position order: a
    stable argsort's first n, without sorting every fact."""
    if len(scores) <= n:
        return np.argsort(-scores, kind="stable")
    nth = np.partition(scores, len(scores) - n)[len(scores) - n]  # the n-th highest
    above = np.flatnonzero(scores > nth)
    chosen = np.sort(np.r_[above, np.flatnonzero(scores == nth)[: n - len(above)]])
    return chosen[np.argsort(-scores[chosen], kind="stable")]


def listing(ending: str, index: Index) -> np.ndarray:
    """For every fact, whether it lists names with the ending (…示范园、…产业园): whether its
    text holds one of the pairs of the ending and a list mark (园、, 园和)."""
    facts = index.facts_text
    return facts.facts_in(union([facts.pieces.get(ending + mark) for mark in LIST_MARKS]))


def shown_entity(fact: IndexedFact, named: set[str]) -> str | None:
    """The entity an answer is shown as being about: one the question names, if it can."""
    entities = fact.fact.entities
    return next((n for n in entities if n in named), entities[0] if entities else None)
