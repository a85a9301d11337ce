"""Per-user limit on incoming questions, so one person cannot monopolise the bot.

This guards the bot's own work. Outgoing Bot API calls are throttled separately, by PTB's
AIORateLimiter (see app.py and retry.py). The same window limits refusals of admin commands.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum

DEFAULT_QUESTIONS_PER_MINUTE = 20
REFUSALS_PER_WINDOW = 3  # admin commands refused to one non-admin, with a reply and a row,
REFUSAL_WINDOW_S = 600.0  # per ten minutes
TRACKED_USERS_BEFORE_CLEANUP = 10_000  # past this many, users idle for a window are dropped


class Verdict(Enum):
    ALLOW = "allow"
    REFUSE_AND_WARN = "warn"  # the first refusal in a burst: tell the user politely
    REFUSE_SILENTLY = "silent"  # already warned: don't answer spam with spam


class QuestionRateLimiter:
    """A sliding window: at most `limit` questions per user in any `window` seconds."""

    def __init__(
        self,
        limit: int = DEFAULT_QUESTIONS_PER_MINUTE,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._asked: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def check(self, user_id: int) -> Verdict:
        """Count one question by `user_id` if it is allowed, and say what to do with it."""
        now = self._clock()
        if len(self._asked) > TRACKED_USERS_BEFORE_CLEANUP:
            self._forget_idle(now)
        asked = self._asked.setdefault(user_id, deque())
        while asked and asked[0] <= now - self.window:
            asked.popleft()
        if len(asked) < self.limit:
            asked.append(now)
            self._warned.discard(user_id)
            return Verdict.ALLOW
        if user_id in self._warned:
            return Verdict.REFUSE_SILENTLY
        self._warned.add(user_id)
        return Verdict.REFUSE_AND_WARN

    def _forget_idle(self, now: float) -> None:
        """Drop users with no question in the window, so memory tracks active users only."""
        cutoff = now - self.window
        for user_id in [u for u, asked in self._asked.items() if not asked or asked[-1] <= cutoff]:
            del self._asked[user_id]
            self._warned.discard(user_id)


def refusal_limiter() -> QuestionRateLimiter:
    """The same sliding window, for refusals of admin commands: a person who tries /stats
    learns it is for admins; one who sends it 30 times gets the answer three times."""
    return QuestionRateLimiter(limit=REFUSALS_PER_WINDOW, window=REFUSAL_WINDOW_S)
