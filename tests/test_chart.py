"""The /stats chart: a valid PNG of a sensible size whose bars are the logged counts; and
`python -m bot logs stats --png FILE`."""

from __future__ import annotations

import asyncio
import struct
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from matplotlib.image import imread

from bot.chart import CHART_DAYS, DPI, SIZE_INCHES, chart_figure, daily_counts, render_chart
from bot.logs import main
from bot.querylog import QueryLog, QueryRecord, iso

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHINA = timezone(timedelta(hours=8))
NOW = datetime(2024, 5, 20, 15, 0, tzinfo=CHINA)
# days ago -> (questions, answered, 👍, 👎)
LOGGED = {0: (4, 3, 1, 1), 2: (2, 2, 2, 0), 29: (1, 0, 0, 1), 30: (5, 5, 0, 0)}


def seed(path: Path) -> None:
    async def write() -> None:
        async with QueryLog(path) as qlog:
            for ago, (questions, answered, up, down) in LOGGED.items():
                for n in range(questions):
                    row = QueryRecord(
                        surface="private",
                        raw_text=f"问题{ago}-{n}",
                        normalised=f"问题{ago}-{n}",
                        found=n < answered,
                        score=80,
                        latency_ms=5,
                        time=iso(NOW - timedelta(days=ago, minutes=n)),
                    )
                    qlog.record(row)
                    if n < up:
                        qlog.set_feedback(row.id, 1)
                    elif n < up + down:
                        qlog.set_feedback(row.id, -1)

    asyncio.run(write())


async def logged_days(path: Path):
    async with QueryLog(path) as qlog:
        return await daily_counts(qlog, now=NOW)


def test_daily_counts_are_the_logged_ones_per_local_day(tmp_path: Path):
    seed(tmp_path / "q.db")
    days = asyncio.run(logged_days(tmp_path / "q.db"))
    assert len(days) == CHART_DAYS
    assert days[-1].day == NOW.date() and days[0].day == NOW.date() - timedelta(days=29)
    by_day = {d.day: (d.questions, d.answered, d.thumbs_up, d.thumbs_down) for d in days}
    for ago, counts in LOGGED.items():
        if ago < CHART_DAYS:
            assert by_day[NOW.date() - timedelta(days=ago)] == counts
    assert sum(d.questions for d in days) == 7  # the 30-days-ago five are outside
    assert days[-1].answered_share == 75 and days[-2].answered_share is None


def test_the_chart_draws_the_counts(tmp_path: Path):
    seed(tmp_path / "q.db")
    days = asyncio.run(logged_days(tmp_path / "q.db"))
    questions, shares, feedback = chart_figure(days, "zh").axes
    assert [round(bar.get_height()) for bar in questions.patches] == [d.questions for d in days]
    drawn_shares = questions.figure.axes[1].lines[0].get_ydata()
    assert drawn_shares[-1] == 75 and drawn_shares[-3] == 100
    heights = [round(bar.get_height()) for bar in feedback.patches]
    assert heights == [d.thumbs_up for d in days] + [-d.thumbs_down for d in days]


def test_the_chart_is_a_png_of_sensible_size(tmp_path: Path):
    seed(tmp_path / "q.db")
    png = render_chart(asyncio.run(logged_days(tmp_path / "q.db")))
    assert png.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (SIZE_INCHES[0] * DPI, SIZE_INCHES[1] * DPI)
    assert 10_000 < len(png) < 500_000  # a chart, not an empty canvas nor a photo
    (tmp_path / "c.png").write_bytes(png)
    pixels = imread(tmp_path / "c.png")  # decodes: a real image
    assert pixels.shape[:2] == (height, width)
    assert len({tuple(p) for p in pixels[::20, ::20].reshape(-1, pixels.shape[2])}) > 5


def test_an_empty_log_still_gives_a_chart(tmp_path: Path):
    async def empty():
        async with QueryLog(tmp_path / "e.db") as qlog:
            return await daily_counts(qlog, now=datetime.now(UTC))

    days = asyncio.run(empty())
    assert sum(d.questions for d in days) == 0
    assert render_chart(days, "en").startswith(PNG_SIGNATURE)


def test_logs_stats_png_writes_the_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    seed(tmp_path / "q.db")
    out = tmp_path / "stats.png"
    assert main(["--db", str(tmp_path / "q.db"), "stats", "--png", str(out)]) == 0
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    assert "Today:" in capsys.readouterr().out  # the text report is still printed
