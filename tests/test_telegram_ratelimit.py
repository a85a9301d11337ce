"""The per-user question limit: a sliding window, one polite warning per burst."""

from __future__ import annotations

from bot.telegram.ratelimit import QuestionRateLimiter, Verdict


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
