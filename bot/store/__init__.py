"""Where the bot keeps its tables: a SQLite file (the default) or PostgreSQL (DATABASE_URL).

A `Store` is the little the query log needs from a database, and both backends offer exactly
that: run one statement, run several in one transaction, apply the migrations, tell a lost
connection from a bad row, close. Everything else is written once, in `bot.querylog`: the
schema, the migrations and every query are the same SQL text on both, with `?` placeholders
(the PostgreSQL store numbers them `$1, $2 …` for asyncpg). So a review gives the same
answer whichever database holds the log.

    store = await open_store(Path("data/queries.db"))            # SQLite, file created
    store = await open_store("postgresql://bot:pw@db:5432/bot")  # PostgreSQL, through asyncpg
    rows = await store.query("SELECT count(*) FROM queries WHERE time >= ?", (since,))
    async with store.transaction() as tx:
        await tx.executemany("INSERT INTO events (time, kind) VALUES (?, ?)", rows)
    await store.close()
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

Row = tuple[Any, ...]

POSTGRES_SCHEMES = ("postgresql", "postgres")  # hosts hand out both spellings
SQLITE_PREFIX = "sqlite:///"  # sqlite:///data/queries.db (relative), sqlite:////srv/q.db


class DatabaseError(RuntimeError):
    """The database cannot be used as configured: one line, never the password."""


class SchemaTooNew(DatabaseError):
    """The database was written by a newer version of the bot; refuse rather than guess."""


class Transaction(Protocol):
    async def query(self, sql: str, params: Row = ()) -> list[Row]: ...

    async def executemany(self, sql: str, rows: Sequence[Row]) -> None: ...


class Store(Protocol):
    """One database, as the query log uses it. SQL is the one dialect both databases speak."""

    name: str  # for messages: the file, or the URL with its password hidden
    # appended to a SELECT that picks rows to claim, so that two workers never pick the same
    # row: "FOR UPDATE SKIP LOCKED" in PostgreSQL, "" in SQLite (one writer at a time anyway)
    lock_rows: str

    async def migrate(self, migrations: Sequence[str]) -> int:
        """Apply the steps not yet applied (MIGRATIONS[i] takes version i to i + 1)."""
        ...

    async def query(self, sql: str, params: Row = ()) -> list[Row]:
        """Run one statement in its own transaction; its rows (none for a write)."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Several statements that all happen or none: committed on exit, rolled back on error."""
        ...

    def is_outage(self, error: BaseException) -> bool:
        """True when `error` means the database is unreachable (try again later), False
        when the statement itself failed (a bad row: retrying will not help)."""
        ...

    async def close(self) -> None: ...


def is_postgres_url(text: str) -> bool:
    return urlsplit(text).scheme in POSTGRES_SCHEMES


def location_of(text: str) -> Path | str:
    """A command-line database: "sqlite:///path" or a plain path is a SQLite file, a
    postgresql:// or postgres:// URL is PostgreSQL. Raises ValueError for anything else."""
    if text.startswith(SQLITE_PREFIX):
        return Path(text.removeprefix(SQLITE_PREFIX))
    if is_postgres_url(text):
        check_postgres_url(text)
        return text
    if "://" in text:
        raise ValueError(
            f"{hide_password(text)}: not a database URL "
            "(sqlite:///path/to/file.db or postgresql://user:password@host:port/database)"
        )
    return Path(text)


def check_postgres_url(url: str) -> None:
    """Raise ValueError, without the password, unless `url` names a host and a database."""
    shown = hide_password(url)
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when it is not a number
    except ValueError:
        raise ValueError(f"{shown} is not a valid URL (is the port a number?)") from None
    if parts.scheme not in POSTGRES_SCHEMES:
        raise ValueError(f"{shown} should start with postgresql:// or postgres://")
    if not parts.hostname:
        raise ValueError(f"{shown} names no host (postgresql://user:password@host:port/db)")
    if not parts.path.strip("/"):
        raise ValueError(f"{shown} names no database (…@host:port/DATABASE)")
    del port


def hide_password(url: str) -> str:
    """The URL with its password, if any, replaced by ***: safe to print or log."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        password = None
        parts = None
    if parts is None or password is None:
        # not parseable: hide everything between "://" and "@", where a password would be
        head, sep, rest = url.partition("://")
        if sep and "@" in rest:
            return f"{head}://***@{rest.rsplit('@', 1)[1]}"
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


async def open_store(location: Path | str) -> Store:
    """The store for a SQLite path, or a postgresql:// URL; raises DatabaseError if unusable."""
    if isinstance(location, str):
        from bot.store.postgres import PostgresStore  # asyncpg only when it is used

        return await PostgresStore.open(location)
    from bot.store.sqlite import SqliteStore

    return await SqliteStore.open(location)
