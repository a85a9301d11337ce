"""The query log on SQLite and on PostgreSQL: what logging costs an answer, how fast rows are
written, how long the admin's /stats takes, and the shared rate limit's check.

    python bench/querylog_bench.py                      # SQLite in a temporary folder, and
    TEST_DATABASE_URL=postgresql://… python bench/querylog_bench.py   # that PostgreSQL too

PostgreSQL work happens in a schema of its own, dropped at the end. Prints figures; asserts
nothing (the machine may be busy).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from uuid import uuid4

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.querylog import QueryLog, QueryRecord  # noqa: E402
from bot.telegram.ratelimit import SharedRateLimiter  # noqa: E402

ROWS = 10_000
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def row(n: int) -> QueryRecord:
    return QueryRecord(
        surface="private",
        raw_text=f"伟力得的总部在哪里？{n}",
        normalised=f"伟力得的总部在哪里{n % 50}",
        found=n % 3 != 0,
        score=50 + n % 50,
        latency_ms=12,
        user_id=n % 500,
        chat_id=n % 500,
        entity="伟力得" if n % 2 else None,
    )


async def measure(name: str, location: Path | str) -> None:
    async with QueryLog(location) as qlog:
        started = time.perf_counter()
        for n in range(ROWS):
            qlog.record(row(n))
        queued = time.perf_counter() - started
        await qlog.flush()
        written = time.perf_counter() - started
        stats_ms = []
        for _ in range(5):
            begun = time.perf_counter()
            await qlog.stats()
            stats_ms.append((time.perf_counter() - begun) * 1000)
        line = (
            f"{name:10} record(): {queued / ROWS * 1e6:5.1f} µs a row; {ROWS:,} rows written in "
            f"{written:4.2f} s ({ROWS / written:,.0f}/s); /stats over them {min(stats_ms):.0f} ms"
        )
        if isinstance(location, str):
            limiter = SharedRateLimiter(qlog, limit=10**9)
            checks = []
            for n in range(300):
                begun = time.perf_counter()
                await limiter.verdict_for(n % 50)
                checks.append((time.perf_counter() - begun) * 1000)
            checks.sort()
            line += (
                f"; shared rate limit check median {statistics.median(checks):.1f} ms, "
                f"p99 {checks[int(len(checks) * 0.99)]:.1f} ms"
            )
        print(line)


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        await measure("SQLite", Path(folder) / "queries.db")
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_URL)
    schema = f"bench_{uuid4().hex[:8]}"
    try:
        admin = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        print(f"PostgreSQL skipped: {error}")
        return
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in url else "?"
        await measure("PostgreSQL", f"{url}{separator}search_path={schema}")
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
