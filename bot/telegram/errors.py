"""The error handler: log what went wrong and keep the bot running.

What is retried, and where, is told in retry.py; a reply whose tries all failed stays
pending in the outbox (delivery.py) and is sent later. What reaches this handler: a user who
blocked the bot is noted once at INFO, network errors as a one-line WARNING, anything else
with its traceback at ERROR.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import Application, ContextTypes

log = logging.getLogger(__name__)


class ErrorReporter:
    """Keeps the set of chats already reported as blocked, so a blocked user is one log line."""

    def __init__(self) -> None:
        self._blocked_chats: set[int | None] = set()

    async def __call__(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        chat_id = (
            update.effective_chat.id
            if isinstance(update, Update) and update.effective_chat
            else None
        )
        if isinstance(error, Forbidden):
            if chat_id not in self._blocked_chats:
                self._blocked_chats.add(chat_id)
                log.info("chat %s cannot be sent to (%s); not reporting it again", chat_id, error)
        elif isinstance(error, NetworkError) and not isinstance(error, BadRequest):
            log.warning("network error while handling an update for chat %s: %s", chat_id, error)
        else:
            log.error("error while handling an update for chat %s", chat_id, exc_info=error)


def register(application: Application) -> None:
    application.add_error_handler(ErrorReporter())
