"""Choosing and opening the database: DATABASE_URL read and checked, and every way of getting
it wrong stopping with one clear line that never shows the password; outages told apart from
bad statements."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
from databases import TEST_DATABASE_URL, require_postgres
from test_telegram_app import ROOT, bot_env

from bot.config import Config, ConfigError
from bot.querylog import QueryLog
from bot.store import DatabaseError, hide_password, location_of, open_store
from bot.store.postgres import PostgresStore, numbered

SECRET = "s3cr3t-Pa55"


# -- reading the setting ---------------------------------------------------------------------


def test_database_url_selects_postgres_and_its_absence_sqlite() -> None:
    url = f"postgresql://bot:{SECRET}@db.example:5432/bot"
    config = Config.from_env({"DATABASE_URL": url, "BOT_DB_PATH": "x.db"})
    assert config.database == url
    heroku = Config.from_env({"DATABASE_URL": "postgres://u:p@h:5432/d"})
    assert heroku.database == "postgres://u:p@h:5432/d"
    assert Config.from_env({"BOT_DB_PATH": "x.db"}).database == Path("x.db")
    assert Config.from_env({}).database == Path("data/queries.db")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"mysql://bot:{SECRET}@db:3306/bot", "expected postgresql://"),
        (f"bot:{SECRET}@db:5432/bot", "expected postgresql://"),
        (f"postgresql://bot:{SECRET}@db:port/bot", "is not a valid URL"),
        (f"postgresql://bot:{SECRET}@:5432/bot", "names no host"),
        (f"postgresql://bot:{SECRET}@db:5432/", "names no database"),
    ],
)
def test_a_malformed_database_url_is_one_line_without_the_password(url: str, reason: str):
    with pytest.raises(ConfigError) as caught:
        Config.from_env({"DATABASE_URL": url})
    message = str(caught.value)
    assert message.startswith("DATABASE_URL: ") and reason in message
    assert SECRET not in message and "\n" not in message


def test_hide_password() -> None:
    assert hide_password(f"postgresql://bot:{SECRET}@db:5432/bot") == (
        "postgresql://bot:***@db:5432/bot"
    )
    assert hide_password("postgresql://db/bot") == "postgresql://db/bot"
    assert SECRET not in hide_password(f"postgresql://bot:{SECRET}@db:port/bot")


def test_command_line_locations() -> None:
    assert location_of("sqlite:///data/queries.db") == Path("data/queries.db")
    assert location_of("sqlite:////srv/q.db") == Path("/srv/q.db")
    assert location_of("data/queries.db") == Path("data/queries.db")
    assert location_of("postgres://u@h/d") == "postgres://u@h/d"
    with pytest.raises(ValueError, match="not a database URL"):
        location_of(f"redis://u:{SECRET}@h/0")


def test_placeholders_are_numbered_outside_quotes() -> None:
    assert numbered("SELECT ? , '?' , ?, 'it''s ?'") == "SELECT $1 , '?' , $2, 'it''s ?'"


# -- opening it ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PasswordRefusingServer:
    """Speaks just enough of PostgreSQL's protocol to ask for a password and refuse it, as a
    server with password authentication does (the test server trusts everyone)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.passwords: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with client, contextlib.suppress(OSError):
                self._refuse(client)

    def _refuse(self, client: socket.socket) -> None:
        while True:  # SSL / GSS encryption requests: "N", not here
            (length,) = struct.unpack("!I", _read(client, 4))
            body = _read(client, length - 4)
            if struct.unpack("!I", body[:4])[0] in (80877103, 80877104):
                client.sendall(b"N")
                continue
            break  # the startup message
        client.sendall(b"R" + struct.pack("!II", 8, 3))  # cleartext password, please
        _kind, (length,) = _read(client, 1), struct.unpack("!I", _read(client, 4))
        self.passwords.append(_read(client, length - 4).rstrip(b"\0"))
        fields = b"".join(
            code + text.encode() + b"\0"
            for code, text in (
                (b"S", "FATAL"),
                (b"V", "FATAL"),
                (b"C", "28P01"),
                (b"M", 'password authentication failed for user "bot"'),
            )
        )
        client.sendall(b"E" + struct.pack("!I", len(fields) + 5) + fields + b"\0")

    def close(self) -> None:
        self.listener.close()


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


async def test_a_refused_password_is_one_line_without_it() -> None:
    server = PasswordRefusingServer()
    try:
        with pytest.raises(DatabaseError) as caught:
            await open_store(f"postgresql://bot:{SECRET}@127.0.0.1:{server.port}/bot")
    finally:
        server.close()
    assert server.passwords == [SECRET.encode()]  # it was really asked for, and sent
    message = str(caught.value)
    assert message == (
        f"PostgreSQL refused the password of user bot "
        f"(postgresql://bot:***@127.0.0.1:{server.port}/bot)"
    )


async def test_a_missing_database_is_one_line_without_the_password() -> None:
    require_postgres()
    server = urlsplit(TEST_DATABASE_URL)
    netloc = f"{server.username or 'postgres'}:{SECRET}@{server.hostname}:{server.port or 5432}"
    with pytest.raises(DatabaseError) as caught:
        await open_store(f"postgresql://{netloc}/no_such_database_here")
    message = str(caught.value)
    assert "has no database 'no_such_database_here'" in message and "create it first" in message
    assert SECRET not in message and "\n" not in message


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    with pytest.raises(DatabaseError) as caught:
        await QueryLog(f"postgresql://bot:{SECRET}@127.0.0.1:{free_port()}/bot").open()
    message = str(caught.value)
    assert message.startswith("cannot reach PostgreSQL at postgresql://bot:***@127.0.0.1:")
    assert SECRET not in message and "\n" not in message


def test_bot_run_stops_on_a_bad_database_without_falling_back(botapi, tmp_path: Path) -> None:
    """`bot run` with a DATABASE_URL it cannot use: exit 1, one error line, no password, and
    no SQLite file made instead."""
    server = PasswordRefusingServer()
    url = f"postgresql://bot:{SECRET}@127.0.0.1:{server.port}/bot"
    env = {"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8", **bot_env(botapi, tmp_path)}
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env={**env, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.close()
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: PostgreSQL refused the password of user bot "
        f"(postgresql://bot:***@127.0.0.1:{server.port}/bot)"
    ]
    assert "Traceback" not in output and SECRET not in output
    assert not (tmp_path / "queries.db").exists()


# -- telling an outage from a bad statement --------------------------------------------------


async def test_postgres_outages_are_told_from_bad_statements(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        with pytest.raises(asyncpg.PostgresError) as bad:
            await store.query("SELECT no_such_column FROM pg_class")
        assert not store.is_outage(bad.value)
        with pytest.raises(asyncpg.DataError) as wrong_type:
            await store.query("SELECT ?::int", ("not a number",))
        assert not store.is_outage(wrong_type.value)
    finally:
        await store.close()
    assert store.is_outage(ConnectionRefusedError())
    assert store.is_outage(asyncpg.exceptions.AdminShutdownError("terminating connection"))


async def test_a_cancelled_transaction_leaves_the_store_usable(database) -> None:
    """A stop cancels handlers wherever they are, even inside a transaction; the next
    transaction must still begin, and see nothing of the cancelled one."""
    store = await open_store(database)
    try:
        await store.query("CREATE TABLE t (n INTEGER)")
        for steps in range(4):  # cancelled at BEGIN, and at each later await

            async def write() -> None:
                async with store.transaction() as tx:
                    await tx.query("INSERT INTO t VALUES (1)")
                    await asyncio.sleep(1)

            task = asyncio.create_task(write())
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            async with store.transaction() as tx:
                await tx.query("INSERT INTO t VALUES (2)")
        assert await store.query("SELECT n FROM t") == [(2,)] * 4
    finally:
        await store.close()


def test_several_workers_share_a_webhook_secret_from_the_environment() -> None:
    assert Config.from_env({"BOT_WEBHOOK_SECRET": "Abc_123-x"}).webhook_secret == "Abc_123-x"
    assert Config.from_env({}).webhook_secret is None  # then each start makes its own
    with pytest.raises(ConfigError, match="BOT_WEBHOOK_SECRET"):
        Config.from_env({"BOT_WEBHOOK_SECRET": "not allowed!"})
