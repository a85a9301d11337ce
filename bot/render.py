"""What the bot says, as Telegram HTML; the terminal chat shows the same text via `to_plain`.

Every piece of user or article text goes through `escape` before it is put into markup, and
markup never spans a line break, so `split_html` can cut a long reply at any line and every
part is still valid HTML. No Telegram imports here: the terminal chat uses this module too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import groupby

from bot.answer.result import Answer, Hit
from bot.facts.model import Fact, Source, Story

MAX_MESSAGE_CHARS = 4096  # Telegram's limit for one message's text, in UTF-16 code units
MAX_QUOTED_QUESTION = 60  # a question echoed back in a reply is cut to this many characters
MAX_INLINE_SHORT = 200  # an inline answer is one message: a list too long for it is cut here

_TAG = re.compile(r"<[^>]*>")


def escape(text: str) -> str:
    """Text made safe to put into Telegram HTML."""
    return html.escape(text)


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji can count as two)."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """Plain `text` cut to at most `limit` characters, ending in "…" when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_plain(markup: str) -> str:
    """The text of an HTML reply without its markup, for the terminal chat."""
    return html.unescape(_TAG.sub("", markup))


# -- answers ---------------------------------------------------------------------------------


def source_line(source: Source) -> str:
    """Publication, date and story title of a fact, as one line."""
    return f"📰 来源：{escape(source.citation())}"


def hit_html(hit: Hit) -> str:
    """One answer: the short answer in bold when there is one, then the fact, the entity it is
    about, and where it comes from."""
    block = _fact_block(hit.answer, hit.entity, hit.source)
    return f"{short_html(hit.short)}\n{block}" if hit.short else block


def short_html(short: str) -> str:
    """The answer itself, first and in bold, so it is read at a glance."""
    return f"<b>{escape(short)}</b>"


def list_html(answer: Answer) -> str:
    """A list answer: its items, each once; an item read from another story than the sentence
    shown names that story after it. Then the sentence and its source."""
    top = answer.top
    assert top is not None
    lines = [f"<b>共{len(answer.items)}项：</b>"]
    for item in answer.items:
        cited = "" if item.source == top.source else f"（{escape(item.source.citation())}）"
        lines.append(f"• <b>{escape(item.text)}</b>{cited}")
    return "\n".join(lines) + "\n" + _fact_block(top.answer, top.entity, top.source)


def conflict_html(answer: Answer) -> str:
    """Top answers that give different values: each with its date (or story title), newest
    first, and a plain word that the articles differ."""
    blocks = ["⚠️ <b>这几篇文章的说法不一致：</b>"]
    for n, hit in enumerate(answer.conflict, 1):
        when = hit.source.date or f"《{hit.source.title}》"
        head = f"{n}. <b>{escape(hit.short or '')}</b>（{escape(when)}）"
        blocks.append(f"{head}\n{_fact_block(hit.answer, hit.entity, hit.source)}")
    return "\n\n".join(blocks)


def fact_html(fact: Fact) -> str:
    """A fact from the fact base (a tapped suggestion), laid out like an answer."""
    return _fact_block(fact.text, next(iter(fact.entities), None), fact.source)


def _fact_block(text: str, entity: str | None, source: Source) -> str:
    lines = [escape(text)]
    if entity:
        lines.append(f"🏷 <b>{escape(entity)}</b>")
    lines.append(source_line(source))
    return "\n".join(lines)


def inline_answer_html(question: str, hit: Hit, answer: Answer | None = None) -> str:
    """An answer sent through inline mode: with the question, since the chat never saw it.
    Given the whole answer (the first result), it carries a list's items or both conflicting
    values, when that fits in the one message an inline result sends."""
    head = f"❓ <b>{escape(shorten(question, MAX_QUOTED_QUESTION))}</b>\n\n"
    bodies = [found_html(answer)] if answer is not None and answer.top is not None else []
    bodies.append(hit_html(hit))
    for body in bodies:
        if telegram_length(head + body) <= MAX_MESSAGE_CHARS:
            return head + body
    short = shorten(hit.short, MAX_INLINE_SHORT) if hit.short else None  # a very long list
    return head + hit_html(replace(hit, short=short, answer=shorten(hit.answer, 1000)))


def notice_html(answer: Answer) -> str:
    """The engine's remark about the question itself (empty, truncated …), or ""."""
    return f"<i>ℹ️ {escape(answer.notice)}</i>" if answer.notice else ""


def answer_html(answer: Answer, *, in_group: bool = False) -> str:
    """The whole reply to a question: the answer with its source, or an honest "not found"."""
    body = found_html(answer) if answer.top else not_found_html(answer, in_group=in_group)
    return "\n\n".join(part for part in (notice_html(answer), body) if part)


def found_html(answer: Answer) -> str:
    """A found answer: both values when the articles differ, a list's items, or the short
    answer in bold over its sentence and source."""
    assert answer.top is not None
    if answer.conflict:
        return conflict_html(answer)
    if len(answer.items) > 1:
        return list_html(answer)
    return hit_html(answer.top)


def not_found_html(answer: Answer, *, in_group: bool) -> str:
    """Say plainly that the articles do not answer it, and what to try instead."""
    if answer.question.strip():
        quoted = escape(shorten(answer.question, MAX_QUOTED_QUESTION))
        lines = [f"抱歉，这些新闻文章里没有找到「{quoted}」的答案。"]
    else:
        lines = []  # an empty question: the engine's notice already asks for one
    if in_group:
        lines.append("可以私聊我再问一次，私聊时我会给出相近的内容。")
    elif answer.suggestions:
        lines.append("也许你想了解下面这些内容：")
    else:
        lines.append("发送 /help 看看我了解哪些文章。")
    return "\n".join(lines)


def now_answered_html(question: str, hit: Hit) -> str:
    """The one message to someone who pressed 🔔: their question, now with an answer."""
    quoted = escape(shorten(question, MAX_QUOTED_QUESTION))
    return f"🔔 你之前问过「{quoted}」，现在有答案了：\n\n{hit_html(hit)}"


def suggestions_html(hits: Sequence[Hit]) -> str:
    """Suggestions as text, where there are no buttons to put them on (the terminal)."""
    return "\n".join(f"• {escape(shorten(hit.answer, 60))}" for hit in hits)


def paragraph_html(fact: Fact, paragraph: str) -> str:
    """The "📄 原文" reply: the article paragraph the fact was taken from."""
    if not paragraph:
        return f"📄 这条内容没有可显示的原文段落。\n{source_line(fact.source)}"
    return f"📄 <b>原文</b>\n{escape(paragraph)}\n{source_line(fact.source)}"


def related_html(hits: Sequence[Hit]) -> str:
    """The "🔎 相关" reply: up to three other answers, each with its source."""
    if not hits:
        return "🔎 没有找到其他相关内容。"
    blocks = ["🔎 <b>相关内容</b>"]
    blocks += [f"{n}. {hit_html(hit)}" for n, hit in enumerate(hits, 1)]
    return "\n\n".join(blocks)


# -- fixed replies ---------------------------------------------------------------------------


def start_html(first_name: str) -> str:
    greeting = f"你好，{escape(first_name)}！" if first_name else "你好！"
    return (
        f"{greeting}我是乐山新闻问答机器人，根据几篇新闻报道回答问题，并注明出处。\n"
        "直接发给我一个问题就行。也可以先试试下面的例子，或发送 /help 看看我了解哪些文章。"
    )


def help_html(stories: Iterable[Story], bot_username: str | None = None) -> str:
    """What the bot knows: every story, grouped by the article file it comes from.

    With the bot's username, also how to ask it on Telegram.
    """
    lines = ["我只回答下面这些新闻文章里写到的内容：", ""]
    for file, group in groupby(sorted(stories, key=lambda s: s.file), key=lambda s: s.file):
        lines.append(f"📁 <b>{escape(file)}</b>")
        for story in group:
            meta = " ".join(part for part in (story.publication, story.date) if part)
            lines.append(f"• 《{escape(story.title)}》 {escape(meta)}".rstrip())
        lines.append("")
    if bot_username:
        mention = f"@{escape(bot_username)}"
        lines += [
            "用法：",
            "• 私聊：直接发送问题。",
            f"• 群组：发送 /ask 问题，或 {mention} 问题，或回复我的消息。",
            f"• 任意聊天：输入 {mention} 问题，从弹出的结果里选一条发送。",
            "每个答案下面的按钮可以查看原文、相关内容，或告诉我答得好不好。",
        ]
    return "\n".join(lines).strip()


def rate_limited_html(per_minute: int) -> str:
    return f"你问得太快啦：每分钟最多 {per_minute} 个问题。请稍等一会儿再问。"


def ask_usage_html(bot_username: str) -> str:
    return f"用法：/ask 问题，例如 /ask 乐山有哪些产业园？也可以 @{escape(bot_username)} 问题。"


# -- length ----------------------------------------------------------------------------------


def split_html(markup: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Cut a reply into messages of at most `limit`, at line breaks.

    Relies on this module's rule that no tag spans a line break. A single line longer than
    `limit` loses its markup and is cut into plain pieces, so no part is ever invalid HTML.
    """
    messages: list[str] = []
    current: list[str] = []
    length = 0
    for line in markup.split("\n"):
        pieces = [line] if telegram_length(line) <= limit else _cut_line(line, limit)
        for piece in pieces:
            added = telegram_length(piece) + (1 if current else 0)
            if current and length + added > limit:
                messages.append("\n".join(current).strip("\n"))
                current, length = [], 0
                added = telegram_length(piece)
            current.append(piece)
            length += added
    messages.append("\n".join(current).strip("\n"))
    return [m for m in messages if m.strip()] or [""]


def split_preformatted(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Plain text (an admin report) as <pre> messages of at most `limit` each."""
    wrapper = telegram_length("<pre></pre>")
    chunks = split_html(escape(text), limit - wrapper)
    return [f"<pre>{chunk}</pre>" for chunk in chunks]


def _cut_line(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current, length = "", 0
    for char in to_plain(line):
        escaped = escape(char)
        size = telegram_length(escaped)
        if length + size > limit:
            pieces.append(current)
            current, length = "", 0
        current += escaped
        length += size
    pieces.append(current)
    return pieces
