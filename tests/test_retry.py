"""What is retried and how long it waits; the settings that bound it; one-line network logs."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import timedelta

import pytest
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.config import Config, ConfigError
from bot.telegram.retry import (
    Backoff,
    OneLineNetworkErrors,
    RetryingRateLimiter,
    SendGate,
    ShuttingDown,
    is_transient,
)


@pytest.mark.parametrize(
    "error",
    [NetworkError("Internal Server Error (500)"), TimedOut(), ConnectionResetError()],
)
def test_5xx_timeouts_and_lost_connections_are_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        BadRequest("message is too long"),
        Forbidden("blocked"),
        InvalidToken(),
        RetryAfter(timedelta(seconds=3)),
    ],
)
def test_refusals_and_flood_control_are_not_retried_here(error):
    assert not is_transient(error)


def test_backoff_doubles_with_jitter_up_to_its_ceiling():
    backoff = Backoff(max_s=8.0)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 8), (60, 8)]:
        delays = [backoff.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered


def limiter(tries: int, gate: SendGate | None = None) -> RetryingRateLimiter:
    return RetryingRateLimiter(
        tries=tries,
        backoff=Backoff(max_s=0.01, first_s=0.01),
        gate=gate or SendGate(),
        max_retries=0,
    )


def failing(*errors: Exception):
    """A send that raises each of `errors` in turn, then returns "sent"."""
    calls = []

    async def send() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "sent"

    return send, calls


async def test_a_send_is_retried_through_transient_failures():
    send, calls = failing(NetworkError("Bad Gateway (502)"), TimedOut())
    assert await limiter(3).process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert len(calls) == 3


async def test_tries_are_bounded_and_the_last_error_is_raised():
    send, calls = failing(*[NetworkError("Internal Server Error (500)")] * 5)
    with pytest.raises(NetworkError):
        await limiter(3).process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert len(calls) == 3


async def test_a_bad_request_and_the_typing_indicator_are_not_retried():
    send, calls = failing(BadRequest("can't parse entities"))
    with pytest.raises(BadRequest):
        await limiter(3).process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None)
    send, typing_calls = failing(TimedOut())
    with pytest.raises(TimedOut):
        await limiter(3).process_request(send, (), {}, "sendChatAction", {"chat_id": 1}, None)
    assert len(calls) == len(typing_calls) == 1


async def test_after_the_grace_period_no_send_starts():
    gate = SendGate()
    gate.closed = True
    send, calls = failing()
    with pytest.raises(ShuttingDown):
        await limiter(3, gate).process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert calls == []


async def test_the_gate_knows_which_tasks_are_sending():
    gate = SendGate()
    seen = []

    async def send() -> None:
        seen.append(asyncio.current_task() in gate.sending)

    await gate.guard(send)()
    assert seen == [True] and gate.sending == set()


def test_network_errors_log_as_one_line_other_errors_keep_their_traceback():
    one_line = OneLineNetworkErrors()
    for error, kept in [(NetworkError("Bad Gateway (502)"), False), (ValueError("bug"), True)]:
        try:
            raise error
        except Exception:
            record = logging.LogRecord("x", logging.ERROR, "", 0, "polling failed", None, None)
            record.exc_info = sys.exc_info()
        assert one_line.filter(record)
        assert (record.exc_info is not None) is kept
        if not kept:
            assert record.getMessage() == "polling failed (NetworkError: Bad Gateway (502))"


def test_reliability_settings_come_from_the_environment():
    config = Config.from_env(
        {
            "BOT_SHUTDOWN_GRACE_S": "3",
            "BOT_PENDING_MAX_AGE_S": "60",
            "BOT_PENDING_RETRY_S": "0.5",
            "BOT_SEND_TRIES": "2",
            "BOT_RETRY_MAX_S": "4",
            "BOT_LOG_LEVEL": "debug",
        }
    )
    assert (config.shutdown_grace_s, config.pending_max_age_s, config.pending_retry_s) == (
        3,
        60,
        0.5,
    )
    assert (config.send_tries, config.retry_max_s, config.log_level) == (2, 4, "DEBUG")
    defaults = Config.from_env({})
    assert (defaults.shutdown_grace_s, defaults.pending_max_age_s) == (8, 3600)


@pytest.mark.parametrize(
    ("name", "value"),
    [("BOT_SHUTDOWN_GRACE_S", "soon"), ("BOT_RETRY_MAX_S", "-1"), ("BOT_LOG_LEVEL", "LOUD")],
)
def test_a_bad_reliability_setting_names_itself(name, value):
    with pytest.raises(ConfigError, match=name):
        Config.from_env({name: value})
