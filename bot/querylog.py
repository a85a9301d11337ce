"""The query log: every question the bot answers, on every surface, in one database.

Admins use it to see what people ask and what the bot could not answer (`python -m bot logs`,
the Telegram admin commands). The database is a SQLite file by default, or PostgreSQL when
DATABASE_URL is set (`bot.store`); this module's SQL is the same for both. Rules that shape
the code:

* Logging never delays an answer. `record`, `set_feedback` and `record_event` only put the
  row on an in-memory queue; one background task drains the queue and writes whatever is
  waiting as one batch (`executemany`, one transaction). It commits as soon as the queue is
  empty, rather than waiting for a batch to fill, so a crash loses at most the batch being
  written.
* A database outage costs no answer and, up to a bound, no row. While the database is
  unreachable the writer keeps its batch and tries again with backoff; new rows wait in the
  queue. Past `max_queued` waiting rows, new ones are dropped, counted (`dropped`, shown by
  /stats) and reported in one log line, rather than growing memory without end.
* `close()` (called on shutdown, SIGTERM too) writes everything still queued before closing;
  if the database is down, it tries for CLOSE_RETRY_SECONDS, then counts the rest as dropped.
* Several workers can share one PostgreSQL log: rows have ids made here, and an insert of an
  id already written (a batch retried after its commit was lost) changes nothing.

The queue is an `asyncio.Queue`, so the write methods must be called from the event loop's
thread, as every handler of the bot is.

The outbox (table `outbox`) holds each question the bot received and whether its reply went
out, so that a crash or a restart loses no question. Its methods (`record_received`, `claim`,
`mark_replied`, `release`, `release_all`, `forget_finished`) return only once their change is
committed, and only after the rows queued before them are written (so a reply marked sent has
its log row). A reply is claimed by one worker (`owner`) for a lease; in PostgreSQL the claim
skips rows another worker is claiming at that moment (FOR UPDATE SKIP LOCKED), so several
workers on one log never take the same reply.

Layout: SQL constants, then result dataclasses, then `QueryLog`. The schema is versioned:
`MIGRATIONS[i]` takes a database from version i to i + 1, applied at open.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
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

from rapidfuzz import fuzz, process

from bot.answer.policy import DEFAULT_POLICY
from bot.answer.result import Answer
from bot.store import Row, SchemaTooNew, Store, Transaction, open_store

__all__ = ["SchemaTooNew"]  # raised by open(); defined with the stores

log = logging.getLogger(__name__)


# Found answers scoring below this (0-100) are "low confidence" and listed by `unanswered`
# next to the misses: the bot replied, but barely, so these are the answers most likely to
# be wrong and the questions most worth a new or reworded fact.
LOW_SCORE = DEFAULT_POLICY.low_confidence  # answered, but not surely: worth an admin's look

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
MAX_QUEUED = 50_000  # rows waiting for an unreachable database before new ones are dropped
RETRY_DELAYS = (0.1, 0.2, 0.5, 1.0, 2.0)  # seconds between tries while it is unreachable
CLOSE_RETRY_SECONDS = 5.0  # on shutdown, how long to keep trying an unreachable database

# The SQL both SQLite and PostgreSQL understand: BIGINT and DOUBLE PRECISION are INTEGER and
# REAL to SQLite; times are TEXT in one ISO format, which sorts as time does in both.
MIGRATIONS: list[str] = [
    # 0 -> 1: the queries themselves.
    """
    CREATE TABLE queries (
        id          TEXT PRIMARY KEY,   -- uuid4().hex[:16], made before the row is written
        time        TEXT NOT NULL,      -- UTC ISO-8601, as utc_now_iso() writes it
        user_id     BIGINT,
        chat_id     BIGINT,
        chat_type   TEXT,
        surface     TEXT NOT NULL,      -- private | group | inline | chat | cli
        raw_text    TEXT NOT NULL,
        normalised  TEXT NOT NULL,
        found       INTEGER NOT NULL,   -- 0 | 1
        fact_id     TEXT,
        answer      TEXT,
        entity      TEXT,
        score       DOUBLE PRECISION NOT NULL,  -- 0-100
        latency_ms  INTEGER NOT NULL,
        feedback    INTEGER             -- +1 | -1 | NULL
    );
    CREATE INDEX queries_time ON queries (time);
    """,
    # 1 -> 2: other events worth reviewing, e.g. "refused": a non-admin sent an admin command.
    """
    CREATE TABLE events (
        time     TEXT NOT NULL,
        user_id  BIGINT,
        chat_id  BIGINT,
        kind     TEXT NOT NULL,
        detail   TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_time ON events (time);
    """,
    # 2 -> 3: the outbox: every question received, until its reply is sent (see the docstring).
    """
    CREATE TABLE outbox (
        update_id    BIGINT PRIMARY KEY,   -- Telegram's: a redelivered update is recognised
        received     TEXT NOT NULL,        -- UTC ISO-8601, when the bot first got it
        chat_id      BIGINT,
        user_id      BIGINT,
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
    # 3 -> 4: the per-user limits that several workers share (SharedRateLimiter).
    """
    CREATE TABLE rate_limits (
        kind     TEXT NOT NULL,      -- what is limited: questions | refusals
        user_id  BIGINT NOT NULL,
        asked    TEXT NOT NULL,      -- Unix times of the questions in the window, space-separated
        warned   INTEGER NOT NULL,   -- 1 once told to slow down, until a question is allowed
        updated  DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (kind, user_id)
    );
    """,
    # 4 -> 5: "🔔 tell me when you know" on a miss; `notified` is set once, before the message.
    """
    CREATE TABLE subscriptions (
        query_id  TEXT PRIMARY KEY,   -- the missed query, one subscription each
        user_id   BIGINT NOT NULL,
        chat_id   BIGINT NOT NULL,
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
# An id already written is skipped: a batch is retried when its commit may have been lost.
INSERT_QUERY = (
    f"INSERT INTO queries ({', '.join(QUERY_COLUMNS[:-1])}) "
    f"VALUES ({', '.join('?' * (len(QUERY_COLUMNS) - 1))}) ON CONFLICT (id) DO NOTHING"
)
SET_FEEDBACK = "UPDATE queries SET feedback = ? WHERE id = ?"
INSERT_EVENT = "INSERT INTO events (time, user_id, chat_id, kind, detail) VALUES (?, ?, ?, ?, ?)"

# Review queries; ? = window start, window end (UTC ISO strings, compared as text).
COUNT_SINCE = "SELECT count(*) FROM queries WHERE time >= ? AND time <= ?"
WEEK_TOTALS = """
    SELECT count(*), coalesce(sum(found), 0),
           count(*) FILTER (WHERE feedback = 1), count(*) FILTER (WHERE feedback = -1)
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
# {lock_rows}: FOR UPDATE SKIP LOCKED in PostgreSQL, so that each row has one claimer (in
# SQLite, writers take turns anyway). The changes below return the rows they changed.
CLAIM_PENDING = """
    UPDATE outbox SET owner = ?, lease_until = ?, attempts = attempts + 1
    WHERE update_id IN (
        SELECT update_id FROM outbox
        WHERE status = 'pending' AND (owner IS NULL OR lease_until < ?)
        ORDER BY update_id LIMIT ? {lock_rows}
    )
    RETURNING update_id, received, chat_id, user_id, payload, attempts
"""
MARK_FINISHED = """
    UPDATE outbox SET status = ?, finished = ?, owner = NULL, lease_until = NULL
    WHERE update_id = ? AND owner = ? AND status = 'pending'
    RETURNING update_id
"""
RELEASE_ONE = """
    UPDATE outbox SET owner = NULL, lease_until = NULL, last_error = ?
    WHERE update_id = ? AND owner = ? AND status = 'pending'
    RETURNING update_id
"""
RELEASE_ALL = """
    UPDATE outbox SET owner = NULL, lease_until = NULL
    WHERE owner = ? AND status = 'pending'
    RETURNING update_id
"""
FORGET_FINISHED = (
    "DELETE FROM outbox WHERE status != 'pending' AND received < ? RETURNING update_id"
)
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

# In time order, a page at a time after the last (time, id) seen.
EXPORT_PAGE = f"""
    SELECT {", ".join(QUERY_COLUMNS)} FROM queries
    WHERE (time, id) > (?, ?) ORDER BY time, id LIMIT 1000
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
    # log rows this process dropped since it started, its queue full while the database was
    # unreachable (MAX_QUEUED); kept in memory, as the database was where they could not go
    dropped: int = 0
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


class QueryLog:
    """The log's database plus its writer task. Use `async with QueryLog(location) as qlog:`.

    `location` is a SQLite file (a Path) or a postgresql:// URL (a str): `Config.database`.
    """

    def __init__(self, location: Path | str, max_queued: int = MAX_QUEUED) -> None:
        self.location = location
        self.max_queued = max_queued
        self.dropped = 0  # rows not logged because the queue was full (see Stats.dropped)
        self._store: Store | None = None
        self._queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self._outage: str | None = None  # why the database is unreachable, while it is
        self._down = asyncio.Event()  # set while it is, so that no reader waits for it
        self._overflowing = False  # the queue is full and the one log line about it written
        self._give_up_at: float | None = None  # set by close(): when to stop retrying

    @property
    def is_open(self) -> bool:
        return self._store is not None and not self._closed

    def is_outage(self, error: BaseException) -> bool:
        """Whether `error` means the database is unreachable for now (see Store.is_outage)."""
        return self._store is not None and self._store.is_outage(error)

    @property
    def store(self) -> Store:
        """The open database, for the few features that keep tables of their own."""
        if self._store is None or self._closed:
            raise RuntimeError("the query log is not open")
        return self._store

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect (creating a SQLite file and its folder), migrate, and start the writer.

        Raises bot.store.DatabaseError, with a one-line reason, if the database is unusable.
        """
        if self._store is not None or self._closed:
            raise RuntimeError("QueryLog.open() is called once per QueryLog")
        store = await open_store(self.location)
        try:
            await store.migrate(MIGRATIONS)
        except BaseException:
            await store.close()
            raise
        self._store = store
        self._writer = asyncio.create_task(self._write_forever(), name="querylog-writer")

    async def close(self) -> None:
        """Write everything still queued, stop the writer, close the database. Safe to repeat."""
        if self._closed:
            return
        self._closed = True
        self._give_up_at = asyncio.get_running_loop().time() + CLOSE_RETRY_SECONDS
        if self._writer is not None and not self._writer.done():
            self._queue.put_nowait(("stop",))
            await self._writer
        # Normally empty; not so if the loop's shutdown cancelled the writer first.
        leftover = []
        while not self._queue.empty():
            leftover.append(self._queue.get_nowait())
        if self._store is not None:
            if leftover:
                await self._write(leftover)
            await self._store.close()
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
        if self._queue.qsize() >= self.max_queued:
            self.dropped += 1
            if not self._overflowing:
                self._overflowing = True
                log.error(
                    "query log: %d rows are waiting for the database (%s); new rows are "
                    "dropped until it is back, and counted in /stats",
                    self._queue.qsize(),
                    self._outage or "it is writing too slowly",
                )
            return
        self._queue.put_nowait(item)

    # -- the writer ------------------------------------------------------------------------

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._write(batch)
            _release_flushes(batch)
            if any(item[0] == "stop" for item in batch):
                return

    async def _write(self, batch: list[tuple[Any, ...]]) -> None:
        """One transaction per batch; if a statement fails, retry item by item so one bad row
        costs only itself, and the writer itself never dies."""
        runs = _runs(batch)
        if not runs or await self._write_through_outages(runs):
            return
        for sql, params in runs:
            for one in params:
                if not await self._write_through_outages([(sql, [one])]):
                    log.error("query log: dropped %s %r", sql.split()[0], one)

    async def _write_through_outages(self, runs: list[tuple[str, list[Row]]]) -> bool:
        """Write `runs` in one transaction, trying again while the database is unreachable.

        False when a statement failed (the caller retries row by row). After close()'s
        deadline an unreachable database is given up on: the rows count as dropped.
        """
        assert self._store is not None
        for attempt in itertools.count():
            try:
                async with self._store.transaction() as tx:
                    for sql, params in runs:
                        await tx.executemany(sql, params)
            except Exception as error:
                if not self._store.is_outage(error):
                    log.warning("query log: write failed (%s: %s)", type(error).__name__, error)
                    return False
                if self._past_close_deadline():
                    lost = sum(len(params) for _, params in runs)
                    self.dropped += lost
                    log.error("query log: database unreachable at shutdown, %d rows lost", lost)
                    return True
                self._note_outage(error)
                await asyncio.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
            else:
                self._note_recovery()
                return True
        raise AssertionError("unreachable")

    def _past_close_deadline(self) -> bool:
        loop_time = asyncio.get_running_loop().time()
        return self._give_up_at is not None and loop_time >= self._give_up_at

    def _note_outage(self, error: Exception) -> None:
        if self._outage is None:
            self._outage = f"{type(error).__name__}: {error}".strip()
            self._down.set()
            log.warning(
                "query log: database unreachable (%s); %d rows wait in memory, retrying",
                self._outage,
                self._queue.qsize(),
            )

    def _note_recovery(self) -> None:
        if self._outage is not None:
            log.warning(
                "query log: database reachable again; %d rows dropped since start", self.dropped
            )
            self._outage = None
            self._down.clear()
            self._overflowing = False

    # -- the outbox: each returns once its change is committed --------------------------------

    async def _committed(self, step: Callable[[Transaction], Awaitable[Any]]) -> Any:
        """Run `step` in a transaction of its own, after the rows queued before it are written
        (so that a reply marked sent has its log row); its result, once committed."""
        store = await self._reader()
        async with store.transaction() as tx:
            return await step(tx)

    async def record_received(
        self, updates: list[ReceivedUpdate], owner: str, lease_s: float
    ) -> set[int]:
        """Store updates just received, claimed by `owner` for `lease_s` seconds. Returns the
        ids that were new; an id already stored (Telegram sent it again) is left as it was."""

        async def insert(tx: Transaction) -> set[int]:
            lease = lease_end(lease_s)
            new: set[int] = set()
            for u in updates:
                params = (u.update_id, _canonical_time(u.received), u.chat_id, u.user_id)
                rows = await tx.query(INSERT_RECEIVED, (*params, u.payload, owner, lease))
                new.update(row[0] for row in rows)
            return new

        return await self._committed(insert) if updates else set()

    async def claim(
        self, owner: str, lease_s: float, limit: int = 100, now: datetime | None = None
    ) -> list[PendingReply]:
        """Take up to `limit` pending replies that nobody holds (or whose lease ran out), oldest
        first, for `owner` and `lease_s` seconds. Each row goes to exactly one claimer, even
        with several workers claiming at once (the store's `lock_rows`)."""
        now = now or datetime.now(UTC)
        sql = CLAIM_PENDING.format(lock_rows=self.store.lock_rows)

        async def take(tx: Transaction) -> list[PendingReply]:
            rows = await tx.query(sql, (owner, lease_end(lease_s, now), iso(now), limit))
            return sorted((PendingReply(*row) for row in rows), key=lambda r: r.update_id)

        return await self._committed(take)

    async def mark_replied(self, update_id: int, owner: str, status: str = "replied") -> bool:
        """The update is dealt with: "replied" (handled; a reply was sent if one was due),
        "stale" (too old: an apology was sent) or "failed" (refused for good, e.g. the user
        blocked the bot). False if `owner` no longer held the row: someone else answers it."""
        if status not in FINISHED_STATUSES:
            raise ValueError(f"an outbox row ends as one of {FINISHED_STATUSES}, not {status!r}")
        params = (status, utc_now_iso(), update_id, owner)
        return bool(await self._changed(MARK_FINISHED, params))

    async def release(self, update_id: int, owner: str, error: str = "") -> bool:
        """Give a claimed reply back, still pending (its send failed, or the bot is stopping)."""
        return bool(await self._changed(RELEASE_ONE, (error[:500] or None, update_id, owner)))

    async def release_all(self, owner: str) -> int:
        """Give back every reply `owner` still holds (on shutdown): the next start takes them."""
        return await self._changed(RELEASE_ALL, (owner,))

    async def pending_owners(self) -> list[str]:
        """The workers holding pending replies now (to find those of a process that died)."""
        return sorted(owner for (owner,) in await (await self._reader()).query(PENDING_OWNERS))

    async def forget_finished(self, before: datetime) -> int:
        """Delete finished rows received before `before`: they are kept only so that an update
        Telegram sends again is recognised, and Telegram keeps updates for 24 hours."""
        return await self._changed(FORGET_FINISHED, (iso(before),))

    async def pending_count(self) -> int:
        """Questions received whose reply has not been sent (counted in /stats)."""
        [(pending,)] = await (await self._reader()).query(COUNT_PENDING)
        return pending

    async def _changed(self, sql: str, params: Row) -> int:
        """How many rows the statement changed (each of these ends in RETURNING update_id)."""
        return len(await self._committed(lambda tx: tx.query(sql, params)))

    # -- reads -----------------------------------------------------------------------------

    async def stats(self, now: datetime | None = None, top: int = 10) -> Stats:
        """Numbers for the admin: see `Stats` for the windows."""
        store = await self._reader()
        now = now or datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        end = iso(now)
        week_start = iso(now - timedelta(days=7))
        day_start = iso(now.replace(hour=0, minute=0, second=0, microsecond=0))
        [(today,)] = await store.query(COUNT_SINCE, (day_start, end))
        [(week, answered, up, down)] = await store.query(WEEK_TOTALS, (week_start, end))
        questions = await store.query(TOP_QUESTIONS, (week_start, end, top))
        entities = await store.query(TOP_ENTITIES, (week_start, end, top))
        [(refused,)] = await store.query(COUNT_EVENTS, (week_start, end, "refused"))
        [(pending,)] = await store.query(COUNT_PENDING)
        return Stats(
            now=now,
            today=today,
            week=week,
            answered=answered,
            thumbs_up=up,
            thumbs_down=down,
            refused=refused,
            top_questions=[(text, n) for text, n in questions],
            top_entities=[(text, n) for text, n in entities],
            pending=pending,
            dropped=self.dropped,
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
        store = await self._reader()
        now = now or datetime.now(UTC)
        window = (iso(now - timedelta(days=days)), iso(now), low_score, UNANSWERED_SCAN)
        rows = await store.query(UNANSWERED_ROWS, window)
        return _group_similar(rows)[:limit]

    async def query_by_id(self, query_id: str) -> tuple[str, int | None, bool] | None:
        """(raw text, user id, found) of a logged query, or None."""
        rows = await (await self._reader()).query(QUERY_BY_ID, (query_id,))
        return (rows[0][0], rows[0][1], bool(rows[0][2])) if rows else None

    async def pending_subscriptions(self) -> list[Subscription]:
        rows = await (await self._reader()).query(PENDING_SUBSCRIPTIONS)
        return [Subscription(*row) for row in rows]

    async def thumbs_up_answers(self) -> list[ThumbsUp]:
        """Every 👍 answer, the newest per question."""
        rows = await (await self._reader()).query(THUMBS_UP_ANSWERS)
        newest: dict[str, ThumbsUp] = {}
        for question, fact_id, answer in rows:
            newest.setdefault(question, ThumbsUp(question, fact_id, answer or ""))
        return list(newest.values())

    async def missed_questions(
        self, days: int, now: datetime | None = None, limit: int = UNANSWERED_SCAN
    ) -> list[str]:
        """Distinct questions of the last `days` the bot did not answer, newest first."""
        since = iso((now or datetime.now(UTC)) - timedelta(days=days))
        rows = await (await self._reader()).query(MISSED_QUESTIONS, (since, limit))
        return [row[0] for row in rows]

    async def hourly_counts(self, start: datetime, end: datetime) -> list[HourCounts]:
        rows = await (await self._reader()).query(HOURLY_COUNTS, (iso(start), iso(end)))
        return [HourCounts(*row) for row in rows]

    async def export_csv(self, out: TextIO | Path) -> int:
        """Write every query as CSV with a header, oldest first; returns the number of rows.

        Given a path, the file is written as UTF-8 with a BOM ("utf-8-sig"): without it,
        Excel reads UTF-8 as the local code page and the Chinese is garbled; Python's csv
        module, pandas and LibreOffice all read the BOM fine. Given an open text stream
        (stdout, a Telegram upload buffer), nothing is added: its owner chose the encoding.
        Text cells that Excel would run as a formula get a leading apostrophe.
        """
        if isinstance(out, Path):
            with out.open("w", encoding="utf-8-sig", newline="") as handle:
                return await self.export_csv(handle)
        store = await self._reader()
        writer = csv.writer(out)
        writer.writerow(QUERY_COLUMNS)
        count, last = 0, ("", "")
        while True:  # a page at a time, so no statement stays open across the writer's commits
            page = await store.query(EXPORT_PAGE, last)
            if not page:
                return count
            for values in page:
                writer.writerow(_csv_cell(c, v) for c, v in zip(QUERY_COLUMNS, values, strict=True))
            last = (page[-1][QUERY_COLUMNS.index("time")], page[-1][QUERY_COLUMNS.index("id")])
            count += len(page)

    async def _reader(self) -> Store:
        """The store, once the rows queued so far are written, so that what was just asked is
        counted; or at once while the database is unreachable, rather than waiting for it."""
        store = self.store
        if self._writer is None or self._writer.done() or self._down.is_set():
            return store
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(("flush", done))
        down = asyncio.ensure_future(self._down.wait())
        try:
            await asyncio.wait({done, down}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            down.cancel()
        return store


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


def _runs(batch: list[tuple[Any, ...]]) -> list[tuple[str, list[Row]]]:
    """Consecutive writes of one kind as (sql, [params]), in queue order, so feedback is
    applied after the insert it refers to and the latest feedback wins."""
    runs: list[tuple[str, list[Row]]] = []
    for item in batch:
        sql = _SQL_FOR.get(item[0])
        if sql is None:
            continue  # flush / stop markers
        if runs and runs[-1][0] == sql:
            runs[-1][1].append(item[1])
        else:
            runs.append((sql, [item[1]]))
    return runs
