"""The query log: every question the bot answers, on every surface, in one SQLite file.

Admins use it to see what people ask and what the bot could not answer (`python -m bot logs`,
the Telegram admin commands). Two rules shape the code:

* Logging never delays an answer. `record`, `set_feedback` and `record_event` only put the
  row on an in-memory queue; one background task drains the queue and writes whatever is
  waiting as one batch (`executemany`, one commit). It commits as soon as the queue is empty,
  rather than waiting for a batch to fill, so a crash loses at most the batch being written.
* No row is lost. The queue is unbounded, and `close()` (called on shutdown, SIGTERM too)
  writes everything still queued before closing the connection.

The queue is an `asyncio.Queue`, so the write methods must be called from the event loop's
thread, as every handler of the bot is.

The outbox (table `outbox`) is the one part that must not wait: it holds each question the bot
received and whether its reply went out, so that a crash or a restart loses no question. Its
methods (`record_received`, `claim`, `mark_replied`, `release`, `release_all`,
`forget_finished`) return only once
their change is committed. They still go through the writer's queue, so the one connection
never interleaves two transactions. A reply is claimed by one worker (`owner`) for a lease;
`claim` is written so that a PostgreSQL port can add `FOR UPDATE SKIP LOCKED`.

Layout: SQL constants, then result dataclasses, then `QueryLog`. The schema is versioned
with `PRAGMA user_version`: `MIGRATIONS[i]` takes a database from version i to i + 1.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from uuid import uuid4

import aiosqlite
from rapidfuzz import fuzz, process

from bot.answer.rank import FOUND_THRESHOLD
from bot.answer.result import Answer

log = logging.getLogger(__name__)


# Found answers scoring below this (0-100) are "low confidence" and listed by `unanswered`
# next to the misses: the bot replied, but barely, so these are the answers most likely to
# be wrong and the questions most worth a new or reworded fact.
LOW_SCORE = FOUND_THRESHOLD + 10  # answered, but close to the line: worth an admin's look

# Two normalised questions belong to the same `unanswered` group when rapidfuzz's `ratio`
# (on the text without punctuation, spaces or case) is at least this. Chinese questions are
# short (6-15 characters) and unspaced, so token scorers see a single token and add nothing
# over `ratio`, and `partial_ratio` would score a bare "伟力得" 100 against every question
# about 伟力得. At 85, one added particle or changed character in a short question still
# groups ("伟力得董事长是谁" / "伟力得的董事长是谁？" = 94), while questions sharing only
# their subject stay apart ("伟力得董事长是谁" / "伟力得总经理是谁" = 62.5).
GROUP_SIMILARITY = 85.0

UNANSWERED_DAYS = 30  # how far back `unanswered` looks
UNANSWERED_SCAN = 5000  # at most this many of the newest matching rows are grouped
MAX_BATCH = 1000  # the writer commits at least this often while the queue stays full

MIGRATIONS: list[str] = [
    # 0 -> 1: the queries themselves.
    """
    CREATE TABLE queries (
        id          TEXT PRIMARY KEY,   -- uuid4().hex[:16], made before the row is written
        time        TEXT NOT NULL,      -- UTC ISO-8601, as utc_now_iso() writes it
        user_id     INTEGER,
        chat_id     INTEGER,
        chat_type   TEXT,
        surface     TEXT NOT NULL,      -- private | group | inline | chat | cli
        raw_text    TEXT NOT NULL,
        normalised  TEXT NOT NULL,
        found       INTEGER NOT NULL,   -- 0 | 1
        fact_id     TEXT,
        answer      TEXT,
        entity      TEXT,
        score       REAL NOT NULL,      -- 0-100
        latency_ms  INTEGER NOT NULL,
        feedback    INTEGER             -- +1 | -1 | NULL
    );
    CREATE INDEX queries_time ON queries (time);
    """,
    # 1 -> 2: other events worth reviewing, e.g. "refused": a non-admin sent an admin command.
    """
    CREATE TABLE events (
        time     TEXT NOT NULL,
        user_id  INTEGER,
        chat_id  INTEGER,
        kind     TEXT NOT NULL,
        detail   TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_time ON events (time);
    """,
    # 2 -> 3: the outbox: every question received, until its reply is sent (see the docstring).
    """
    CREATE TABLE outbox (
        update_id    INTEGER PRIMARY KEY,  -- Telegram's: a redelivered update is recognised
        received     TEXT NOT NULL,        -- UTC ISO-8601, when the bot first got it
        chat_id      INTEGER,
        user_id      INTEGER,
        payload      TEXT NOT NULL,        -- the update as Telegram sent it (JSON)
        status       TEXT NOT NULL DEFAULT 'pending',  -- pending | replied | stale | failed
        owner        TEXT,                 -- the worker answering it; NULL: free to claim
        lease_until  TEXT,                 -- UTC ISO-8601; after it another worker may claim
        attempts     INTEGER NOT NULL DEFAULT 0,  -- claims so far (a receipt is the first)
        last_error   TEXT,                 -- why the last attempt failed
        finished     TEXT                  -- when the reply (or the apology) was sent
    );
    CREATE INDEX outbox_pending ON outbox (status, update_id);
    """,
    # 3 -> 4: "🔔 tell me when you know" on a miss; `notified` is set once, before the message.
    """
    CREATE TABLE subscriptions (
        query_id  TEXT PRIMARY KEY,   -- the missed query, one subscription each
        user_id   INTEGER NOT NULL,
        chat_id   INTEGER NOT NULL,
        question  TEXT NOT NULL,
        time      TEXT NOT NULL,
        notified  TEXT                -- UTC ISO-8601 once answered, else NULL
    );
    CREATE INDEX subscriptions_notified ON subscriptions (notified);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

QUERY_COLUMNS = (
    "id",
    "time",
    "user_id",
    "chat_id",
    "chat_type",
    "surface",
    "raw_text",
    "normalised",
    "found",
    "score",
    "fact_id",
    "answer",
    "entity",
    "latency_ms",
    "feedback",
)
INSERT_QUERY = (
    f"INSERT INTO queries ({', '.join(QUERY_COLUMNS[:-1])}) "
    f"VALUES ({', '.join('?' * (len(QUERY_COLUMNS) - 1))})"
)
SET_FEEDBACK = "UPDATE queries SET feedback = ? WHERE id = ?"
INSERT_EVENT = "INSERT INTO events (time, user_id, chat_id, kind, detail) VALUES (?, ?, ?, ?, ?)"

# Review queries; ? = window start, window end (UTC ISO strings, compared as text).
COUNT_SINCE = "SELECT count(*) FROM queries WHERE time >= ? AND time <= ?"
WEEK_TOTALS = """
    SELECT count(*), coalesce(sum(found), 0),
           coalesce(sum(feedback = 1), 0), coalesce(sum(feedback = -1), 0)
    FROM queries WHERE time >= ? AND time <= ?
"""
TOP_QUESTIONS = """
    SELECT normalised, count(*) AS n FROM queries
    WHERE time >= ? AND time <= ? AND normalised != ''
    GROUP BY normalised ORDER BY n DESC, max(time) DESC, normalised LIMIT ?
"""
TOP_ENTITIES = """
    SELECT entity, count(*) AS n FROM queries
    WHERE time >= ? AND time <= ? AND entity IS NOT NULL AND entity != ''
    GROUP BY entity ORDER BY n DESC, max(time) DESC, entity LIMIT ?
"""
COUNT_EVENTS = "SELECT count(*) FROM events WHERE time >= ? AND time <= ? AND kind = ?"

# The outbox. Every status change names its owner, so a worker whose lease ran out and was
# taken over cannot mark another worker's reply.
INSERT_RECEIVED = """
    INSERT INTO outbox (update_id, received, chat_id, user_id, payload, owner, lease_until,
                        attempts)
    VALUES (?, ?, ?, ?, ?, ?, ?, 1)
    ON CONFLICT (update_id) DO NOTHING
    RETURNING update_id
"""
# PostgreSQL: add FOR UPDATE SKIP LOCKED to the inner SELECT, and each row has one claimer.
CLAIM_PENDING = """
    UPDATE outbox SET owner = ?, lease_until = ?, attempts = attempts + 1
    WHERE update_id IN (
        SELECT update_id FROM outbox
        WHERE status = 'pending' AND (owner IS NULL OR lease_until < ?)
        ORDER BY update_id LIMIT ?
    )
    RETURNING update_id, received, chat_id, user_id, payload, attempts
"""
MARK_FINISHED = """
    UPDATE outbox SET status = ?, finished = ?, owner = NULL, lease_until = NULL
    WHERE update_id = ? AND owner = ? AND status = 'pending'
"""
RELEASE_ONE = """
    UPDATE outbox SET owner = NULL, lease_until = NULL, last_error = ?
    WHERE update_id = ? AND owner = ? AND status = 'pending'
"""
RELEASE_ALL = """
    UPDATE outbox SET owner = NULL, lease_until = NULL
    WHERE owner = ? AND status = 'pending'
"""
FORGET_FINISHED = "DELETE FROM outbox WHERE status != 'pending' AND received < ?"
FINISHED_STATUSES = ("replied", "stale", "failed")
PENDING_OWNERS = "SELECT DISTINCT owner FROM outbox WHERE status = 'pending' AND owner IS NOT NULL"
COUNT_PENDING = "SELECT count(*) FROM outbox WHERE status = 'pending'"
UNANSWERED_ROWS = """
    SELECT raw_text, normalised, found, time FROM queries
    WHERE time >= ? AND time <= ? AND normalised != '' AND (found = 0 OR score < ?)
    ORDER BY time DESC LIMIT ?
"""
# The improvement loop (/inbox, the reload gate, 🔔, the /stats chart).
QUERY_BY_ID = "SELECT raw_text, user_id, found FROM queries WHERE id = ?"
SUBSCRIBE = """
    INSERT INTO subscriptions (query_id, user_id, chat_id, question, time) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (query_id) DO NOTHING
"""
PENDING_SUBSCRIPTIONS = """
    SELECT query_id, user_id, chat_id, question FROM subscriptions
    WHERE notified IS NULL ORDER BY time
"""
SET_NOTIFIED = "UPDATE subscriptions SET notified = ? WHERE query_id = ? AND notified IS NULL"
THUMBS_UP_ANSWERS = """
    SELECT raw_text, fact_id, answer FROM queries
    WHERE feedback = 1 AND found = 1 AND fact_id IS NOT NULL ORDER BY time DESC
"""
MISSED_QUESTIONS = """
    SELECT raw_text FROM queries WHERE time >= ? AND found = 0 AND normalised != ''
    GROUP BY raw_text ORDER BY max(time) DESC LIMIT ?
"""
HOURLY_COUNTS = """
    SELECT substr(time, 1, 13) AS hour, count(*), coalesce(sum(found), 0),
           coalesce(sum(CASE WHEN feedback = 1 THEN 1 ELSE 0 END), 0),
           coalesce(sum(CASE WHEN feedback = -1 THEN 1 ELSE 0 END), 0)
    FROM queries WHERE time >= ? AND time <= ? GROUP BY substr(time, 1, 13)
"""
EXPORT_PAGE = f"""
    SELECT rowid, {", ".join(QUERY_COLUMNS)} FROM queries
    WHERE rowid > ? ORDER BY rowid LIMIT 1000
"""


def new_query_id() -> str:
    """16 hex characters: unique enough, and short enough for Telegram callback data."""
    return uuid4().hex[:16]


def utc_now_iso() -> str:
    return iso(datetime.now(UTC))


def iso(moment: datetime) -> str:
    """The one time format stored, so times compare correctly as text in SQL.

    A naive datetime is taken to be UTC.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _canonical_time(text: str) -> str:
    try:
        return iso(datetime.fromisoformat(text))
    except ValueError:
        return text  # kept as given rather than losing the row


@dataclass
class QueryRecord:
    """One answered query. Build it when the answer is ready; `id` exists before the write."""

    surface: str
    raw_text: str
    normalised: str
    found: bool
    score: float
    latency_ms: int
    user_id: int | None = None
    chat_id: int | None = None
    chat_type: str | None = None
    fact_id: str | None = None
    answer: str | None = None
    entity: str | None = None
    id: str = field(default_factory=new_query_id)
    time: str = field(default_factory=utc_now_iso)

    def values(self) -> tuple[Any, ...]:
        """Parameters for INSERT_QUERY, in QUERY_COLUMNS order (feedback is left NULL)."""
        return (
            self.id,
            _canonical_time(self.time),
            self.user_id,
            self.chat_id,
            self.chat_type,
            self.surface,
            self.raw_text,
            self.normalised,
            int(bool(self.found)),
            float(self.score),
            self.fact_id,
            self.answer,
            self.entity,
            int(self.latency_ms),
        )


def query_record(
    raw_text: str,
    answer: Answer,
    *,
    surface: str,
    latency_ms: int,
    user_id: int | None = None,
    chat_id: int | None = None,
    chat_type: str | None = None,
) -> QueryRecord:
    """The query-log row that goes with a reply, the same on every surface.

    A miss keeps the best candidate's score (how close it came) but no fact, and the entity
    the question named, so "top entities" counts what people asked about.
    """
    top = answer.top
    return QueryRecord(
        surface=surface,
        raw_text=raw_text,
        normalised=answer.normalised,
        found=answer.found,
        score=answer.score,
        latency_ms=latency_ms,
        user_id=user_id,
        chat_id=chat_id,
        chat_type=chat_type,
        fact_id=top.fact_id if top else None,
        answer=top.answer if top else None,
        entity=top.entity if top else next(iter(answer.entities), None),
    )


@dataclass(frozen=True)
class ReceivedUpdate:
    """An update the bot got and must answer: what `record_received` stores."""

    update_id: int
    chat_id: int | None
    user_id: int | None
    payload: str  # the update as JSON, so it can be processed again after a restart
    received: str = field(default_factory=utc_now_iso)


@dataclass(frozen=True)
class PendingReply:
    """A claimed outbox row: an update whose reply is not sent yet."""

    update_id: int
    received: str  # UTC ISO-8601
    chat_id: int | None
    user_id: int | None
    payload: str
    attempts: int  # claims so far, this one included


def lease_end(lease_s: float, now: datetime | None = None) -> str:
    return iso((now or datetime.now(UTC)) + timedelta(seconds=lease_s))


@dataclass(frozen=True)
class Stats:
    """`QueryLog.stats`: "today" is the calendar day of `now` in `now`'s time zone; "week"
    is the 7 × 24 hours up to `now`. Everything but `today` is over the week."""

    now: datetime
    today: int
    week: int
    answered: int
    thumbs_up: int
    thumbs_down: int
    refused: int  # admin commands refused to non-admins
    top_questions: list[tuple[str, int]]
    top_entities: list[tuple[str, int]]
    pending: int = 0  # questions received whose reply is not sent yet (the outbox)

    @property
    def answer_rate(self) -> float:
        """Share of the week's queries that found an answer, 0.0-1.0 (0.0 when none)."""
        return self.answered / self.week if self.week else 0.0


@dataclass(frozen=True)
class Subscription:
    """Someone pressed 🔔 under a miss: tell them once, when a reload answers it."""

    query_id: str
    user_id: int
    chat_id: int
    question: str


@dataclass(frozen=True)
class ThumbsUp:
    """An answer a user marked 👍: the regression gate checks it stays the answer."""

    question: str
    fact_id: str
    answer: str


@dataclass(frozen=True)
class HourCounts:
    """Queries in one UTC hour ("2024-05-08T11"), for the /stats chart."""

    hour: str
    questions: int
    answered: int
    thumbs_up: int
    thumbs_down: int


@dataclass(frozen=True)
class UnansweredGroup:
    """Similar questions the bot missed or answered with low confidence."""

    text: str  # the group's most frequent normalised text
    count: int
    last_time: str  # UTC ISO-8601 of the newest query in the group
    examples: tuple[str, ...]  # up to three distinct raw texts, newest first
    low_confidence: int = 0  # how many of `count` were answered, but scored under the bar


def similarity_key(normalised: str) -> str:
    """What `unanswered` compares: no punctuation, spaces or case, so "谁？" and "谁" match."""
    return re.sub(r"[\W_]+", "", normalised).casefold()


def _group_similar(rows: list[tuple[Any, ...]], examples: int = 3) -> list[UnansweredGroup]:
    """Greedy grouping of (raw, normalised, found, time) rows, newest first.

    Each row joins the first group whose seed text is at least GROUP_SIMILARITY similar,
    or starts a new group. Seeds are the newest text of each group.
    """
    seeds: list[str] = []
    members: list[list[tuple[Any, ...]]] = []
    exact: dict[str, int] = {}
    for row in rows:
        key = similarity_key(row[1]) or row[1]
        index = exact.get(key)
        if index is None:
            match = process.extractOne(key, seeds, scorer=fuzz.ratio, score_cutoff=GROUP_SIMILARITY)
            if match is None:
                index = len(seeds)
                seeds.append(key)
                members.append([])
            else:
                index = match[2]
            exact[key] = index
        members[index].append(row)

    groups = []
    for rows_ in members:
        counts = Counter(normalised for _, normalised, _, _ in rows_)
        # most frequent text; on a tie the newest, as rows are newest first and stable
        text = max(counts, key=lambda t: counts[t])
        raws = list(dict.fromkeys(raw for raw, _, _, _ in rows_))[:examples]
        groups.append(
            UnansweredGroup(
                text=text,
                count=len(rows_),
                last_time=rows_[0][3],
                examples=tuple(raws),
                low_confidence=sum(1 for _, _, found, _ in rows_ if found),
            )
        )
    groups.sort(key=lambda g: g.last_time, reverse=True)
    groups.sort(key=lambda g: g.count, reverse=True)  # stable: ties stay newest first
    return groups


# Cells a spreadsheet could run as a formula; such text cells get a leading apostrophe on
# export, since raw_text is whatever a stranger typed and admins open the file in Excel.
# Spreadsheets skip what a reader cannot see before the "=", and fold full-width forms (＝),
# so the check looks past leading spaces, newlines, BOMs and zero-width characters, and
# compares the first visible character after NFKC.
_FORMULA_START = frozenset("=+-@")
_TEXT_COLUMNS = {"raw_text", "normalised", "answer", "entity", "chat_type"}


def looks_like_formula(text: str) -> bool:
    for char in text:
        if char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Zs", "Zl", "Zp"}:
            continue  # invisible: a spreadsheet looks past it
        return unicodedata.normalize("NFKC", char)[:1] in _FORMULA_START
    return text.startswith(("\t", "\r"))  # only blanks, as before: keep it text


def _csv_cell(column: str, value: Any) -> Any:
    if value is None:
        return ""
    if column in _TEXT_COLUMNS and isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


class SchemaTooNew(RuntimeError):
    """The file was written by a newer version of the bot; refuse rather than guess."""


class QueryLog:
    """The log file plus its writer task. Use `async with QueryLog(path) as qlog:`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect (creating the folder and file), migrate, and start the writer."""
        if self._db is not None or self._closed:
            raise RuntimeError("QueryLog.open() is called once per QueryLog")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(self.path)
        try:
            mode = await self._scalar(db, "PRAGMA journal_mode=WAL")
            if str(mode).lower() != "wal":
                log.warning("query log %s: journal mode is %s, not WAL", self.path, mode)
            await migrate(db)
        except BaseException:
            await db.close()
            raise
        self._db = db
        self._writer = asyncio.create_task(self._write_forever(), name="querylog-writer")

    async def close(self) -> None:
        """Write everything still queued, stop the writer, close the file. Safe to repeat."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None and not self._writer.done():
            self._queue.put_nowait(("stop",))
            await self._writer
        # Normally empty; not so if the loop's shutdown cancelled the writer first.
        leftover = []
        while not self._queue.empty():
            leftover.append(self._queue.get_nowait())
        if self._db is not None:
            if leftover:
                await self._process(leftover)
            await self._db.close()
        _release_flushes(leftover)

    async def __aenter__(self) -> QueryLog:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- writes: enqueue and return --------------------------------------------------------

    def record(self, row: QueryRecord) -> str:
        """Queue the row for writing; returns its id at once (for a feedback button)."""
        self._enqueue(("query", row.values()))
        return row.id

    def set_feedback(self, query_id: str, value: int) -> None:
        """👍 (+1) or 👎 (-1) on a logged query; written after the query, the latest wins."""
        if value not in (1, -1):
            raise ValueError(f"feedback is +1 or -1, not {value!r}")
        self._enqueue(("feedback", (value, query_id)))

    def record_event(
        self,
        kind: str,
        user_id: int | None,
        chat_id: int | None,
        detail: str = "",
        time: str | None = None,
    ) -> None:
        """Log something other than a query, e.g. kind="refused" for a non-admin's /stats."""
        when = _canonical_time(time) if time else utc_now_iso()
        self._enqueue(("event", (when, user_id, chat_id, kind, detail)))

    def subscribe(self, query_id: str, user_id: int, chat_id: int, question: str) -> None:
        """🔔 on a miss; pressing it twice keeps one subscription."""
        self._enqueue(("subscribe", (query_id, user_id, chat_id, question, utc_now_iso())))

    def mark_notified(self, query_id: str) -> None:
        self._enqueue(("notified", (utc_now_iso(), query_id)))

    async def flush(self) -> None:
        """Return once everything queued before this call is committed."""
        if self._writer is None or self._writer.done():
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(("flush", done))
        await done

    def _enqueue(self, item: tuple[Any, ...]) -> None:
        if self._writer is None or self._closed:
            raise RuntimeError("the query log is not open")
        self._queue.put_nowait(item)

    # -- the writer ------------------------------------------------------------------------

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._process(batch)
            if any(item[0] == "stop" for item in batch):
                return

    async def _process(self, batch: list[tuple[Any, ...]]) -> None:
        """Write the batch in queue order: plain rows in one transaction, each "run" item (an
        outbox change whose caller waits) in its own, between them."""
        rows: list[tuple[Any, ...]] = []
        for item in batch:
            if item[0] != "run":
                rows.append(item)
                continue
            await self._write(rows)
            _release_flushes(rows)
            rows = []
            await self._run(*item[1:])
        await self._write(rows)
        _release_flushes(rows)

    async def _run(
        self, step: Callable[[aiosqlite.Connection], Awaitable[Any]], done: asyncio.Future[Any]
    ) -> None:
        assert self._db is not None
        try:
            result = await step(self._db)
            await self._db.commit()
        except Exception as error:
            await self._rollback()
            if not done.done():
                done.set_exception(error)
        else:
            if not done.done():
                done.set_result(result)

    async def _committed(self, step: Callable[[aiosqlite.Connection], Awaitable[Any]]) -> Any:
        """Run `step` on the connection in the writer's turn; return its result once committed."""
        if self._writer is None or self._closed or self._writer.done():
            raise RuntimeError("the query log is not open")
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(("run", step, done))
        return await done

    async def _write(self, batch: list[tuple[Any, ...]]) -> None:
        """One transaction per batch; on failure, retry item by item so one bad row (say, a
        reused id) costs only itself, and the writer itself never dies."""
        assert self._db is not None
        if not any(item[0] in _SQL_FOR for item in batch):
            return
        try:
            for sql, params in _runs(batch):
                await self._db.executemany(sql, params)
            await self._db.commit()
            return
        except Exception:
            log.exception("query log: batch write failed; retrying row by row")
            await self._rollback()
        for sql, params in _runs(batch):
            for one in params:
                try:
                    await self._db.execute(sql, one)
                    await self._db.commit()
                except Exception:
                    log.exception("query log: dropped %s %r", sql.split()[0], one)
                    await self._rollback()

    async def _rollback(self) -> None:
        assert self._db is not None
        try:
            await self._db.rollback()
        except Exception:
            log.exception("query log: rollback failed")

    # -- the outbox: each returns once its change is committed --------------------------------

    async def record_received(
        self, updates: list[ReceivedUpdate], owner: str, lease_s: float
    ) -> set[int]:
        """Store updates just received, claimed by `owner` for `lease_s` seconds. Returns the
        ids that were new; an id already stored (Telegram sent it again) is left as it was."""

        async def insert(db: aiosqlite.Connection) -> set[int]:
            lease = lease_end(lease_s)
            new: set[int] = set()
            for u in updates:
                params = (u.update_id, _canonical_time(u.received), u.chat_id, u.user_id)
                async with db.execute(INSERT_RECEIVED, (*params, u.payload, owner, lease)) as c:
                    new.update(row[0] for row in await c.fetchall())
            return new

        return await self._committed(insert) if updates else set()

    async def claim(
        self, owner: str, lease_s: float, limit: int = 100, now: datetime | None = None
    ) -> list[PendingReply]:
        """Take up to `limit` pending replies that nobody holds (or whose lease ran out), oldest
        first, for `owner` and `lease_s` seconds. Each row goes to exactly one claimer."""
        now = now or datetime.now(UTC)

        async def take(db: aiosqlite.Connection) -> list[PendingReply]:
            params = (owner, lease_end(lease_s, now), iso(now), limit)
            async with db.execute(CLAIM_PENDING, params) as cursor:
                rows = await cursor.fetchall()
            return sorted((PendingReply(*row) for row in rows), key=lambda r: r.update_id)

        return await self._committed(take)

    async def mark_replied(self, update_id: int, owner: str, status: str = "replied") -> bool:
        """The update is dealt with: "replied" (handled; a reply was sent if one was due),
        "stale" (too old: an apology was sent) or "failed" (refused for good, e.g. the user
        blocked the bot). False if `owner` no longer held the row: someone else answers it."""
        if status not in FINISHED_STATUSES:
            raise ValueError(f"an outbox row ends as one of {FINISHED_STATUSES}, not {status!r}")
        params = (status, utc_now_iso(), update_id, owner)
        return bool(await self._committed(lambda db: _changed(db, MARK_FINISHED, params)))

    async def release(self, update_id: int, owner: str, error: str = "") -> bool:
        """Give a claimed reply back, still pending (its send failed, or the bot is stopping)."""
        params = (error[:500] or None, update_id, owner)
        return bool(await self._committed(lambda db: _changed(db, RELEASE_ONE, params)))

    async def release_all(self, owner: str) -> int:
        """Give back every reply `owner` still holds (on shutdown): the next start takes them."""
        return await self._committed(lambda db: _changed(db, RELEASE_ALL, (owner,)))

    async def pending_owners(self) -> list[str]:
        """The workers holding pending replies now (to find those of a process that died)."""
        async with (await self._reader()).execute(PENDING_OWNERS) as cursor:
            return sorted(owner for (owner,) in await cursor.fetchall())

    async def forget_finished(self, before: datetime) -> int:
        """Delete finished rows received before `before`: they are kept only so that an update
        Telegram sends again is recognised, and Telegram keeps updates for 24 hours."""
        params = (iso(before),)
        return await self._committed(lambda db: _changed(db, FORGET_FINISHED, params))

    async def pending_count(self) -> int:
        """Questions received whose reply has not been sent (counted in /stats)."""
        return await self._scalar(await self._reader(), COUNT_PENDING)

    # -- reads -----------------------------------------------------------------------------

    async def stats(self, now: datetime | None = None, top: int = 10) -> Stats:
        """Numbers for the admin: see `Stats` for the windows."""
        db = await self._reader()
        now = now or datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        end = iso(now)
        week_start = iso(now - timedelta(days=7))
        day_start = iso(now.replace(hour=0, minute=0, second=0, microsecond=0))
        today = await self._scalar(db, COUNT_SINCE, (day_start, end))
        async with db.execute(WEEK_TOTALS, (week_start, end)) as cursor:
            week, answered, up, down = await cursor.fetchone() or (0, 0, 0, 0)
        async with db.execute(TOP_QUESTIONS, (week_start, end, top)) as cursor:
            questions = [(text, n) for text, n in await cursor.fetchall()]
        async with db.execute(TOP_ENTITIES, (week_start, end, top)) as cursor:
            entities = [(text, n) for text, n in await cursor.fetchall()]
        refused = await self._scalar(db, COUNT_EVENTS, (week_start, end, "refused"))
        pending = await self._scalar(db, COUNT_PENDING)
        return Stats(
            now=now,
            today=today,
            week=week,
            answered=answered,
            thumbs_up=up,
            thumbs_down=down,
            refused=refused,
            top_questions=questions,
            top_entities=entities,
            pending=pending,
        )

    async def unanswered(
        self,
        limit: int = 20,
        low_score: float = LOW_SCORE,
        days: int = UNANSWERED_DAYS,
        now: datetime | None = None,
    ) -> list[UnansweredGroup]:
        """Missed and low-confidence questions of the last `days`, grouped by similar text
        (GROUP_SIMILARITY), most frequent first: what admins should add facts for next."""
        db = await self._reader()
        now = now or datetime.now(UTC)
        window = (iso(now - timedelta(days=days)), iso(now), low_score, UNANSWERED_SCAN)
        async with db.execute(UNANSWERED_ROWS, window) as cursor:
            rows = [tuple(r) for r in await cursor.fetchall()]
        return _group_similar(rows)[:limit]

    async def query_by_id(self, query_id: str) -> tuple[str, int | None, bool] | None:
        """(raw text, user id, found) of a logged query, or None."""
        db = await self._reader()
        async with db.execute(QUERY_BY_ID, (query_id,)) as cursor:
            row = await cursor.fetchone()
        return (row[0], row[1], bool(row[2])) if row else None

    async def pending_subscriptions(self) -> list[Subscription]:
        db = await self._reader()
        async with db.execute(PENDING_SUBSCRIPTIONS) as cursor:
            return [Subscription(*row) for row in await cursor.fetchall()]

    async def thumbs_up_answers(self) -> list[ThumbsUp]:
        """Every 👍 answer, the newest per question."""
        db = await self._reader()
        async with db.execute(THUMBS_UP_ANSWERS) as cursor:
            rows = await cursor.fetchall()
        newest: dict[str, ThumbsUp] = {}
        for question, fact_id, answer in rows:
            newest.setdefault(question, ThumbsUp(question, fact_id, answer or ""))
        return list(newest.values())

    async def missed_questions(
        self, days: int, now: datetime | None = None, limit: int = UNANSWERED_SCAN
    ) -> list[str]:
        """Distinct questions of the last `days` the bot did not answer, newest first."""
        db = await self._reader()
        since = iso((now or datetime.now(UTC)) - timedelta(days=days))
        async with db.execute(MISSED_QUESTIONS, (since, limit)) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def hourly_counts(self, start: datetime, end: datetime) -> list[HourCounts]:
        db = await self._reader()
        async with db.execute(HOURLY_COUNTS, (iso(start), iso(end))) as cursor:
            return [HourCounts(*row) for row in await cursor.fetchall()]

    async def export_csv(self, out: TextIO | Path) -> int:
        """Write every query as CSV with a header; returns the number of rows.

        Given a path, the file is written as UTF-8 with a BOM ("utf-8-sig"): without it,
        Excel reads UTF-8 as the local code page and the Chinese is garbled; Python's csv
        module, pandas and LibreOffice all read the BOM fine. Given an open text stream
        (stdout, a Telegram upload buffer), nothing is added: its owner chose the encoding.
        Text cells that Excel would run as a formula get a leading apostrophe.
        """
        if isinstance(out, Path):
            with out.open("w", encoding="utf-8-sig", newline="") as handle:
                return await self.export_csv(handle)
        db = await self._reader()
        writer = csv.writer(out)
        writer.writerow(QUERY_COLUMNS)
        count, last = 0, 0
        while True:  # pages by rowid, so no statement stays open across the writer's commits
            async with db.execute(EXPORT_PAGE, (last,)) as cursor:
                page = await cursor.fetchall()
            if not page:
                return count
            for rowid, *values in page:
                writer.writerow(_csv_cell(c, v) for c, v in zip(QUERY_COLUMNS, values, strict=True))
                last = rowid
            count += len(page)

    async def _reader(self) -> aiosqlite.Connection:
        """The connection, after a flush, so what was just asked is counted."""
        if self._db is None or self._closed:
            raise RuntimeError("the query log is not open")
        await self.flush()
        return self._db

    @staticmethod
    async def _scalar(db: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> Any:
        async with db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None


def _release_flushes(batch: list[tuple[Any, ...]]) -> None:
    for item in batch:
        if item[0] == "flush" and not item[1].done():
            item[1].set_result(None)


_SQL_FOR = {
    "query": INSERT_QUERY,
    "feedback": SET_FEEDBACK,
    "event": INSERT_EVENT,
    "subscribe": SUBSCRIBE,
    "notified": SET_NOTIFIED,
}


async def _changed(db: aiosqlite.Connection, sql: str, params: tuple[Any, ...]) -> int:
    async with db.execute(sql, params) as cursor:
        return cursor.rowcount


def _runs(batch: list[tuple[Any, ...]]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Consecutive writes of one kind as (sql, [params]), in queue order, so feedback is
    applied after the insert it refers to and the latest feedback wins."""
    runs: list[tuple[str, list[tuple[Any, ...]]]] = []
    for item in batch:
        sql = _SQL_FOR.get(item[0])
        if sql is None:
            continue  # flush / stop markers
        if runs and runs[-1][0] == sql:
            runs[-1][1].append(item[1])
        else:
            runs.append((sql, [item[1]]))
    return runs


async def migrate(db: aiosqlite.Connection) -> int:
    """Bring the schema to SCHEMA_VERSION, one transaction per step; returns the version."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = row[0] if row else 0
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"query log schema version {version} is newer than this program's {SCHEMA_VERSION}"
        )
    for step in range(version, SCHEMA_VERSION):
        try:
            await db.executescript(
                f"BEGIN;\n{MIGRATIONS[step]}\nPRAGMA user_version = {step + 1};\nCOMMIT;"
            )
        except BaseException:
            await db.rollback()
            raise
    return SCHEMA_VERSION
