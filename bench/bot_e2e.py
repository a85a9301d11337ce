"""End-to-end reply latency of the Telegram bot on loopback; prints figures, asserts nothing.

The real Application (as `python -m bot run` builds it, long polling) answers through the
fake Bot API of the tests. Latency is measured from the moment a user's message is queued at
the fake server to the moment the bot's reply arrives there, so it includes getUpdates, the
engine, the typing indicator and sendMessage. The fake server and the bot share this
process (and its GIL), so the figures are an upper bound for the bot's own overhead.

Questions are paced (default 10 a second) because AIORateLimiter holds the bot to
Telegram's 30 calls a second: faster, and this would measure the limiter's queue. Inline
answers are not rate limited and are sent back to back. The burst measures exactly that
queue: `--burst` users (default 100) ask at the same moment, and each one's wait is from
its question to its reply, as the fake server saw both.

    .venv/bin/python bench/bot_e2e.py [--questions 200] [--rate 10] [--burst 100]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from botapi import FakeBotApi  # noqa: E402
from test_telegram_app import BotThread, bot_env, shared_answerer  # noqa: E402

from bot.config import Config  # noqa: E402

QUESTIONS = [
    "伟力得的总部在哪里？",
    "夹江核技术应用产业园总投资多少？",
    "乐山晶硅光伏产业2023年产值是多少？",
    "郎酒威士忌项目总投资多少？",
    "乐山有多少家陶瓷企业？",
    "乐山的足球队叫什么？",
    "峨眉山的猴子吃什么？",
]
FIRST_USER = 50_000


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(name: str, samples_ms: list[float]) -> str:
    return (
        f"{name:<22} n={len(samples_ms):<4} p50={percentile(samples_ms, 0.50):7.1f} ms  "
        f"p99={percentile(samples_ms, 0.99):7.1f} ms  mean={statistics.fmean(samples_ms):7.1f} ms"
    )


def private_latencies(api: FakeBotApi, count: int, rate: float) -> list[float]:
    """One new user per question, so the per-user limit of 20 a minute never applies."""
    samples = []
    start = time.perf_counter()
    questions = itertools.cycle(QUESTIONS)
    for n in range(count):
        time.sleep(max(0.0, start + n / rate - time.perf_counter()))
        user = FIRST_USER + n
        sent = time.perf_counter()
        api.send_private_message(user, next(questions))
        api.wait_for("sendMessage", lambda c, user=user: c.params["chat_id"] == user, 30)
        samples.append((time.perf_counter() - sent) * 1000)
    return samples


def burst_latencies(api: FakeBotApi, users: int) -> list[float]:
    """`users` new users ask at once; each one's time from question to reply."""
    first = FIRST_USER + 1_000_000
    questions = itertools.cycle(QUESTIONS)
    asked = {}
    for user in range(first, first + users):
        asked[user] = time.monotonic()
        api.send_private_message(user, next(questions))
    replied: dict[int, float] = {}
    deadline = time.monotonic() + 120
    while len(replied) < users and time.monotonic() < deadline:
        for call in api.calls_of("sendMessage"):
            chat = call.params["chat_id"]
            if call.ok and chat in asked and chat not in replied:
                replied[chat] = call.time
        time.sleep(0.05)
    if len(replied) < users:
        raise SystemExit(f"only {len(replied)} of {users} users were answered within 120 s")
    return [(replied[user] - asked[user]) * 1000 for user in asked]


def inline_latencies(api: FakeBotApi, count: int) -> list[float]:
    samples = []
    questions = itertools.cycle(QUESTIONS)
    for n in range(count):
        sent = time.perf_counter()
        query_id = api.inline_query(FIRST_USER + n, next(questions))
        api.wait_for(
            "answerInlineQuery", lambda c, q=query_id: c.params["inline_query_id"] == q, 30
        )
        samples.append((time.perf_counter() - sent) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="private questions a second")
    parser.add_argument("--burst", type=int, default=100, help="users asking at the same moment")
    args = parser.parse_args()

    answerer = shared_answerer()
    with tempfile.TemporaryDirectory() as tmp, FakeBotApi() as api:
        config = Config.from_env(bot_env(api, Path(tmp)))
        bot = BotThread(config, answerer).start()
        try:
            private_latencies(api, 5, args.rate)  # warm-up: connections, caches
            private = private_latencies(api, args.questions, args.rate)
            inline = inline_latencies(api, args.questions)
            time.sleep(2)  # let the rate limiter's budget refill
            burst = burst_latencies(api, args.burst)
            typing = len(api.calls_of("sendChatAction"))
        finally:
            bot.stop()
    print(f"bot end-to-end latency on loopback ({args.rate:g} private questions/s)")
    print(summary("private reply", private))
    print(summary("inline answer", inline))
    print(summary(f"{args.burst} users at once", burst))
    print(f"typing indicators sent: {typing}")


if __name__ == "__main__":
    main()
