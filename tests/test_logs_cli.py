"""`python -m bot logs …` through `bot.logs.main`, on a small seeded log: each report test
runs on a SQLite file and on PostgreSQL, and `logs migrate` copies one into the other."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from databases import select
from test_telegram_app import ROOT

from bot.logs import clip, format_unanswered, main, pad, table, text_width
from bot.querylog import (
    QUERY_COLUMNS,
    QueryLog,
    QueryRecord,
    ReceivedUpdate,
    UnansweredGroup,
    iso,
)

QUESTIONS = [  # (raw text, found, score, entity)
    ("伟力得董事长是谁", False, 0, None),
    ("伟力得的董事长是谁？", False, 0, None),
    ("伟力得董事长是谁", False, 0, None),
    ("乐山GDP是多少", True, 92, "乐山"),
    ("乐山GDP是多少", True, 92, "乐山"),
    ("火星上有什么", False, 0, None),
]


def seed(path: Path | str) -> None:
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
def db(database: Path | str) -> Path | str:
    seed(database)
    return database


def test_stats(db: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
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


def test_db_option_after_the_subcommand(db: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--db", str(db)]) == 0
    assert "Last 7 days: 6" in capsys.readouterr().out


def test_db_path_from_the_environment(
    db: Path | str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if isinstance(db, str):
        monkeypatch.setenv("DATABASE_URL", db)
        monkeypatch.setenv("BOT_DB_PATH", "/nonexistent/never/used.db")
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.setenv("BOT_DB_PATH", str(db))
    assert main(["stats"]) == 0
    assert "Last 7 days: 6" in capsys.readouterr().out


def test_unanswered(db: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["unanswered", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.lstrip()[:1].isdigit()]
    assert len(rows) == 2
    assert rows[0].startswith("1      3") and rows[0].endswith("伟力得董事长是谁")
    assert rows[1].startswith("2      1") and rows[1].endswith("火星上有什么")
    assert not any("乐山" in line for line in lines)  # answered with a high score


def test_unanswered_limit(db: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["unanswered", "--limit", "1", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "伟力得董事长是谁" in out and "火星上有什么" not in out


def test_export_to_a_file(
    db: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "export.csv"
    assert main(["export", "--csv", str(out), "--db", str(db)]) == 0
    assert "6 queries written" in capsys.readouterr().err
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # so Excel reads the Chinese as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(QUERY_COLUMNS)
    assert [r[QUERY_COLUMNS.index("raw_text")] for r in rows[1:]] == [q[0] for q in QUESTIONS]


def test_export_to_stdout(db: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
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


# -- logs migrate ----------------------------------------------------------------------------

ALL_QUERIES = f"SELECT {', '.join(QUERY_COLUMNS)} FROM queries ORDER BY time, id"
ALL_EVENTS = "SELECT time, user_id, chat_id, kind, detail FROM events ORDER BY time, kind"
ALL_OUTBOX = "SELECT * FROM outbox ORDER BY update_id"


def seed_outbox(path: Path) -> None:
    """Two messages received, one answered and one still pending when the bot stopped."""

    async def write() -> None:
        async with QueryLog(path) as qlog:
            updates = [ReceivedUpdate(n, chat_id=7, user_id=7, payload="{}") for n in (1, 2)]
            await qlog.record_received(updates, "old-worker", lease_s=60)
            await qlog.mark_replied(1, "old-worker")

    asyncio.run(write())


def test_migrate_copies_a_sqlite_log_into_postgres_once(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "queries.db"
    seed(source)
    select(source, "INSERT INTO events SELECT * FROM events")  # two identical events: both kept
    seed_outbox(source)
    command = [sys.executable, "-m", "bot", "logs", "migrate"]
    command += ["--from", f"sqlite:///{source}", "--to", postgres_url]

    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(
        f"copied {len(QUESTIONS)} queries, 2 events and 2 outbox rows to "
    )
    assert select(postgres_url, ALL_QUERIES) == select(source, ALL_QUERIES)  # feedback too
    assert select(postgres_url, ALL_EVENTS) == select(source, ALL_EVENTS)
    assert select(postgres_url, ALL_OUTBOX) == select(source, ALL_OUTBOX)  # one still pending

    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("copied 0 queries, 0 events and 0 outbox rows")
    there = f"({len(QUESTIONS)} queries, 2 events and 2 outbox rows were there already)"
    assert there in second.stdout
    assert select(postgres_url, ALL_QUERIES) == select(source, ALL_QUERIES)
    assert select(postgres_url, ALL_EVENTS) == select(source, ALL_EVENTS)
    assert select(postgres_url, ALL_OUTBOX) == select(source, ALL_OUTBOX)


def test_migrate_again_copies_only_what_is_new(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "queries.db"
    seed(source)
    assert main(["migrate", "--from", f"sqlite:///{source}", "--to", postgres_url]) == 0
    seed(source)  # the bot kept writing to the file: six more queries, one more event
    capsys.readouterr()
    assert main(["migrate", "--from", f"sqlite:///{source}", "--to", postgres_url]) == 0
    assert capsys.readouterr().out.startswith(f"copied {len(QUESTIONS)} queries, 1 events and")
    assert select(postgres_url, ALL_QUERIES) == select(source, ALL_QUERIES)
    assert len(select(postgres_url, ALL_EVENTS)) == 2
    # and the copy reads the same: the same report from either database
    assert main(["stats", "--db", str(source)]) == 0
    from_sqlite = capsys.readouterr().out
    assert main(["stats", "--db", postgres_url]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == from_sqlite.splitlines()[1:]


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("sqlite:///{tmp}/none.db", "postgresql://u:pw@127.0.0.1:1/db", "no query log at "),
        ("sqlite:///{tmp}/q.db", "mysql://u:pw@host/db", "not a database URL"),
        ("sqlite:///{tmp}/q.db", "postgresql://u:pw@127.0.0.1:1/db", "cannot reach PostgreSQL"),
        ("sqlite:///{tmp}/q.db", "postgresql://u:pw@127.0.0.1:x/db", "not a valid URL"),
    ],
)
def test_migrate_errors_are_one_line_without_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, target: str, message: str
) -> None:
    seed(tmp_path / "q.db")
    assert main(["migrate", "--from", source.format(tmp=tmp_path), "--to", target]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
    assert message in captured.err
    assert "pw" not in captured.err
