"""The /stats chart (and `python -m bot logs stats --png FILE`): questions per day, the share
answered, and 👍/👎, over the last 30 days.

Drawn with matplotlib's Agg backend through `Figure` directly, not pyplot: no display is
needed and no global state is shared between threads (the bot draws in a worker thread).
Days are calendar days in the admin's time zone, counted from the log's hourly totals.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.querylog import QueryLog

CHART_DAYS = 30
SIZE_INCHES = (9.0, 7.5)
DPI = 100  # 900 × 750 pixels: sharp on a phone, a few tens of kB
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Source Han Sans SC",
)

LABELS = {
    "en": {
        "questions": "Questions per day",
        "answered": "Answered (%)",
        "feedback": "Feedback",
        "up": "thumbs up",
        "down": "thumbs down",
        "title": "Last {days} days",
    },
    "zh": {
        "questions": "每天的提问数",
        "answered": "回答率 (%)",
        "feedback": "用户反馈",
        "up": "赞",
        "down": "踩",
        "title": "最近 {days} 天",
    },
}


@dataclass(frozen=True)
class Day:
    day: date
    questions: int = 0
    answered: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0

    @property
    def answered_share(self) -> float | None:
        """0-100, or None on a day without questions (drawn as a gap, not as 0 %)."""
        return 100 * self.answered / self.questions if self.questions else None


async def daily_counts(
    querylog: QueryLog, days: int = CHART_DAYS, now: datetime | None = None
) -> list[Day]:
    """One Day per calendar day (in `now`'s time zone), oldest first, empty days included."""
    now = now or datetime.now().astimezone()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    first = now.date() - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    totals: dict[date, list[int]] = {first + timedelta(days=n): [0, 0, 0, 0] for n in range(days)}
    for hour in await querylog.hourly_counts(start, now):
        moment = datetime.fromisoformat(hour.hour + ":00:00+00:00").astimezone(now.tzinfo)
        counts = totals.get(moment.date())
        if counts is not None:  # the first UTC hour can start before local midnight
            for i, n in enumerate(
                (hour.questions, hour.answered, hour.thumbs_up, hour.thumbs_down)
            ):
                counts[i] += n
    return [Day(day, *counts) for day, counts in sorted(totals.items())]


def chart_font() -> str | None:
    """A font that has Chinese characters, if one is installed."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def render_chart(days: list[Day], lang: str = "zh") -> bytes:
    """The chart as PNG bytes."""
    buffer = io.BytesIO()
    chart_figure(days, lang).savefig(buffer, format="png")
    return buffer.getvalue()


def chart_figure(days: list[Day], lang: str = "zh") -> Figure:
    """Three panels over the days. Chinese labels need a CJK font; without one, English."""
    font = chart_font() if lang == "zh" else None
    labels = LABELS["zh" if font else "en"]
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(3, 1, sharex=True)
    x = [d.day for d in days]
    text_props = {"fontfamily": font} if font else {}

    axes[0].bar(x, [d.questions for d in days], color="#4878a8")
    axes[0].set_title(labels["questions"], loc="left", **text_props)

    shares = [d.answered_share for d in days]
    axes[1].plot(
        x, [s if s is not None else float("nan") for s in shares], marker="o", color="#3a9a5b"
    )
    axes[1].set_ylim(0, 105)
    axes[1].set_title(labels["answered"], loc="left", **text_props)

    axes[2].bar(x, [d.thumbs_up for d in days], color="#3a9a5b", label=labels["up"])
    axes[2].bar(x, [-d.thumbs_down for d in days], color="#c44e52", label=labels["down"])
    axes[2].axhline(0, color="#888888", linewidth=0.8)
    axes[2].set_title(labels["feedback"], loc="left", **text_props)
    axes[2].legend(loc="upper left", prop={"family": font} if font else None)

    for ax in axes:
        ax.grid(axis="y", alpha=0.3)
    for ax in (axes[0], axes[2]):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts, not fractions
    figure.suptitle(labels["title"].format(days=len(days)), **text_props)
    figure.autofmt_xdate()
    return figure
