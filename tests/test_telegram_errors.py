"""The error handler: a blocked user is one INFO line, network trouble a warning, the rest an
error with its traceback; and the bot keeps answering after an error."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from types import SimpleNamespace

from botapi import FakeBotApi
from telegram import Chat, Message, Update
from telegram.error import BadRequest, Forbidden, TimedOut
from test_telegram_app import next_message
from test_telegram_webhook import USER, message_update

from bot.telegram.errors import ErrorReporter

pytest_plugins = ["test_telegram_app"]  # fixtures: webhook_bot, bot, start_bot, answerer


def update_in_chat(chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(1, message=Message(1, datetime.now(UTC), chat))


def report(reporter: ErrorReporter, update: object, error: Exception) -> None:
    asyncio.run(reporter(update, SimpleNamespace(error=error)))


def test_a_blocked_user_is_logged_once_at_info(caplog):
    reporter = ErrorReporter()
    caplog.set_level(logging.INFO, logger="bot.telegram.errors")
    for _ in range(5):
        report(reporter, update_in_chat(7), Forbidden("bot was blocked by the user"))
    report(reporter, update_in_chat(8), Forbidden("bot was blocked by the user"))
    assert [(r.levelno, "chat 7" in r.getMessage()) for r in caplog.records] == [
        (logging.INFO, True),
        (logging.INFO, False),
    ]


def test_network_errors_are_a_warning_and_bad_requests_an_error(caplog):
    reporter = ErrorReporter()
    caplog.set_level(logging.INFO, logger="bot.telegram.errors")
    report(reporter, object(), TimedOut())
    report(reporter, update_in_chat(7), BadRequest("message is too long"))
    report(reporter, update_in_chat(7), ValueError("a bug"))
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.ERROR, logging.ERROR]
    assert caplog.records[2].exc_info[1].args == ("a bug",)


def test_the_bot_keeps_answering_after_a_failed_call(webhook_bot, botapi: FakeBotApi, caplog):
    """A button press Telegram no longer knows: answerCallbackQuery fails, the bot goes on."""
    botapi.wait_for("setWebhook")
    stale = {
        "callback_query": {
            "id": "999",
            "from": {"id": USER, "is_bot": False, "first_name": "Web"},
            "chat_instance": "1",
            "data": "up:0123456789abcdef",
        }
    }
    assert botapi.post_webhook_update(stale) == 200
    failed = botapi.wait_for("answerCallbackQuery")
    assert not failed.ok
    assert botapi.post_webhook_update(message_update(1, "伟力得的总部在哪里？")) == 200
    assert "来源" in next_message(botapi, USER).result["text"]
    errors = [r for r in caplog.records if r.name == "bot.telegram.errors"]
    assert errors and errors[0].levelno == logging.ERROR
