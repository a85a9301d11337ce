"""The outbox in the query log: received questions stay pending until their reply is sent,
each pending reply is claimed by one worker at a time, and the CSV export's formula guard.
The outbox tests run on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from databases import select
from test_querylog import set_up_schema

from bot.querylog import (
    MIGRATIONS,
    QUERY_COLUMNS,
    SCHEMA_VERSION,
    QueryLog,
    QueryRecord,
    ReceivedUpdate,
    looks_like_formula,
)
from bot.telegram.delivery import is_dead_here


def received(update_id: int, user: int = 7) -> ReceivedUpdate:
    return ReceivedUpdate(
        update_id, chat_id=user, user_id=user, payload=f'{{"update_id":{update_id}}}'
    )


def rows(database: Path | str) -> list[tuple]:
    """Read with a separate connection, as a process started after a crash would."""
    return select(
        database, "SELECT update_id, status, owner, attempts FROM outbox ORDER BY update_id"
    )


@pytest.fixture
async def qlog(database: Path | str):
    async with QueryLog(database) as log:
        yield log


async def test_received_updates_are_committed_before_the_call_returns(qlog: QueryLog):
    new = await qlog.record_received([received(1), received(2)], "a", lease_s=60)
    assert new == {1, 2}
    assert rows(qlog.location) == [(1, "pending", "a", 1), (2, "pending", "a", 1)]


async def test_an_update_received_again_is_not_new_and_keeps_its_row(qlog: QueryLog):
    await qlog.record_received([received(1)], "a", lease_s=60)
    assert await qlog.mark_replied(1, "a")
    assert await qlog.record_received([received(1), received(2)], "b", lease_s=60) == {2}
    assert rows(qlog.location) == [(1, "replied", None, 1), (2, "pending", "b", 1)]


async def test_a_held_reply_is_claimed_by_nobody_else_until_its_lease_ends(qlog: QueryLog):
    await qlog.record_received([received(1)], "a", lease_s=60)
    assert await qlog.claim("b", lease_s=60) == []
    later = datetime.now(UTC) + timedelta(seconds=61)
    [taken] = await qlog.claim("b", lease_s=60, now=later)
    assert (taken.update_id, taken.user_id, taken.attempts) == (1, 7, 2)
    assert taken.payload == '{"update_id":1}'
    assert not await qlog.mark_replied(1, "a")  # a lost its claim: b answers
    assert await qlog.mark_replied(1, "b")
    assert not await qlog.mark_replied(1, "b")  # never twice


async def test_concurrent_claims_split_the_pending_replies(qlog: QueryLog):
    await qlog.record_received([received(n) for n in range(1, 41)], "gone", lease_s=60)
    assert await qlog.release_all("gone") == 40
    claims = await asyncio.gather(*(qlog.claim(f"w{n}", 60, limit=15) for n in range(4)))
    ids = [reply.update_id for claim in claims for reply in claim]
    assert sorted(ids) == list(range(1, 41))  # each exactly once
    assert all(len(c) <= 15 for c in claims)


async def test_two_workers_claiming_at_once_never_take_the_same_reply(database: Path | str):
    """Two query logs on one database, as two `bot run` processes have: every pending reply
    goes to exactly one of them (FOR UPDATE SKIP LOCKED in PostgreSQL)."""
    async with QueryLog(database) as first, QueryLog(database) as second:
        await first.record_received([received(n) for n in range(1, 201)], "gone", lease_s=60)
        await first.release_all("gone")

        async def drain(log: QueryLog, owner: str) -> list[int]:
            taken: list[int] = []
            while batch := await log.claim(owner, 60, limit=7):
                taken += [reply.update_id for reply in batch]
                await asyncio.sleep(0)
            return taken

        claims = await asyncio.gather(
            *(drain(log, f"w{n}") for n, log in enumerate([first, second, first, second]))
        )
    ids = [update_id for claim in claims for update_id in claim]
    assert sorted(ids) == list(range(1, 201))  # each exactly once
    owners = dict(select(database, "SELECT update_id, owner FROM outbox"))
    for n, claim in enumerate(claims):
        assert all(owners[update_id] == f"w{n}" for update_id in claim)


async def test_a_released_reply_is_pending_counted_and_claimable(qlog: QueryLog):
    await qlog.record_received([received(1), received(2)], "a", lease_s=60)
    assert await qlog.release(2, "a", "NetworkError: 500")
    assert await qlog.mark_replied(1, "a")
    assert await qlog.pending_count() == 1
    assert (await qlog.stats()).pending == 1
    [again] = await qlog.claim("a", lease_s=60)
    assert again.update_id == 2
    assert select(qlog.location, "SELECT last_error FROM outbox WHERE update_id = 2") == [
        ("NetworkError: 500",)
    ]
    assert await qlog.mark_replied(2, "a", status="stale")
    assert await qlog.pending_count() == 0


async def test_outbox_writes_keep_their_order_with_queued_rows(qlog: QueryLog):
    qlog.record_event("refused", 1, 1, "/stats")
    await qlog.record_received([received(5)], "a", lease_s=60)  # also commits the event
    assert select(qlog.location, "SELECT count(*) FROM events") == [(1,)]


async def test_v2_database_gets_the_outbox(database: Path | str):
    set_up_schema(database, MIGRATIONS[:2], 2)
    async with QueryLog(database) as log:
        assert await log.record_received([received(1)], "a", lease_s=60) == {1}
    assert SCHEMA_VERSION >= 3  # the outbox is step 2 -> 3; later steps follow it


# -- the CSV export's formula guard ------------------------------------------------------------

FORMULAS = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    " =1+1",  # leading space
    "\n=1+1",  # leading newline
    "\t=1",
    "\r=1",
    "＝1+1",  # full-width equals sign
    "＋1",
    "\ufeff=1+1",  # a BOM
    "\u200b=1+1",  # a zero-width space
    "\u200d\u2060 \u3000=HYPERLINK(1)",  # several invisibles and an ideographic space
]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_like_text_is_recognised(text: str):
    assert looks_like_formula(text)


@pytest.mark.parametrize("text", ["伟力得的总部在哪里？", "1+1", "a=1", " 乐山", "", "（=）"])
def test_ordinary_text_is_not_a_formula(text: str):
    assert not looks_like_formula(text)


async def test_export_guards_every_formula_like_cell(qlog: QueryLog):
    for text in FORMULAS:
        qlog.record(
            QueryRecord(
                surface="private",
                raw_text=text,
                normalised=text,
                found=False,
                score=0,
                latency_ms=1,
                entity=text,
            )
        )
    out = io.StringIO()
    assert await qlog.export_csv(out) == len(FORMULAS)
    exported = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    for column in ("raw_text", "normalised", "entity"):
        cells = [row[QUERY_COLUMNS.index(column)] for row in exported]
        assert cells == ["'" + text for text in FORMULAS]


async def test_finished_rows_are_forgotten_after_a_while_pending_ones_never(qlog: QueryLog):
    old = datetime.now(UTC) - timedelta(days=3)
    rows_ = [
        ReceivedUpdate(n, chat_id=7, user_id=7, payload="{}", received=old.isoformat())
        for n in (1, 2)
    ]
    await qlog.record_received([*rows_, received(3)], "a", lease_s=60)
    await qlog.mark_replied(1, "a")
    await qlog.mark_replied(3, "a")
    assert await qlog.forget_finished(datetime.now(UTC) - timedelta(days=2)) == 1
    assert [r[0] for r in rows(qlog.location)] == [2, 3]  # 2 is still pending; 3 is recent


async def test_pending_owners_are_the_holders_of_pending_rows(qlog: QueryLog):
    await qlog.record_received([received(1)], "a", lease_s=60)
    await qlog.record_received([received(2)], "b", lease_s=60)
    await qlog.mark_replied(2, "b")
    assert await qlog.pending_owners() == ["a"]


def test_a_process_of_this_host_that_is_gone_is_dead():
    host = socket.gethostname()
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert is_dead_here(f"{host}:{finished.stdout.strip()}:a1")
    assert is_dead_here(f"{host}:{os.getpid()}:a1")  # our pid: an earlier run, as in Docker
    assert not is_dead_here(f"{host}:{os.getppid()}:a1")  # alive
    assert not is_dead_here(f"elsewhere-{host}:1:a1")  # cannot tell: wait for its lease
