"""`python -m bot train`: fit the answer model, pick its thresholds, write it to knowledge/.

The labelled questions are the ones generate.py makes from the fact base plus the team's own
labelled sets (the shared dev questions, tests/data/own_questions.jsonl); never the held-out
questions. A quarter of them, by a stable hash of their group, is held out of the fit: the
thresholds are picked there, for the precision policy.py states, and the report is scored there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.answer import Answerer
from bot.answer.evidence import FEATURES
from bot.answer.generate import LabelledQuestion, generated_questions
from bot.answer.model import MODEL_FILE, AnswerModel
from bot.answer.policy import LENIENT_PRECISION, STRICT_PRECISION, AnswerPolicy
from bot.answer.question import analyse
from bot.answer.segmenter import TAGS, Segmenter
from bot.facts.model import Fact, FactBase, Source, Story
from bot.facts.store import KnowledgeError, load_factbase
from bot.files import write_atomically

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SETS = (
    ROOT.parent / "shared" / "eval" / "dev.jsonl",
    ROOT / "tests/data/own_questions.jsonl",
)
HELD_OUT_SHARE = 4  # one group in this many is kept out of the fit
REAL_WEIGHT = 6.0  # a question a person wrote counts this many generated ones
REGULARISATION = 1.0  # scikit-learn's C
BACKGROUND_STORIES, BACKGROUND_FACTS = 30, 20  # background: unrelated text (with_background)
BACKGROUND_SENTENCE = 12  # words per background sentence
BACKGROUND_WORDS = 8000  # drawn from jieba's commonest words
BACKGROUND_SEED = 12
STRANGERS = 200  # nouns that stand for a topic beside the corpus in generated negatives
DEPTH = 3  # the ranker's first candidates a question contributes: the decision is about those


def norm(text: str) -> str:
    """As the evaluation compares: NFKC, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def labelled_sets(paths: list[Path]) -> list[LabelledQuestion]:
    found = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                expect = tuple(item.get("expect") or ())
                found.append(LabelledQuestion(item["q"], expect, item["q"], origin=path.name))
    return found


def stranger_nouns(answerer: Answerer, count: int = STRANGERS) -> list[str]:
    """The commonest two-character nouns of jieba's dictionary that the articles never use."""
    segmenter = answerer.index.segmenter
    nouns = [
        word
        for word, tag in TAGS.items()
        if tag == "n" and len(word) == 2 and not answerer.index.uses(word)
    ]
    return sorted(nouns, key=lambda w: (-segmenter.freq(w), w))[:count]


def with_background(factbase: FactBase, segmenter: Segmenter) -> FactBase:
    """The fact base plus stories of everyday words in random order, which answer nothing:
    the engine will meet articles beside its topic, where a question's everyday words find
    a sentence that shares them (晚上 in 晚上失眠怎么办); the seeds alone never show that."""
    rng = random.Random(BACKGROUND_SEED)
    words = sorted(
        (w for w, tag in TAGS.items() if len(w) >= 2 and tag[0] in "nvat"),
        key=lambda w: (-segmenter.freq(w), w),
    )[:BACKGROUND_WORDS]
    stories, facts = [], []
    for number in range(BACKGROUND_STORIES):
        sentences = [
            "".join(rng.choices(words, k=BACKGROUND_SENTENCE)) + "。"
            for _ in range(BACKGROUND_FACTS)
        ]
        story = Story(
            f"bg-{number}", f"background-{number}.txt", sentences[0][:12], "", "", sentences
        )
        stories.append(story)
        for position, sentence in enumerate(sentences, start=1):
            source = Source(story.file, story.title, paragraph=position)
            facts.append(Fact(f"bg-{number}-{position}", sentence, source))
    return FactBase(factbase.stories + stories, factbase.entities, factbase.facts + facts)


def held_out(question: LabelledQuestion) -> bool:
    digest = hashlib.sha256(question.group.encode("utf-8")).digest()
    return digest[0] % HELD_OUT_SHARE == 0


@dataclass
class Rows:
    """Evidence rows and labels of the labelled candidates, and which question each is of."""

    x: list[list[float]]
    y: list[int]
    question: list[int]  # position of the row's question
    weight: list[float]


def rows_of(answerer: Answerer, questions: list[LabelledQuestion]) -> Rows:
    rows = Rows([], [], [], [])
    index = answerer.index
    for number, item in enumerate(questions):
        parsed = analyse(item.text, index.uses, index.segmenter)
        if not parsed.text:
            continue
        _, ranked, evidence = answerer.candidates(parsed)
        unsure = set(index.names_of.get(item.unsure, [item.unsure]))
        for scored, row in list(zip(ranked, evidence, strict=True))[:DEPTH]:
            if item.unsure and (
                item.unsure in scored.fact.entities or any(a in scored.fact.text for a in unsure)
            ):
                continue  # the sibling or the other year may well have its own answer: no label
            right = any(norm(e) in norm(scored.fact.fact.text) for e in item.expect)
            rows.x.append(row)
            rows.y.append(int(right))
            rows.question.append(number)
            rows.weight.append(1.0 if item.origin == "generated" else REAL_WEIGHT)
    return rows


def fit(rows: Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(mean, scale, coefficients, intercept) of a logistic regression on standardised rows."""
    from sklearn.linear_model import LogisticRegression

    x = np.array(rows.x, dtype=float)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=REGULARISATION, max_iter=5000, solver="lbfgs")
    model.fit((x - mean) / scale, np.array(rows.y), sample_weight=np.array(rows.weight))
    return mean, scale, model.coef_[0], float(model.intercept_[0])


@dataclass
class Decision:
    """Per question: the model's best candidate's probability, and whether it is right."""

    chance: float
    right: bool
    answerable: bool


def decisions(model: AnswerModel, rows: Rows, questions: list[LabelledQuestion]) -> list[Decision]:
    best: dict[int, tuple[float, int]] = {}
    for row, label, number in zip(rows.x, rows.y, rows.question, strict=True):
        chance = model.probability(row)
        if number not in best or chance > best[number][0]:
            best[number] = (chance, label)
    return [
        Decision(chance, bool(label), bool(questions[n].expect))
        for n, (chance, label) in sorted(best.items())
    ]


def pick_threshold(found: list[Decision], precision: float) -> float:
    """The lowest score (0-100, whole) at which the answered questions are right at least
    `precision` of the time."""
    for score in range(100):
        answered = [d for d in found if 100 * d.chance >= score]
        if answered and sum(d.right for d in answered) / len(answered) >= precision:
            return float(score)
    return 99.0


def report(found: list[Decision], threshold: float) -> str:
    answerable = [d for d in found if d.answerable]
    others = [d for d in found if not d.answerable]
    answered = [d for d in found if 100 * d.chance >= threshold]
    right = sum(d.right for d in answerable if 100 * d.chance >= threshold)
    abstained = sum(100 * d.chance < threshold for d in others)
    precision = sum(d.right for d in answered) / max(1, len(answered))
    return (
        f"at {threshold:g}: precision {precision:.3f}, answered right {right}/{len(answerable)}, "
        f"abstained {abstained}/{len(others)}"
    )


def train(knowledge_dir: Path, sets: list[Path], say=print) -> AnswerModel:
    """Fit, pick thresholds on the held-out split, write knowledge/answer_model.json."""
    factbase = load_factbase(knowledge_dir)
    plain = Answerer(factbase)
    strangers = stranger_nouns(plain)
    generated = generated_questions(factbase, plain.thesaurus, strangers)
    answerer = Answerer(with_background(factbase, plain.index.segmenter))
    questions = generated + labelled_sets(sets)
    fitting = [q for q in questions if not held_out(q)]
    kept = [q for q in questions if held_out(q)]
    say(f"{len(questions)} labelled questions: {len(fitting)} to fit, {len(kept)} held out")
    mean, scale, coef, intercept = fit(rows_of(answerer, fitting))
    unpicked = AnswerModel(
        FEATURES, tuple(mean), tuple(scale), tuple(coef), intercept, AnswerPolicy()
    )
    found = decisions(unpicked, rows_of(answerer, kept), kept)
    lenient = pick_threshold(found, LENIENT_PRECISION)
    strict = max(lenient, pick_threshold(found, STRICT_PRECISION))
    policy = AnswerPolicy(lenient=lenient, strict=strict)
    model = AnswerModel(FEATURES, tuple(mean), tuple(scale), tuple(coef), intercept, policy)
    write_atomically(knowledge_dir / MODEL_FILE, model.to_json())
    say(f"held out, lenient {report(found, lenient)}")
    say(f"held out, strict  {report(found, strict)}")
    for feature, weight in model.weights().items():
        say(f"  {feature:<22} {weight:+.3f}")
    say(f"wrote {knowledge_dir / MODEL_FILE}")
    return model


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot train", description=__doc__)
    parser.add_argument("--knowledge", type=Path, default=None, help="knowledge folder")
    parser.add_argument(
        "--questions", type=Path, nargs="*", default=None, help="labelled JSONL question sets"
    )
    args = parser.parse_args(argv)
    from bot.config import Config, ConfigError

    try:
        knowledge = args.knowledge or Config.from_env().knowledge_dir
        sets = [p for p in (args.questions if args.questions is not None else DEFAULT_SETS)]
        missing = [str(p) for p in sets if not p.exists()]
        if missing:
            print(f"train: no such question set: {', '.join(missing)}", file=sys.stderr)
            return 1
        train(knowledge, sets)
    except (KnowledgeError, ConfigError) as exc:
        print(f"train failed, nothing written: {exc}", file=sys.stderr)
        return 1
    return 0
