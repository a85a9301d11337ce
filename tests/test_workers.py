"""Several workers on one PostgreSQL log, and the log's database going away mid-run, end to end
through the fake Bot API.

Two `python -m bot run` processes in webhook mode sit behind one address (a TCP proxy that
hands each new connection to the next worker, as a round-robin load balancer would), with
one BOT_WEBHOOK_SECRET and one DATABASE_URL.
"""

from __future__ import annotations

import itertools
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from botapi import FakeBotApi
from databases import select
from tcpproxy import TcpProxy
from test_querylog_outage import through
from test_telegram_app import ROOT, BotThread, bot_env, next_message, wait_until

from bot.config import Config

pytest_plugins = ["test_telegram_app"]  # fixtures: answerer

QUESTIONS = [
    "伟力得的总部在哪里？",
    "夹江核技术应用产业园总投资多少？",
    "乐山的足球队叫什么？",
    "乐山有多少家陶瓷企业？",
]
WORKERS = 2
USERS = range(40_000, 40_050)  # 50 users, 10 questions each: under the limit of 20 a minute
PER_USER = 10
EAGER_USER = 49_999  # asks 22 times, half through each worker: the limit of 20 still holds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env={"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8", **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def replies_to(botapi: FakeBotApi, chat_ids: set[int]) -> list[dict]:
    return [
        c.params for c in botapi.calls_of("sendMessage") if c.ok and c.params["chat_id"] in chat_ids
    ]


def test_two_webhook_workers_500_questions_500_replies_500_rows(
    botapi: FakeBotApi, tmp_path: Path, postgres_url: str
):
    ports = [free_port() for _ in range(WORKERS)]
    balancer = TcpProxy(*(("127.0.0.1", port) for port in ports)).start()
    common = bot_env(botapi, tmp_path) | {
        "DATABASE_URL": postgres_url,
        "BOT_WEBHOOK_URL": f"http://127.0.0.1:{balancer.port}/telegram/hook",
        "BOT_WEBHOOK_SECRET": secrets.token_urlsafe(32),
    }
    workers = [
        start_worker(common | {"PORT": str(port)}, tmp_path / f"worker{n}.log")
        for n, port in enumerate(ports)
    ]
    try:
        botapi.wait_for("setWebhook", lambda c: len(botapi.calls_of("setWebhook")) >= 2, 120)

        asked: list[tuple[int, str]] = []
        for n, user in enumerate(itertools.chain.from_iterable([USERS] * PER_USER)):
            question = f"{QUESTIONS[n % len(QUESTIONS)]} {n}"
            botapi.send_private_message(user, question)
            asked.append((user, question))
        started = time.monotonic()
        wait_until(lambda: len(replies_to(botapi, set(USERS))) >= len(asked), timeout=300)
        elapsed = time.monotonic() - started

        for n in range(22):
            botapi.send_private_message(EAGER_USER, f"{QUESTIONS[0]} {n}")
        next_message(botapi, EAGER_USER, predicate=lambda c: "太快" in c.result["text"], timeout=60)
        wait_until(
            lambda: select(postgres_url, "SELECT count(*) FROM events")[0][0] == 2, timeout=60
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=60) for worker in workers]
        balancer.stop()
    logs = [(tmp_path / f"worker{n}.log").read_text("utf-8") for n in range(WORKERS)]
    assert codes == [0] * WORKERS, "\n".join(log[-2000:] for log in logs)

    # 500 replies: ten to each user, each question answered once
    replies = replies_to(botapi, set(USERS))
    assert len(replies) == len(asked) == 500
    assert Counter(r["chat_id"] for r in replies) == Counter({user: PER_USER for user in USERS})
    # 500 rows, none twice
    rows = select(
        postgres_url, "SELECT user_id, raw_text FROM queries WHERE user_id <> ?", (EAGER_USER,)
    )
    assert len(rows) == 500 and sorted(rows) == sorted(asked)
    # every received message replied once, by whichever worker held it
    statuses = select(postgres_url, "SELECT status, count(*) FROM outbox GROUP BY status")
    assert dict(statuses) == {"replied": 500 + 22}
    # the limit held across workers: 20 answers, one polite refusal, then silence
    eager = [r["text"] for r in replies_to(botapi, {EAGER_USER})]
    assert len(eager) == 21 and sum("太快" in text for text in eager) == 1
    assert select(
        postgres_url, "SELECT count(*) FROM queries WHERE user_id = ?", (EAGER_USER,)
    ) == [(20,)]
    # both workers took their turn
    served = [balancer.connections[("127.0.0.1", port)] for port in ports]
    assert min(served) >= 250, served
    assert all(secrets_free(log, common) for log in logs)
    print(f"two workers: 500 replies in {elapsed:.1f} s; connections per worker {served}")


def secrets_free(log: str, env: dict[str, str]) -> bool:
    return env["TELEGRAM_BOT_TOKEN"] not in log and env["BOT_WEBHOOK_SECRET"] not in log


def test_replies_continue_while_the_database_is_down_and_rows_follow(
    botapi: FakeBotApi, tmp_path: Path, postgres_url: str, answerer
):
    parts = urlsplit(postgres_url)
    with TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432)) as database:
        env = bot_env(botapi, tmp_path, DATABASE_URL=through(database, postgres_url))
        bot = BotThread(Config.from_env(env), answerer).start()
        try:
            botapi.send_private_message(50_000, QUESTIONS[0])
            next_message(botapi, 50_000)
            wait_until(lambda: select(postgres_url, "SELECT count(*) FROM queries") == [(1,)])

            database.cut()
            users = range(50_001, 50_011)
            for user, question in zip(users, itertools.cycle(QUESTIONS), strict=False):
                botapi.send_private_message(user, question)
            for user in users:
                next_message(botapi, user, timeout=30)  # answered, database or not
            assert select(postgres_url, "SELECT count(*) FROM queries") == [(1,)]

            database.restore()
            wait_until(lambda: select(postgres_url, "SELECT count(*) FROM queries") == [(11,)], 60)
        finally:
            bot.stop()
    logged = select(postgres_url, "SELECT user_id FROM queries ORDER BY user_id")
    assert [user for (user,) in logged] == [50_000, *users]
    assert bot.state.querylog.dropped == 0
