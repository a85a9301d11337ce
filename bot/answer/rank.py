"""Score every fact against a question, then decide: answer, or say honestly "not found".

A fact's score is how much of the question's content it covers, weighted by how rare each word
is (a word the articles never use weighs most, so a question about something they do not state
scores low), then adjusted by the question's cues: a "多少" question wants a number, a "谁"
question a person, a year in the question wants a fact of that year.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import jieba
import numpy as np
from rapidfuzz import fuzz, process

from bot.answer.index import Index, IndexedFact
from bot.answer.question import SYNONYMS, Question, word_class_weight
from bot.facts.extract import is_common_word
from bot.text import sound_string

# Calibrated on the development questions (bench/calibrate.py); see README "Answer quality".
FOUND_THRESHOLD = 60.0
STRICT_THRESHOLD = 66.0  # groups: the lowest threshold abstaining on >= 0.97 of dev oos questions
SUGGESTION_FLOOR = 20.0
NEAR = 0.7  # a word found in the neighbouring sentences, which often name the subject
IN_CONTEXT = 0.5  # a word found only in the fact's paragraph or story title counts half
IN_STORY = 0.3  # a word found elsewhere in the same story
PART_OF_WORD = 0.6  # a word not found whole, credited by the share of its parts (投资|规模)
NEAR_MISS = 0.6  # a word found only as a near-miss spelling (rapidfuzz)
TIER_WEIGHTS = (1.0, NEAR, IN_CONTEXT, IN_STORY)  # in the order of Index.tiers
FOCUS_MISSING = 0.65  # the word asked about (总投资 in 总投资多少) is not with this fact
UNIT_MISSING = 0.85  # the question implies a unit (投资 → 元) this fact gives no amount in
NAMED_THING = re.compile(r"..(?:省|市|县|区|镇|乡|村|公司|集团|大学|医院)$")
UNKNOWN_NAME = 0.5  # the question names a place or body (绵阳市) the articles never mention
PHASE = re.compile(r"(第?[一二三四五六七八九十\d]+)(期|号|批|届|次)")
OTHER_PHASE = 0.6  # the question asks about 二期, the fact states 一期
OTHER_TIME = 0.45  # the question asks about 2022, the fact states 2023
OTHER_ENTITY = 0.6  # the question names an entity this fact and its paragraph do not
REFERS_BACK = re.compile(r"该(?:项目|企业|公司|集团|联盟|园区|高新区|县|区|村)")
IN_STORY_ENTITY = 0.85  # …but the story around it does (德世堂's 3号厂房, two paragraphs up)
METHOD = re.compile(r"以“|通过|采取|采用|依托|靠")  # "以“道德评议+村规民约”推进…": how
BY_SOUND = 0.9  # 尚维 for 尚纬: a homophone typo still counts, nearly in full
PROMISING = 30  # facts by plain word coverage that get the full score with all its factors
FUZZY_CANDIDATES = 20  # facts rescored with rapidfuzz after a first, exact-only pass
FUZZY_FLOOR = 75  # rapidfuzz partial_ratio for a near-miss word of three or more characters
# Listed names end in one of these (…示范园、…产业园, 教育局): a pattern per ending.
LISTED = {end: re.compile(end + "[、，。；和及]") for end in "园区市县镇村局院校厂馆站所司委会"}
DESCRIBED_AS = ("商", "企业", "公司", "机构", "平台")  # 电缆制造商尚纬股份
KIND_BY_HEAD = 0.8  # a kind word (园区) found as the end of listed names (…示范园、…产业园)
HEAD_FLOOR = 60  # a near-miss entity name must also match in its first half


@dataclass
class Scored:
    fact: IndexedFact
    score: float
    entity: str | None


def find_entities(question: Question, index: Index) -> set[str]:
    """Entities the question names, by exact alias, by sound, or by a near-miss spelling."""
    text = question.text
    found = index.aliases.named_in(text, sound_string(text))
    long_aliases = [  # of the entities not already found
        alias
        for alias in index.aliases.could_resemble(text, FUZZY_FLOOR)
        if index.name_of[alias] not in found
    ]
    near = process.extract(
        text, long_aliases, scorer=fuzz.partial_ratio, score_cutoff=FUZZY_FLOOR, limit=None
    )
    for alias, _, _ in near:
        head = alias[: len(alias) // 2 + 1]  # 成都高新区 is not named by a bare 高新区
        if fuzz.partial_ratio(head, text) >= HEAD_FLOOR:
            found.add(index.name_of[alias])
    return found


def word_matches(token: str, index: Index) -> np.ndarray:
    """For every fact, how well one question word is found: in the fact itself, around it
    (NEAR, IN_CONTEXT, IN_STORY), as a homophone (× BY_SOUND), or only in part; 0 if not."""
    best = np.zeros(len(index.facts))
    for variant in [token, *SYNONYMS.get(token, [])]:
        sound = sound_string(variant)
        # Two characters sound alike too often: a real word (大佛) is meant as written, while a
        # non-word (蝶川, 曲钢) is likely a name typed by sound.
        by_sound = len(variant) >= 3 or (len(variant) == 2 and not is_common_word(variant))
        for weight, haystack in zip(TIER_WEIGHTS, index.tiers, strict=True):
            if texts := haystack.find(variant):
                np.maximum(best, weight * haystack.facts_in(texts), out=best)
            # a homophone counts for less, so only texts without the word itself need a look
            if by_sound and (homophones := haystack.find(sound, True, besides=texts)):
                np.maximum(best, weight * BY_SOUND * haystack.facts_in(homophones), out=best)
    if len(token) >= 3:  # not found whole: credit the share of its parts found in the fact
        facts = index.tiers[0]
        parts = word_parts(token)
        holders = {
            p: index.remember(("in facts", p), lambda p=p: facts.facts_in(facts.find(p)))
            for p in set(parts)
        }
        shares = sum(holders[p] for p in parts)  # how many of the parts each fact holds
        np.maximum(best, PART_OF_WORD * shares / len(parts), out=best)
    return best


def word_parts(token: str) -> list[str]:
    """The dictionary words inside a longer word (投资规模 → 投资, 规模), else its bigrams."""
    parts = [w for w in jieba.lcut_for_search(token, HMM=False) if len(w) >= 2 and w != token]
    return parts or [token[i : i + 2] for i in range(len(token) - 1)]


def with_near_misses(
    matches: dict[str, np.ndarray], candidates: list[int], index: Index
) -> dict[str, np.ndarray]:
    """`matches`, with a longer word raised to NEAR_MISS in the candidate facts that hold it
    only in a misspelt form (rapidfuzz); the same arrays where no candidate does."""
    raised = dict(matches)
    facts = np.array(candidates, dtype=int)
    for token, found in matches.items():
        if len(token) < 3 or index.uses(token):  # a word the articles print is not misspelt
            continue
        weak = facts[found[facts] < NEAR_MISS]
        texts = [index.facts[i].text for i in weak]
        near = process.extract(
            token, texts, scorer=fuzz.partial_ratio, score_cutoff=FUZZY_FLOOR, limit=None
        )
        if near:
            raised[token] = found.copy()
            raised[token][[weak[position] for _, _, position in near]] = NEAR_MISS
    return raised


class Scorer:
    """Scores facts for one question: what depends only on the question is worked out once."""

    def __init__(
        self, question: Question, named: set[str], weights: dict[str, float], index: Index
    ) -> None:
        self.question = question
        self.facts = index.facts
        self.weights = weights
        self.total = sum(weights.values())
        self.weight_row = np.array(list(weights.values()))
        self.name_like = [t for t in weights if NAMED_THING.search(t)]
        self.specific = named - index.common_entities
        self.specific_names = [a for n in self.specific for a in index.names_of[n]]
        self.in_context: dict[str, bool] = {}  # paragraph → whether it names what is asked
        self.in_story: dict[str, bool] = {}
        self.specific_types = {index.types[n] for n in self.specific}
        self.asked_years = {y for y in question.years if y.isdigit()}
        self.phases = [(m[0], m[2]) for m in PHASE.finditer(question.text)]
        self.asked_plans = question.years - self.asked_years
        names = [alias for name in named for alias in index.names_of[name]]
        self.descriptions = (  # 制造商尚纬股份, 尚纬股份是…: plain strings, no regex to compile
            [f"{kind}{n}" for n in names for kind in DESCRIBED_AS]
            + [f"{n}{v}" for n in names for v in "是为"]
            if question.wants_definition
            else []
        )
        wants = question.wants_number or question.wants_date or question.wants_person
        wants = wants or question.wants_list or question.wants_place
        wants = wants or question.wants_method or question.wants_role
        self.checks = [  # the ones that can give other than 1 for this question
            check
            for check, applies in [
                (self.cues, wants),
                (self.time, bool(question.years)),
                (self.entity, bool(self.specific)),
                (self.definition, bool(self.descriptions)),
                (self.phase, bool(self.phases)),
            ]
            if applies
        ]

    def coverage(self, matches: dict[str, np.ndarray]) -> np.ndarray:
        """For every fact at once: how much of the question it covers, 0-100, lowered where the
        thing asked about or a name the question gives is missing."""
        if self.total <= 0:
            return np.zeros(len(self.facts))
        covered = self.weight_row @ np.array([matches[t] for t in self.weights])
        score = 100 * covered / self.total
        if self.name_like:  # 绵阳市…: about something the articles never name
            unnamed = np.logical_or.reduce([matches[t] == 0 for t in self.name_like])
            score[unnamed] *= UNKNOWN_NAME
        if focus := self.question.focus:  # the very thing asked about is not stated here
            stated = [matches[t] for t in focus if t in matches]
            asked = np.maximum.reduce(stated) if stated else np.zeros(len(self.facts))
            score[asked < NEAR] *= FOCUS_MISSING
        return score

    def factors(self, fact: IndexedFact) -> float:
        """How well the fact fits the kind of answer wanted, its time, entity and phase."""
        value = 1.0
        for check in self.checks:
            value *= check(fact)
        return value

    def phase(self, fact: IndexedFact) -> float:
        """二期 is not 一期, 3号 is not 5号: a fact about another phase answers another question."""
        for wanted, kind in self.phases:
            stated = {m[0] for m in PHASE.finditer(fact.text) if m[2] == kind}
            if stated and wanted not in stated:
                return OTHER_PHASE
        return 1.0

    def cues(self, fact: IndexedFact) -> float:
        """What kind of answer the question wants: a number, a date, a person, a list …"""
        question, factor, f = self.question, 1.0, fact.fact
        if question.wants_number:
            factor *= 1.0 if f.numbers else 0.7
            if question.unit:
                factor *= 1.1 if question.unit in fact.units else UNIT_MISSING
        if question.wants_date:
            factor *= 1.0 if (f.dates or fact.years) else 0.7
        if question.wants_person:
            factor *= 1.05 if fact.has_people else 0.7
        if question.wants_list:
            factor *= 1.05 if fact.has_list else 0.9
        if question.wants_place:
            new_place = any(place not in question.text for place in fact.places)
            factor *= (1.1 if new_place else 0.85) * (1.1 if fact.locates else 1.0)
        if question.wants_method:
            factor *= 1.15 if METHOD.search(fact.text) else 1.0
        if question.wants_role:
            factor *= 1.2 if any(p.name in question.text for p in f.people) else 0.9
        return factor

    def time(self, fact: IndexedFact) -> float:
        """A year (or plan period such as 十四五) in the question prefers facts of that time."""
        factor = 1.0
        for asked, stated, story in (
            (self.asked_years, fact.digit_years or fact.paragraph_years, fact.story_years),
            (self.asked_plans, fact.years - fact.digit_years, set()),
        ):
            if not asked:
                continue
            if stated:
                factor *= 1.1 if asked & stated else OTHER_TIME
            else:
                factor *= 1.0 if asked & story else 0.8
        return factor

    def entity(self, fact: IndexedFact) -> float:
        """A fact about another entity than the one the question names is likely wrong."""
        if not self.specific:
            return 1.0
        if self.specific & fact.entities:
            return 1.0
        if self.names(fact.context, self.specific, self.in_context):
            return 1.0
        rival = bool(fact.entity_types & self.specific_types)
        refers_back = bool(REFERS_BACK.search(fact.text))  # 该项目: the story's subject
        in_story = self.names(fact.story, self.specific_names, self.in_story)
        if (refers_back or not rival) and in_story:
            return IN_STORY_ENTITY
        return OTHER_ENTITY

    @staticmethod
    def names(text: str, names: Collection[str], seen: dict[str, bool]) -> bool:
        """Whether the text holds one of the names; `seen` remembers, since many facts share
        their paragraph and story."""
        if text not in seen:
            seen[text] = any(name in text for name in names)
        return seen[text]

    def definition(self, fact: IndexedFact) -> float:
        """ "X是做什么的" prefers a fact that describes X: "…电缆制造商尚纬股份", "X是…"."""
        return 1.2 if any(d in fact.text for d in self.descriptions) else 1.0


def rank(
    question: Question, index: Index, named: set[str] | None = None, limit: int = 5
) -> list[Scored]:
    """The best facts for a question, best first; `named` are the entities it names."""
    if not question.tokens:
        return []
    named = find_entities(question, index) if named is None else named
    weights = {t: index.idf(t) * word_class_weight(t) for t in question.tokens}
    found = {t: index.remember(("matches", t), lambda t=t: word_matches(t, index)) for t in weights}

    named_by = {t: index.name_of[t] for t in weights if t in index.name_of}
    kinds = {k: LISTED[k[0]] for k in question.kinds if k in weights and k[0] in LISTED}

    scorer = Scorer(question, named, weights, index)
    matches = dict(found)  # the cached arrays stay as they were
    for token, name in named_by.items():  # 市中医院 names the fact's 市中医医院
        matches[token] = np.where(index.facts_of(name), 1.0, matches[token])
    for kind, listed in kinds.items():  # 哪些园区 is answered by 示范园、产业园
        lists = index.tiers[0].facts_in(index.tiers[0].matching(listed))
        matches[kind] = np.where(lists, np.maximum(matches[kind], KIND_BY_HEAD), matches[kind])
    quick_scores = scorer.coverage(matches)
    by_coverage = np.argsort(-quick_scores, kind="stable")[:PROMISING]
    promising = by_coverage[quick_scores[by_coverage] > 0].tolist()  # factors cannot lift the rest
    factors = {i: scorer.factors(index.facts[i]) for i in promising}
    quick = sorted(((quick_scores[i] * factors[i], i) for i in promising), reverse=True)
    likely = [i for _, i in quick[:FUZZY_CANDIDATES]]
    near_missed = with_near_misses(matches, likely, index)
    changed = any(near_missed[t] is not matches[t] for t in weights)
    scores = scorer.coverage(near_missed) if changed else quick_scores
    values = {i: float(scores[i] * factors[i]) for i in likely}
    best = sorted(
        (i for i in likely if values[i] > 0), key=lambda i: (-values[i], index.facts[i].fact.id)
    )
    return [  # factors above 1 only order: a score never exceeds 100
        Scored(index.facts[i], round(min(values[i], 100.0), 1), shown_entity(index.facts[i], named))
        for i in best[:limit]
    ]


def shown_entity(fact: IndexedFact, named: set[str]) -> str | None:
    """The entity an answer is shown as being about: one the question names, if it can."""
    entities = fact.fact.entities
    return next((n for n in entities if n in named), entities[0] if entities else None)
