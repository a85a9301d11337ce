"""PostgreSQL going away mid-run: logging never waits for it, rows wait in a bounded queue and
are written on reconnect, an overflow is counted and said once, and the shared rate limit
falls back to this worker's own. The database is reached through a TCP proxy that the tests
cut and restore."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest
from databases import postgres_sql, select
from tcpproxy import TcpProxy
from test_querylog import count, rec

from bot import querylog as querylog_module
from bot.logs import format_stats
from bot.querylog import QueryLog
from bot.telegram.ratelimit import SharedRateLimiter, Verdict


def through(proxy: TcpProxy, url: str) -> str:
    """`url` with its host and port replaced by the proxy's."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}"))


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    parts = urlsplit(postgres_url)
    with TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432)) as running:
        yield running


async def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(condition):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_rows_logged_during_an_outage_are_written_on_reconnect(
    proxy: TcpProxy, postgres_url: str
) -> None:
    async with QueryLog(through(proxy, postgres_url)) as qlog:
        qlog.record(rec("之前"))
        await qlog.flush()
        assert count(postgres_url) == 1

        proxy.cut()
        started = time.perf_counter()
        for n in range(30):
            qlog.record(rec(f"断开时{n}"))
            qlog.record_event("rate_limited", n, n, "")
        returned_in = time.perf_counter() - started
        await asyncio.sleep(1.0)  # the writer tries, fails, keeps the rows
        assert count(postgres_url) == 1
        assert qlog.dropped == 0

        proxy.restore()
        await wait_for(lambda: count(postgres_url) == 31)
        await qlog.flush()
        assert select(postgres_url, "SELECT count(*) FROM events") == [(30,)]
        texts = {text for (text,) in select(postgres_url, "SELECT raw_text FROM queries")}
        assert texts == {"之前", *(f"断开时{n}" for n in range(30))}
    print(f"60 rows queued during the outage in {returned_in * 1000:.2f} ms")


async def test_a_full_queue_drops_counts_and_says_so_once(
    proxy: TcpProxy, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with QueryLog(through(proxy, postgres_url), max_queued=10) as qlog:
        proxy.cut()
        qlog.record(rec("第一"))  # the writer takes it and keeps trying
        await asyncio.sleep(0.5)
        with caplog.at_level(logging.WARNING, logger="bot.querylog"):
            for n in range(25):
                qlog.record(rec(f"问题{n}"))  # 10 wait, 15 are dropped
        assert qlog.dropped == 15
        overflow = [r for r in caplog.records if "dropped until it is back" in r.getMessage()]
        assert len(overflow) == 1

        proxy.restore()
        await wait_for(lambda: count(postgres_url) == 11)
        stats = await qlog.stats(datetime.now().astimezone())
        assert stats.dropped == 15
        assert "Log rows dropped, database unreachable: 15" in format_stats(stats)


async def test_a_terminated_connection_is_replaced_and_nothing_lost(postgres_url: str) -> None:
    """The server ends the log's connections (a failover, a restart): the next write notices,
    and goes through a new connection."""
    name = f"victim_{uuid4().hex[:8]}"
    async with QueryLog(f"{postgres_url}&application_name={name}") as qlog:
        qlog.record(rec("一"))
        await qlog.flush()
        ended = postgres_sql(
            postgres_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?",
            (name,),
        )
        assert ended and all(ok for (ok,) in ended)
        for n in range(5):
            qlog.record(rec(f"之后{n}"))
        await qlog.flush()
    assert count(postgres_url) == 6


async def test_close_during_an_outage_gives_up_after_a_while(
    proxy: TcpProxy, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(querylog_module, "CLOSE_RETRY_SECONDS", 0.5)
    qlog = QueryLog(through(proxy, postgres_url))
    await qlog.open()
    proxy.cut()
    for n in range(3):
        qlog.record(rec(f"问题{n}"))
    await asyncio.wait_for(qlog.close(), timeout=20)  # does not hang on shutdown
    assert qlog.dropped == 3


async def test_the_shared_rate_limit_falls_back_to_this_worker_when_the_database_is_down(
    proxy: TcpProxy, postgres_url: str
) -> None:
    async with QueryLog(through(proxy, postgres_url)) as qlog:
        limiter = SharedRateLimiter(qlog, limit=3)
        assert await limiter.verdict_for(1) is Verdict.ALLOW
        proxy.cut()
        verdicts = [await limiter.verdict_for(1) for _ in range(4)]
        assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.REFUSE_AND_WARN]  # this worker's count
        proxy.restore()
        for _ in range(50):  # back on the shared count once a connection is made again
            if await limiter.verdict_for(2) is Verdict.ALLOW and not limiter._alone:
                break
            await asyncio.sleep(0.1)
        assert not limiter._alone
