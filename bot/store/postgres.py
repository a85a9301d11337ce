"""The shared store: PostgreSQL through asyncpg, for hosts whose disks do not last and for
several workers writing one log.

A small connection pool: the query log's writer, the review commands and the shared rate
limit each borrow a connection for one statement or transaction. A connection the server
dropped is replaced on the next borrow, so the store needs no reconnect logic of its own: a
write that fails with `is_outage` is simply tried again later (see `QueryLog`).

The schema version is a table, `schema_migrations`, one row per step applied; an advisory
lock makes two workers starting at once apply each step once.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from urllib.parse import unquote, urlsplit

import asyncpg

from bot.store import DatabaseError, Row, SchemaTooNew, check_postgres_url, hide_password

log = logging.getLogger(__name__)

POOL_SIZE = 4  # writer, a review or two, the rate limit: more would only queue in the server
CONNECT_TIMEOUT = 10.0  # seconds to get a connection, so an outage is noticed, not waited out
COMMAND_TIMEOUT = 30.0  # seconds per statement, so a network that swallows packets is noticed
CLOSE_TIMEOUT = 10.0  # seconds for the pool to close politely before its connections are cut
MIGRATION_LOCK = 0x1E5A4  # pg_advisory_xact_lock key: "the query log's schema"

# Errors that say "not now" rather than "not this": the server is gone, restarting, refusing
# connections or full; the same statement can succeed later.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable
    TimeoutError,
    asyncpg.PostgresConnectionError,  # class 08
    asyncpg.exceptions.OperatorInterventionError,  # class 57: terminated, shutting down
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full
)

_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?")  # a quoted string (kept), or a ? (numbered)


def numbered(sql: str) -> str:
    """`?` placeholders as asyncpg wants them: $1, $2 … (question marks in quotes are text)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() != "?":
            return match.group()
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


class PostgresTransaction:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def query(self, sql: str, params: Row = ()) -> list[Row]:
        return [tuple(row) for row in await self._connection.fetch(numbered(sql), *params)]

    async def executemany(self, sql: str, rows: Sequence[Row]) -> None:
        await self._connection.executemany(numbered(sql), rows)


class PostgresStore:
    lock_rows = "FOR UPDATE SKIP LOCKED"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self.url = url
        self.name = hide_password(url)

    @classmethod
    async def open(cls, url: str) -> PostgresStore:
        """Connect, or raise DatabaseError saying why in words an operator can act on."""
        try:
            check_postgres_url(url)
        except ValueError as error:
            raise DatabaseError(f"DATABASE_URL: {error}") from None
        shown = hide_password(url)
        parts = urlsplit(url)
        user = unquote(parts.username or "") or "(default user)"
        database = unquote(parts.path.lstrip("/"))
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                timeout=CONNECT_TIMEOUT,
                command_timeout=COMMAND_TIMEOUT,
            )
        except asyncpg.InvalidPasswordError:
            raise DatabaseError(
                f"PostgreSQL refused the password of user {user} ({shown})"
            ) from None
        except asyncpg.InvalidAuthorizationSpecificationError as error:
            raise DatabaseError(f"PostgreSQL refused user {user} ({shown}): {error}") from None
        except asyncpg.InvalidCatalogNameError:
            raise DatabaseError(
                f"PostgreSQL has no database {database!r} ({shown}): create it first"
            ) from None
        except (OSError, TimeoutError) as error:
            reason = str(error) or type(error).__name__
            raise DatabaseError(f"cannot reach PostgreSQL at {shown}: {reason}") from None
        except asyncpg.PostgresError as error:
            raise DatabaseError(f"PostgreSQL refused the connection ({shown}): {error}") from None
        except ValueError:  # asyncpg's own reading of the URL; its message may quote it whole
            raise DatabaseError(f"DATABASE_URL: {shown} is not a valid PostgreSQL URL") from None
        return cls(pool, url)

    async def migrate(self, migrations: Sequence[str]) -> int:
        """All steps in one transaction, under a lock, so concurrent starts apply each once."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, applied TEXT NOT NULL DEFAULT (now()::text))"
            )
            version = await connection.fetchval(
                "SELECT coalesce(max(version), 0) FROM schema_migrations"
            )
            if version > len(migrations):
                raise SchemaTooNew(
                    f"query log schema version {version} is newer than this program's "
                    f"{len(migrations)}"
                )
            for step in range(version, len(migrations)):
                await connection.execute(migrations[step])
                await connection.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)", step + 1
                )
        return len(migrations)

    async def query(self, sql: str, params: Row = ()) -> list[Row]:
        async with self._pool.acquire() as connection:
            return [tuple(row) for row in await connection.fetch(numbered(sql), *params)]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTransaction]:
        async with self._pool.acquire() as connection, connection.transaction():
            yield PostgresTransaction(connection)

    def is_outage(self, error: BaseException) -> bool:
        if isinstance(error, OUTAGE_ERRORS):
            return True
        # asyncpg's InterfaceError also covers mistakes of ours (wrong arguments, DataError):
        # only "the connection is closed" is an outage
        return isinstance(error, asyncpg.InterfaceError) and "connection is closed" in str(error)

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self._pool.close(), CLOSE_TIMEOUT)
        except Exception as error:  # e.g. the server vanished: nothing left to close cleanly
            log.info("query log: closing the PostgreSQL pool: %r", error)
            self._pool.terminate()
