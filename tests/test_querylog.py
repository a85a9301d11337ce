"""The query log: schema and migrations, the non-blocking writer, and the review queries.

Every test that takes `qlog` or `database` runs twice: on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import csv
import inspect
import io
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from databases import postgres_sql, select

from bot.answer.result import Answer, Hit
from bot.facts.model import Source
from bot.querylog import (
    LOW_SCORE,
    MIGRATIONS,
    QUERY_COLUMNS,
    SCHEMA_VERSION,
    QueryLog,
    QueryRecord,
    SchemaTooNew,
    iso,
    query_record,
)

NOW = datetime(2024, 5, 8, 12, 0, tzinfo=UTC)


def rec(
    text: str,
    *,
    found: bool = False,
    score: float = 0.0,
    ago: timedelta | None = None,
    entity: str | None = None,
    normalised: str | None = None,
) -> QueryRecord:
    """A query asked `ago` before NOW (default: an hour)."""
    return QueryRecord(
        surface="private",
        raw_text=text,
        normalised=text if normalised is None else normalised,
        found=found,
        score=score,
        latency_ms=12,
        user_id=42,
        chat_id=42,
        chat_type="private",
        fact_id="f1" if found else None,
        answer="一个答案" if found else None,
        entity=entity,
        time=iso(NOW - (ago or timedelta(hours=1))),
    )


def count(database: Path | str) -> int:
    return select(database, "SELECT count(*) FROM queries")[0][0]


def schema_version(database: Path | str) -> int:
    if isinstance(database, str):
        return select(database, "SELECT max(version) FROM schema_migrations")[0][0]
    return select(database, "PRAGMA user_version")[0][0]


def set_up_schema(database: Path | str, steps: list[str], version: int) -> None:
    """A database as an older (or newer) bot left it: these steps run, marked `version`."""
    if isinstance(database, str):
        for step in steps:
            postgres_sql(database, step)
        postgres_sql(database, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)")
        postgres_sql(database, f"INSERT INTO schema_migrations VALUES ({version})")
        return
    with sqlite3.connect(database) as db:
        db.executescript("\n".join(steps) + f"\nPRAGMA user_version = {version};")
    db.close()


@pytest.fixture
async def qlog(database: Path | str):
    async with QueryLog(database) as log:
        yield log


# -- schema ----------------------------------------------------------------------------------


async def test_fresh_db_gets_latest_schema(database: Path | str) -> None:
    async with QueryLog(database):
        pass
    assert schema_version(database) == SCHEMA_VERSION >= 3
    for table in ("queries", "events", "rate_limits"):
        assert select(database, f"SELECT count(*) FROM {table}") == [(0,)]


async def test_a_sqlite_log_gets_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "q.db"
    async with QueryLog(path):
        pass
    assert path.is_file() and schema_version(path) == SCHEMA_VERSION


async def test_v1_database_is_upgraded_keeping_its_rows(database: Path | str) -> None:
    set_up_schema(database, MIGRATIONS[:1], 1)
    select(
        database,
        "INSERT INTO queries (id, time, surface, raw_text, normalised, found, score,"
        " latency_ms) VALUES ('old1', ?, 'private', '老问题', '老问题', 0, 0, 5)",
        (iso(NOW),),
    )

    async with QueryLog(database) as log:
        log.record_event("refused", 7, 7, "/stats")  # needs the v2 table

    assert schema_version(database) == SCHEMA_VERSION
    assert select(database, "SELECT id, raw_text FROM queries") == [("old1", "老问题")]
    events = select(database, "SELECT user_id, kind, detail FROM events")
    assert events == [(7, "refused", "/stats")]


async def test_opening_twice_migrates_once(database: Path | str) -> None:
    """Two workers starting at once on one database: each step is applied once."""
    first, second = QueryLog(database), QueryLog(database)
    await asyncio.gather(first.open(), second.open())
    first.record(rec("一"))
    second.record(rec("二"))
    await asyncio.gather(first.close(), second.close())
    assert schema_version(database) == SCHEMA_VERSION
    assert count(database) == 2


async def test_newer_schema_is_refused(database: Path | str) -> None:
    set_up_schema(database, [], SCHEMA_VERSION + 1)
    with pytest.raises(SchemaTooNew):
        await QueryLog(database).open()


async def test_wal_mode(tmp_path: Path) -> None:
    async with QueryLog(tmp_path / "q.db") as log:
        assert select(log.location, "PRAGMA journal_mode") == [("wal",)]


# -- writing ---------------------------------------------------------------------------------


async def test_record_returns_at_once_without_io(qlog: QueryLog) -> None:
    assert not inspect.iscoroutinefunction(QueryLog.record)
    row = rec("伟力得董事长是谁")
    returned = qlog.record(row)
    # no await has happened since: the row cannot have reached the file yet
    assert returned == row.id and len(returned) == 16 and int(returned, 16) >= 0
    assert count(qlog.location) == 0
    await qlog.flush()
    assert count(qlog.location) == 1


async def test_500_concurrent_records_all_written_in_batches(
    qlog: QueryLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    write = qlog._write

    async def counting_write(batch):
        batches.append(len(batch))
        await write(batch)

    monkeypatch.setattr(qlog, "_write", counting_write)

    async def ask(i: int) -> str:
        await asyncio.sleep(0)  # interleave with the writer
        return qlog.record(rec(f"问题{i}"))

    ids = await asyncio.gather(*(ask(i) for i in range(500)))
    await qlog.flush()
    assert count(qlog.location) == 500
    assert {i for (i,) in select(qlog.location, "SELECT id FROM queries")} == set(ids)
    assert len(batches) < 50  # batched, not one commit per row


async def test_close_writes_everything_still_queued(database: Path | str) -> None:
    log = QueryLog(database)
    await log.open()
    for i in range(300):
        log.record(rec(f"问题{i}"))
    log.set_feedback("nonexistent", 1)  # harmless
    await log.close()
    assert count(database) == 300
    await log.close()  # idempotent
    with pytest.raises(RuntimeError):
        log.record(rec("太晚了"))


async def test_feedback_follows_its_insert_and_latest_wins(qlog: QueryLog) -> None:
    liked, disliked, changed = rec("甲"), rec("乙"), rec("丙")
    for row in (liked, disliked, changed):
        qlog.record(row)
    # same batch as the inserts: must be applied after them
    qlog.set_feedback(liked.id, 1)
    qlog.set_feedback(disliked.id, -1)
    qlog.set_feedback(changed.id, -1)
    qlog.set_feedback(changed.id, 1)
    await qlog.flush()
    got = dict(select(qlog.location, "SELECT raw_text, feedback FROM queries"))
    assert got == {"甲": 1, "乙": -1, "丙": 1}
    with pytest.raises(ValueError):
        qlog.set_feedback(liked.id, 5)


async def test_a_bad_row_costs_only_itself(qlog: QueryLog) -> None:
    qlog.record(rec("一"))
    qlog.record(QueryRecord(**{**vars(rec("二")), "raw_text": None}))  # NOT NULL fails
    qlog.record(rec("三"))
    await qlog.flush()  # the batch fails; the writer retries row by row and carries on
    assert sorted(t for (t,) in select(qlog.location, "SELECT raw_text FROM queries")) == [
        "一",
        "三",
    ]
    qlog.record(rec("四"))
    await qlog.flush()
    assert count(qlog.location) == 3


async def test_a_row_written_twice_is_kept_once(qlog: QueryLog) -> None:
    """A batch is retried when its commit may have been lost: the first write stands."""
    first = rec("一")
    qlog.record(first)
    await qlog.flush()
    qlog.record(QueryRecord(**{**vars(first), "raw_text": "重复"}))
    qlog.record(rec("三"))
    await qlog.flush()
    assert sorted(t for (t,) in select(qlog.location, "SELECT raw_text FROM queries")) == [
        "一",
        "三",
    ]


# -- stats -----------------------------------------------------------------------------------


async def test_stats_on_a_seeded_log(qlog: QueryLog) -> None:
    h = timedelta(hours=1)
    rows = [
        rec("伟力得董事长是谁", found=True, score=90, entity="伟力得", ago=h),
        rec("伟力得董事长是谁", found=True, score=90, entity="伟力得", ago=2 * h),
        rec("伟力得董事长是谁", found=True, score=90, entity="伟力得", ago=timedelta(days=2)),
        rec("乐山GDP是多少", found=True, score=80, entity="乐山", ago=timedelta(days=3)),
        rec("火星上有什么", ago=timedelta(days=6)),
        rec("很久以前", found=True, score=99, entity="旧", ago=timedelta(days=8)),  # too old
        rec("未来", found=True, score=99, entity="新", ago=-h),  # after `now`
    ]
    for row in rows:
        qlog.record(row)
    qlog.set_feedback(rows[0].id, 1)
    qlog.set_feedback(rows[1].id, 1)
    qlog.set_feedback(rows[4].id, -1)
    qlog.set_feedback(rows[5].id, -1)  # outside the window: not counted
    qlog.record_event("refused", 9, 9, "/export", time=iso(NOW - h))
    qlog.record_event("refused", 9, 9, "/stats", time=iso(NOW - timedelta(days=9)))

    stats = await qlog.stats(now=NOW)

    assert (stats.today, stats.week, stats.answered) == (2, 5, 4)
    assert stats.answer_rate == pytest.approx(0.8)
    assert (stats.thumbs_up, stats.thumbs_down, stats.refused) == (2, 1, 1)
    assert stats.top_questions == [
        ("伟力得董事长是谁", 3),
        ("乐山GDP是多少", 1),
        ("火星上有什么", 1),
    ]
    assert stats.top_entities == [("伟力得", 3), ("乐山", 1)]


async def test_stats_today_follows_the_time_zone_of_now(qlog: QueryLog) -> None:
    beijing = timezone(timedelta(hours=8))
    now = datetime(2024, 5, 8, 1, 0, tzinfo=beijing)  # 2024-05-07 17:00 UTC
    for hours in (0.5, 2):  # 00:30 and 23:00 Beijing time
        qlog.record(rec("问", ago=timedelta(hours=hours) + (NOW - now)))
    stats = await qlog.stats(now=now)
    assert (stats.today, stats.week) == (1, 2)


async def test_stats_of_an_empty_log(qlog: QueryLog) -> None:
    stats = await qlog.stats(now=NOW)
    assert (stats.today, stats.week, stats.answer_rate) == (0, 0, 0.0)
    assert stats.top_questions == [] and stats.top_entities == []


# -- unanswered ------------------------------------------------------------------------------


async def test_unanswered_groups_near_duplicates(qlog: QueryLog) -> None:
    minutes = timedelta(minutes=1)
    for row in [
        rec("伟力得董事长是谁", ago=10 * minutes),
        rec("伟力得的董事长是谁？", ago=5 * minutes),
        rec("伟力得董事长是谁 ", normalised="伟力得董事长是谁", ago=20 * minutes),
        rec("伟力得总经理是谁", ago=3 * minutes),  # same subject, different question
        rec("乐山在哪里", ago=1 * minutes),
        rec("乐山GDP是多少", found=True, score=95),  # answered well: not listed
        rec("很久以前的问题", ago=timedelta(days=40)),  # too old
    ]:
        qlog.record(row)

    groups = await qlog.unanswered(now=NOW)

    assert [(g.text, g.count) for g in groups] == [
        ("伟力得董事长是谁", 3),
        ("乐山在哪里", 1),  # ties: newest first
        ("伟力得总经理是谁", 1),
    ]
    top = groups[0]
    assert top.examples == ("伟力得的董事长是谁？", "伟力得董事长是谁", "伟力得董事长是谁 ")
    assert top.last_time == iso(NOW - 5 * minutes)
    assert top.low_confidence == 0
    assert len(await qlog.unanswered(limit=2, now=NOW)) == 2


async def test_unanswered_includes_low_confidence_answers(qlog: QueryLog) -> None:
    low, fair = LOW_SCORE - 30, LOW_SCORE + 5  # LOW_SCORE: the answer policy's low_confidence
    qlog.record(rec("伟力得在哪里", found=True, score=low))  # the newest, so the group's name
    qlog.record(rec("伟力得在哪里？", found=False, ago=timedelta(hours=2)))
    qlog.record(rec("乐山GDP是多少", found=True, score=fair))

    groups = await qlog.unanswered(now=NOW)
    assert [(g.text, g.count, g.low_confidence) for g in groups] == [("伟力得在哪里", 2, 1)]

    stricter = await qlog.unanswered(low_score=fair + 5, now=NOW)
    assert {g.text for g in stricter} == {"伟力得在哪里", "乐山GDP是多少"}


# -- export ----------------------------------------------------------------------------------


async def test_export_csv_to_a_stream(qlog: QueryLog) -> None:
    first = qlog.record(rec("伟力得董事长是谁", found=True, score=88.5, entity="伟力得"))
    qlog.set_feedback(first, -1)
    qlog.record(rec("=HYPERLINK(1)", ago=timedelta(minutes=30)))  # exported after the first
    out = io.StringIO()

    assert await qlog.export_csv(out) == 2

    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == list(QUERY_COLUMNS)
    assert len(rows) == 3
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["raw_text"] == "伟力得董事长是谁" and row["entity"] == "伟力得"
    assert (row["found"], row["score"], row["feedback"], row["id"]) == ("1", "88.5", "-1", first)
    assert rows[2][QUERY_COLUMNS.index("raw_text")] == "'=HYPERLINK(1)"  # no formula in Excel
    assert not out.getvalue().startswith("\ufeff")


async def test_export_csv_to_a_file_has_a_bom(qlog: QueryLog, tmp_path: Path) -> None:
    for i in range(1500):  # more than one export page, oldest first
        qlog.record(rec(f"问题{i}", ago=timedelta(hours=2) - i * timedelta(seconds=1)))
    path = tmp_path / "out.csv"
    assert await qlog.export_csv(path) == 1500
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 1501
    assert rows[1][QUERY_COLUMNS.index("raw_text")] == "问题0"
    assert rows[-1][QUERY_COLUMNS.index("raw_text")] == "问题1499"


def test_query_record_of_a_found_answer_and_of_a_miss():
    source = Source("000_x.txt", "标题", "人民日报", "2024-12-26", 1)
    top = Hit(
        "dc3021f99e26", "夹江核技术应用产业园已落地7个项目。", "夹江核技术应用产业园", source, 88.0
    )
    found = Answer("问", "问", True, hits=(top,), score=88.0)
    row = query_record("问", found, surface="private", latency_ms=3, user_id=7)
    assert (row.found, row.fact_id, row.entity, row.score) == (
        True,
        "dc3021f99e26",
        "夹江核技术应用产业园",
        88.0,
    )
    miss = Answer("足球", "足球", False, entities=("乐山",), score=41.0)
    row = query_record("足球?", miss, surface="inline", latency_ms=1, chat_type="sender")
    assert (row.found, row.fact_id, row.answer, row.entity, row.score) == (
        False,
        None,
        None,
        "乐山",
        41.0,
    )
    assert row.raw_text == "足球?" and row.chat_type == "sender"
