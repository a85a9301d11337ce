"""Per-user limit on incoming questions, so one person cannot monopolise the bot.

This guards the bot's own work. Outgoing Bot API calls are throttled separately, by PTB's
AIORateLimiter (see app.py and retry.py). The same window limits refusals of admin commands.

One rule, `judge`, kept in one of two places: `QuestionRateLimiter` holds each user's recent
questions in memory (one process); `SharedRateLimiter` holds them in the query log's database,
so that several `bot run` workers on one PostgreSQL log enforce one limit between them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.querylog import QueryLog

log = logging.getLogger(__name__)

DEFAULT_QUESTIONS_PER_MINUTE = 20
REFUSALS_PER_WINDOW = 3  # admin commands refused to one non-admin, with a reply and a row,
REFUSAL_WINDOW_S = 600.0  # per ten minutes
TRACKED_USERS_BEFORE_CLEANUP = 10_000  # past this many, users idle for a window are dropped
SHARED_CHECK_SECONDS = 1.0  # a slower database is treated as down: answers must not wait
SHARED_CLEANUP_EVERY = 1000  # checks between deletions of idle users' rows


class Verdict(Enum):
    ALLOW = "allow"
    REFUSE_AND_WARN = "warn"  # the first refusal in a burst: tell the user politely
    REFUSE_SILENTLY = "silent"  # already warned: don't answer spam with spam


def judge(
    asked: list[float], warned: bool, now: float, limit: int, window: float
) -> tuple[Verdict, list[float], bool]:
    """A sliding window: at most `limit` questions in any `window` seconds.

    Given one user's earlier question times and whether they were warned already, returns
    the verdict on a question at `now`, the times to keep, and whether they are now warned.
    """
    recent = [moment for moment in asked if moment > now - window]
    if len(recent) < limit:
        return Verdict.ALLOW, [*recent, now], False
    if warned:
        return Verdict.REFUSE_SILENTLY, recent, True
    return Verdict.REFUSE_AND_WARN, recent, True


class QuestionRateLimiter:
    """The limit for one process: every user's recent questions in memory."""

    def __init__(
        self,
        limit: int = DEFAULT_QUESTIONS_PER_MINUTE,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._asked: dict[int, list[float]] = {}
        self._warned: set[int] = set()

    def check(self, user_id: int) -> Verdict:
        """Count one question by `user_id` if it is allowed, and say what to do with it."""
        now = self._clock()
        if len(self._asked) > TRACKED_USERS_BEFORE_CLEANUP:
            self._forget_idle(now)
        verdict, self._asked[user_id], warned = judge(
            self._asked.get(user_id, []), user_id in self._warned, now, self.limit, self.window
        )
        if warned:
            self._warned.add(user_id)
        else:
            self._warned.discard(user_id)
        return verdict

    async def verdict_for(self, user_id: int) -> Verdict:
        """`check`, in the form the shared limiter needs (handlers await either)."""
        return self.check(user_id)

    def _forget_idle(self, now: float) -> None:
        """Drop users with no question in the window, so memory tracks active users only."""
        cutoff = now - self.window
        for user_id in [u for u, asked in self._asked.items() if not asked or asked[-1] <= cutoff]:
            del self._asked[user_id]
            self._warned.discard(user_id)


# The user's row, locked until the transaction ends (the no-op update takes the lock when the
# row exists; the insert, when it does not), so workers checking one user take turns.
LOCK_USER = """
    INSERT INTO rate_limits (kind, user_id, asked, warned, updated) VALUES (?, ?, '', 0, ?)
    ON CONFLICT (kind, user_id) DO UPDATE SET warned = rate_limits.warned
    RETURNING asked, warned
"""
SAVE_USER = """
    UPDATE rate_limits SET asked = ?, warned = ?, updated = ? WHERE kind = ? AND user_id = ?
"""
FORGET_IDLE = "DELETE FROM rate_limits WHERE kind = ? AND updated < ?"


class SharedRateLimiter:
    """The limit across every worker, in the `rate_limits` table of the query log's database.

    Each check is one short transaction on the user's row. Times are wall-clock Unix
    seconds, the one clock workers on different hosts share. If the database is unreachable
    or slow (SHARED_CHECK_SECONDS), the worker falls back to its own in-memory limit, says so
    once, and answers: a lost database must not cost replies.
    """

    def __init__(
        self,
        querylog: QueryLog,
        limit: int = DEFAULT_QUESTIONS_PER_MINUTE,
        window: float = 60.0,
        clock: Callable[[], float] = time.time,
        kind: str = "questions",
    ) -> None:
        self.limit = limit
        self.window = window
        self.kind = kind  # what is counted: each kind has its own rows
        self._querylog = querylog
        self._clock = clock
        self._local = QuestionRateLimiter(limit, window, clock)
        self._checks = 0
        self._alone = False  # on the local fallback since the database failed

    async def verdict_for(self, user_id: int) -> Verdict:
        now = self._clock()
        try:
            verdict = await asyncio.wait_for(self._check(user_id, now), SHARED_CHECK_SECONDS)
        except Exception as error:
            if not isinstance(error, TimeoutError) and not self._querylog.is_outage(error):
                raise
            if not self._alone:
                self._alone = True
                log.warning("rate limit: database unreachable or slow (%r); counting here", error)
            return self._local.check(user_id)
        if self._alone:
            self._alone = False
            log.warning("rate limit: shared through the database again")
        return verdict

    async def _check(self, user_id: int, now: float) -> Verdict:
        store = self._querylog.store
        async with store.transaction() as tx:
            [(asked, warned)] = await tx.query(LOCK_USER, (self.kind, user_id, now))
            times = [float(moment) for moment in asked.split()]
            verdict, times, warned = judge(times, bool(warned), now, self.limit, self.window)
            kept = " ".join(f"{moment:.3f}" for moment in times)
            await tx.query(SAVE_USER, (kept, int(warned), now, self.kind, user_id))
        self._checks += 1
        if self._checks % SHARED_CLEANUP_EVERY == 0:
            await store.query(FORGET_IDLE, (self.kind, now - self.window))
        return verdict


def refusal_limiter(querylog: QueryLog | None = None) -> QuestionRateLimiter | SharedRateLimiter:
    """The same sliding window, for refusals of admin commands: a person who tries /stats
    learns it is for admins; one who sends it 30 times gets the answer three times. Given a
    query log (several workers on PostgreSQL), counted in its database for all of them."""
    if querylog is None:
        return QuestionRateLimiter(limit=REFUSALS_PER_WINDOW, window=REFUSAL_WINDOW_S)
    return SharedRateLimiter(
        querylog, limit=REFUSALS_PER_WINDOW, window=REFUSAL_WINDOW_S, kind="refusals"
    )
