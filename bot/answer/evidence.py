"""Evidence that a candidate fact answers the question, as numbers a fitted model can weigh.

The ranker (rank.py) proposes candidates; this module says, for each (question, candidate),
what speaks for and against it: is the asked entity the subject of the answering clause, is the
question's predicate stated (in any wording), is there an answer of the wanted type, does the
time agree. model.py turns these into one calibrated probability.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.answer.cues import describes, entries_asked, only_listed
from bot.answer.index import Index
from bot.answer.indexed import IndexedFact
from bot.answer.lexicon import LEXICON
from bot.answer.question import Question
from bot.answer.rank import Scored, defined_names
from bot.answer.thesaurus import Thesaurus
from bot.facts import parse
from bot.facts.model import Person
from bot.text import normalise, sound_string

MAX_UNSTATED = 3  # more missing words say no more
PHASE = re.compile(r"[一二三四五首]期")  # a project's phase: 一期, 二期, 首期
ROLE = re.compile(rf"(?<!副)(?:{parse.ROLE_WORDS})")  # a post named in a question
COUNT = r"[0-9一二三四五六七八九十两百千]+[个家座项条大种所名位]?"  # before the counted noun
# Entity types a reader takes for one another's rivals as a clause's subject: the alliance for the
# company asked about, the park that holds the project asked about.
RIVAL_KINDS = ({"company", "organisation"}, {"project", "park"})
CLAUSE = re.compile(r"[^，。；：！？,;:!?]+")

# The evidence features, in the model's order. Each is documented where it is computed.
FEATURES = (
    "rank_score",
    "gap_to_best",
    "is_first",
    "subject_in_clause",
    "subject_in_fact",
    "subject_around",
    "subject_missing",
    "rival_subject",
    "focus_unstated",
    "predicate_share",
    "predicate_by_synonym",
    "missing_weight",
    "unstated_words",
    "story_share",
    "type_misfit",
    "time_agrees",
    "time_differs",
)


@dataclass(frozen=True)
class Asked:
    """What the question asks, worked out once for all its candidates."""

    question: Question
    specific: tuple[str, ...]  # entities it names, bar those named all over the corpus
    aliases: tuple[str, ...]  # the normalised names of `specific`
    predicates: tuple[tuple[str, float], ...]  # content words that are no name, with weights
    unknown_share: float  # weight share of words the articles never use
    # the words the articles never print, each with its core word if it is a compound of two
    # dictionary words (工会工作 → 工会), else ""
    unprinted: tuple[tuple[str, str], ...] = ()
    defined: tuple[str, ...] = ()  # what a definition question asks about (rank.defined_names)


def asked_of(question: Question, named: set[str], index: Index, weights: dict[str, float]) -> Asked:
    specific = tuple(sorted(named - index.common_entities))
    aliases = tuple(a for name in specific for a in index.names_of.get(name, []))
    name_sounds = {sound_string(a) for name in named for a in index.names_of.get(name, [])}
    predicates = tuple(  # a name, also as typed by its sound (尚维 for 尚纬), is no predicate
        (t, weights.get(t, 1.0))
        for t in question.tokens
        if not any(sound_string(t) in a or a in sound_string(t) for a in name_sounds)
    )
    total = sum(weights.values()) or 1.0
    unknown = sum(w for t, w in weights.items() if not index.uses(t))
    unprinted = tuple(
        (word, core_word(word, index.segmenter.freq) or "")
        for word, _ in predicates
        if not index.uses(word)
    )
    defined = tuple(defined_names(question, named, index))
    return Asked(question, specific, aliases, predicates, unknown / total, unprinted, defined)


def core_word(word: str, freq: Callable[[str], int]) -> str | None:
    """工会工作 → 工会: of a compound of two dictionary words (two characters or more each), the
    rarer one, which says what the compound is about (工作 says little); None for a word that
    is no such compound."""
    splits = [
        (word[:k], word[k:]) for k in range(2, len(word) - 1) if freq(word[:k]) and freq(word[k:])
    ]
    best = max(splits, key=lambda pair: min(map(freq, pair)), default=None)
    return min(best, key=lambda half: (freq(half), half)) if best else None


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
        # the number in the unit asked for (连续5年 for 连续几年), not the first one printed
        wanted = [n for n in wanted if question.unit and question.unit in n] or wanted
    elif question.wants_date:
        wanted = [normalise(d) for d in fact.fact.dates] + sorted(fact.years)
    elif question.wants_person:
        wanted = [p.name for p in fact.fact.people]
    positions = [text.find(w) for w in wanted if w and w in text]
    return min(positions) if positions else None


def subject_span(text: str, slot: int | None) -> tuple[str, bool]:
    """Where the answering clause names its subject, and whether it is read ahead of the answer:
    the text before the answer; the clause it opens and the next when the answer comes first
    (2025年7月，液流电池产业联盟…成立: a time said before the subject; subject_evidence goes
    back to the text before when nothing is named there); with no answer slot, the first
    clause."""
    if slot is None:
        return (clauses(text) or [(0, text)])[0][1], False
    before = text[:slot].rstrip()
    if before and before[-1] not in "，。；：,;:“":
        return text[:slot], False
    after = clauses(text[slot:])
    end = slot + after[1][0] + len(after[1][1]) if len(after) > 1 else len(text)
    return text[slot:end], True


def is_asked_for(asked: Asked, name: str, lead: str, index: Index) -> bool:
    """The entity is what the question asks for, so no rival of its subject: an item of the list
    a 哪些 question wants, one of the kind asked (哪个园区: …产业园区), a park or place where
    the question asks where."""
    question = asked.question
    aliases = index.names_of.get(name, [])
    return (
        (question.wants_list and only_listed(lead, aliases))
        or any(a.endswith(kind) for a in [name, *aliases] for kind in question.kinds)
        or (question.wants_place and index.types.get(name) in ("park", "place"))
    )


def subject_evidence(
    asked: Asked, fact: IndexedFact, slot: int | None, index: Index
) -> list[float]:
    """subject_in_clause: the entity named nearest the answer in its subject span (subject_span)
    is an asked one; subject_in_fact: one is named anywhere in the fact; subject_around: only
    linked, or named in the sentence before or the paragraph; subject_missing: none of these;
    rival_subject: the nearest is another entity of an asked type or its rival kind
    (RIVAL_KINDS: the alliance in the story, the park that holds the project, the neighbour
    company), unless the question asks for it (is_asked_for). A fact that describes
    the one a definition question asks about is about it. All 0 when the question names no
    entity."""
    if not asked.specific:
        return [0.0, 0.0, 0.0, 0.0, 0.0]
    text = fact.text
    if asked.defined and describes(text, asked.defined):
        return [1.0, 1.0, 0.0, 0.0, 0.0]  # 半导体器件供应商希尔电子: says what the asked one is
    others = {  # linked, so named in the fact
        name: index.names_of.get(name, [])
        for name in fact.entities - set(asked.specific) - index.common_entities
    }
    lead, ahead = subject_span(text, slot)
    if ahead and not any(a in lead for names in [asked.aliases, *others.values()] for a in names):
        lead, ahead = text[:slot], False  # 伟力得在乐山落户，2021年12月建成投产: named before

    def nearness(alias: str) -> int:
        """How near the answer the alias is named in the lead (higher is nearer), -1 if not."""
        if not ahead:
            return lead.rfind(alias)
        at = lead.find(alias)
        return len(lead) - at if at >= 0 else -1

    asked_at = max(nearness(a) for a in asked.aliases)
    asked_types = {index.types.get(name) for name in asked.specific}
    asked_types |= {kind for kinds in RIVAL_KINDS if asked_types & kinds for kind in kinds}
    other_at = rival_at = -1
    for name, aliases in others.items():
        rival = index.types.get(name) in asked_types and not is_asked_for(asked, name, lead, index)
        for alias in aliases:
            if any(alias in a for a in asked.aliases) or (at := nearness(alias)) < 0:
                continue
            other_at = max(other_at, at)
            if rival:
                rival_at = max(rival_at, at)
    in_fact = any(a in text for a in asked.aliases)
    around = bool(set(asked.specific) & fact.entities) or any(
        a in fact.near or a in fact.context for a in asked.aliases
    )
    return [
        float(asked_at >= 0 and asked_at >= other_at),
        float(in_fact),
        float(around and not in_fact),
        float(not around and not in_fact),
        float(rival_at > asked_at),
    ]


def stated(
    word: str, text: str, thesaurus: Thesaurus, unprinted: dict[str, str] | None = None
) -> tuple[bool, bool]:
    """(as written, by a synonym) in the text; a corpus short form (营收 → 营业收入) counts as
    a synonym through the lexicon's variants. A word the articles never print counts so when
    its core word is stated (工会工作: 工会) or its sound is (蝶川 typed for 叠川)."""
    if word in text:
        return True, False
    if any(s in text for s in thesaurus.synonyms(word)):
        return False, True
    if len(word) == 2 and word[1] in LEXICON.noun_suffixes and word[0] in text:
        return False, True  # 牌子 for 铭牌, 竹子 for 竹原料: the root carries the meaning
    if unprinted is None or word not in unprinted:
        return False, False
    core = unprinted[word]
    by_core = bool(core) and any(stated(core, text, thesaurus))
    return False, by_core or (len(word) >= 2 and sound_string(word) in sound_string(text))


def predicate_evidence(asked: Asked, fact: IndexedFact, thesaurus: Thesaurus) -> list[float]:
    """focus_unstated: the word next to the asking word (总投资 in 总投资多少), or the event a
    when-question asks of (开工 in 哪一年开工), is not stated in the fact, in any wording;
    predicate_share: the weight share of the question's non-name words the fact states, as
    written or by a synonym; predicate_by_synonym: the share found only by a synonym;
    missing_weight: the heaviest such word found nowhere near the fact (fact, sentence before,
    paragraph), as a share of the question's weight;
    unstated_words: how many words are so missing, whatever their weight (the ranker weighs
    an everyday word the articles never use lightly, yet 失眠 is the topic of 晚上失眠怎么办)."""
    question = asked.question
    unprinted = dict(asked.unprinted)
    # 哪些环节: a list names the kind by example (设计、研发、生产), not as such
    by_example = question.kinds if question.wants_list and fact.has_list else set()
    focus = sorted((question.focus | question.events) - by_example)
    focus_hits = [any(stated(w, fact.text, thesaurus, unprinted)) for w in focus]
    total = sum(w for _, w in asked.predicates) or 1.0
    found = by_synonym = 0.0
    missing = 0.0
    unstated = 0
    surroundings = fact.near + " " + fact.context
    for word, weight in asked.predicates:
        exact, synonym = stated(word, fact.text, thesaurus, unprinted)
        synonym = synonym or (not exact and word in by_example)
        if exact or synonym:
            found += weight
            by_synonym += weight if synonym else 0.0
        elif not any(stated(word, surroundings, thesaurus, unprinted)):
            missing = max(missing, weight)
            unstated += 1
    return [
        float(bool(focus) and not all(focus_hits)),
        found / total,
        by_synonym / total,
        missing / total,
        float(min(unstated, MAX_UNSTATED)),
    ]


def story_evidence(asked: Asked, fact: IndexedFact, thesaurus: Thesaurus) -> list[float]:
    """story_share: the share of the question's words, names included, that the fact's story
    states in any wording, each word counted once whatever its weight: a question about 乐山
    is not answered by a story that never names it, however well one sentence matches."""
    words = asked.question.tokens
    if not words:
        return [0.0]
    return [sum(any(stated(w, fact.story, thesaurus)) for w in words) / len(words)]


def type_evidence(
    question: Question, fact: IndexedFact, defined: tuple[str, ...] = ()
) -> list[float]:
    """type_misfit: the question wants a number, date, person or list and the fact has none
    (a number in another unit than the one asked for is none, a reporter is no person unless
    the question asks about the reporting), or asks what `defined` is and the fact only lists
    it among others (cues.only_listed); 0 when no kind is asked."""
    if question.wants_number and any(counts(fact.text, noun) for noun in question.focus):
        return [0.0]  # 五大基地 for 几个基地: a count of the very thing asked, in words
    fits: list[float] = []
    for cue in entries_asked(question.text):
        if cue.answer_kind:
            fits.append(1.0 if cue.holds(fact) else 0.0)
    if question.wants_person and (roles := asked_roles(question.text)):  # 主任 is no 副主任
        fits.append(float(any(re.search(f"(?<!副){role}", fact.text) for role in roles)))
    if question.wants_person and only_those_asked_about(question.text, fact.fact.people):
        fits.append(0.0)  # 雷建新的上一任 is someone other than 雷建新
    reporting = LEXICON.reporting_words
    if question.wants_person and not any(word in question.text for word in reporting):
        # 委员讲堂是谁来讲的 is not answered by the story's byline (作者：羊科 记者 杨心梅)
        fits.append(float(any(p.role not in reporting for p in fact.fact.people)))
    if defined and only_listed(fact.text, defined):  # 希尔电子、嘉洋科技等: not what it is
        fits.append(0.0)
    if question.wants_number and question.unit and fact.fact.numbers:  # the unit asked for
        unit = question.unit
        if unit not in fact.units and not any(unit in n for n in fact.fact.numbers):
            fits.append(0.0)
    return [1.0 - min(fits)] if fits else [0.0]


def only_those_asked_about(text: str, people: list[Person]) -> bool:
    """Every person the fact names is named in the question, which asks 谁 yet not who that
    one is (雷建新之前的上一任主席是谁, not 雷建新是谁): the answer is someone else."""
    named = [p.name for p in people if p.name in text]
    if not people or len(named) < len(people):
        return False
    return not any(
        f"谁是{name}" in text or any(name + ask in text for ask in LEXICON.identity_asks)
        for name in named
    )


def asked_roles(text: str) -> list[str]:
    """The posts a 谁 question names, as it names them: 主任 in 卫生健康委主任是谁."""
    return [m.group(0) for m in ROLE.finditer(text)]


def counts(text: str, noun: str) -> bool:
    """The text counts the noun: 五大基地, 3个基地, 两座基地."""
    return bool(re.search(f"{COUNT}{re.escape(noun)}", text))


def time_evidence(question: Question, fact: IndexedFact) -> list[float]:
    """time_agrees: the question names a year, plan period or phase (二期), and the fact (or,
    stating no year, its paragraph or its story's date) is of that one; time_differs: the fact
    states only others. Two features, not one signed: a fact of the asked year says a little
    for it, one of another year says much against it (2022年 asked, 2023年 stated)."""
    phases = set(PHASE.findall(question.text))
    stated_phases = set(PHASE.findall(fact.text))
    if phases and stated_phases and not phases & stated_phases:
        return [0.0, 1.0]  # 二期 asked, only 一期 stated: the figure asked for is not there
    asked = set(question.years)
    if not asked:
        return [float(bool(phases & stated_phases)), 0.0]
    stated = {t for t in fact.years if t.isdigit() == any(a.isdigit() for a in asked)}
    if stated:  # years with years, plan periods with plan periods: 较“十三五”末 is no year
        agrees = bool(asked & stated)
        return [float(agrees), float(not agrees)]
    if goal_before_its_story(question, fact):
        return [0.0, 1.0]  # 2023年工业总产值 asked; 力争通过3—5年努力，工业总产值达… stated
    # a fact stating no year is of its paragraph's years or, saying 目前, of its story's date:
    # each may agree, neither says it is of another time
    around = set(fact.paragraph_years) | {fact.fact.source.date[:4]}
    return [float(bool(asked & around)), 0.0]


def goal_before_its_story(question: Question, fact: IndexedFact) -> bool:
    """The fact states no year and is a goal or forecast (力争, 预计: LEXICON.goal_words), so it
    is of its story's year or later, while the question, asking for no goal itself, names only
    years before the story's: the figure asked for is what happened then, not what is aimed at."""
    story_year = fact.fact.source.date[:4]
    goals = LEXICON.goal_words
    asked = [year for year in question.years if year.isdigit()]
    return (
        story_year.isdigit()
        and bool(asked)
        and all(year < story_year for year in asked)
        and any(word in fact.text for word in goals)
        and not any(word in question.text for word in goals)
    )


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
        row += subject_evidence(asked, fact, slot, index)
        row += predicate_evidence(asked, fact, thesaurus)
        row += story_evidence(asked, fact, thesaurus)
        row += type_evidence(asked.question, fact, asked.defined)
        row += time_evidence(asked.question, fact)
        rows.append([round(value, 6) for value in row])
    return rows
