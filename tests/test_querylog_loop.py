"""The query log's part in the improvement loop: 🔔 subscriptions, 👍 answers for the gate,
the misses a reload asks again, the chart's hourly counts; and the new settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from databases import select
from test_querylog import NOW, rec

from bot.config import Config, ConfigError
from bot.querylog import QueryLog


@pytest.fixture
async def qlog(database: Path | str):
    """Each test runs on a SQLite file and on PostgreSQL (the `database` fixture)."""
    async with QueryLog(database) as log:
        yield log


async def test_a_subscription_is_kept_once_and_told_once(qlog: QueryLog):
    miss = rec("火星上有什么")
    qlog.record(miss)
    assert await qlog.query_by_id(miss.id) == ("火星上有什么", 42, False)
    assert await qlog.query_by_id("nope") is None
    qlog.subscribe(miss.id, 42, 42, "火星上有什么")
    qlog.subscribe(miss.id, 42, 42, "火星上有什么")  # pressed twice
    [pending] = await qlog.pending_subscriptions()
    assert (pending.query_id, pending.user_id, pending.question) == (miss.id, 42, "火星上有什么")
    qlog.mark_notified(miss.id)
    qlog.mark_notified(miss.id)  # a second mark changes nothing
    assert await qlog.pending_subscriptions() == []
    [(notified,)] = select(qlog.location, "SELECT notified FROM subscriptions")
    assert notified


async def test_thumbs_up_answers_are_the_newest_per_question(qlog: QueryLog):
    old = rec("伟力得总部在哪", found=True, ago=timedelta(days=3))
    new = rec("伟力得总部在哪", found=True, ago=timedelta(days=1))
    unrated = rec("乐山GDP是多少", found=True)
    for row in (old, new, unrated):
        qlog.record(row)
    qlog.set_feedback(old.id, 1)
    qlog.set_feedback(new.id, 1)
    qlog.set_feedback(unrated.id, -1)
    [liked] = await qlog.thumbs_up_answers()
    assert (liked.question, liked.fact_id, liked.answer) == ("伟力得总部在哪", "f1", "一个答案")


async def test_missed_questions_of_the_last_days_newest_first(qlog: QueryLog):
    for text, days, found in [("甲", 1, False), ("乙", 2, False), ("甲", 3, False)]:
        qlog.record(rec(text, found=found, ago=timedelta(days=days)))
    qlog.record(rec("答了", found=True, ago=timedelta(days=1)))
    qlog.record(rec("太久了", ago=timedelta(days=40)))
    assert await qlog.missed_questions(30, now=NOW) == ["甲", "乙"]
    assert await qlog.missed_questions(30, now=NOW, limit=1) == ["甲"]
    assert "太久了" in await qlog.missed_questions(60, now=NOW)


async def test_hourly_counts(qlog: QueryLog):
    rows = [rec("a", found=True), rec("b"), rec("c", ago=timedelta(hours=5))]
    for row in rows:
        qlog.record(row)
    qlog.set_feedback(rows[0].id, 1)
    qlog.set_feedback(rows[1].id, -1)
    counts = await qlog.hourly_counts(NOW - timedelta(days=1), NOW)
    assert [(h.questions, h.answered, h.thumbs_up, h.thumbs_down) for h in counts] == [
        (1, 0, 0, 0),
        (2, 1, 1, 1),
    ]
    assert counts[1].hour == "2024-05-08T11"


def test_loop_settings_from_the_environment():
    config = Config.from_env({})
    assert (config.admin_lang, config.recheck_days, config.seeds_dir) == ("zh", 30, Path("seeds"))
    config = Config.from_env({"BOT_ADMIN_LANG": "EN", "BOT_RECHECK_DAYS": "7"})
    assert (config.admin_lang, config.recheck_days) == ("en", 7)
    with pytest.raises(ConfigError, match="BOT_ADMIN_LANG"):
        Config.from_env({"BOT_ADMIN_LANG": "fr"})
    for days in ("0", "-1", "abc"):
        with pytest.raises(ConfigError, match="BOT_RECHECK_DAYS"):
            Config.from_env({"BOT_RECHECK_DAYS": days})
