"""The fact base's runtime cache: a faster form of the YAML, never a different one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.facts import store
from bot.facts.store import RUNTIME_CACHE, KnowledgeError, load_factbase

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


@pytest.fixture()
def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder, ignore=shutil.ignore_patterns(RUNTIME_CACHE))
    return folder


def test_the_cache_gives_the_same_fact_base_as_the_yaml(knowledge: Path) -> None:
    parsed = load_factbase(knowledge)
    assert (knowledge / RUNTIME_CACHE).exists()
    cached = load_factbase(knowledge)
    assert cached.facts == parsed.facts
    assert cached.entities == parsed.entities and cached.stories == parsed.stories
    assert cached.fact(parsed.facts[0].id) == parsed.facts[0]


def test_a_changed_yaml_file_is_read_again(knowledge: Path) -> None:
    load_factbase(knowledge)
    facts = knowledge / "facts.yaml"
    facts.write_text(facts.read_text("utf-8").replace("伟力得", "伟力德", 1), encoding="utf-8")
    assert any("伟力德" in f.text for f in load_factbase(knowledge).facts)


def test_a_broken_cache_is_ignored_and_rewritten(knowledge: Path) -> None:
    expected = load_factbase(knowledge).facts
    (knowledge / RUNTIME_CACHE).write_bytes(b"not a pickle")
    assert load_factbase(knowledge).facts == expected
    assert (knowledge / RUNTIME_CACHE).read_bytes() != b"not a pickle"


def test_a_broken_yaml_file_is_still_an_error_with_a_cache_beside_it(knowledge: Path) -> None:
    load_factbase(knowledge)
    (knowledge / "entities.yaml").write_text("- {name: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="entities.yaml"):
        load_factbase(knowledge)


def test_a_cache_that_cannot_be_written_only_costs_the_parse(knowledge: Path) -> None:
    """Where the cache cannot be written (here a folder is in its way), the YAML is read."""
    (knowledge / RUNTIME_CACHE).mkdir()
    assert load_factbase(knowledge).facts == load_factbase(knowledge).facts
    assert (knowledge / RUNTIME_CACHE).is_dir()
    assert not list(knowledge.glob(f"{RUNTIME_CACHE}.*.tmp"))  # no half-written file left


def test_the_yaml_read_in_parts_gives_the_same_fact_base(
    knowledge: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = load_factbase(knowledge)
    (knowledge / RUNTIME_CACHE).unlink()
    monkeypatch.setattr(store, "RECORDS_AT_ONCE", 7)  # many parts, the last one shorter
    in_parts = load_factbase(knowledge)
    assert len(whole.facts) > 7 * 3 and len(whole.stories) > 7
    assert in_parts.facts == whole.facts
    assert in_parts.entities == whole.entities and in_parts.stories == whole.stories


def test_a_yaml_error_in_a_later_part_names_its_line_in_the_file(
    knowledge: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = knowledge / "facts.yaml"
    lines = facts.read_text("utf-8").splitlines(keepends=True)
    broken = max(i for i, line in enumerate(lines) if line.startswith("  text: "))
    lines[broken] = "  text: [not closed\n"
    facts.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(KnowledgeError) as whole:
        load_factbase(knowledge)
    monkeypatch.setattr(store, "RECORDS_AT_ONCE", 7)
    with pytest.raises(KnowledgeError) as in_parts:
        load_factbase(knowledge)
    assert str(in_parts.value) == str(whole.value)
    assert f"facts.yaml, line {broken + 2}: not valid YAML" in str(whole.value)  # where seen
