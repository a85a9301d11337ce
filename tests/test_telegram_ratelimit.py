"""The per-user question limit: a sliding window, one polite warning per burst; in memory for
one process, or in PostgreSQL for several workers."""

from __future__ import annotations

import asyncio

from bot.querylog import QueryLog
from bot.telegram.ratelimit import (
    QuestionRateLimiter,
    SharedRateLimiter,
    Verdict,
    refusal_limiter,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_default_is_twenty_a_minute_then_one_warning_then_silence():
    limiter = QuestionRateLimiter(clock=Clock())
    assert [limiter.check(1) for _ in range(20)] == [Verdict.ALLOW] * 20
    assert limiter.check(1) is Verdict.REFUSE_AND_WARN
    assert limiter.check(1) is Verdict.REFUSE_SILENTLY


def test_users_are_counted_separately():
    limiter = QuestionRateLimiter(limit=2, clock=Clock())
    assert [limiter.check(1), limiter.check(1), limiter.check(1)][-1] is Verdict.REFUSE_AND_WARN
    assert limiter.check(2) is Verdict.ALLOW


def test_window_slides():
    clock = Clock()
    limiter = QuestionRateLimiter(limit=3, window=60, clock=clock)
    for step in (0, 20, 40):
        clock.now = 1000 + step
        assert limiter.check(1) is Verdict.ALLOW
    clock.now = 1059
    assert limiter.check(1) is Verdict.REFUSE_AND_WARN
    clock.now = 1060  # the question at 1000 has left the window
    assert limiter.check(1) is Verdict.ALLOW
    assert limiter.check(1) is Verdict.REFUSE_AND_WARN  # warned again: a new burst


def test_idle_users_are_forgotten_when_many_are_tracked(monkeypatch):
    from bot.telegram import ratelimit

    monkeypatch.setattr(ratelimit, "TRACKED_USERS_BEFORE_CLEANUP", 10)
    clock = Clock()
    limiter = QuestionRateLimiter(clock=clock)
    for user in range(11):
        limiter.check(user)
    clock.now += 61
    limiter.check(99)
    assert set(limiter._asked) == {99}


# -- one limit across workers, kept in PostgreSQL --------------------------------------------


async def test_two_workers_share_one_limit(postgres_url: str):
    async with QueryLog(postgres_url) as first, QueryLog(postgres_url) as second:
        workers = [SharedRateLimiter(first), SharedRateLimiter(second)]
        verdicts = [await workers[n % 2].verdict_for(7) for n in range(22)]
        assert verdicts == [Verdict.ALLOW] * 20 + [
            Verdict.REFUSE_AND_WARN,
            Verdict.REFUSE_SILENTLY,
        ]
        assert await workers[0].verdict_for(8) is Verdict.ALLOW  # another user


async def test_questions_at_the_same_moment_on_two_workers_are_counted_once_each(
    postgres_url: str,
):
    async with QueryLog(postgres_url) as first, QueryLog(postgres_url) as second:
        workers = [SharedRateLimiter(first, limit=10), SharedRateLimiter(second, limit=10)]
        verdicts = await asyncio.gather(*(workers[n % 2].verdict_for(9) for n in range(30)))
    assert verdicts.count(Verdict.ALLOW) == 10
    assert verdicts.count(Verdict.REFUSE_AND_WARN) == 1  # the row lock makes them take turns


async def test_the_shared_window_slides(database):
    clock = Clock()
    async with QueryLog(database) as qlog:
        limiter = SharedRateLimiter(qlog, limit=2, window=60, clock=clock)
        assert [await limiter.verdict_for(1) for _ in range(3)][-1] is Verdict.REFUSE_AND_WARN
        clock.now += 60
        assert await limiter.verdict_for(1) is Verdict.ALLOW


async def test_refusals_are_limited_across_workers_apart_from_questions(postgres_url: str):
    async with QueryLog(postgres_url) as first, QueryLog(postgres_url) as second:
        workers = [refusal_limiter(first), refusal_limiter(second)]
        verdicts = [await workers[n % 2].verdict_for(5) for n in range(4)]
        assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.REFUSE_AND_WARN]  # three in all
        assert await SharedRateLimiter(first).verdict_for(5) is Verdict.ALLOW  # its questions
