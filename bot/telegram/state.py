"""What every handler shares, kept in `application.bot_data` under one key."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.answer import Answerer
from bot.config import Config
from bot.querylog import QueryLog
from bot.telegram.ratelimit import QuestionRateLimiter

STATE_KEY = "state"


@dataclass
class BotState:
    config: Config
    answerer: Answerer  # /reload replaces it whole; a handler reads it once per update
    querylog: QueryLog  # opened in post_init, closed (and flushed) in post_shutdown
    limiter: QuestionRateLimiter
    # callback key -> example question, for the /start buttons (a question rarely fits in
    # the 64 bytes of callback data, so the button carries a short key instead)
    example_questions: dict[str, str] = field(default_factory=dict)


def bot_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data[STATE_KEY]
