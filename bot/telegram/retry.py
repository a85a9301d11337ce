"""Riding out a flaky Bot API: retried sends, connecting at start, one-line network errors.

What is retried, and by whom:
* a lost connection before anything was sent: the HTTP transport (CONNECT_RETRIES in app.py);
* flood control (429, RetryAfter): AIORateLimiter waits as Telegram says;
* a 5xx answer, a timeout or a dropped connection on a send: `RetryingRateLimiter`, with
  exponential backoff and jitter, `send_tries` times in all. A retry takes its place in the
  rate limiter again, so retries never break Telegram's limits. A reply whose tries all fail
  stays pending in the outbox (delivery.py) and is tried again later;
* getUpdates: PTB's updater, for as long as the network is out;
* getMe at start: `connect`, for as long as it takes, one line per attempt.
A rejected token or a refused request (4xx) is never retried: trying again cannot help.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

# Methods whose failure costs a user something. sendChatAction is cosmetic and not retried;
# getMe and the webhook set-up have their own loops at start.
RETRIED_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "editMessageText",
        "answerCallbackQuery",
        "answerInlineQuery",
        "setMyCommands",
    }
)
FIRST_BACKOFF_S = 1.0


class ShuttingDown(Exception):
    """The stop's grace period is over: this reply is left pending for the next start."""


def is_transient(error: BaseException) -> bool:
    """A failure that may go away: 5xx, timeout, lost connection. Not 4xx, not 429 (the
    rate limiter waits those out itself)."""
    return (
        isinstance(error, NetworkError)
        and not isinstance(error, BadRequest | RetryAfter)
        or isinstance(error, OSError | asyncio.TimeoutError)
    )


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: try n waits about FIRST_BACKOFF_S * 2**(n-1), at most
    `max_s`, scaled by a random 0.5-1.0 so that many clients failing together spread out."""

    max_s: float
    first_s: float = FIRST_BACKOFF_S

    def delay(self, attempt: int) -> float:
        ceiling = min(self.max_s, self.first_s * 2 ** min(attempt - 1, 30))
        return ceiling * random.uniform(0.5, 1.0)


class SendGate:
    """Where a send may start. After the stop's grace period no send starts (ShuttingDown),
    and the tasks that are sending right now are known, so the stop can wait for them
    instead of cutting a request Telegram may already have acted on."""

    def __init__(self) -> None:
        self.closed = False
        self.sending: set[asyncio.Task[Any]] = set()

    def guard(self, send: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            if self.closed:
                raise ShuttingDown("the grace period is over; the reply stays pending")
            task = asyncio.current_task()
            assert task is not None
            self.sending.add(task)
            try:
                return await send(*args, **kwargs)
            finally:
                self.sending.discard(task)

        return guarded


class RetryingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (Telegram's limits, 429s), plus bounded retries of transient
    failures of the RETRIED_METHODS, and the SendGate check before every attempt."""

    def __init__(self, *, tries: int, backoff: Backoff, gate: SendGate, max_retries: int) -> None:
        super().__init__(max_retries=max_retries)
        self.tries = max(1, tries)
        self.backoff = backoff
        self.gate = gate

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        tries = self.tries if endpoint in RETRIED_METHODS else 1
        guarded = self.gate.guard(callback)
        for attempt in range(1, tries + 1):
            try:
                return await super().process_request(
                    guarded, args, kwargs, endpoint, data, rate_limit_args
                )
            except Exception as error:
                if attempt == tries or not is_transient(error) or self.gate.closed:
                    raise
                delay = self.backoff.delay(attempt)
                log.warning(
                    "%s failed (%s); try %d of %d in %.1f s",
                    endpoint,
                    one_line(error),
                    attempt + 1,
                    tries,
                    delay,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last try returns or raises")


async def connect(bot: Bot, backoff: Backoff) -> None:
    """Initialise the bot (getMe), retrying for as long as Telegram cannot be reached, with one
    log line per failed attempt. A rejected token (InvalidToken) and 4xx errors are raised."""
    attempt = 0
    while True:
        attempt += 1
        try:
            await bot.initialize()
            return
        except InvalidToken:
            raise
        except Exception as error:
            if not is_transient(error):
                raise
            delay = backoff.delay(attempt)
            log.warning(
                "connecting to Telegram… (attempt %d, next in %.0f s): %s",
                attempt,
                delay,
                one_line(error),
            )
            await asyncio.sleep(delay)


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:300]


class OneLineNetworkErrors(logging.Filter):
    """Network failures are expected on a long-running bot: log them as one line (the error's
    type and message) instead of a traceback. Installed unless the log level is DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            if is_transient(error):
                record.msg = f"{record.getMessage()} ({one_line(error)})"
                record.args = None
                record.exc_info = None
                record.exc_text = None
        return True
