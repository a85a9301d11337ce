"""Many users at once, and a SIGTERM in the middle of answering: nobody and no row is lost."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
from pathlib import Path

from botapi import ApiCall, FakeBotApi
from test_telegram_app import (
    ROOT,
    BotThread,
    bot_env,
    failed_calls,
    log_rows,
    next_message,
    wait_until,
)

pytest_plugins = ["test_telegram_app"]  # fixtures: bot, start_bot, answerer

QUESTIONS = [
    "伟力得的总部在哪里？",
    "夹江核技术应用产业园总投资多少？",
    "乐山的足球队叫什么？",
    "峨眉山的猴子吃什么？",
    "乐山有多少家陶瓷企业？",
]
# Outgoing calls are throttled by AIORateLimiter to Telegram's 30 a second: 200 answers take
# about 7 s however fast the bot is.
LOAD_TIMEOUT = 60.0


def test_two_hundred_users_at_once_all_get_answers_and_log_rows(bot: BotThread, botapi: FakeBotApi):
    users = range(10_000, 10_200)
    for user, question in zip(users, itertools.cycle(QUESTIONS), strict=False):
        botapi.send_private_message(user, question)
    for user in users:
        next_message(botapi, user, timeout=LOAD_TIMEOUT)
    bot.stop()
    rows = log_rows(bot.config)
    assert sorted(r["user_id"] for r in rows) == list(users)
    assert failed_calls(botapi) == []


def sent(botapi: FakeBotApi) -> list[ApiCall]:
    """The replies Telegram accepted."""
    return [call for call in botapi.calls_of("sendMessage") if call.ok]


def test_sigterm_while_answering_loses_no_logged_question(
    botapi: FakeBotApi, tmp_path, database: Path | str
):
    env = bot_env(botapi, tmp_path)
    if isinstance(database, str):
        env["DATABASE_URL"] = database
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        botapi.wait_for("setMyCommands", timeout=60)
        users = range(20_000, 20_120)
        # Questions in hand at the stop, whatever the machine's speed: every send fails until
        # all are fetched (and so confirmed to Telegram); answering shares the event loop with
        # fetching, and on a slow machine all 120 were out before the last was confirmed
        botapi.fail_next("sendMessage", 100_000)
        for user, question in zip(users, itertools.cycle(QUESTIONS), strict=False):
            botapi.send_private_message(user, question)
        wait_until(lambda: botapi.pending_updates == 0, LOAD_TIMEOUT)
        botapi.clear_faults()
        wait_until(lambda: len(sent(botapi)) >= 10, LOAD_TIMEOUT)  # a few answered
        process.send_signal(signal.SIGTERM)
        answered_before_sigterm = len(sent(botapi))
        _, stderr = process.communicate(timeout=LOAD_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, stderr[-2000:]
    answered = [c.params["chat_id"] for c in sent(botapi)]
    logged = [row["user_id"] for row in log_rows(database)]
    assert len(answered) > answered_before_sigterm  # questions in hand were still answered
    assert sorted(logged) == sorted(answered)  # every answer has its row, and only one
    assert "query log closed" in stderr
    assert botapi.token not in stderr
