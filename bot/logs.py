"""`python -m bot logs stats | unanswered [--limit N] | export --csv FILE`: review the query log;
`python -m bot logs migrate --from URL --to URL`: copy it to another database (bot.logcopy).

The log is DATABASE_URL's PostgreSQL if set, else the SQLite file at BOT_DB_PATH; `--db`
names another (a path, sqlite:///path or postgresql://…).

The formatting functions here (`format_stats`, `format_unanswered`) are also what the
Telegram admin commands reply with: plain text, no markup, aligned for a monospace font
(CJK characters count as two columns), so a caller can HTML-escape it and wrap it in <pre>.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.config import Config, ConfigError
from bot.logcopy import Copied, copy_log
from bot.querylog import (
    LOW_SCORE,
    QueryLog,
    Stats,
    UnansweredGroup,
    similarity_key,
)
from bot.store import DatabaseError, hide_password, location_of, open_store

MAX_TEXT_WIDTH = 40  # columns; longer questions are cut with "…" to keep tables on screen


# -- display width ---------------------------------------------------------------------------


def char_width(char: str) -> int:
    """Terminal columns of one character: 2 for wide/full-width (CJK), 0 for combining."""
    if unicodedata.combining(char) or unicodedata.category(char) in {"Mn", "Me", "Cf"}:
        return 0
    return 2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1


def text_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def clip(text: str, width: int) -> str:
    """`text` cut to at most `width` columns, ending in "…" when cut. Newlines become spaces."""
    text = " ".join(text.split())
    if text_width(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        w = char_width(char)
        if used + w > width - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + "…"


def pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded with spaces to `width` columns (right-aligned if `right`)."""
    fill = " " * max(0, width - text_width(text))
    return fill + text if right else text + fill


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: set[int]) -> list[str]:
    """Aligned lines: a header, a rule, the rows. Columns in `right` are right-aligned."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(text_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [pad(c, widths[i], i in right) for i, c in enumerate(row)]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def short_time(iso_time: str) -> str:
    """ "2024-05-08T11:02:33.123456+00:00" -> "2024-05-08 11:02" (stored times are UTC)."""
    return iso_time[:16].replace("T", " ")


# -- the two reports -------------------------------------------------------------------------


# The report's words: English in the shell, Chinese (by default) in Telegram, where the
# admins are the newspaper's editors (BOT_ADMIN_LANG).
STATS_WORDS = {
    "en": {
        "title": "Query log, as of {now}",
        "today": "Today: {today}   Last 7 days: {week}",
        "answered": "Answered: {answered}/{week} ({rate:.0%})",
        "feedback": "Feedback: 👍 {up}  👎 {down}",
        "refused": "Admin commands refused: {refused}",
        "dropped": "Log rows dropped, database unreachable: {dropped} (this worker, since start)",
        "pending": "Replies pending (received, not sent yet): {pending}",
        "top_questions": "Top questions (7 days)",
        "top_entities": "Top entities (7 days)",
        "count": "count",
        "question": "question",
        "entity": "entity",
    },
    "zh": {
        "title": "查询日志（截至 {now}）",
        "today": "今天：{today}   最近 7 天：{week}",
        "answered": "已回答：{answered}/{week}（{rate:.0%}）",
        "feedback": "反馈：👍 {up}  👎 {down}",
        "refused": "被拒绝的管理命令：{refused}",
        "dropped": "数据库不可用时丢弃的日志行：{dropped}（本进程，自启动以来）",
        "pending": "待发送的回复（已收到，未发出）：{pending}",
        "top_questions": "热门问题（7 天）",
        "top_entities": "热门对象（7 天）",
        "count": "次数",
        "question": "问题",
        "entity": "对象",
    },
}


def format_stats(stats: Stats, lang: str = "en") -> str:
    """The `stats` report as plain text, in English or Chinese ("zh")."""
    words = STATS_WORDS["zh" if lang == "zh" else "en"]
    now = stats.now.strftime("%Y-%m-%d %H:%M %Z").strip()
    lines = [
        words["title"].format(now=now),
        words["today"].format(today=stats.today, week=stats.week),
        words["answered"].format(answered=stats.answered, week=stats.week, rate=stats.answer_rate),
        words["feedback"].format(up=stats.thumbs_up, down=stats.thumbs_down),
        words["refused"].format(refused=stats.refused),
        words["dropped"].format(dropped=stats.dropped),
        words["pending"].format(pending=stats.pending),
    ]
    if stats.top_questions:
        lines += ["", words["top_questions"]]
        rows = [(n, clip(text, MAX_TEXT_WIDTH)) for text, n in stats.top_questions]
        lines += table((words["count"], words["question"]), rows, right={0})
    if stats.top_entities:
        lines += ["", words["top_entities"]]
        rows = [(n, clip(text, MAX_TEXT_WIDTH)) for text, n in stats.top_entities]
        lines += table((words["count"], words["entity"]), rows, right={0})
    return "\n".join(lines)


UNANSWERED_WORDS = {
    "en": {
        "none": "No unanswered or low-confidence questions.",
        "title": "Unanswered and low-confidence (score under {low:g}) questions, most asked first",
        "headers": ("#", "count", "low", "last asked (UTC)", "question"),
        "legend": "low = answered, but with a low score; the rest were not answered.",
    },
    "zh": {
        "none": "没有未答出或低置信度的问题。",
        "title": "未答出和低置信度（得分低于 {low:g}）的问题，按被问次数排序",
        "headers": ("#", "次数", "低", "最近一次（UTC）", "问题"),
        "legend": "低 = 答了，但得分低；其余是没有答出的。发送 /inbox 逐组处理。",
    },
}


def format_unanswered(groups: Sequence[UnansweredGroup], lang: str = "en") -> str:
    """The `unanswered` report as plain text: one row per group, other wordings below it."""
    words = UNANSWERED_WORDS["zh" if lang == "zh" else "en"]
    if not groups:
        return words["none"]
    head = [words["title"].format(low=LOW_SCORE), ""]
    rows = [
        (i, g.count, g.low_confidence or "", short_time(g.last_time), clip(g.text, MAX_TEXT_WIDTH))
        for i, g in enumerate(groups, 1)
    ]
    lines = table(words["headers"], rows, right={0, 1, 2})
    indent = text_width(lines[1].rsplit("  ", 1)[0]) + 2  # where the question column starts
    out = head + lines[:2]
    for line, group in zip(lines[2:], groups, strict=True):
        out.append(line)
        for raw in group.examples:
            if similarity_key(raw) != similarity_key(group.text):
                out.append(" " * indent + "“" + clip(raw, MAX_TEXT_WIDTH - 2) + "”")
    out += ["", words["legend"]]
    return "\n".join(out)


# -- the command -----------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    # --db works before or after the subcommand; SUPPRESS keeps an absent one from
    # overwriting the other
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="the query log: a SQLite file or a postgresql:// URL "
        "(default: $DATABASE_URL, else $BOT_DB_PATH, else data/queries.db)",
    )
    p = argparse.ArgumentParser(
        prog="python -m bot logs", description="Review the query log.", parents=[db]
    )
    sub = p.add_subparsers(dest="command", required=True)
    st = sub.add_parser("stats", parents=[db], help="queries today and this week, top questions")
    st.add_argument("--png", metavar="FILE", help="also write the 30-day chart /stats sends")
    un = sub.add_parser("unanswered", parents=[db], help="what the bot missed, grouped")
    un.add_argument("--limit", type=int, default=20, help="at most this many groups (20)")
    ex = sub.add_parser("export", parents=[db], help="every query as CSV")
    ex.add_argument("--csv", required=True, metavar="FILE", help="output file, or - for stdout")
    mi = sub.add_parser("migrate", help="copy the log into another database; safe to repeat")
    mi.add_argument("--from", dest="source", required=True, metavar="URL", help="sqlite:///path")
    mi.add_argument("--to", dest="target", required=True, metavar="URL", help="postgresql://…")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.command == "unanswered" and args.limit < 1:
        parser().error("--limit must be at least 1")
    if args.command == "migrate":
        return migrate(args.source, args.target)
    try:
        database = location_of(args.db) if hasattr(args, "db") else Config.from_env().database
    except (ConfigError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if isinstance(database, Path) and not database.is_file():
        # a read command must not leave an empty database behind
        print(f"error: no query log at {database} (set BOT_DB_PATH or pass --db)", file=sys.stderr)
        return 1
    try:
        return asyncio.run(run(args, database))
    except (DatabaseError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except sqlite3.Error as error:  # not a database, corrupt, locked …
        print(f"error: {database}: {error}", file=sys.stderr)
        return 1


async def run(args: argparse.Namespace, database: Path | str) -> int:
    async with QueryLog(database) as qlog:
        if args.command == "stats":
            now = datetime.now().astimezone()
            print(format_stats(await qlog.stats(now)))
            if args.png:
                from bot.chart import daily_counts, render_chart  # matplotlib: only when asked

                Path(args.png).write_bytes(render_chart(await daily_counts(qlog, now=now), "en"))
                print(f"chart written to {args.png}", file=sys.stderr)
        elif args.command == "unanswered":
            print(format_unanswered(await qlog.unanswered(limit=args.limit)))
        elif args.csv == "-":
            await qlog.export_csv(sys.stdout)
        else:
            count = await qlog.export_csv(Path(args.csv))
            print(f"{count} queries written to {args.csv}", file=sys.stderr)
    return 0


def migrate(source_text: str, target_text: str) -> int:
    """`logs migrate`: one line saying what was copied, or one line saying why not."""
    try:
        source, target = location_of(source_text), location_of(target_text)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if isinstance(source, Path) and not source.is_file():
        print(f"error: no query log at {source}", file=sys.stderr)
        return 1
    if source == target:
        print("error: --from and --to are the same database", file=sys.stderr)
        return 1
    try:
        copied = asyncio.run(_copy(source, target))
    except (DatabaseError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except sqlite3.Error as error:
        print(f"error: {source}: {error}", file=sys.stderr)
        return 1
    shown = hide_password(target) if isinstance(target, str) else str(target)
    print(
        f"copied {copied.queries} queries, {copied.events} events and {copied.outbox} outbox "
        f"rows to {shown} ({copied.queries_there} queries, {copied.events_there} events and "
        f"{copied.outbox_there} outbox rows were there already)"
    )
    return 0


async def _copy(source: Path | str, target: Path | str) -> Copied:
    source_store = await open_store(source)
    try:
        target_store = await open_store(target)
        try:
            return await copy_log(source_store, target_store)
        finally:
            await target_store.close()
    finally:
        await source_store.close()
