"""`python -m bot logs migrate --from sqlite:///data/queries.db --to $DATABASE_URL`.

Copies a query log from one database to another, typically the SQLite file a bot wrote before
it had a PostgreSQL database: queries (with their feedback), events, and the outbox, so that
questions still pending in the old log are answered from the new one. Running it again copies
nothing twice: a query is known by its id and an outbox row by its update id; an event has
none, so events are compared as whole rows and only the copies the target lacks are added.
Both logs are brought to the current schema first. The bot may keep running on the target
meanwhile.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.querylog import MIGRATIONS, QUERY_COLUMNS
from bot.store import Store

PAGE = 1000

QUERY_PAGE = f"""
    SELECT {", ".join(QUERY_COLUMNS)} FROM queries
    WHERE (time, id) > (?, ?) ORDER BY time, id LIMIT {PAGE}
"""
IDS_BETWEEN = "SELECT id FROM queries WHERE (time, id) >= (?, ?) AND (time, id) <= (?, ?)"
COPY_QUERY = (
    f"INSERT INTO queries ({', '.join(QUERY_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(QUERY_COLUMNS))}) ON CONFLICT (id) DO NOTHING"
)
EVENT_COLUMNS = "time, user_id, chat_id, kind, detail"
ALL_EVENTS = f"SELECT {EVENT_COLUMNS} FROM events ORDER BY time"
EVENTS_BETWEEN = f"SELECT {EVENT_COLUMNS} FROM events WHERE time >= ? AND time <= ?"
COPY_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
OUTBOX_COLUMNS = (
    "update_id, received, chat_id, user_id, payload, status, owner, lease_until, attempts,"
    " last_error, finished"
)
ALL_OUTBOX = f"SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY update_id"
COPY_OUTBOX = (
    f"INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES ({', '.join('?' * 11)})"
    " ON CONFLICT (update_id) DO NOTHING RETURNING update_id"
)


@dataclass(frozen=True)
class Copied:
    queries: int
    events: int
    queries_there: int  # already in the target, so not copied again
    events_there: int
    outbox: int = 0  # received messages, pending or recently answered
    outbox_there: int = 0


async def copy_log(source: Store, target: Store) -> Copied:
    """Copy what `target` lacks of `source`'s queries and events."""
    await source.migrate(MIGRATIONS)
    await target.migrate(MIGRATIONS)
    queries, queries_there = await _copy_queries(source, target)
    events, events_there = await _copy_events(source, target)
    outbox, outbox_there = await _copy_outbox(source, target)
    return Copied(queries, events, queries_there, events_there, outbox, outbox_there)


async def _copy_queries(source: Store, target: Store) -> tuple[int, int]:
    time_at, id_at = QUERY_COLUMNS.index("time"), QUERY_COLUMNS.index("id")
    copied = there = 0
    last = ("", "")
    while page := await source.query(QUERY_PAGE, last):
        first_key = (page[0][time_at], page[0][id_at])
        last = (page[-1][time_at], page[-1][id_at])
        known = {row[0] for row in await target.query(IDS_BETWEEN, (*first_key, *last))}
        missing = [row for row in page if row[id_at] not in known]
        if missing:
            async with target.transaction() as tx:
                await tx.executemany(COPY_QUERY, missing)
        copied += len(missing)
        there += len(page) - len(missing)
    return copied, there


async def _copy_events(source: Store, target: Store) -> tuple[int, int]:
    events = await source.query(ALL_EVENTS)
    if not events:
        return 0, 0
    already = Counter(await target.query(EVENTS_BETWEEN, (events[0][0], events[-1][0])))
    missing = []
    for event in events:
        if already[event] > 0:
            already[event] -= 1  # this copy is there; an identical second one may not be
        else:
            missing.append(event)
    if missing:
        async with target.transaction() as tx:
            await tx.executemany(COPY_EVENT, missing)
    return len(missing), len(events) - len(missing)


async def _copy_outbox(source: Store, target: Store) -> tuple[int, int]:
    """Outbox rows the target lacks. A pending row keeps its old owner, whose lease runs out
    (at most two minutes), after which a worker on the target claims and answers it."""
    rows = await source.query(ALL_OUTBOX)
    copied = 0
    async with target.transaction() as tx:
        for row in rows:
            copied += len(await tx.query(COPY_OUTBOX, row))
    return copied, len(rows) - copied
