"""Reply formatting: escaping, the source line, length limits. Checked with the fake Bot API's
HTML parser, so "valid" means what Telegram would accept."""

from __future__ import annotations

import pytest
from botapi.server import parse_html

from bot import render
from bot.answer.result import Answer, Hit
from bot.facts.model import Fact, Source, Story

SOURCE = Source(
    file="000_f791c31033d50d22.txt",
    title="四川乐山：培育新质生产力",
    publication="人民日报",
    date="2024-12-26",
    paragraph=5,
)
NASTY = "<b>&amp; 5 > 3 & x<y"


def hit(answer: str = "夹江核技术应用产业园已落地7个项目、总投资36.3亿元。", **changes) -> Hit:
    fields = {
        "fact_id": "dc3021f99e26",
        "answer": answer,
        "entity": "夹江核技术应用产业园",
        "source": SOURCE,
        "score": 88.0,
    } | changes
    return Hit(**fields)


def found(question: str = "夹江产业园投资多少？", **changes) -> Answer:
    fields = {
        "question": question,
        "normalised": question,
        "found": True,
        "hits": (hit(),),
        "score": 88.0,
    }
    return Answer(**(fields | changes))


def missed(question: str, suggestions: tuple[Hit, ...] = ()) -> Answer:
    return Answer(question=question, normalised=question, found=False, suggestions=suggestions)


def visible(markup: str) -> str:
    """What Telegram would show; raises like Telegram on invalid HTML."""
    return parse_html(markup)[0]


def test_answer_has_fact_entity_and_source_line():
    text = visible(render.answer_html(found()))
    assert "总投资36.3亿元" in text
    assert "夹江核技术应用产业园" in text
    assert "来源：人民日报 2024-12-26 《四川乐山：培育新质生产力》" in text


def test_source_line_leaves_out_what_is_unknown():
    line = render.source_line(Source(file="x.txt", title="标题"))
    assert visible(line) == "📰 来源：《标题》"


@pytest.mark.parametrize("where", ["answer", "entity", "title", "publication"])
def test_article_text_is_escaped(where: str):
    source = SOURCE if where not in {"title", "publication"} else None
    source = source or Source(file="f.txt", **{"title": "T", "publication": "P", where: NASTY})
    changes = {"source": source} | ({where: NASTY} if where in {"answer", "entity"} else {})
    markup = render.answer_html(found(hits=(hit(**changes),)))
    assert NASTY in visible(markup)


def test_question_is_escaped_when_not_found():
    markup = render.answer_html(missed(f"{NASTY} 是什么"))
    assert f"「{NASTY} 是什么」" in visible(markup)


def test_notice_about_the_question_is_shown_and_escaped():
    markup = render.answer_html(found(notice=f"问题太长，已截断 {NASTY}"))
    assert visible(markup).startswith(f"ℹ️ 问题太长，已截断 {NASTY}")


def test_not_found_in_private_mentions_the_suggestions_in_group_the_private_chat():
    suggestion = hit()
    private = visible(render.answer_html(missed("足球", (suggestion,))))
    group = visible(render.answer_html(missed("足球", (suggestion,)), in_group=True))
    assert "没有找到「足球」的答案" in private and "也许你想了解" in private
    assert "私聊" in group and "也许你想了解" not in group


def test_paragraph_and_related_replies_escape_and_cite():
    fact = Fact(id="a1", text=NASTY, source=SOURCE)
    assert NASTY in visible(render.paragraph_html(fact, f"原文 {NASTY}"))
    assert "人民日报" in visible(render.paragraph_html(fact, ""))
    related = visible(render.related_html([hit(answer=NASTY), hit()]))
    assert NASTY in related and "2. " in related
    assert "没有找到其他相关内容" in visible(render.related_html([]))


def test_help_lists_stories_by_file_with_titles_and_dates():
    stories = [
        Story("b-1", "b.txt", "乙<新闻>", "四川日报", "2025-01-02", []),
        Story("a-1", "a.txt", "甲新闻", "人民日报", "2024-12-26", []),
        Story("a-2", "a.txt", "甲续", "人民日报", "2024-12-26", []),
    ]
    text = visible(render.help_html(stories, "leshan_test_bot"))
    assert text.index("a.txt") < text.index("甲新闻") < text.index("甲续") < text.index("b.txt")
    assert "《乙<新闻>》 四川日报 2025-01-02" in text
    assert "@leshan_test_bot" in text
    assert "@" not in visible(render.help_html(stories))


def test_long_reply_is_split_into_valid_messages_under_the_limit():
    lines = [f"<b>{i}</b> {render.escape(NASTY)} " + "乐山" * 40 for i in range(200)]
    parts = render.split_html("\n".join(lines))
    assert len(parts) > 1
    assert all(render.telegram_length(p) <= render.MAX_MESSAGE_CHARS for p in parts)
    shown = "\n".join(visible(p) for p in parts)
    assert shown == "\n".join(visible(line) for line in lines)


def test_a_single_over_long_line_is_cut_without_breaking_markup():
    line = "<b>粗体</b>" + render.escape("&<>") * 3000
    parts = render.split_html(line, limit=1000)
    assert all(render.telegram_length(p) <= 1000 for p in parts)
    assert "".join(visible(p) for p in parts) == "粗体" + "&<>" * 3000


def test_length_counts_utf16_units_like_telegram():
    assert render.telegram_length("乐山👍") == 4  # the emoji is a surrogate pair
    parts = render.split_html("\n".join(["👍" * 30] * 10), limit=100)
    assert all(render.telegram_length(p) <= 100 for p in parts)


def test_preformatted_report_parts_are_each_wrapped():
    report = "\n".join(f"{i:>4}  问题 <{i}> & 答案" for i in range(600))
    parts = render.split_preformatted(report)
    assert len(parts) > 1
    assert all(p.startswith("<pre>") and p.endswith("</pre>") for p in parts)
    assert all(render.telegram_length(p) <= render.MAX_MESSAGE_CHARS for p in parts)
    assert "\n".join(visible(p) for p in parts) == report


def test_plain_text_for_the_terminal_has_no_markup():
    plain = render.to_plain(render.answer_html(found(hits=(hit(answer=NASTY),))))
    assert NASTY in plain
    assert "<b>夹江" not in plain
