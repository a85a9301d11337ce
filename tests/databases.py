"""The two databases the query log runs on, for tests: a SQLite file and a PostgreSQL schema.

PostgreSQL is found at TEST_DATABASE_URL (default: the CI machines' server). Each test gets a
schema of its own (`?search_path=…` in the URL, which asyncpg passes to the server), dropped
afterwards. Without a server a developer's run skips those tests and says why in one line at
the end; with CI=true it fails them, so CI cannot pass without having tested PostgreSQL.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from bot.store import hide_password
from bot.store.postgres import numbered

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
).strip()


def in_a_thread(work: Any) -> Any:
    """Run a coroutine function to completion on a loop of its own, whatever loop is running
    here: tests call this from async tests, sync tests and fixtures alike."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = asyncio.run(work())
        except BaseException as error:
            result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def postgres_sql(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """One statement on a fresh connection; `?` placeholders, as in the bot's SQL."""

    async def work() -> list[tuple]:
        connection = await asyncpg.connect(url, timeout=10)
        try:
            if params or sql.lstrip().upper().startswith(("SELECT", "WITH")):
                return [tuple(row) for row in await connection.fetch(numbered(sql), *params)]
            await connection.execute(sql)
            return []
        finally:
            await connection.close()

    return in_a_thread(work)


@functools.cache
def postgres_problem() -> str | None:
    """None if PostgreSQL answers at TEST_DATABASE_URL, else what went wrong."""
    try:
        postgres_sql(TEST_DATABASE_URL, "SELECT 1")
    except Exception as error:  # any reason means the same: no server to test against
        return f"{type(error).__name__}: {error}"
    return None


def require_postgres() -> None:
    problem = postgres_problem()
    if problem is None:
        return
    where = hide_password(TEST_DATABASE_URL)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI needs PostgreSQL at {where} (TEST_DATABASE_URL): {problem}")
    pytest.skip(f"no PostgreSQL at {where}: set TEST_DATABASE_URL or start one")


def with_schema(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}search_path={schema}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose tables land in a schema of this test's own, dropped after."""
    require_postgres()
    schema = f"test_{uuid4().hex[:12]}"
    postgres_sql(TEST_DATABASE_URL, f'CREATE SCHEMA "{schema}"')
    try:
        yield with_schema(TEST_DATABASE_URL, schema)
    finally:
        postgres_sql(TEST_DATABASE_URL, f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a query log lives: once a SQLite file, once a PostgreSQL schema."""
    if request.param == "sqlite":
        return tmp_path / "queries.db"
    return request.getfixturevalue("postgres_url")


def select(database: Path | str, sql: str, params: tuple = ()) -> list[tuple]:
    """Read with a connection of its own, as another process would."""
    if isinstance(database, str):
        return postgres_sql(database, sql, params)
    with sqlite3.connect(database) as db:
        rows = db.execute(sql, params).fetchall()
    db.close()
    return rows


def select_dicts(database: Path | str, sql: str) -> list[dict[str, Any]]:
    """The rows of a SELECT (no parameters) as dicts, column name to value."""
    if isinstance(database, str):

        async def work() -> list[dict[str, Any]]:
            connection = await asyncpg.connect(database, timeout=10)
            try:
                return [dict(row) for row in await connection.fetch(sql)]
            finally:
                await connection.close()

        return in_a_thread(work)
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(row) for row in db.execute(sql)]
    db.close()
    return rows
