"""Running the bot: startup, configuration, and the harness the other e2e tests share.

`BotThread` runs the real Application through `bot.telegram.app.serve` (run_polling or
run_webhook) on its own thread, against the fake Bot API reached through
TELEGRAM_API_BASE_URL. Tests play users on the fake server and wait for the bot's calls.
Other test modules import the fixtures from here.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from botapi import ApiCall, FakeBotApi
from databases import select_dicts
from telegram.ext import AIORateLimiter

from bot.answer import Answerer, load_answerer
from bot.config import Config, ConfigError
from bot.telegram import app as bot_app
from bot.telegram.state import STATE_KEY, BotState

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE_DIR = ROOT / "knowledge"
ADMIN_ID = 1000
START_TIMEOUT = 20.0
REPLY_TIMEOUT = 10.0


class BotThread:
    """The bot, as `python -m bot run` runs it, on a thread of this test process."""

    def __init__(self, config: Config, answerer: Answerer, webhook_secret: str | None = None):
        self.config = config
        self.webhook_secret = webhook_secret
        self.application = bot_app.build_application(config, answerer)
        self.failure: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="bot", daemon=True)

    @property
    def state(self) -> BotState:
        return self.application.bot_data[STATE_KEY]

    def start(self) -> BotThread:
        self._thread.start()
        wait_until(lambda: self.application.running or not self._thread.is_alive())
        if not self.application.running:
            raise AssertionError(f"the bot did not start: {self.failure!r}")
        return self

    def stop(self) -> None:
        """Stop as SIGTERM would: PTB finishes pending updates, post_shutdown flushes the log."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self.application.stop_running)
            self._thread.join(timeout=30)
            assert not self._thread.is_alive(), "the bot did not stop within 30 s"
        if self.failure is not None:
            raise self.failure

    def call(self, coroutine: Coroutine[Any, Any, Any], timeout: float = REPLY_TIMEOUT) -> Any:
        """Run a coroutine on the bot's event loop, e.g. a query log flush."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            bot_app.serve(
                self.application,
                self.config,
                webhook_secret=self.webhook_secret,
                listen="127.0.0.1",
                handle_signals=False,
            )
        except BaseException as error:  # reported by start() / stop()
            self.failure = error


def wait_until(condition: Callable[[], bool], timeout: float = START_TIMEOUT) -> None:
    """For states with no event to wait on (the Application's `running` flag)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:g}s")
        time.sleep(0.01)


def bot_env(api: FakeBotApi, tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment `python -m bot run` would get, pointing at the fake server."""
    env = {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "BOT_ADMIN_IDS": str(ADMIN_ID),
        "BOT_DB_PATH": str(tmp_path / "queries.db"),
        "BOT_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR),
    }
    return env | overrides


@functools.cache
def shared_answerer() -> Answerer:
    """Loaded once per test run: the engine is read-only, and loading is the slow part."""
    return load_answerer(KNOWLEDGE_DIR)


@pytest.fixture
def answerer() -> Answerer:
    return shared_answerer()


@pytest.fixture
def start_bot(
    botapi: FakeBotApi, answerer: Answerer, tmp_path: Path, database: Path | str
) -> Iterator[Callable[..., BotThread]]:
    """start_bot(**env) starts a bot configured from bot_env(**env); all stop at the end.

    Every test using it runs twice: with the SQLite log, and with DATABASE_URL set.
    """
    started: list[BotThread] = []
    database_env = {"DATABASE_URL": database} if isinstance(database, str) else {}

    def start(webhook_secret: str | None = None, **overrides: str) -> BotThread:
        config = Config.from_env(bot_env(botapi, tmp_path, **database_env, **overrides))
        if config.database_url:
            DATABASE_OF_PATH[config.db_path] = config.database_url
        bot = BotThread(config, answerer, webhook_secret)
        started.append(bot)
        return bot.start()

    yield start
    for bot in started:
        bot.stop()


@pytest.fixture
def bot(start_bot: Callable[..., BotThread]) -> BotThread:
    return start_bot()


@pytest.fixture
def webhook_bot(start_bot: Callable[..., BotThread]) -> BotThread:
    """The bot in webhook mode (BOT_WEBHOOK_URL set), listening on a free local port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return start_bot(
        webhook_secret=secrets.token_urlsafe(32),
        BOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
        PORT=str(port),
    )


def next_message(
    api: FakeBotApi,
    chat_id: int,
    after: int = 0,
    predicate: Callable[[ApiCall], bool] = lambda call: True,
    timeout: float = REPLY_TIMEOUT,
) -> ApiCall:
    """The bot's first successful sendMessage to `chat_id` with a message id above `after`."""
    return api.wait_for(
        "sendMessage",
        lambda c: (
            c.ok
            and c.params["chat_id"] == chat_id
            and c.result["message_id"] > after
            and predicate(c)
        ),
        timeout,
    )


def buttons_of(call: ApiCall) -> dict[str, str]:
    """Button text -> callback data (or URL) of a sent message."""
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b.get("callback_data") or b.get("url") for row in rows for b in row}


# A started bot's BOT_DB_PATH -> the DATABASE_URL it really writes to, so that a test written
# before PostgreSQL, log_rows(bot.config.db_path), reads the right database in both runs.
DATABASE_OF_PATH: dict[Path, str] = {}


def log_rows(where: Config | Path | str, table: str = "queries") -> list[dict[str, Any]]:
    """Rows of the query log, oldest first, read straight from its database (a bot's
    Config, a SQLite file or a PostgreSQL URL)."""
    database = where.database if isinstance(where, Config) else where
    if isinstance(database, Path):
        database = DATABASE_OF_PATH.get(database, database)
    order = {"queries": "time, id", "outbox": "update_id"}.get(table, "time")
    return select_dicts(database, f"SELECT * FROM {table} ORDER BY {order}")


def failed_calls(api: FakeBotApi) -> list[ApiCall]:
    """Calls the fake Bot API rejected, as Telegram would have: none should happen."""
    return [call for call in api.calls if not call.ok]


# -- tests of app.py -------------------------------------------------------------------------


def test_startup_sets_commands_and_opens_the_query_log(bot: BotThread, botapi: FakeBotApi):
    commands = botapi.wait_for("setMyCommands").params["commands"]
    assert [c["command"] for c in commands] == ["start", "help", "ask"]
    assert log_rows(bot.config) == []  # the tables exist
    assert bot.config.db_path.is_file() is (bot.config.database_url is None)  # no fallback
    assert isinstance(bot.application.bot.rate_limiter, AIORateLimiter)
    assert failed_calls(botapi) == []


def test_stop_closes_the_query_log(bot: BotThread, botapi: FakeBotApi):
    botapi.send_private_message(42, "夹江核技术应用产业园总投资多少？")
    next_message(botapi, 42)
    bot.stop()
    assert [row["user_id"] for row in log_rows(bot.config)] == [42]


def test_requests_retry_failed_connections():
    transport = bot_app.http_request(4)._client._transport
    assert transport._pool._retries == bot_app.CONNECT_RETRIES


def test_api_base_url_gives_matching_file_url():
    assert bot_app.api_urls("http://127.0.0.1:8081/bot/") == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )
    with pytest.raises(ConfigError, match="TELEGRAM_API_BASE_URL"):
        bot_app.api_urls("http://127.0.0.1:8081/")


def run_cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_run_without_token_explains_how_to_get_one(tmp_path: Path):
    result = run_cli("run", env={"BOT_DB_PATH": str(tmp_path / "q.db")})
    assert result.returncode == 1
    assert "@BotFather" in result.stderr
    assert "python -m bot chat" in result.stderr
    assert not (tmp_path / "q.db").exists()


def test_a_rejected_token_is_reported_without_printing_it(tmp_path: Path, botapi: FakeBotApi):
    wrong = "987654:WRONG-secret-token"
    result = run_cli(
        "run",
        env={
            "TELEGRAM_BOT_TOKEN": wrong,
            "TELEGRAM_API_BASE_URL": botapi.base_url,
            "BOT_DB_PATH": str(tmp_path / "q.db"),
        },
    )
    assert result.returncode == 1
    assert "error:" in result.stderr
    assert "WRONG-secret-token" not in result.stderr + result.stdout
