"""No question lost: every message the bot receives is in the outbox until its reply is sent.

The path of a message, and what a crash at each step costs:

1. `RecordingQueue.put`: PTB's updater (long polling) and webhook hand every update to the
   application's queue. For a message, `put` first commits it to the outbox, claimed by this
   process. Polling confirms updates to Telegram only with the next getUpdates, which the
   updater sends after its `put`s returned; a webhook answers 200 after `put` returned. So a
   message Telegram considers delivered is always in the outbox. A message Telegram sends
   again (the process died before confirming it) is recognised by its update_id and dropped.
2. `DeliveringApplication.process_update` runs the handlers. If they raised nothing, the row
   is marked replied (also when no reply was due, e.g. a refusal that is rate limited). A
   transient failure (RetryingRateLimiter gave up) releases the row, still pending; a
   permanent one (blocked by the user, 4xx) marks it failed, as retrying cannot help.
3. `Outbox.sweep`, at start and then every BOT_PENDING_RETRY_S, claims pending rows nobody
   holds (left by a stop, by a failed send, or by a crash: at once if the crashed process ran
   on this host, else once its lease ran out) and processes them again: through the
   handlers, or, when older than BOT_PENDING_MAX_AGE_S, with a short apology.
4. On a stop (SIGTERM), the updater stops fetching first; then the handlers have
   BOT_SHUTDOWN_GRACE_S to finish. After it, no new send starts, the tasks not sending are
   cancelled, and every row this process still holds is released for the next start.

Never twice: a row is processed only by the process that holds it, once per claim, and
marked as soon as the send returns. The one gap left: a process killed outright between
Telegram accepting a reply and the mark being committed (a millisecond) repeats that reply.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from telegram import Bot, ReplyParameters, Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.querylog import PendingReply, QueryLog, ReceivedUpdate
from bot.telegram.retry import SendGate, ShuttingDown, is_transient, one_line

log = logging.getLogger(__name__)

LEASE_S = 120.0  # a claim's lease: longer than any one reply takes, retries included
FINISHED_KEPT = timedelta(days=2)  # Telegram resends an unconfirmed update for up to 24 h
CLAIM_BATCH = 100
STALE_APOLOGY = "抱歉，我刚才暂时离线，没能及时回答你的这个问题。如果还需要，请再问一次。"


class Outbox:
    """This process's side of the outbox: what it holds, and the sweeps that take over
    pending replies. One per application; `start` after the query log is open."""

    def __init__(
        self,
        querylog: QueryLog,
        gate: SendGate,
        *,
        max_age_s: float,
        retry_every_s: float,
    ) -> None:
        self.querylog = querylog
        self.gate = gate
        self.max_age_s = max_age_s
        self.retry_every_s = retry_every_s
        # unique per process: a restarted bot must not mistake its predecessor's claims
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"
        self.held: set[int] = set()  # update ids this process is answering
        self.failures: dict[int, BaseException] = {}  # update id -> why its handler failed
        self.answering: set[asyncio.Task[Any]] = set()
        self._application: DeliveringApplication | None = None
        self._sweeper: asyncio.Task[None] | None = None

    # -- receiving ---------------------------------------------------------------------------

    async def receive(self, update: Update) -> bool:
        """Commit a received message to the outbox; False if it was there already."""
        message = update.message
        row = ReceivedUpdate(
            update_id=update.update_id,
            chat_id=message.chat.id if message else None,
            user_id=message.from_user.id if message and message.from_user else None,
            payload=json.dumps(update.to_dict(), ensure_ascii=False),
        )
        new = await self.querylog.record_received([row], self.owner, LEASE_S)
        if update.update_id in new:
            self.held.add(update.update_id)
            return True
        log.info("update %s was received before; not answering it again", update.update_id)
        return False

    # -- finishing ---------------------------------------------------------------------------

    async def finish(self, update_id: int, done: str = "replied") -> None:
        """After the handlers ran: `done`, failed for good, or pending again."""
        error = self.failures.pop(update_id, None)
        # Not held from here on: once a release is committed, the next sweep may take it.
        # Until then this process's lease keeps every other claim off it.
        self.held.discard(update_id)
        if error is None:
            await self.querylog.mark_replied(update_id, self.owner, status=done)
        elif isinstance(error, ShuttingDown) or is_transient(error):
            await self.querylog.release(update_id, self.owner, one_line(error))
        else:
            await self.querylog.mark_replied(update_id, self.owner, status="failed")

    # -- taking over pending replies ------------------------------------------------------------

    def start(self, application: DeliveringApplication) -> None:
        """Answer what is pending now, and keep retrying pending replies while running."""
        self._application = application
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="outbox-sweeper")

    async def release_the_dead(self) -> int:
        """Release the rows held by processes of this host that are gone (killed without a
        clean stop), so they are answered now rather than when their lease runs out. Rows
        of other hosts wait for their lease: this process cannot tell whether those live."""
        released = 0
        for owner in await self.querylog.pending_owners():
            if owner != self.owner and is_dead_here(owner):
                released += await self.querylog.release_all(owner)
        if released:
            log.info("outbox: taking over %d replies of a bot process that died", released)
        return released

    def stop_sweeping(self) -> None:
        """Called first thing on a stop, so nothing is queued once the queue is drained."""
        if self._sweeper is not None:
            self._sweeper.cancel()

    async def _sweep_forever(self) -> None:
        try:
            await self.release_the_dead()
        except Exception:
            log.exception("outbox: could not look for replies of dead processes")
        while not self.gate.closed:
            try:
                await self.sweep()
                await self.querylog.forget_finished(datetime.now(UTC) - FINISHED_KEPT)
            except Exception:
                log.exception("outbox: sweeping pending replies failed; trying again later")
            await asyncio.sleep(self.retry_every_s)

    async def sweep(self) -> int:
        """Claim every pending reply nobody holds and process it again; returns how many.
        A reply older than `max_age_s` gets an apology instead."""
        application = self._application
        assert application is not None, "Outbox.start() first"
        oldest = datetime.now(UTC) - timedelta(seconds=self.max_age_s)
        taken = 0
        while not self.gate.closed:
            claimed = await self.querylog.claim(self.owner, LEASE_S, limit=CLAIM_BATCH)
            fresh = [reply for reply in claimed if reply.update_id not in self.held]
            if not fresh:
                break
            for reply in fresh:
                self.held.add(reply.update_id)
                if datetime.fromisoformat(reply.received) < oldest:
                    application.create_task(self._apologise(application.bot, reply))
                else:
                    update = Update.de_json(json.loads(reply.payload), application.bot)
                    application.update_queue.put_claimed(update)
            taken += len(fresh)
        if taken:
            log.info("outbox: answering %d pending replies", taken)
        return taken

    async def _apologise(self, bot: Bot, reply: PendingReply) -> None:
        """Too old to answer: say so, once, under the question."""
        task = asyncio.current_task()
        assert task is not None
        self.answering.add(task)
        message_id = (json.loads(reply.payload).get("message") or {}).get("message_id", 0)
        try:
            if reply.chat_id is not None:
                await bot.send_message(
                    reply.chat_id,
                    STALE_APOLOGY,
                    reply_parameters=ReplyParameters(message_id, allow_sending_without_reply=True),
                )
        except (TelegramError, ShuttingDown) as error:
            self.failures[reply.update_id] = error
            log.warning("outbox: apology to chat %s failed: %s", reply.chat_id, one_line(error))
        finally:
            self.answering.discard(task)
        await self.finish(reply.update_id, done="stale")

    # -- stopping ----------------------------------------------------------------------------

    def give_up_unsent(self) -> None:
        """The grace period is over: no send may start, and whatever is not sending right now
        stops. Its rows stay pending for the next start."""
        self.gate.closed = True
        stopped = [t for t in self.answering if t not in self.gate.sending and not t.done()]
        for task in stopped:
            task.cancel()
        if stopped:
            log.info("grace period over: %d replies left pending for the next start", len(stopped))

    async def close(self) -> None:
        """Stop sweeping and release every row still held, so the next start takes them."""
        self.gate.closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        released = await self.querylog.release_all(self.owner)
        if released:
            log.info("outbox: %d replies left pending for the next start", released)


def is_dead_here(owner: str) -> bool:
    """Whether `owner` (host:pid:nonce) names a process of this host that no longer runs. The
    same pid as ours is an earlier run: in a container the bot is often pid 1 every time."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it runs, as another user
    return False


class RecordingQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The application's update queue: a message is in the outbox before `put` returns."""

    outbox: Outbox | None = None  # set once the application is built

    async def put(self, item: Any) -> None:
        if self.outbox is not None and isinstance(item, Update) and item.message is not None:
            try:
                if not await self.outbox.receive(item):
                    return
            except Exception:  # the log is broken: answering now still beats losing it
                log.exception("outbox: could not record update %s; answering it anyway", item)
        await super().put(item)

    def put_claimed(self, update: Update) -> None:
        """An update already held in the outbox (taken over from a previous run)."""
        super().put_nowait(update)


class DeliveringApplication(Application):
    """PTB's Application, plus the outbox bookkeeping around each update and a bounded stop."""

    outbox: Outbox  # set by build_application
    grace_s: float

    async def process_update(self, update: object) -> None:
        held = isinstance(update, Update) and update.update_id in self.outbox.held
        if not held:
            await super().process_update(update)
            return
        assert isinstance(update, Update)
        if self.outbox.gate.closed:
            return  # stopping: still held, released by Outbox.close for the next start
        task = asyncio.current_task()
        assert task is not None
        self.outbox.answering.add(task)
        try:
            await super().process_update(update)
        finally:
            self.outbox.answering.discard(task)
        await self.outbox.finish(update.update_id)

    async def process_error(
        self, update: object | None, error: Exception, *args: Any, **kwargs: Any
    ) -> bool:
        if isinstance(update, Update) and update.update_id in self.outbox.held:
            self.outbox.failures[update.update_id] = error
            if isinstance(error, ShuttingDown):
                return False  # not an error: the reply waits for the next start
        return await super().process_error(update, error, *args, **kwargs)

    async def start(self) -> None:
        await super().start()
        self.outbox.start(self)

    async def stop(self) -> None:
        """Finish what was fetched for at most `grace_s`, then leave the rest pending."""
        self.outbox.stop_sweeping()
        timer = asyncio.get_running_loop().call_later(self.grace_s, self.outbox.give_up_unsent)
        try:
            await super().stop()
        finally:
            timer.cancel()
