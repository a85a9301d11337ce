"""Inbox writes to curated.yaml: appended as text, hand edits and comments kept, checked as
the build reads the file, atomic, and refused with the line when the file is broken."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.answer import Answerer
from bot.curation import (
    CurationError,
    Entry,
    add_entries,
    add_out_of_scope,
    entries_for_fact,
    read_checked,
)
from bot.facts.curated import TEMPLATE

pytest_plugins = ["test_telegram_app"]  # fixture: answerer

HAND_WRITTEN = """\
# our own notes, kept as they are
aliases:
  四川伟力得能源股份有限公司: [伟力得公司]   # the editors say it this way
entries:
  - question: 手写的问题？
    answer: 手写的答案。
    source: {file: 000_f791c31033d50d22.txt}
  # a note after the last entry

suppress: []
"""
NOTE = "added by 张三 (id 1000) on 2024-05-08"


@pytest.fixture
def stories(answerer: Answerer):
    return answerer.factbase.stories


@pytest.fixture
def fact(answerer: Answerer):
    return answerer.factbase.fact("381e670cca61")


def test_an_entry_joins_the_hand_written_ones_and_everything_else_stays(
    tmp_path: Path, stories, fact
):
    path = tmp_path / "curated.yaml"
    path.write_text(HAND_WRITTEN, "utf-8")
    added = add_entries(
        path, entries_for_fact(["威士忌酒厂在哪？", "威士忌酒厂在哪"], fact), stories, NOTE
    )
    assert added == 1  # the two wordings are one question
    text = path.read_text("utf-8")
    for line in HAND_WRITTEN.splitlines():
        assert line in text  # every hand-written line, comments included
    assert f"  # {NOTE}\n  - question: 威士忌酒厂在哪？" in text
    curated = read_checked(path, stories)
    assert [e.question for e in curated.entries] == ["手写的问题？", "威士忌酒厂在哪？"]
    new = curated.entries[1]
    assert new.text == fact.text and new.source.file == fact.source.file
    assert new.source.paragraph == fact.source.paragraph
    assert curated.aliases == {"四川伟力得能源股份有限公司": ["伟力得公司"]}


def test_the_same_question_is_not_added_twice(tmp_path: Path, stories, fact):
    path = tmp_path / "curated.yaml"
    path.write_text(HAND_WRITTEN, "utf-8")
    assert add_entries(path, entries_for_fact(["手写的问题"], fact), stories, NOTE) == 0
    assert path.read_text("utf-8") == HAND_WRITTEN


@pytest.mark.parametrize(
    "start",
    [TEMPLATE, "", "entries: []\nout_of_scope: []\n", "out_of_scope: [火星上有什么]\n"],
    ids=["template", "empty", "empty-flow", "flow"],
)
def test_out_of_scope_in_any_starting_shape(tmp_path: Path, stories, start: str):
    path = tmp_path / "curated.yaml"
    path.write_text(start, "utf-8")
    wordings = ["乐山的足球队叫什么？", "乐山的足球队 叫什么"]  # one question, twice
    assert add_out_of_scope(path, wordings, stories, NOTE) == 1
    curated = read_checked(path, stories)
    assert curated.out_of_scope[-1] == "乐山的足球队叫什么？"
    assert NOTE in path.read_text("utf-8")
    assert path.read_text("utf-8").startswith(start.rstrip("\n").split("out_of_scope")[0].rstrip())


def test_user_text_cannot_break_the_yaml(tmp_path: Path, stories):
    path = tmp_path / "curated.yaml"
    path.write_text(HAND_WRITTEN, "utf-8")
    tricky = "a: b - c # \"quoted\" 'single' [x] {y} &z *w !t |\n  second line"
    entry = Entry(tricky, "答案：有冒号 # 和井号", "000_f791c31033d50d22.txt", "")
    add_entries(path, [entry], stories, "by ad#min\n- injected: line")
    curated = read_checked(path, stories)
    assert curated.entries[-1].question == tricky
    assert curated.entries[-1].text == "答案：有冒号 # 和井号"
    assert "injected" not in yaml.safe_load(path.read_text("utf-8"))


def test_a_hand_broken_file_is_reported_with_its_line_and_left_alone(tmp_path: Path, stories, fact):
    path = tmp_path / "curated.yaml"
    broken = HAND_WRITTEN + "entries: [\n  oops\n"
    path.write_text(broken, "utf-8")
    with pytest.raises(CurationError, match=r"line \d+"):
        add_entries(path, entries_for_fact(["威士忌酒厂在哪？"], fact), stories, NOTE)
    with pytest.raises(CurationError, match=r"line \d+"):
        add_out_of_scope(path, ["火星上有什么"], stories, NOTE)
    assert path.read_text("utf-8") == broken
    assert [p.name for p in tmp_path.iterdir()] == ["curated.yaml"]  # no temporary file left


def test_a_source_the_articles_lack_is_refused(tmp_path: Path, stories):
    path = tmp_path / "curated.yaml"
    path.write_text(HAND_WRITTEN, "utf-8")
    with pytest.raises(CurationError, match="not one of the articles"):
        add_entries(path, [Entry("问？", "答。", "gone.txt", "")], stories, NOTE)
    assert path.read_text("utf-8") == HAND_WRITTEN
