"""What every handler shares, kept in `application.bot_data` under one key."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.answer import Answerer
from bot.config import Config
from bot.querylog import QueryLog
from bot.telegram.ratelimit import QuestionRateLimiter, SharedRateLimiter, refusal_limiter
from bot.telegram.retry import Backoff

STATE_KEY = "state"
EXAMPLE_COUNT = 3


@dataclass
class BotState:
    config: Config
    answerer: Answerer  # /reload replaces it whole; a handler reads it once per update
    querylog: QueryLog  # opened in post_init, closed (and flushed) in post_shutdown
    limiter: QuestionRateLimiter | SharedRateLimiter  # shared when workers share PostgreSQL
    connect_backoff: Backoff  # how long to wait between attempts to reach Telegram at start
    # admin commands refused to non-admins: a few replies (and log rows) per user, then silence
    refusals: QuestionRateLimiter | SharedRateLimiter = field(default_factory=refusal_limiter)
    # callback key -> example question, for the /start buttons (a question rarely fits in
    # the 64 bytes of callback data, so the button carries a short key instead)
    example_questions: dict[str, str] = field(default_factory=dict)


def bot_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data[STATE_KEY]


@functools.lru_cache(maxsize=2)  # the current answerer, and the previous one during a /reload
def example_questions(answerer: Answerer) -> tuple[str, ...]:
    """The example questions for /start and the empty inline query.

    Cached per answerer because finding them takes the engine a second or so. app.py and
    /reload fill the cache in a worker thread, so no update waits for it.
    """
    return tuple(answerer.examples(EXAMPLE_COUNT))


def prepare(answerer: Answerer) -> None:
    """Start-up work, run in a worker thread before the answerer serves anyone: the
    sounds of the common characters (see Answerer.warm_up), then the example questions."""
    answerer.warm_up()
    example_questions(answerer)
