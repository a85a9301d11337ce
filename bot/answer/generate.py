"""Training questions made from the fact base itself, with no hand-written answers.

Positives ask for what a fact states: its number, its date, the person in a role, a person's
role. Negatives ask the same about a sibling entity (another of the same type) that the fact is
not about, or ask an entity for a predicate none of its facts has. Labels come from the fact:
a candidate is right when it contains the expected phrase.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.answer.lexicon import LEXICON
from bot.answer.question import analyse
from bot.answer.thesaurus import Thesaurus
from bot.facts.model import Entity, Fact, FactBase
from bot.facts.parse import BARE_YEAR, NUMBER
from bot.text import normalise

CLAUSE_END = re.compile(r"[，。；：！？]")
SKIPPED_ROLES = {"记者", "通讯员", "实习生"}  # a byline, not a post anyone asks about
FACT_ID_LENGTH = 12  # a positive's group starts with its fact's id
MIN_ASKED, MAX_ASKED = 4, 24  # characters of a clause worth asking about
# Which of an entity's lacking predicates are asked (steps through the list from a fixed turn):
# four per entity, so that "the asked entity is not the subject" is seen about as often as a
# matching predicate, and weighs as much against an answer as a predicate stated speaks for it
LACKING_STEPS = (0, 3, 7, 11)


@dataclass(frozen=True)
class LabelledQuestion:
    text: str
    expect: tuple[str, ...]  # a right candidate contains one; empty: none is right
    group: str  # questions of one group fall on the same side of the train/held-out split
    unsure: str = ""  # negatives: candidates about this entity, or stating this text, are
    # left unlabelled (the sibling may have its own such fact; another year its own figure)
    origin: str = "generated"


def short_name(entity: Entity) -> str:
    """The shortest alias of two characters or more: how people name it in a question."""
    names = [a for a in [entity.name, *entity.aliases] if len(a) >= 2]
    return min(names, key=lambda a: (len(a), a))


def subject_of(fact: Fact, entities: dict[str, Entity], clause: str) -> tuple[str, str]:
    """(entity, short name) of the fact's first linked entity that the clause does not name
    already; ("", "") when there is none."""
    for name in fact.entities:
        entity = entities.get(name)
        if entity is None or entity.type == "person":
            continue
        short = short_name(entity)
        if short not in clause and name not in clause:
            return name, short
    return "", ""


def number_questions(fact: Fact, entities: dict[str, Entity]) -> list[LabelledQuestion]:
    """ "…已落地7个项目…" → "夹江核技术应用产业园已落地多少个项目？", expecting 7个."""
    found = []
    for clause in CLAUSE_END.split(fact.text):
        m = NUMBER.search(clause)
        if not m or m["unit"] == "年":
            continue
        asked = clause[: m.start()].rstrip("约近超达突破逾")
        if not MIN_ASKED <= len(asked) <= MAX_ASKED or asked[0] in LEXICON.stopwords:
            continue
        counted = m["unit"] if m["unit"] in LEXICON.classifiers else ""
        name, short = subject_of(fact, entities, asked)
        question = f"{short}{asked}多少{counted}？"
        number = m.group(0).lstrip("约近超过达突破")
        found.append(LabelledQuestion(question, (number,), fact.id + name))
    return found[:2]


def date_questions(fact: Fact, entities: dict[str, Entity]) -> list[LabelledQuestion]:
    """ "项目于12月18日建成投产" → "海创尚纬项目于什么时候建成投产？", expecting 12月18日."""
    found = []
    clauses = CLAUSE_END.split(fact.text)
    for date in fact.dates:
        for i, clause in enumerate(clauses):
            if date not in clause:
                continue
            rest = clause.replace(date, "什么时候", 1)
            if rest == "什么时候" and i + 1 < len(clauses):
                rest = clauses[i + 1] + "是什么时候"  # a date standing alone opens the next
            if not MIN_ASKED <= len(rest) <= MAX_ASKED + 4:
                break
            name, short = subject_of(fact, entities, rest)
            found.append(LabelledQuestion(f"{short}{rest}？", (date,), fact.id + name))
            break
    return found[:2]


def person_questions(fact: Fact, entities: dict[str, Entity]) -> list[LabelledQuestion]:
    """The person in a role ("伟力得的副总经理是谁？" → 朱晓星) and the role of a person
    ("朱晓星是什么职务？" → 副总经理)."""
    found = []
    for person in fact.people:
        if not person.role or person.role in SKIPPED_ROLES:
            continue
        where = person.organisation or subject_of(fact, entities, person.role)[1]
        if where:
            found.append(
                LabelledQuestion(f"{where}的{person.role}是谁？", (person.name,), fact.id + where)
            )
        found.append(
            LabelledQuestion(f"{person.name}是什么职务？", (person.role,), fact.id + person.name)
        )
    return found


def sibling_questions(
    positives: list[LabelledQuestion], factbase: FactBase
) -> list[LabelledQuestion]:
    """Each positive asked about another entity of the same type: the fact does not answer it."""
    by_type: dict[str, list[Entity]] = {}
    for entity in sorted(factbase.entities, key=lambda e: e.name):
        if entity.type != "person":
            by_type.setdefault(entity.type, []).append(entity)
    named = sorted(  # longest name first, so 伟力得能源 is replaced whole, not as 伟力得
        (
            (alias, members, position)
            for members in by_type.values()
            if len(members) >= 2
            for position, entity in enumerate(members)
            for alias in {entity.name, *entity.aliases}
            if len(alias) >= 2
        ),
        key=lambda row: (-len(row[0]), row[0]),
    )
    negatives = []
    for question in positives:
        for alias, members, position in named:
            if alias not in question.text:
                continue
            sibling = members[(position + 1) % len(members)]
            other = short_name(sibling)
            if other not in question.text:
                text = question.text.replace(alias, other, 1)
                negatives.append(LabelledQuestion(text, (), question.group, sibling.name))
            break
    return negatives


def synonym_questions(
    positives: list[LabelledQuestion], thesaurus: Thesaurus
) -> list[LabelledQuestion]:
    """Each positive with one word said another way (Cilin, corpus variants): the same answer
    in words the article does not use."""
    found = []
    for question in positives:
        for word in analyse(question.text).tokens:
            others = sorted(o for o in thesaurus.synonyms(word) if o not in question.text)
            if others:
                text = question.text.replace(word, others[0], 1)
                found.append(LabelledQuestion(text, question.expect, question.group))
                break
    return found


def lacking_questions(
    positives: list[LabelledQuestion], factbase: FactBase
) -> list[LabelledQuestion]:
    """An entity asked for a predicate (the focus of a number question) that no fact
    naming it states: "德世堂的营业收入是多少？" where nothing says so."""
    predicates = sorted(
        {word for q in positives if "多少" in q.text for word in analyse(q.text).focus}
    )
    facts_text = [(set(f.entities), normalise(f.text)) for f in factbase.facts]
    negatives = []
    for entity in sorted(factbase.entities, key=lambda e: e.name):
        if entity.type == "person":
            continue
        short = short_name(entity)
        about = [text for names, text in facts_text if entity.name in names or short in text]
        if not about:
            continue
        lacking = [p for p in predicates if not any(p in text for text in about)]
        turn = int(hashlib.sha256(entity.name.encode()).hexdigest(), 16)  # varied, yet fixed
        picked = {lacking[(turn + k) % len(lacking)] for k in LACKING_STEPS} if lacking else set()
        for predicate in sorted(picked):
            negatives.append(LabelledQuestion(f"{short}的{predicate}是多少？", (), entity.name))
    return negatives


def absent_questions(
    positives: list[LabelledQuestion], strangers: list[str]
) -> list[LabelledQuestion]:
    """Each positive with its focus word (the thing asked about) swapped for a common noun the
    articles never use: the rest of the question still matches, but nothing answers it, as
    with a question about a topic beside the corpus."""
    found = []
    for number, question in enumerate(positives):
        focus = sorted(analyse(question.text).focus, key=lambda w: (-len(w), w))
        if focus and strangers:
            stranger = strangers[number % len(strangers)]
            text = question.text.replace(focus[0], stranger, 1)
            found.append(LabelledQuestion(text, (), question.group))
    return found


def year_questions(positives: list[LabelledQuestion], factbase: FactBase) -> list[LabelledQuestion]:
    """A positive asked of its fact's year (a positive still), and of the year before (a
    negative: the fact is of another time)."""
    years = {f.id: sorted(set(BARE_YEAR.findall(f.text))) for f in factbase.facts}
    found = []
    for question in positives:
        stated = years.get(question.group[:FACT_ID_LENGTH], [])
        if len(stated) != 1 or BARE_YEAR.search(question.text):
            continue
        year = stated[0]
        found.append(LabelledQuestion(f"{year}年{question.text}", question.expect, question.group))
        other = str(int(year) - 1)
        found.append(LabelledQuestion(f"{other}年{question.text}", (), question.group, other))
    return found


def generated_questions(
    factbase: FactBase, thesaurus: Thesaurus, strangers: list[str]
) -> list[LabelledQuestion]:
    """Positives from every fact, their rewordings, then their negatives, in a fixed order."""
    entities = {e.name: e for e in factbase.entities}
    positives: list[LabelledQuestion] = []
    for fact in factbase.facts:
        if fact.curated:
            continue
        positives += number_questions(fact, entities)
        positives += date_questions(fact, entities)
        positives += person_questions(fact, entities)
    unique = list({q.text: q for q in positives}.values())
    reworded = synonym_questions(unique, thesaurus) + year_questions(unique, factbase)
    negatives = sibling_questions(unique, factbase) + lacking_questions(unique, factbase)
    negatives += absent_questions(unique, strangers)
    return unique + reworded + negatives
