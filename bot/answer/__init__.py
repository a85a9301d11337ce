"""The answer engine: question in, ranked and sourced answers (or an honest "not found") out.

Nothing here knows about Telegram; every surface calls `Answerer.ask`.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.answer.evidence import asked_of, evidence_rows
from bot.answer.index import Index, build_index
from bot.answer.lexicon import LEXICON
from bot.answer.model import AnswerModel, ModelError, load_model, project_model
from bot.answer.parameters import RANKING, RankParameters
from bot.answer.policy import DEFAULT_POLICY, AnswerPolicy
from bot.answer.question import Question, analyse
from bot.answer.rank import Scored, find_entities, rank, word_weights
from bot.answer.result import MAX_ANSWER_CHARS, Answer, Hit
from bot.answer.runtime import load_engine_data
from bot.answer.segmenter import Segmenter
from bot.answer.thesaurus import Thesaurus, load_thesaurus
from bot.facts.model import Fact, FactBase
from bot.facts.parse import NUMBER
from bot.facts.store import KnowledgeError
from bot.text import warm_sounds

__all__ = ["Answer", "AnswerPolicy", "Answerer", "Hit", "KnowledgeError", "load_answerer"]

MID_SENTENCE = re.compile(r"[就对在为从将把被与和而其]|作为|通过|按照|围绕|同时|此外|目前")
EMPTY_NOTICE = "问题是空的。请直接输入想问的问题，例如：伟力得的副总经理是谁？"
CANDIDATES = 20  # the ranker's best facts, each then judged on its evidence
SHOWN = 5  # hits an answer carries


def trim(text: str) -> str:
    """At most MAX_ANSWER_CHARS, cut after a clause when possible."""
    if len(text) <= MAX_ANSWER_CHARS:
        return text
    cut = text[: MAX_ANSWER_CHARS - 1]
    end = max(cut.rfind(mark) for mark in "。；，")
    return (cut[: end + 1] if end > MAX_ANSWER_CHARS // 2 else cut) + "…"


def thesaurus() -> Thesaurus:
    """Cilin with the lexicon's corpus variants (营收 ↔ 营业收入)."""
    return load_thesaurus(tuple(sorted(LEXICON.synonyms.items())))


class Answerer:
    """Question → candidates (rank.py) → evidence (evidence.py) → decision (model + policy)."""

    def __init__(
        self,
        factbase: FactBase,
        model: AnswerModel | None = None,
        index: Index | None = None,
        parameters: RankParameters = RANKING,
    ) -> None:
        """`model`: by default the project's (knowledge/answer_model.json). Without one the
        engine can rank and gather evidence (for training), not ask. `index`: the fact base's,
        when already built (runtime.py). `parameters`: the ranker's numbers (parameters.py)."""
        self.factbase = factbase
        self.parameters = parameters
        self.index: Index = index or build_index(factbase)
        self.model = model or project_model()
        self.policy: AnswerPolicy = self.model.policy if self.model else DEFAULT_POLICY
        self.thesaurus = thesaurus()

    def warm_up(self) -> None:
        """Look up the sounds of the common characters ahead (bot.text.warm_sounds), which a
        question's first words would otherwise wait for. Nothing per word is worked out ahead:
        a word's evidence is the texts that hold it (rank.WordEvidence), found when first asked
        about (well under a millisecond on the seeds, up to about 25 ms for the commonest words
        at 10,000 articles) and kept (cache.py); working out the articles' words ahead took a
        pass over every fact, minutes at 10,000 articles."""
        warm_sounds()

    def hit(self, scored: Scored, probability: float) -> Hit:
        fact = scored.fact.fact
        return Hit(
            fact.id, trim(fact.text), scored.entity, fact.source, round(100 * probability, 1)
        )

    def candidates(self, parsed: Question) -> tuple[set[str], list[Scored], list[list[float]]]:
        """The entities the question names, the ranker's candidates and each one's evidence."""
        named = find_entities(parsed, self.index, self.parameters)
        ranked = rank(parsed, self.index, named, CANDIDATES, self.parameters)
        weights = word_weights(parsed, self.index, self.parameters)
        asked = asked_of(parsed, named, self.index, weights)
        return named, ranked, evidence_rows(asked, ranked, self.index, self.thesaurus)

    def ask(self, question: str, *, strict: bool = False) -> Answer:
        if self.model is None:
            raise ModelError("this engine has no answer model: it can rank, not decide")
        parsed = analyse(question, self.index.uses, self.index.segmenter)
        if not parsed.text:
            return Answer(question=parsed.raw, normalised="", found=False, notice=EMPTY_NOTICE)
        named, ranked, rows = self.candidates(parsed)
        chances = [self.model.probability(row) for row in rows]
        order = sorted(range(len(ranked)), key=lambda i: (-chances[i], i))
        hits = tuple(self.hit(ranked[i], chances[i]) for i in order)
        score = hits[0].score if hits else 0.0
        found = bool(hits) and self.policy.answers(score, strict)
        return Answer(
            question=parsed.raw,
            normalised=parsed.text,
            found=found,
            hits=hits[:SHOWN] if found else (),
            suggestions=() if found else self.policy.suggestions(hits),
            notice=parsed.notice,
            entities=tuple(sorted(named)),
            score=score,
        )

    def related(self, fact_id: str, limit: int = 3) -> list[Hit]:
        """Other facts about the same entities: most shared entities, then nearest in the story.
        `fact_id` may be a layer fact's (layers.py); the related ones are the articles' own."""
        fact = next((f.fact for f in self.index.facts if f.fact.id == fact_id), None)
        if fact is None:
            return []
        story = (fact.source.file, fact.source.title)

        def closeness(other: Fact) -> tuple[int, int, str]:
            same_story = (other.source.file, other.source.title) == story
            distance = abs(other.source.paragraph - fact.source.paragraph) if same_story else 99
            return (-len(set(fact.entities) & set(other.entities)), distance, other.id)

        others = [
            o.fact
            for o in self.index.facts
            if o.fact.id != fact_id
            and set(fact.entities) & o.entities
            and self.factbase.fact(o.fact.id) is not None
        ]
        return [
            Hit(o.id, trim(o.text), min(set(fact.entities) & set(o.entities)), o.source, 0.0)
            for o in sorted(others, key=closeness)[:limit]
        ]

    def examples(self, n: int = 3) -> list[str]:
        """Questions the bot answers correctly, made from facts that state a number."""
        examples: list[str] = []
        stories_used: set[str] = set()
        for indexed in self.index.facts:
            fact = indexed.fact
            if len(examples) >= n or fact.source.title in stories_used:
                continue
            question = question_about(fact.text, fact.entities, self.index.segmenter)
            top = self.ask(question).top if question else None
            if top and top.fact_id == fact.id:
                examples.append(question)
                stories_used.add(fact.source.title)
        return examples


def question_about(text: str, entities: list[str], segmenter: Segmenter) -> str | None:
    """ "…已落地7个项目…" → "…已落地多少个项目？": a clause with a number, the number asked for."""
    for clause in re.split(r"[，。；：！？]", text):
        m = NUMBER.search(clause)
        if not m or not 8 <= len(clause) <= 30 or m["unit"] == "年":
            continue
        asked = clause[: m.start()].rstrip("约近超达突破")
        if len(asked) < 4 or MID_SENTENCE.match(asked):
            continue  # a clause that starts mid-sentence makes no question
        counted = m["unit"] if m["unit"] in LEXICON.classifiers else ""  # 7个项目 → 多少个项目
        what = ""
        for word in segmenter.cut(clause[m.end() :]) if counted else ():
            if not word.strip() or word in "、，的之" or len(what + word) > 8:
                break
            what += word
        subject = next((e for e in entities if e not in asked and len(e) <= 8), "")
        verb = "有" if asked in entities else ""
        return f"{subject}{asked}{verb}多少{counted}{what}？"
    return None


def load_answerer(knowledge_dir: Path) -> Answerer:
    """Load the fact base and its index (from the runtime cache when it matches, runtime.py);
    raises KnowledgeError (file and reason) when it cannot be used."""
    reason = "a record has a value of the wrong kind"
    try:
        factbase, index = load_engine_data(Path(knowledge_dir))
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise KnowledgeError(f"{knowledge_dir}: {reason} ({exc})") from exc
    try:
        model = load_model(Path(knowledge_dir))
    except ModelError as exc:
        raise KnowledgeError(str(exc)) from exc
    try:
        return Answerer(factbase, model, index)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise KnowledgeError(f"{knowledge_dir}: {reason} ({exc})") from exc
