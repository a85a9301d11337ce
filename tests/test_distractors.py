"""Unrelated articles must not make the bot answer what it should not, nor lose what it knew.

The 77 real articles of ../shared/distract (news about other places and topics) are added to
a copy of the seeds and built; the dev questions asked of that fact base must score acc1 and
abstain at most 3 points below the seeds alone. Nothing was ever tuned on these articles.
"""

import io
import json
import shutil
from pathlib import Path

import pytest
from test_dev_quality import DEV, score

from bot.answer import load_answerer
from bot.ask import run_batch
from bot.facts.build import build

ROOT = Path(__file__).resolve().parent.parent
DISTRACT = ROOT.parent / "shared" / "distract"
MAX_DROP = 0.03


def dev_scores(knowledge: Path) -> dict[str, float]:
    questions = [json.loads(line) for line in DEV.read_text("utf-8").splitlines() if line]
    payload = "".join(json.dumps({"id": q["id"], "q": q["q"]}) + "\n" for q in questions)
    out = io.StringIO()
    run_batch(load_answerer(knowledge), io.StringIO(payload), out)
    return score(questions, [json.loads(line) for line in out.getvalue().splitlines()])


@pytest.fixture(scope="module")
def with_distractors(tmp_path_factory) -> dict[str, float]:
    if not DEV.exists() or not DISTRACT.is_dir():
        pytest.skip("../shared/eval or ../shared/distract is absent")
    seeds = tmp_path_factory.mktemp("seeds")
    for path in [*(ROOT / "seeds").iterdir(), *DISTRACT.glob("*.txt")]:
        shutil.copy(path, seeds / path.name)
    knowledge = tmp_path_factory.mktemp("knowledge")
    shutil.copy(ROOT / "knowledge" / "curated.yaml", knowledge)
    build(seeds, knowledge, say=lambda *_: None)
    return dev_scores(knowledge)


def test_unrelated_articles_cost_at_most_three_points(with_distractors):
    alone = dev_scores(ROOT / "knowledge")
    report = {k: f"{alone[k]:.3f} → {with_distractors[k]:.3f}" for k in ("acc1", "abstain")}
    assert alone["acc1"] - with_distractors["acc1"] <= MAX_DROP, report
    assert alone["abstain"] - with_distractors["abstain"] <= MAX_DROP, report


def test_unrelated_articles_do_not_lower_accuracy(with_distractors):
    alone = dev_scores(ROOT / "knowledge")
    assert alone["acc1"] - with_distractors["acc1"] <= MAX_DROP


def test_unrelated_stories_leave_the_common_entities_as_they_are():
    """乐山高新区 is named in a fifth or more of the facts of three stories: it names no one
    thing, whatever else the corpus holds, even stories that say 高新区 once in passing (the
    alias links those to it). Counting over every fact of the corpus, 40 such stories made it
    a specific entity again."""
    from bot.answer.index import common_entities
    from bot.facts.model import Fact, FactBase, Source, Story
    from bot.facts.store import load_factbase

    seeds = load_factbase(ROOT / "knowledge")
    park = "乐山国家高新技术产业开发区"
    stories, facts = [], []
    for number in range(40):
        sentences = [f"其他地方的第{i}条新闻。" for i in range(30)]
        story = Story(f"other-{number}", f"other-{number}.txt", "其他新闻", "", "", sentences)
        stories.append(story)
        for i, sentence in enumerate(sentences):
            linked = [park] if i == 0 else []  # 高新区 said once
            facts.append(Fact(f"o{number}-{i}", sentence, Source(story.file, story.title), linked))
    grown = FactBase(seeds.stories + stories, seeds.entities, seeds.facts + facts)
    assert common_entities(seeds) == common_entities(grown) == {park}
