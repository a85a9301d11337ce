"""`python -m bot logs …` through `bot.logs.main`, on a small seeded log."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.logs import clip, format_unanswered, main, pad, table, text_width
from bot.querylog import QUERY_COLUMNS, QueryLog, QueryRecord, UnansweredGroup, iso

QUESTIONS = [  # (raw text, found, score, entity)
    ("伟力得董事长是谁", False, 0, None),
    ("伟力得的董事长是谁？", False, 0, None),
    ("伟力得董事长是谁", False, 0, None),
    ("乐山GDP是多少", True, 92, "乐山"),
    ("乐山GDP是多少", True, 92, "乐山"),
    ("火星上有什么", False, 0, None),
]


def seed(path: Path) -> None:
    """Log QUESTIONS a few minutes ago, with one 👍 and one refused admin command."""

    async def write() -> None:
        now = datetime.now(UTC)
        async with QueryLog(path) as qlog:
            for n, (text, found, score, entity) in enumerate(QUESTIONS):
                row = QueryRecord(
                    surface="private",
                    raw_text=text,
                    normalised=text.rstrip("？"),
                    found=found,
                    score=score,
                    latency_ms=8,
                    entity=entity,
                    time=iso(now - timedelta(minutes=10 - n)),
                )
                qlog.record(row)
            qlog.set_feedback(row.id, 1)
            qlog.record_event("refused", 5, 5, "/stats")

    asyncio.run(write())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "queries.db"
    seed(path)
    return path


def test_stats(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(db), "stats"]) == 0
    out = capsys.readouterr().out
    assert "Today: 6   Last 7 days: 6" in out
    assert "Answered: 2/6 (33%)" in out
    assert "👍 1  👎 0" in out
    assert "refused: 1" in out
    assert "Replies pending (received, not sent yet): 0" in out
    lines = out.splitlines()
    assert "    2  伟力得董事长是谁" in lines
    assert "    2  乐山GDP是多少" in lines
    assert "    2  乐山" in lines  # top entity


def test_db_option_after_the_subcommand(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--db", str(db)]) == 0
    assert "Last 7 days: 6" in capsys.readouterr().out


def test_db_path_from_the_environment(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_DB_PATH", str(db))
    assert main(["stats"]) == 0
    assert "Last 7 days: 6" in capsys.readouterr().out


def test_unanswered(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["unanswered", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.lstrip()[:1].isdigit()]
    assert len(rows) == 2
    assert rows[0].startswith("1      3") and rows[0].endswith("伟力得董事长是谁")
    assert rows[1].startswith("2      1") and rows[1].endswith("火星上有什么")
    assert not any("乐山" in line for line in lines)  # answered with a high score


def test_unanswered_limit(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["unanswered", "--limit", "1", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "伟力得董事长是谁" in out and "火星上有什么" not in out


def test_export_to_a_file(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "export.csv"
    assert main(["export", "--csv", str(out), "--db", str(db)]) == 0
    assert "6 queries written" in capsys.readouterr().err
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # so Excel reads the Chinese as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(QUERY_COLUMNS)
    assert [r[QUERY_COLUMNS.index("raw_text")] for r in rows[1:]] == [q[0] for q in QUESTIONS]


def test_export_to_stdout(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(db), "export", "--csv", "-"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == list(QUERY_COLUMNS) and len(rows) == 1 + len(QUESTIONS)


@pytest.mark.parametrize("command", [["stats"], ["unanswered"], ["export", "--csv", "-"]])
def test_missing_db_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    missing = tmp_path / "nothing" / "queries.db"
    assert main([*command, "--db", str(missing)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: no query log at {missing} (set BOT_DB_PATH or pass --db)\n"
    assert not missing.exists() and not missing.parent.exists()


def test_not_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not sqlite at all, just some text padding it out " * 10)
    assert main(["stats", "--db", str(junk)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_chinese_counts_as_two_columns() -> None:
    assert text_width("伟力得GDP") == 9
    assert pad("伟力得", 8) == "伟力得  "
    assert pad("12", 4, right=True) == "  12"
    cut = clip("伟力得董事长是谁" * 5, 10)
    assert cut == "伟力得董…" and text_width(cut) <= 10


def test_table_columns_line_up_after_chinese() -> None:
    lines = table(("entity", "count"), [("伟力得", 3), ("乐山GDP", 12), ("ab", 1)], right={1})
    ends = {text_width(line) for line in lines}
    assert len(ends) == 1, lines  # every row ends in the same column
    assert lines[2] == "伟力得       3"


def test_unanswered_columns_line_up_with_chinese() -> None:
    groups = [
        UnansweredGroup(
            "伟力得董事长是谁", 12, "2024-05-08T11:02:00.000000+00:00", ("伟力得董事长是谁",)
        ),
        UnansweredGroup(
            "abc", 3, "2024-05-07T09:00:00.000000+00:00", ("abc是什么",), low_confidence=2
        ),
    ]
    text = format_unanswered(groups)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("#"))
    start = text_width(header[: header.index("question")])
    for line in lines:
        if "伟力得" in line or "abc" in line:
            i = next(i for i, c in enumerate(line) if c in "伟a“")
            assert text_width(line[:i]) == start, line
    assert "“abc是什么”" in text  # the other wording, under its group


def test_reports_are_plain_text_for_the_caller_to_escape() -> None:
    group = UnansweredGroup("a<b>&c", 1, "2024-05-08T11:02:00.000000+00:00", ("a<b>&c",))
    assert "a<b>&c" in format_unanswered([group])  # not escaped here, so never twice


def test_nothing_unanswered() -> None:
    assert format_unanswered([]) == "No unanswered or low-confidence questions."
