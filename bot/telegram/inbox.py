"""/inbox: fix a miss in two taps. Admins only, in a private chat.

The inbox walks the groups `/unanswered` lists (similar missed or low-confidence questions,
most asked first), one group per message, with the best candidate facts as buttons:

    ✅ n   this fact answers it: each wording becomes a curated question → that fact
    ✏️     write an answer: the admin sends the text, then picks its source article
    🚫     out of scope: the group joins curated.yaml's out_of_scope (kept unanswered)
    ⏭     skip, for this walk

Each action is written to curated.yaml (bot.curation: atomic, hand edits kept), followed by
the guarded reload (reload.py) and the next group. A group leaves the inbox once curated.yaml
answers or excludes it, or the fact base answers it with confidence.

Callback data is "ib:<card id>:<action>", a few bytes; the card itself stays here. A button
is stale once its card was acted on, the admin's inbox moved on, or a reload went live.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import render
from bot.answer import Answerer
from bot.answer.result import Hit
from bot.curation import (
    CurationError,
    Entry,
    add_entries,
    add_out_of_scope,
    entries_for_fact,
    known_questions,
    read_checked,
)
from bot.facts.model import Story
from bot.facts.store import CURATED_FILE
from bot.querylog import LOW_SCORE, UnansweredGroup, similarity_key
from bot.telegram.admin import admins_only
from bot.telegram.admin_text import comment, say
from bot.telegram.reload import guarded_reload, reload_state
from bot.telegram.replies import in_answering_thread, send_html
from bot.telegram.state import BotState, bot_state

INBOX_KEY = "inbox"
PREFIX = "ib:"
MAX_CANDIDATES = 3
MAX_SOURCES = 12  # article buttons offered for a written answer
MAX_WRITTEN = 500  # characters in a written answer: a fact, not an article
MAX_WORDINGS = 3  # a group's wordings written as curated questions
SCAN_GROUPS = 200  # groups looked at per walk
CLAIM_SECONDS = 15 * 60  # how long a group stays with the admin writing its answer
HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>")


@dataclass
class Card:
    """One group, shown to one admin."""

    id: str
    admin_id: int
    chat_id: int
    group: UnansweredGroup
    wordings: list[str]
    candidates: list[Hit]
    generation: int  # the reload generation it was made in
    markup: str = ""
    message_id: int = 0
    done: bool = False
    writing: bool = False  # a curated.yaml write for it is under way: a second tap waits
    answer: str = ""  # the admin's written answer, once sent
    sources: list[tuple[str, str]] = field(default_factory=list)  # (file, title) offered

    @property
    def key(self) -> str:
        return similarity_key(self.group.text)


@dataclass
class Inbox:
    """Server-side state of every admin's walk."""

    cards: dict[str, Card] = field(default_factory=dict)
    current: dict[int, str] = field(default_factory=dict)  # admin -> the card on show
    skipped: dict[int, set[str]] = field(default_factory=dict)  # admin -> group keys
    claims: dict[str, tuple[int, float]] = field(default_factory=dict)  # key -> admin, until
    writing: dict[int, str] = field(default_factory=dict)  # admin -> card awaiting its text
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def claimed_by_other(self, key: str, admin_id: int) -> bool:
        holder = self.claims.get(key)
        return holder is not None and holder[0] != admin_id and holder[1] > time.monotonic()

    def claim(self, key: str, admin_id: int) -> None:
        self.claims[key] = (admin_id, time.monotonic() + CLAIM_SECONDS)

    def release(self, key: str, admin_id: int) -> None:
        if self.claims.get(key, (None,))[0] == admin_id:
            del self.claims[key]


def inbox_of(application: Application) -> Inbox:
    return application.bot_data.setdefault(INBOX_KEY, Inbox())


# -- showing groups --------------------------------------------------------------------------


@admins_only
async def inbox_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState
) -> None:
    chat = update.effective_chat
    lang = state.config.admin_lang
    if chat.type != ChatType.PRIVATE:
        await send_html(context.bot, chat.id, say(lang, "private_only"))
        return
    inbox = inbox_of(context.application)
    admin_id = update.effective_user.id
    inbox.skipped[admin_id] = set()  # a new walk starts from the top
    drop_writing(inbox, admin_id)
    await show_next(context.application, state, admin_id, chat.id)


async def open_groups(state: BotState, admin_id: int, inbox: Inbox) -> list[UnansweredGroup]:
    """The groups still needing an admin, most asked first."""
    groups = await state.querylog.unanswered(limit=SCAN_GROUPS)
    answerer = state.answerer
    try:
        handled = known_questions(read_checked(curated_path(state), answerer.factbase.stories))
    except CurationError:
        handled = set()  # reported when an action tries to write
    skipped = inbox.skipped.get(admin_id, set())

    def still_open() -> list[UnansweredGroup]:
        return [
            g
            for g in groups
            if similarity_key(g.text) not in handled | skipped
            and not confidently_answered(answerer, g)
        ]

    return await in_answering_thread(still_open)


def confidently_answered(answerer: Answerer, group: UnansweredGroup) -> bool:
    answer = answerer.ask(group.examples[0] if group.examples else group.text)
    return answer.found and answer.score >= LOW_SCORE


async def show_next(application: Application, state: BotState, admin_id: int, chat_id: int) -> None:
    """Send the next open group as a card, or say the inbox is empty."""
    inbox = inbox_of(application)
    lang = state.config.admin_lang
    groups = await open_groups(state, admin_id, inbox)
    if not groups:
        inbox.current.pop(admin_id, None)
        await send_html(application.bot, chat_id, say(lang, "inbox_empty"))
        return
    group, generation = groups[0], reload_state(application).generation
    answerer = state.answerer
    card = await in_answering_thread(
        lambda: make_card(answerer, group, admin_id, chat_id, generation)
    )
    card.markup = card_html(lang, card, len(groups))
    inbox.cards[card.id] = card
    inbox.current[admin_id] = card.id
    sent = await send_html(
        application.bot, chat_id, card.markup, keyboard=card_keyboard(lang, card)
    )
    card.message_id = sent.message_id
    forget_old_cards(inbox)


def make_card(
    answerer: Answerer, group: UnansweredGroup, admin_id: int, chat_id: int, generation: int
) -> Card:
    wordings: list[str] = []
    for text in (*group.examples, group.text):
        if similarity_key(text) not in {similarity_key(w) for w in wordings}:
            wordings.append(text.strip())
    answer = answerer.ask(wordings[0])
    candidates = list((answer.hits if answer.found else answer.suggestions)[:MAX_CANDIDATES])
    return Card(
        id=secrets.token_hex(4),
        admin_id=admin_id,
        chat_id=chat_id,
        group=group,
        wordings=wordings[:MAX_WORDINGS],
        candidates=candidates,
        generation=generation,
    )


def card_html(lang: str, card: Card, remaining: int) -> str:
    group = card.group
    low = say(lang, "inbox_low", count=group.low_confidence) if group.low_confidence else ""
    lines = [
        say(
            lang,
            "inbox_card",
            total=remaining,
            text=render.escape(render.shorten(group.text, 80)),
            count=group.count,
            low=low,
            last=group.last_time[:16].replace("T", " "),
        )
    ]
    others = card.wordings[1:]
    if others:
        lines.append(say(lang, "inbox_variants"))
        lines += [f"  • {render.escape(render.shorten(w, 60))}" for w in others]
    lines.append("")
    if card.candidates:
        lines.append(say(lang, "inbox_candidates"))
        for n, hit in enumerate(card.candidates, 1):
            lines.append(f"{n}. {render.escape(render.shorten(hit.answer, 120))}")
            lines.append(f"   {render.source_line(hit.source)}")
    else:
        lines.append(say(lang, "inbox_no_candidates"))
    return "\n".join(lines)


def card_keyboard(lang: str, card: Card) -> InlineKeyboardMarkup:
    facts = [
        button(say(lang, "button_fact", n=n), card, f"f{n - 1}")
        for n in range(1, len(card.candidates) + 1)
    ]
    actions = [
        button(say(lang, "button_write"), card, "w"),
        button(say(lang, "button_out"), card, "o"),
        button(say(lang, "button_skip"), card, "s"),
    ]
    return InlineKeyboardMarkup([facts, actions] if facts else [actions])


def button(text: str, card: Card, action: str) -> InlineKeyboardButton:
    data = f"{PREFIX}{card.id}:{action}"
    assert len(data.encode()) <= 64  # 3 + 8 + 1 + a few: far below Telegram's limit
    return InlineKeyboardButton(text, callback_data=data)


def forget_old_cards(inbox: Inbox, keep: int = 200) -> None:
    """Cards are small, but a long-running bot should not keep every one."""
    if len(inbox.cards) > keep:
        shown = set(inbox.current.values()) | set(inbox.writing.values())
        for card_id in list(inbox.cards)[: len(inbox.cards) - keep]:
            if card_id not in shown:
                del inbox.cards[card_id]


# -- the buttons -----------------------------------------------------------------------------


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Actions: f<n> ✅ fact n, w ✏️, a<n> the written answer's source, o 🚫, s ⏭."""
    query = update.callback_query
    state = bot_state(context)
    lang = state.config.admin_lang
    admin = query.from_user
    if admin is None or admin.id not in state.config.admin_ids:
        await query.answer(say(lang, "not_admin"), show_alert=True)
        return
    inbox = inbox_of(context.application)
    card_id, _, action = (query.data or "").removeprefix(PREFIX).partition(":")
    card = inbox.cards.get(card_id)
    if card is None or is_stale(context.application, inbox, card, admin.id, action):
        await query.answer(say(lang, "stale"), show_alert=True)
        return
    if inbox.claimed_by_other(card.key, admin.id):
        await query.answer(say(lang, "inbox_busy"), show_alert=True)
        return
    if action == "s":
        await query.answer()
        inbox.skipped.setdefault(admin.id, set()).add(card.key)
        await finish(context.application, state, card, say(lang, "done_skip"), reload=False)
    elif action == "w":
        await query.answer()
        inbox.claim(card.key, admin.id)
        inbox.writing[admin.id] = card.id
        text = render.escape(render.shorten(card.group.text, 60))
        prompt = say(lang, "write_prompt", text=text, limit=MAX_WRITTEN)
        await context.bot.send_message(card.chat_id, prompt, reply_markup=ForceReply())
    elif action == "o":
        await mark_out_of_scope(query, context.application, state, card)
    elif (n := numbered(action, "f", len(card.candidates))) is not None:
        await link_fact(query, context.application, state, card, n)
    elif (n := numbered(action, "a", len(card.sources))) is not None:
        await save_written(query, context.application, state, card, n)
    else:
        await query.answer(say(lang, "stale"), show_alert=True)


def numbered(action: str, letter: str, count: int) -> int | None:
    """n of "f<n>" (a candidate fact) or "a<n>" (a source article), if there is such a button."""
    digits = action.removeprefix(letter)
    if action.startswith(letter) and digits.isdigit() and int(digits) < count:
        return int(digits)
    return None


def is_stale(
    application: Application, inbox: Inbox, card: Card, admin_id: int, action: str
) -> bool:
    """Acted on (or being acted on), not this admin's, the inbox moved on, or a reload went
    live since."""
    if card.done or card.writing or card.admin_id != admin_id:
        return True
    if inbox.current.get(admin_id) != card.id:
        return True
    if action.startswith("a") and not card.answer:
        return True
    return card.generation != reload_state(application).generation


async def link_fact(
    query: CallbackQuery, application: Application, state: BotState, card: Card, n: int
) -> None:
    """✅: each wording of the group → the chosen fact, with its source."""
    lang = state.config.admin_lang
    fact = state.answerer.factbase.fact(card.candidates[n].fact_id)
    if fact is None:
        await query.answer(say(lang, "stale"), show_alert=True)
        return
    entries = entries_for_fact(card.wordings, fact)
    note = comment(lang, "fact", **who(query.from_user))
    added = await write_curated(
        query, application, state, card, lambda p, s: add_entries(p, entries, s, note)
    )
    if added is not None:
        done = say(lang, "done_fact", admin=admin_name(query.from_user), n=n + 1, added=added)
        await finish(application, state, card, done, reload=added > 0)


async def mark_out_of_scope(
    query: CallbackQuery, application: Application, state: BotState, card: Card
) -> None:
    lang = state.config.admin_lang
    note = comment(lang, "out", **who(query.from_user))
    wordings = card.wordings
    added = await write_curated(
        query, application, state, card, lambda p, s: add_out_of_scope(p, wordings, s, note)
    )
    if added is not None:
        done = say(lang, "done_out", admin=admin_name(query.from_user))
        await finish(application, state, card, done, reload=added > 0)


async def save_written(
    query: CallbackQuery, application: Application, state: BotState, card: Card, n: int
) -> None:
    """The source article of a written answer is picked: write the entries."""
    lang = state.config.admin_lang
    file, title = card.sources[n]
    entries = [Entry(w, card.answer, file, title) for w in card.wordings]
    note = comment(lang, "written", **who(query.from_user))
    added = await write_curated(
        query, application, state, card, lambda p, s: add_entries(p, entries, s, note)
    )
    if added is not None:
        inbox_of(application).release(card.key, card.admin_id)
        title_text = render.escape(render.shorten(title, 40))
        done = say(
            lang, "done_written", admin=admin_name(query.from_user), title=title_text, added=added
        )
        await finish(application, state, card, done, reload=added > 0)


CuratedWrite = Callable[[Path, list[Story]], int]  # (curated.yaml, stories) -> items added


async def write_curated(
    query: CallbackQuery,
    application: Application,
    state: BotState,
    card: Card,
    write: CuratedWrite,
) -> int | None:
    """Run one curated.yaml write with the group claimed; None (and a reply) if it failed."""
    lang = state.config.admin_lang
    inbox = inbox_of(application)
    claimed_before = card.key in inbox.claims
    inbox.claim(card.key, card.admin_id)
    card.writing = True
    try:
        async with inbox.write_lock:
            stories = state.answerer.factbase.stories
            added = await asyncio.to_thread(write, curated_path(state), stories)
        card.done = True  # written: from here on its buttons are stale
    except CurationError as error:
        await query.answer()
        reason = render.escape(str(error))
        await send_html(application.bot, card.chat_id, say(lang, "curated_broken", reason=reason))
        return None
    finally:
        card.writing = False
        if not claimed_before:
            inbox.release(card.key, card.admin_id)
    await query.answer()
    if not added:
        await send_html(application.bot, card.chat_id, say(lang, "inbox_already"))
    return added


async def finish(
    application: Application, state: BotState, card: Card, done: str, *, reload: bool
) -> None:
    """Close the card (its buttons go), reload if curated.yaml changed, show the next group."""
    card.done = True
    inbox = inbox_of(application)
    inbox.release(card.key, card.admin_id)
    drop_writing(inbox, card.admin_id)
    try:
        await application.bot.edit_message_text(
            f"{card.markup}\n\n{done}", chat_id=card.chat_id, message_id=card.message_id
        )
    except BadRequest:  # the card was deleted, or is too long to add to: say it instead
        await send_html(application.bot, card.chat_id, done)
    if reload:
        await guarded_reload(application, state, card.chat_id)
    await show_next(application, state, card.admin_id, card.chat_id)


# -- the written answer ----------------------------------------------------------------------


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The written answer of an admin who pressed ✏️; any other text is left to private.py."""
    message, user = update.effective_message, update.effective_user
    inbox = inbox_of(context.application)
    card_id = inbox.writing.get(user.id) if user else None
    if card_id is None:
        return
    state = bot_state(context)
    lang = state.config.admin_lang
    card = inbox.cards.get(card_id)
    text = (message.text or "").strip()
    if card is None or is_stale(context.application, inbox, card, user.id, "w"):
        drop_writing(inbox, user.id)
        await send_html(context.bot, message.chat_id, say(lang, "stale"))
        raise ApplicationHandlerStop
    if not text:
        problem = say(lang, "write_empty")
    elif HTML_TAG.search(text):
        problem = say(lang, "write_html")
    elif len(text) > MAX_WRITTEN:
        problem = say(lang, "write_too_long", length=len(text), limit=MAX_WRITTEN)
    else:
        problem = ""
    if problem:  # the admin may send it again; nothing is written
        await send_html(context.bot, message.chat_id, problem)
        raise ApplicationHandlerStop
    card.answer = text
    inbox.writing.pop(user.id, None)
    card.sources = source_choices(state.answerer, card)
    rows = [
        [button(render.shorten(title, 30), card, f"a{n}")]
        for n, (_, title) in enumerate(card.sources)
    ]
    markup = say(lang, "pick_source", answer=render.escape(text))
    await send_html(context.bot, message.chat_id, markup, keyboard=InlineKeyboardMarkup(rows))
    raise ApplicationHandlerStop


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel while writing an answer."""
    user = update.effective_user
    inbox = inbox_of(context.application)
    if user is None or user.id not in inbox.writing:
        return
    drop_writing(inbox, user.id)
    lang = bot_state(context).config.admin_lang
    await send_html(context.bot, update.effective_chat.id, say(lang, "write_cancelled"))
    raise ApplicationHandlerStop


def source_choices(answerer: Answerer, card: Card) -> list[tuple[str, str]]:
    """Articles to pick from: the candidates' first, then every other story."""
    choices = [(h.source.file, h.source.title) for h in card.candidates]
    choices += [(s.file, s.title) for s in answerer.factbase.stories]
    return list(dict.fromkeys(choices))[:MAX_SOURCES]


def drop_writing(inbox: Inbox, admin_id: int) -> None:
    card_id = inbox.writing.pop(admin_id, None)
    card = inbox.cards.get(card_id or "")
    if card is not None:
        inbox.release(card.key, admin_id)


# -- helpers ---------------------------------------------------------------------------------


def curated_path(state: BotState) -> Path:
    return state.config.knowledge_dir / CURATED_FILE


def admin_name(user: User) -> str:
    return render.escape(render.shorten(user.full_name or str(user.id), 30))


def who(user: User) -> dict[str, object]:
    """The admin and today's date, for the comment in curated.yaml."""
    name = " ".join((user.full_name or "").split()) or (user.username or "")
    return {"admin": name[:40], "admin_id": user.id, "date": f"{datetime.now():%Y-%m-%d}"}


def register(application: Application) -> None:
    private_text = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT
    application.add_handler(CommandHandler("inbox", inbox_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=f"^{PREFIX}"))
    # before private.py's question handler (group 0): a pending answer is not a question
    application.add_handler(
        CommandHandler("cancel", cancel, filters=filters.ChatType.PRIVATE), group=-1
    )
    application.add_handler(MessageHandler(private_text & ~filters.COMMAND, on_text), group=-1)
