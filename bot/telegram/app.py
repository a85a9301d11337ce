"""`python -m bot run`: build the Application and run it, by long polling or by webhook.

Settings come only from the environment (bot.config). BOT_WEBHOOK_URL switches to a
webhook served on PORT, protected by a secret token made fresh at every start.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from urllib.parse import urlsplit

import httpx
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults
from telegram.request import HTTPXRequest

from bot.answer import Answerer, KnowledgeError, load_answerer
from bot.config import Config, ConfigError, load_config
from bot.querylog import QueryLog
from bot.telegram import admin, buttons, errors, groups, inbox, inline, notify, private, reload
from bot.telegram.ratelimit import QuestionRateLimiter
from bot.telegram.redact import configure_logging
from bot.telegram.state import STATE_KEY, BotState, prepare

log = logging.getLogger(__name__)

# inbox, reload and notify handle their own button prefixes, so they come before buttons
SURFACES = (errors, admin, inbox, reload, notify, groups, private, buttons, inline)
COMMANDS = [
    BotCommand("start", "开始，看看可以问什么"),
    BotCommand("help", "我了解哪些新闻文章"),
    BotCommand("ask", "在群里提问：/ask 问题"),
]
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
CONNECT_RETRIES = 3  # a connection that failed sent nothing, so retrying cannot duplicate
FLOOD_RETRIES = 3  # RetryAfter answers, waited out by AIORateLimiter
BOOTSTRAP_RETRIES = 5  # getMe / deleteWebhook / setWebhook at startup
CONNECTION_POOL = 256  # matches the 256 updates handled concurrently

NO_TOKEN_HELP = """\
TELEGRAM_BOT_TOKEN is not set, so the bot cannot connect to Telegram.

To get a token: open Telegram, talk to @BotFather, send /newbot and follow the steps;
it replies with a token like 123456789:AA…  Then run:

    TELEGRAM_BOT_TOKEN=123456789:AA… python -m bot run

To try the bot without Telegram, chat with it in this terminal:

    python -m bot chat
"""


def build_application(config: Config, answerer: Answerer) -> Application:
    """The bot, ready to run: handlers of every surface, rate limiter, query log."""
    if not config.token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .request(http_request(CONNECTION_POOL))
        .get_updates_request(http_request(1))
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .concurrent_updates(True)
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
    )
    if config.api_base_url:
        base_url, base_file_url = api_urls(config.api_base_url)
        builder = builder.base_url(base_url).base_file_url(base_file_url)
    application = builder.build()
    application.bot_data[STATE_KEY] = BotState(
        config=config,
        answerer=answerer,
        querylog=QueryLog(config.db_path),
        limiter=QuestionRateLimiter(),
    )
    for surface in SURFACES:
        surface.register(application)
    return application


def http_request(pool_size: int) -> HTTPXRequest:
    """PTB's httpx request, with connection failures retried by the transport."""
    transport = httpx.AsyncHTTPTransport(
        retries=CONNECT_RETRIES, limits=httpx.Limits(max_connections=pool_size)
    )
    return HTTPXRequest(connection_pool_size=pool_size, httpx_kwargs={"transport": transport})


def api_urls(base_url: str) -> tuple[str, str]:
    """(base_url, base_file_url) in PTB's form, for a Bot API server other than Telegram's.

    "http://host:8081/bot" -> files at "http://host:8081/file/bot", as on api.telegram.org.
    """
    base_url = base_url.rstrip("/")
    if not base_url.endswith("/bot"):
        raise ConfigError(
            f"TELEGRAM_API_BASE_URL: {base_url!r} should end in /bot "
            "(the token is appended), e.g. http://localhost:8081/bot"
        )
    return base_url, base_url.removesuffix("/bot") + "/file/bot"


async def on_startup(application: Application) -> None:
    state: BotState = application.bot_data[STATE_KEY]
    await state.querylog.open()
    await application.bot.set_my_commands(COMMANDS)
    await asyncio.to_thread(prepare, state.answerer)
    log.info(
        "@%s is up: %d facts from %s, query log %s",
        application.bot.username,
        len(state.answerer.factbase.facts),
        state.config.knowledge_dir,
        state.config.db_path,
    )


async def on_shutdown(application: Application) -> None:
    """Runs on every stop, SIGTERM included: write the queries still queued."""
    state: BotState = application.bot_data[STATE_KEY]
    await state.querylog.close()
    log.info("query log closed")


def serve(
    application: Application,
    config: Config,
    *,
    webhook_secret: str | None = None,
    listen: str = "0.0.0.0",
    handle_signals: bool = True,
) -> None:
    """Run until stopped: a webhook when BOT_WEBHOOK_URL is set, else long polling.

    SIGINT and SIGTERM stop it gracefully (PTB's default); `handle_signals=False` is for
    running in a thread, where signal handlers cannot be installed.
    """
    signals = {} if handle_signals else {"stop_signals": None}
    if config.webhook_url:
        if not webhook_secret:
            raise ValueError("a webhook needs a secret token")
        application.run_webhook(
            listen=listen,
            port=config.port,
            url_path=urlsplit(config.webhook_url).path.lstrip("/"),
            webhook_url=config.webhook_url,
            secret_token=webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=BOOTSTRAP_RETRIES,
            **signals,
        )
    else:
        application.run_polling(
            allowed_updates=ALLOWED_UPDATES, bootstrap_retries=BOOTSTRAP_RETRIES, **signals
        )


def main(argv: list[str]) -> int:
    argparse.ArgumentParser(
        prog="python -m bot run",
        description="Run the Telegram bot. Settings come from the environment: "
        "TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL, BOT_ADMIN_IDS, BOT_DB_PATH, "
        "BOT_KNOWLEDGE_DIR, BOT_WEBHOOK_URL, PORT.",
    ).parse_args(argv)
    config = load_config()
    if config is None:
        return 2
    if not config.token:
        print(NO_TOKEN_HELP, file=sys.stderr)
        return 1
    redactor = configure_logging(config.token)
    try:
        answerer = load_answerer(config.knowledge_dir)
        application = build_application(config, answerer)
    except (KnowledgeError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    webhook_secret = secrets.token_urlsafe(32) if config.webhook_url else None
    if webhook_secret:
        redactor.add(webhook_secret)
    try:
        serve(application, config, webhook_secret=webhook_secret)
    except TelegramError as error:  # e.g. a rejected token: say so without printing the token
        print(f"error: {redactor.redact(str(error))}", file=sys.stderr)
        return 1
    return 0
