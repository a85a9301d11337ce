"""`python -m bot build`: determinism, the summary, the curated merge and its errors."""

import re
import shutil
from pathlib import Path

import pytest

from bot.answer import load_answerer
from bot.facts.build import build, main
from bot.facts.curated import TEMPLATE
from bot.facts.store import KnowledgeError, load_factbase

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
GENERATED = ("stories.yaml", "entities.yaml", "facts.yaml")
ARTICLE_000 = "000_f791c31033d50d22.txt"
CORRECTED = "这条电堆生产线采用公司自主研发的激光全焊接密封技术，为全球首创。"
SUPPRESSED = "乐山高质量发展正按下加速键。"
STORY_000 = "四川乐山：培育新质生产力，塑造发展新动能新优势"


def quiet(_line):
    return None


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def fact_id_of(factbase, text: str) -> str:
    (fact,) = [f for f in factbase.facts if f.text == text]
    return fact.id


@pytest.fixture(scope="module")
def plain_build(tmp_path_factory):
    """The seeds built once, without curated changes (the template curated.yaml)."""
    folder = tmp_path_factory.mktemp("plain")
    lines = []
    factbase = build(SEEDS, folder, say=lines.append)
    return folder, lines, factbase


@pytest.fixture(scope="module")
def small_seeds(tmp_path_factory):
    """One article: enough for the curated checks, and quick to build."""
    seeds = tmp_path_factory.mktemp("seeds")
    shutil.copy(SEEDS / ARTICLE_000, seeds)
    return seeds


@pytest.fixture(scope="module")
def small_build(small_seeds, tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    build(small_seeds, folder, say=quiet)
    return folder, load_factbase(folder)


# Determinism and summary


def test_two_builds_give_byte_identical_files(plain_build, tmp_path):
    first, _, _ = plain_build
    build(SEEDS, tmp_path, say=quiet)
    for name in GENERATED:
        assert (first / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_build_after_loading_an_answerer_gives_the_same_files(small_seeds, small_build, tmp_path):
    first, _ = small_build
    load_answerer(first)  # as a long-running process (the bot) would before rebuilding
    build(small_seeds, tmp_path, say=quiet)
    for name in GENERATED:
        assert (first / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_summary_line_counts_articles_stories_entities_facts_and_seconds(plain_build):
    folder, lines, _ = plain_build
    summary = re.search(
        r"(\d+) articles, (\d+) stories, (\d+) entities, (\d+) facts in [\d.]+ s", lines[-1]
    )
    assert summary, lines[-1]

    def records(name, first_key):
        text = (folder / name).read_text(encoding="utf-8")
        return len(re.findall(rf"^- {first_key}: ", text, flags=re.M))

    assert int(summary[1]) == 5
    assert int(summary[2]) == records("stories.yaml", "id") >= 10
    assert int(summary[3]) == records("entities.yaml", "name") > 0
    assert int(summary[4]) == records("facts.yaml", "id") > 0


def test_build_writes_the_generated_files_and_a_curated_template(plain_build):
    folder, _, _ = plain_build
    assert {p.name for p in folder.iterdir()} == {*GENERATED, "curated.yaml", ".cache"}
    assert (folder / "curated.yaml").read_text(encoding="utf-8") == TEMPLATE
    assert all(
        (folder / n).read_text(encoding="utf-8").startswith("# Generated") for n in GENERATED
    )


def test_unreadable_article_skipped_and_reported(small_seeds, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(small_seeds, seeds)
    (seeds / "009_gbk.txt").write_bytes("# 标题\n\n乐山高新区加快发展。\n".encode("gbk"))
    lines = []
    build(seeds, tmp_path / "out", say=lines.append)
    assert any("skipped" in line and "009_gbk.txt" in line for line in lines)
    assert "done: 1 articles" in lines[-1]


# The curated merge


@pytest.fixture(scope="module")
def curated_build(small_seeds, small_build, tmp_path_factory):
    _, plain = small_build
    folder = tmp_path_factory.mktemp("curated")
    corrected, suppressed = fact_id_of(plain, CORRECTED), fact_id_of(plain, SUPPRESSED)
    (folder / "curated.yaml").write_text(
        "aliases:\n"
        "  四川伟力得能源股份有限公司: [伟力得公司]\n"
        "  乐山大佛景区: [大佛]\n"
        "entries:\n"
        "  - question: 伟力得的总部设在哪座城市？\n"
        "    answer: 伟力得的总部设在乐山，并在全国布局了五大基地。\n"
        "    entity: 四川伟力得能源股份有限公司\n"
        f"    source: {{file: {ARTICLE_000}, title: {STORY_000}, paragraph: 7}}\n"
        "corrections:\n"
        f"  {corrected}: 这条电堆生产线采用激光全焊接密封技术，良品率达到99%。\n"
        "suppress:\n"
        f"  - {suppressed}\n",
        encoding="utf-8",
    )
    build(small_seeds, folder, say=quiet)
    return folder, load_factbase(folder), corrected, suppressed


def test_curated_aliases_added(curated_build):
    _, factbase, _, _ = curated_build
    by_name = {e.name: e for e in factbase.entities}
    assert {"伟力得", "伟力得公司"} <= set(by_name["四川伟力得能源股份有限公司"].aliases)
    assert by_name["乐山大佛景区"].aliases == ["大佛"]


def test_curated_entry_becomes_a_curated_fact_with_its_source(curated_build):
    _, factbase, _, _ = curated_build
    (entry,) = [f for f in factbase.facts if f.question]
    assert entry.curated
    assert entry.text == "伟力得的总部设在乐山，并在全国布局了五大基地。"
    assert entry.source.file == ARTICLE_000
    assert (entry.source.title, entry.source.paragraph) == (STORY_000, 7)
    assert entry.source.publication == "人民日报"
    assert "四川伟力得能源股份有限公司" in entry.entities


def test_curated_entry_answered_by_the_engine(curated_build):
    folder, _, _, _ = curated_build
    answer = load_answerer(folder).ask("伟力得的总部设在哪座城市？")
    assert answer.found
    assert answer.top.answer == "伟力得的总部设在乐山，并在全国布局了五大基地。"


def test_correction_replaces_the_fact_text(curated_build):
    _, factbase, corrected, _ = curated_build
    fact = factbase.fact(corrected)
    assert fact.text == "这条电堆生产线采用激光全焊接密封技术，良品率达到99%。"
    assert fact.curated
    assert fact.numbers == ["99%"]
    assert not [f for f in factbase.facts if f.text == CORRECTED]


def test_suppression_removes_the_fact(curated_build):
    _, factbase, _, suppressed = curated_build
    assert factbase.fact(suppressed) is None
    assert not [f for f in factbase.facts if f.text == SUPPRESSED]


def test_other_facts_untouched_by_the_curated_merge(small_build, curated_build):
    _, plain = small_build
    _, factbase, corrected, suppressed = curated_build
    before = {f.id: f.text for f in plain.facts}
    after = {f.id: f.text for f in factbase.facts if not f.question}
    assert set(before) - set(after) == {suppressed}
    assert all(after[i] == text for i, text in before.items() if i not in {corrected, suppressed})


def test_curated_entry_keeps_its_entity_when_the_answer_does_not_name_it(small_seeds, tmp_path):
    (tmp_path / "curated.yaml").write_text(
        "entries:\n"
        "  - question: 那家全钒液流电池企业的总部在哪里？\n"
        "    answer: 总部设在乐山。\n"
        "    entity: 四川伟力得能源股份有限公司\n"
        f"    source: {{file: {ARTICLE_000}, paragraph: 7}}\n",
        encoding="utf-8",
    )
    factbase = build(small_seeds, tmp_path, say=quiet)
    (entry,) = [f for f in factbase.facts if f.question]
    assert "四川伟力得能源股份有限公司" in entry.entities


def test_curated_file_never_overwritten_by_a_build(small_seeds, curated_build):
    folder, _, _, _ = curated_build
    text = (folder / "curated.yaml").read_text(encoding="utf-8")
    assert text.startswith("aliases:")
    build(small_seeds, folder, say=quiet)
    assert (folder / "curated.yaml").read_text(encoding="utf-8") == text


def test_curated_naming_a_fact_the_articles_no_longer_give_warns(small_seeds, tmp_path):
    (tmp_path / "curated.yaml").write_text("suppress:\n  - 0123456789ab\n", encoding="utf-8")
    lines = []
    build(small_seeds, tmp_path, say=lines.append)
    assert any("warning" in line and "0123456789ab" in line for line in lines)


# Curated mistakes stop the build and leave the knowledge files alone

ENTRY_SOURCE = f"    source: {{file: {ARTICLE_000}, title: {STORY_000}}}\n"
MISTAKES = {
    "bad YAML syntax": ("aliases:\n  伟力得: [伟力得公司\nentries:\n  - question: 总部\n", None),
    "entry without an answer": (
        "# 管理员的补充\nentries:\n  - question: 伟力得的总部在哪里？\n" + ENTRY_SOURCE,
        3,
    ),
    "source that is not an article": (
        "entries:\n  - question: 伟力得的总部在哪里？\n    answer: 在乐山。\n"
        "    source: {file: 999_missing.txt}\n",
        4,
    ),
    "unknown section": (
        "aliases:\n  四川伟力得能源股份有限公司: [伟力得公司]\nquestions:\n  - 伟力得是什么\n",
        3,
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_malformed_curated_file_stops_the_build_naming_file_and_line(
    small_seeds, small_build, tmp_path, mistake
):
    text, line = MISTAKES[mistake]
    shutil.copytree(small_build[0], tmp_path, dirs_exist_ok=True)
    curated = tmp_path / "curated.yaml"
    curated.write_text(text, encoding="utf-8")
    before = snapshot(tmp_path)
    with pytest.raises(KnowledgeError) as error:
        build(small_seeds, tmp_path, say=quiet)
    message = str(error.value)
    assert str(curated) in message
    expected = rf"line {line}\b" if line else r"line \d+\b"
    assert re.search(expected, message), message
    assert snapshot(tmp_path) == before


# The command line


def test_cli_builds_into_the_out_folder(small_seeds, tmp_path, capsys):
    assert main(["--seeds", str(small_seeds), "--out", str(tmp_path)]) == 0
    assert {*GENERATED, "curated.yaml"} <= {p.name for p in tmp_path.iterdir()}
    assert "done: 1 articles" in capsys.readouterr().out


def test_cli_with_a_missing_seeds_folder_fails_clearly(tmp_path, capsys):
    missing = tmp_path / "no-seeds"
    assert main(["--seeds", str(missing), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "build failed" in err
    assert str(missing) in err
    assert not (tmp_path / "out").exists()


def test_cli_with_a_broken_curated_file_fails_and_names_it(small_seeds, tmp_path, capsys):
    (tmp_path / "curated.yaml").write_text("corrections: [\n", encoding="utf-8")
    assert main(["--seeds", str(small_seeds), "--out", str(tmp_path)]) == 1
    assert "curated.yaml" in capsys.readouterr().err
