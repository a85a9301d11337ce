"""`python -m bot run`: build the Application and run it, by long polling or by webhook.

Settings come only from the environment (bot.config). BOT_WEBHOOK_URL switches to a
webhook served on PORT, protected by a secret token made fresh at every start.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import signal
import sys
from urllib.parse import urlsplit

import httpx
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults
from telegram.request import HTTPXRequest

from bot.answer import Answerer, KnowledgeError, load_answerer
from bot.config import Config, ConfigError, load_config
from bot.querylog import QueryLog
from bot.store import DatabaseError
from bot.telegram import (
    admin,
    buttons,
    documents,
    errors,
    groups,
    inbox,
    inline,
    notify,
    private,
    reload,
)
from bot.telegram.delivery import DeliveringApplication, Outbox, RecordingQueue
from bot.telegram.ratelimit import QuestionRateLimiter, SharedRateLimiter, refusal_limiter
from bot.telegram.redact import configure_logging
from bot.telegram.retry import (
    Backoff,
    OneLineNetworkErrors,
    RetryingRateLimiter,
    SendGate,
    connect,
    one_line,
)
from bot.telegram.state import STATE_KEY, BotState, prepare

log = logging.getLogger(__name__)

# inbox, reload and notify handle their own button prefixes, so they come before buttons
SURFACES = (errors, admin, inbox, reload, notify, groups, private, documents, buttons, inline)
COMMANDS = [
    BotCommand("start", "开始，看看可以问什么"),
    BotCommand("help", "我了解哪些新闻文章"),
    BotCommand("ask", "在群里提问：/ask 问题"),
]
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
CONNECT_RETRIES = 3  # a connection that failed sent nothing, so retrying cannot duplicate
FLOOD_RETRIES = 3  # RetryAfter answers, waited out by AIORateLimiter
BOOTSTRAP_RETRIES = -1  # deleteWebhook / setWebhook at start: for as long as it takes
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
    """The bot, ready to run: handlers of every surface, rate limiter, query log, outbox."""
    if not config.token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    gate = SendGate()
    backoff = Backoff(max_s=config.retry_max_s)
    updates = RecordingQueue()
    builder = (
        ApplicationBuilder()
        .application_class(DeliveringApplication)
        .update_queue(updates)
        .token(config.token)
        .request(http_request(CONNECTION_POOL))
        .get_updates_request(http_request(1))
        .rate_limiter(
            RetryingRateLimiter(
                tries=config.send_tries, backoff=backoff, gate=gate, max_retries=FLOOD_RETRIES
            )
        )
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
    querylog = QueryLog(config.database)
    outbox = Outbox(
        querylog,
        gate,
        max_age_s=config.pending_max_age_s,
        retry_every_s=config.pending_retry_s,
    )
    assert isinstance(application, DeliveringApplication)
    application.outbox, application.grace_s = outbox, config.shutdown_grace_s
    updates.outbox = outbox
    # with PostgreSQL there may be several workers: the limit is kept where they all see it
    limiter = SharedRateLimiter(querylog) if config.database_url else QuestionRateLimiter()
    application.bot_data[STATE_KEY] = BotState(
        config=config,
        answerer=answerer,
        querylog=querylog,
        limiter=limiter,
        connect_backoff=backoff,
        refusals=refusal_limiter(querylog if config.database_url else None),
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
    try:
        await application.bot.set_my_commands(COMMANDS)
    except TelegramError as error:  # the menu of commands is a convenience, not worth a stop
        log.warning("could not set the command menu: %s", one_line(error))
    await asyncio.to_thread(prepare, state.answerer)
    log.info(
        "@%s is up: %d facts from %s, query log %s",
        application.bot.username,
        len(state.answerer.factbase.facts),
        state.config.knowledge_dir,
        state.querylog.store.name,
    )


async def on_shutdown(application: Application) -> None:
    """Runs on every stop, SIGTERM included: leave unsent replies pending for the next start,
    write the queries still queued."""
    state: BotState = application.bot_data[STATE_KEY]
    try:
        if isinstance(application, DeliveringApplication) and state.querylog.is_open:
            await application.outbox.close()
    finally:
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

    First connect to Telegram, retrying for as long as it is unreachable (a rejected token
    raises InvalidToken). SIGINT and SIGTERM stop it gracefully (PTB's default), within the
    grace period (DeliveringApplication.stop); `handle_signals=False` is for running in a
    thread, where signal handlers cannot be installed.
    """
    signals = {} if handle_signals else {"stop_signals": None}
    state: BotState = application.bot_data[STATE_KEY]
    loop = asyncio.get_event_loop()
    if handle_signals:  # until PTB installs its own: a stop while connecting is no error
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stop_signal, raise_system_exit)
    try:
        loop.run_until_complete(connect(application.bot, state.connect_backoff))
    except SystemExit:
        loop.run_until_complete(application.bot.shutdown())
        return
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


def raise_system_exit() -> None:
    raise SystemExit


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot run",
        description="Run the Telegram bot. Settings come from the environment: "
        "TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL, BOT_ADMIN_IDS, DATABASE_URL, BOT_DB_PATH, "
        "BOT_KNOWLEDGE_DIR, BOT_WEBHOOK_URL, BOT_WEBHOOK_SECRET, PORT, and the reliability "
        "settings in README.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="log at DEBUG, with tracebacks (or BOT_LOG_LEVEL)"
    )
    args = parser.parse_args(argv)
    config = load_config()
    if config is None:
        return 2
    if not config.token:
        print(NO_TOKEN_HELP, file=sys.stderr)
        return 1
    level = logging.DEBUG if args.debug else getattr(logging, config.log_level)
    redactor = configure_logging(config.token, level)
    if level > logging.DEBUG:  # network failures as one line; DEBUG shows their tracebacks
        for handler in logging.getLogger().handlers:
            handler.filters.insert(0, OneLineNetworkErrors())
    try:
        answerer = load_answerer(config.knowledge_dir)
        application = build_application(config, answerer)
    except (KnowledgeError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    webhook_secret = None
    if config.webhook_url:  # several workers behind one URL must share one secret
        webhook_secret = config.webhook_secret or secrets.token_urlsafe(32)
    if webhook_secret:
        redactor.add(webhook_secret)
    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        serve(application, config, webhook_secret=webhook_secret)
    except InvalidToken as error:
        log.debug("the token was rejected", exc_info=True)
        reason = redactor.redact(str(error))
        print(
            f"error: Telegram rejected the bot token ({reason}); check TELEGRAM_BOT_TOKEN",
            file=sys.stderr,
        )
        return 1
    except DatabaseError as error:  # unreachable, refused, missing: never a silent fallback
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # unrecoverable: one clear line; --debug shows the traceback
        log.debug("the bot stopped", exc_info=True)
        print(f"error: {redactor.redact(one_line(error))}", file=sys.stderr)
        return 1
    return 0
