"""The embedded store: one SQLite file through aiosqlite, for a bot with no database server.

One connection, in WAL mode so that readers (another process running `python -m bot logs`)
never block the writer. A lock makes each transaction whole: without it, a read's commit could
land in the middle of the writer's batch. The schema version is SQLite's own
`PRAGMA user_version`, as in every query log written before PostgreSQL was supported.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.store import DatabaseError, Row, SchemaTooNew

log = logging.getLogger(__name__)

WAL_TRIES = 20  # about 10 s in all


class SqliteTransaction:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def query(self, sql: str, params: Row = ()) -> list[Row]:
        async with self._db.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def executemany(self, sql: str, rows: Sequence[Row]) -> None:
        await self._db.executemany(sql, rows)


class SqliteStore:
    lock_rows = ""  # SQLite has no row locks: BEGIN IMMEDIATE makes writers take turns

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self.path = path
        self.name = str(path)

    @classmethod
    async def open(cls, path: Path) -> SqliteStore:
        """Connect, creating the folder and the file if need be, in WAL mode."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(path)
        except (OSError, sqlite3.Error) as error:
            raise DatabaseError(f"cannot open the SQLite query log {path}: {error}") from None
        try:
            mode = await _wal_mode(db)
        except BaseException:
            await db.close()
            raise
        if str(mode).lower() != "wal":
            log.warning("query log %s: journal mode is %s, not WAL", path, mode)
        return cls(db, path)

    async def migrate(self, migrations: Sequence[str]) -> int:
        """All steps in one IMMEDIATE transaction, the version in PRAGMA user_version: a
        second process opening the file meanwhile waits, then finds nothing left to do."""
        async with self._begin("BEGIN IMMEDIATE") as tx:
            [(version,)] = await tx.query("PRAGMA user_version")
            if version > len(migrations):
                raise SchemaTooNew(
                    f"query log schema version {version} is newer than this program's "
                    f"{len(migrations)}"
                )
            for step in range(version, len(migrations)):
                for statement in statements(migrations[step]):
                    await tx.query(statement)
            await tx.query(f"PRAGMA user_version = {len(migrations)}")
        return len(migrations)

    async def query(self, sql: str, params: Row = ()) -> list[Row]:
        async with self._begin("BEGIN") as tx:  # deferred: a read takes no write lock
            return await tx.query(sql, params)

    def transaction(self) -> AbstractAsyncContextManager[SqliteTransaction]:
        # IMMEDIATE: take the write lock first, so a read-then-update cannot be overtaken
        return self._begin("BEGIN IMMEDIATE")

    @asynccontextmanager
    async def _begin(self, begin: str) -> AsyncIterator[SqliteTransaction]:
        """A transaction, whole or not at all. aiosqlite runs a statement in its thread even
        when the task awaiting it is cancelled (a stop cancels handlers), so the rollback
        also covers a cancelled BEGIN, and a transaction left open is closed first."""
        async with self._lock:
            try:
                if self._db.in_transaction:
                    await self._db.rollback()
                await self._db.execute(begin)
                yield SqliteTransaction(self._db)
            except BaseException:
                await self._db.rollback()
                raise
            await self._db.commit()

    def is_outage(self, error: BaseException) -> bool:
        """A busy or locked file clears by itself; anything else is about the statement."""
        message = str(error).lower()
        return isinstance(error, sqlite3.OperationalError) and (
            "locked" in message or "busy" in message
        )

    async def close(self) -> None:
        await self._db.close()


async def _wal_mode(db: aiosqlite.Connection) -> str:
    """Switch to WAL. Switching waits for no busy handler, so when another process is
    opening the same new file at this moment, try again a few times."""
    for attempt in range(WAL_TRIES):
        try:
            async with db.execute("PRAGMA journal_mode=WAL") as cursor:
                (mode,) = await cursor.fetchone() or ("?",)
            return str(mode)
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == WAL_TRIES - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def statements(script: str) -> list[str]:
    """A script cut into its statements (executescript would commit the transaction first)."""
    found, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            found.append(current.strip())
            current = ""
    if current.strip():
        found.append(current.strip())
    return found
