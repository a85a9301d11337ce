"""The fake Bot API, exercised through the real python-telegram-bot client and Application.

If the fake accepted what Telegram refuses, or answered in a shape PTB cannot read, every
end-to-end test built on it would prove nothing; these tests pin both down.
"""

import asyncio
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from html import escape
from typing import Any

import httpx
import pytest
import telegram
from botapi import FakeBotApi
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle
from telegram import InputTextMessageContent as TextContent
from telegram.error import BadRequest, Conflict, EndPointNotFound, InvalidToken
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

USER = 4242
GROUP = -1001234567890


# One TLS context for every client: httpx builds a new one per client otherwise, ~60 ms each.
TLS = ssl.create_default_context()


def make_bot(botapi: FakeBotApi, token: str | None = None) -> telegram.Bot:
    return telegram.Bot(
        token or botapi.token,
        base_url=botapi.base_url,
        request=HTTPXRequest(httpx_kwargs={"verify": TLS}),
        get_updates_request=HTTPXRequest(httpx_kwargs={"verify": TLS}),
    )


@pytest.fixture
async def bot(botapi: FakeBotApi) -> AsyncIterator[telegram.Bot]:
    async with make_bot(botapi) as client:
        yield client


def keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(buttons)])


def rejects(error: type[telegram.error.TelegramError], fragment: str) -> Any:
    """PTB drops the "Bad Request: " prefix and re-capitalises the description."""
    return pytest.raises(error, match=f"(?i){re.escape(fragment)}")


def last_error(botapi: FakeBotApi, method: str) -> str:
    call = botapi.calls_of(method)[-1]
    assert not call.ok
    assert call.error is not None
    return call.error


# --- basics ---------------------------------------------------------------------------------


async def test_get_me_describes_the_bot(bot: telegram.Bot, botapi: FakeBotApi) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (botapi.bot_id, "leshan_test_bot", True)
    assert botapi.calls_of("getMe")[-1].ok


async def test_wrong_token_is_unauthorized(botapi: FakeBotApi) -> None:
    wrong = make_bot(botapi, "999:wrong")
    with pytest.raises(InvalidToken):
        await wrong.get_me()
    await wrong.request.shutdown()
    assert last_error(botapi, "getMe") == "Unauthorized"


async def test_unknown_method_is_not_found(bot: telegram.Bot, botapi: FakeBotApi) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("frobnicate")
    assert last_error(botapi, "frobnicate") == "Not Found"


async def test_parameters_arrive_decoded_from_json_form_and_query(botapi: FakeBotApi) -> None:
    markup = {"inline_keyboard": [[{"text": "好", "callback_data": "x"}]]}
    url = f"{botapi.base_url}{botapi.token}"
    with httpx.Client(trust_env=False) as client:
        sent_json = client.post(
            f"{url}/sendMessage", json={"chat_id": "7", "text": "123", "reply_markup": markup}
        ).json()
        sent_form = client.post(
            f"{url}/SENDMESSAGE",
            data={"chat_id": "7", "text": "12", "reply_markup": json.dumps(markup)},
        ).json()
        sent_query = client.get(f"{url}/sendMessage", params={"chat_id": 7, "text": "1"}).json()
    assert sent_json["ok"] and sent_form["ok"] and sent_query["ok"]
    assert [c.params for c in botapi.calls_of("sendMessage")] == [
        {"chat_id": 7, "text": "123", "reply_markup": markup},
        {"chat_id": 7, "text": "12", "reply_markup": markup},
        {"chat_id": 7, "text": "1"},
    ]
    assert sent_form["result"]["reply_markup"] == markup


# --- sendMessage and HTML ---------------------------------------------------------------------


async def test_send_message_returns_a_realistic_message(
    bot: telegram.Bot, botapi: FakeBotApi
) -> None:
    markup = keyboard(InlineKeyboardButton("更多", callback_data="more:1"))
    first = await bot.send_message(
        USER, "😀 <b>乐山</b> &amp; <i>x</i>\n", "HTML", reply_markup=markup
    )
    second = await bot.send_message(USER, "two")
    in_group = await bot.send_message(GROUP, "group")
    assert first.text == "😀 乐山 & x"  # visible text, trailing newline trimmed
    assert [(e.type, e.offset, e.length) for e in first.entities] == [
        ("bold", 3, 2),  # the emoji counts as two UTF-16 units
        ("italic", 8, 1),
    ]
    assert first.reply_markup == markup
    assert first.from_user is not None and first.from_user.id == botapi.bot_id
    assert (first.chat.id, second.message_id, in_group.message_id) == (USER, 2, 1)
    assert in_group.chat.type == "supergroup"
    assert [m["text"] for m in botapi.messages_in(USER)] == ["😀 乐山 & x", "two"]


async def test_all_supported_html_is_accepted(bot: telegram.Bot) -> None:
    html = (
        "<b>b</b><strong>b</strong><i>i</i><em>i</em><u>u</u><ins>u</ins><s>s</s>"
        '<strike>s</strike><del>s</del><span class="tg-spoiler">p</span><tg-spoiler>p'
        '</tg-spoiler><a href="https://example.com/?a=1&amp;b=2">a</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre><blockquote>q</blockquote>'
        '<blockquote expandable>q</blockquote><tg-emoji emoji-id="5368324170671202286">👍'
        "</tg-emoji> &lt;&gt;&quot;&#39;&#x1F600;"
    )
    sent = await bot.send_message(USER, html, parse_mode="HTML")
    assert sent.text is not None and sent.text.endswith(" <>\"'😀")
    kinds = [e.type for e in sent.entities]
    assert kinds == [
        *["bold"] * 2,
        *["italic"] * 2,
        *["underline"] * 2,
        *["strikethrough"] * 3,
        *["spoiler"] * 2,
        "text_link",
        "code",
        "pre",
        "blockquote",
        "expandable_blockquote",
        "custom_emoji",
    ]
    assert sent.entities[11].url == "https://example.com/?a=1&b=2"
    assert sent.entities[13].language == "python"


async def test_length_limit_counts_visible_text(bot: telegram.Bot) -> None:
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(USER, "&amp;" * 4096, parse_mode="HTML")
    with rejects(BadRequest, "too long"):
        await bot.send_message(USER, "<b>" + "a" * 4097 + "</b>", parse_mode="HTML")


async def test_without_parse_mode_markup_is_plain_text(bot: telegram.Bot) -> None:
    sent = await bot.send_message(USER, "1 < 2 & <b>")
    assert (sent.text, sent.entities) == ("1 < 2 & <b>", ())


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "message text is empty"),
        (" \n ", "message text is empty"),
        ("<b></b>", "message text is empty"),
        ("a" * 4097, "message is too long"),
        ("<div>x</div>", 'can\'t parse entities: Unsupported start tag "div"'),
        ("a<br>b", 'can\'t parse entities: Unsupported start tag "br"'),
        ("<b>x", "can't parse entities: Can't find end tag"),
        ("<b><i>x</b></i>", "can't parse entities: Unmatched end tag"),
        ("x</b>", "can't parse entities: Unexpected end tag"),
        ("1 < 2", 'can\'t parse entities: Unexpected "<"'),
        ("2 > 1", 'can\'t parse entities: Character ">"'),
        ("AT&T", 'can\'t parse entities: Character "&"'),
        ("a&nbsp;b", 'can\'t parse entities: Character "&"'),
        ("<span>x</span>", 'can\'t parse entities: Tag "span" must have class'),
    ],
)
async def test_send_message_rejections(
    bot: telegram.Bot, botapi: FakeBotApi, text: str, fragment: str
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(USER, text, parse_mode="HTML")
    assert last_error(botapi, "sendMessage").startswith(f"Bad Request: {fragment}")
    assert botapi.messages_in(USER) == []


@pytest.mark.parametrize(
    ("button", "fragment"),
    [
        (InlineKeyboardButton("x", callback_data="a" * 65), "BUTTON_DATA_INVALID"),
        (InlineKeyboardButton("x", callback_data="数" * 22), "BUTTON_DATA_INVALID"),  # 66 bytes
        (InlineKeyboardButton("", callback_data="ok"), "BUTTON_DATA_INVALID"),
        (InlineKeyboardButton("x"), "Text buttons are unallowed"),
    ],
)
async def test_bad_buttons_are_rejected(
    bot: telegram.Bot, botapi: FakeBotApi, button: InlineKeyboardButton, fragment: str
) -> None:
    await bot.send_message(
        USER, "ok", reply_markup=keyboard(InlineKeyboardButton("x", callback_data="数" * 21))
    )
    with rejects(BadRequest, fragment):
        await bot.send_message(USER, "x", reply_markup=keyboard(button))
    assert fragment in last_error(botapi, "sendMessage")


# --- editing, callbacks, inline mode, documents -------------------------------------------------


async def test_edit_message_text(bot: telegram.Bot, botapi: FakeBotApi) -> None:
    markup = keyboard(InlineKeyboardButton("x", callback_data="x"))
    sent = await bot.send_message(USER, "old", reply_markup=markup)
    with rejects(BadRequest, "not modified"):
        await bot.edit_message_text("old", USER, sent.message_id, reply_markup=markup)
    edited = await bot.edit_message_text("<b>new</b>", USER, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, telegram.Message) and edited.edit_date is not None
    (now,) = botapi.messages_in(USER)
    assert (now["text"], "reply_markup" in now) == ("new", False)  # no markup removes it
    with rejects(BadRequest, "message to edit not found"):
        await bot.edit_message_text("x", USER, sent.message_id + 1)
    with rejects(BadRequest, "can't parse entities"):
        await bot.edit_message_text("<b>", USER, sent.message_id, parse_mode="HTML")


async def test_callback_queries_can_be_answered_once(bot: telegram.Bot, botapi: FakeBotApi) -> None:
    sent = await bot.send_message(
        USER, "q", reply_markup=keyboard(InlineKeyboardButton("y", callback_data="y"))
    )
    query_id = botapi.press_button(USER, USER, sent.message_id, "y")
    (update,) = await bot.get_updates()
    assert update.callback_query is not None
    assert (update.callback_query.id, update.callback_query.data) == (query_id, "y")
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query_id, text="好")
    with rejects(BadRequest, "query is too old"):
        await bot.answer_callback_query(query_id)
    with rejects(BadRequest, "query is too old"):
        await bot.answer_callback_query("12345")
    with pytest.raises(AssertionError, match="no button 'n'"):
        botapi.press_button(USER, USER, sent.message_id, "n")


def articles(*ids: str, text: str = "答案") -> list[InlineQueryResultArticle]:
    return [InlineQueryResultArticle(i, "title", TextContent(text, parse_mode="HTML")) for i in ids]


@pytest.mark.parametrize(
    ("results", "fragment"),
    [
        (articles(*(str(i) for i in range(51))), "RESULTS_TOO_MUCH"),
        (articles("a", "a"), "RESULT_ID_DUPLICATE"),
        (articles("i" * 65), "RESULT_ID_INVALID"),
        (articles("a", text="<x>"), "can't parse entities"),
        (articles("a", text=""), "message text is empty"),
    ],
)
async def test_bad_inline_answers_are_rejected(
    bot: telegram.Bot, botapi: FakeBotApi, results: list, fragment: str
) -> None:
    query_id = botapi.inline_query(USER, "乐山")
    with pytest.raises(BadRequest):
        await bot.answer_inline_query(query_id, results)
    assert fragment in last_error(botapi, "answerInlineQuery")
    assert await bot.answer_inline_query(query_id, articles(*(str(i) for i in range(50))))


async def test_inline_query_ids_expire_after_answer(bot: telegram.Bot, botapi: FakeBotApi) -> None:
    query_id = botapi.inline_query(USER, "乐山", offset="10")
    (update,) = await bot.get_updates()
    assert update.inline_query is not None
    assert (update.inline_query.query, update.inline_query.offset) == ("乐山", "10")
    assert await bot.answer_inline_query(query_id, articles("1"))
    with rejects(BadRequest, "query is too old"):
        await bot.answer_inline_query(query_id, articles("1"))
    with rejects(BadRequest, "query is too old"):
        await bot.answer_inline_query("987", articles("1"))


async def test_send_document_upload_and_caption_limit(
    bot: telegram.Bot, botapi: FakeBotApi
) -> None:
    content = b"line\r\n--not-a-boundary\x00\xff"
    sent = await bot.send_document(USER, content, filename="报告.csv", caption="a" * 1024)
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.file_size) == ("报告.csv", len(content))
    assert botapi.calls_of("sendDocument")[0].params["document"] == content
    again = await bot.send_document(USER, sent.document.file_id)
    assert again.document == sent.document
    with rejects(BadRequest, "caption is too long"):
        await bot.send_document(USER, content, filename="x.csv", caption="a" * 1025)
    with rejects(BadRequest, "wrong file identifier"):
        await bot.send_document(USER, "no-such-file-id")


async def test_chat_actions_and_commands(bot: telegram.Bot, botapi: FakeBotApi) -> None:
    assert await bot.send_chat_action(USER, "typing")
    with rejects(BadRequest, "wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")
    assert await bot.set_my_commands([("ask", "提问")])
    assert botapi.calls_of("setMyCommands")[0].params["commands"] == [
        {"command": "ask", "description": "提问"}
    ]
    with rejects(BadRequest, "BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Ask", "提问")])


# --- updates ----------------------------------------------------------------------------------


async def test_group_messages_get_entities_and_replies(
    bot: telegram.Bot, botapi: FakeBotApi
) -> None:
    asked = await bot.send_message(GROUP, "问题?")
    botapi.send_group_message(
        GROUP, USER, "/ask@leshan_test_bot 乐山 @someone", reply_to_message_id=asked.message_id
    )
    (update,) = await bot.get_updates()
    message = update.message
    assert message is not None and message.reply_to_message is not None
    assert message.reply_to_message.message_id == asked.message_id
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bot_command", 0, 20),
        ("mention", 24, 8),
    ]
    reply = await bot.send_message(GROUP, "答", reply_to_message_id=message.message_id)
    assert reply.reply_to_message is not None
    with rejects(BadRequest, "message to be replied not found"):
        await bot.send_message(GROUP, "答", reply_to_message_id=999)


async def test_get_updates_offset_and_limit(bot: telegram.Bot, botapi: FakeBotApi) -> None:
    ids = [botapi.send_private_message(USER, f"m{i}") for i in range(3)]
    assert ids == [1, 2, 3]
    first_two = await bot.get_updates(limit=2)
    assert [u.message.text for u in first_two if u.message] == ["m0", "m1"]
    rest = await bot.get_updates(offset=first_two[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["m2"]
    assert botapi.pending_updates == 1
    botapi.send_private_message(USER, "m3", first_name="小明")
    (last,) = await bot.get_updates(offset=-1)
    assert last.message is not None and last.message.from_user is not None
    assert (last.message.text, last.message.from_user.first_name) == ("m3", "小明")
    assert botapi.pending_updates == 1
    assert await bot.get_updates(offset=rest[-1].update_id + 2) == ()
    assert botapi.pending_updates == 0


async def test_long_poll_waits_and_returns_early(bot: telegram.Bot, botapi: FakeBotApi) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 2
    threading.Timer(0.2, botapi.send_private_message, (USER, "hi")).start()
    started = time.monotonic()
    (update,) = await bot.get_updates(timeout=5)
    assert update.message is not None and update.message.text == "hi"
    assert time.monotonic() - started < 1.5


async def test_allowed_updates_drops_other_types(bot: telegram.Bot, botapi: FakeBotApi) -> None:
    botapi.inline_query(USER, "q")
    botapi.send_private_message(USER, "m")
    (update,) = await bot.get_updates(allowed_updates=["message"])
    assert update.message is not None
    botapi.inline_query(USER, "later")
    assert await bot.get_updates(offset=update.update_id + 1) == ()  # the setting persists


async def test_second_poller_ends_the_first(botapi: FakeBotApi) -> None:
    async with make_bot(botapi) as first, make_bot(botapi) as second:
        waiting = asyncio.create_task(first.get_updates(timeout=5))
        await asyncio.sleep(0.2)
        assert await second.get_updates() == ()
        with rejects(Conflict, "terminated by other getUpdates"):
            await waiting


async def test_webhook_settings_and_conflict(bot: telegram.Bot, botapi: FakeBotApi) -> None:
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret")
    assert botapi.webhook == {"url": "http://127.0.0.1:9/hook", "secret_token": "s3cret"}
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("http://127.0.0.1:9/hook", 0)
    with rejects(Conflict, "webhook is active"):
        await bot.get_updates()
    with rejects(BadRequest, "bad webhook"):
        await bot.set_webhook("https://example.com/hook")
    assert await bot.delete_webhook()
    assert botapi.webhook is None
    assert await bot.get_updates() == ()


def test_stop_is_quick_during_a_long_poll() -> None:
    server = FakeBotApi()
    server.start()
    url = f"{server.base_url}{server.token}/getUpdates?timeout=30"
    poller = threading.Thread(target=lambda: httpx.post(url, timeout=40, trust_env=False))
    poller.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    poller.join(timeout=5)
    assert time.monotonic() - started < 1.5
    assert not poller.is_alive()


def test_wait_for_times_out_with_a_summary(botapi: FakeBotApi) -> None:
    httpx.post(f"{botapi.base_url}{botapi.token}/getMe", trust_env=False)
    with pytest.raises(AssertionError, match=re.compile(r"no matching sendMessage.*getMe ", re.S)):
        botapi.wait_for("sendMessage", timeout=0.1)


# --- the real Application ---------------------------------------------------------------------


async def echo(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(f"<b>echo</b> {escape(update.message.text)}", parse_mode="HTML")


async def pressed(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"pressed {query.data}")


async def ask(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    buttons = keyboard(InlineKeyboardButton("更多", callback_data="more"))
    await update.message.reply_text(f"args={context.args}", reply_markup=buttons)


@asynccontextmanager
async def running(app: Application, start_updater: Awaitable[Any]) -> AsyncIterator[None]:
    """Start the app like run_polling/run_webhook do, and always stop it again."""
    async with app:
        await start_updater
        await app.start()
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


def application(botapi: FakeBotApi) -> Application:
    app = ApplicationBuilder().token(botapi.token).base_url(botapi.base_url).build()
    app.add_handler(CommandHandler("ask", ask))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    return app


async def test_application_polling_end_to_end(botapi: FakeBotApi) -> None:
    app = application(botapi)
    async with running(app, app.updater.start_polling()):
        botapi.send_private_message(USER, "乐山 & <大佛>")
        echoed = await botapi.await_call("sendMessage", lambda c: c.params["chat_id"] == USER)
        assert echoed.ok and echoed.result["text"] == "echo 乐山 & <大佛>"

        botapi.send_group_message(GROUP, USER, "/ask@leshan_test_bot 大佛")
        asked = await botapi.await_call("sendMessage", lambda c: c.params["chat_id"] == GROUP)
        assert asked.result["text"] == "args=['大佛']"
        assert asked.result["reply_to_message"]["text"].startswith("/ask")  # quoted in groups
        botapi.press_button(USER, GROUP, asked.result["message_id"], "more")
        await botapi.await_call("editMessageText")
        assert botapi.calls_of("answerCallbackQuery")[0].ok
        assert [m["text"] for m in botapi.messages_in(GROUP)] == ["pressed more"]
    methods = [c.method for c in botapi.calls]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    assert methods[-1] == "getUpdates"  # stop() confirms the fetched updates
    assert botapi.calls[-1].params["timeout"] == 0
    assert all(c.ok for c in botapi.calls), [c for c in botapi.calls if not c.ok]
    assert botapi.pending_updates == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_application_webhook_end_to_end(botapi: FakeBotApi) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    app = application(botapi)
    webhook = app.updater.start_webhook(
        listen="127.0.0.1", port=port, url_path="hook", webhook_url=hook, secret_token="s3"
    )
    async with running(app, webhook):
        assert botapi.webhook is not None and botapi.webhook["secret_token"] == "s3"
        botapi.send_private_message(USER, "你好")
        echoed = await botapi.await_call("sendMessage")
        assert echoed.result["text"] == "echo 你好"
        user = {"id": USER, "is_bot": False, "first_name": "U"}
        message = {"message_id": 99, "date": 0, "chat": echoed.result["chat"], "from": user}
        update = {"message": {**message, "text": "posted"}}
        assert await asyncio.to_thread(botapi.post_webhook_update, update, "wrong") == 403
        assert await asyncio.to_thread(botapi.post_webhook_update, update, None) == 403
        assert await asyncio.to_thread(botapi.post_webhook_update, update) == 200
        await botapi.await_call("sendMessage", lambda c: c.params["text"].endswith("posted"))
    assert [c.method for c in botapi.calls][:2] == ["getMe", "setWebhook"]
    assert botapi.pending_updates == 0
    assert len(botapi.calls_of("sendMessage")) == 2  # the wrongly signed updates were dropped


# -- fault injection ---------------------------------------------------------------------------


async def test_injected_http_errors_fail_the_next_calls_then_stop(
    bot: telegram.Bot, botapi: FakeBotApi
):
    botapi.fail_next("sendMessage", 2)
    for _ in range(2):
        with pytest.raises(telegram.error.NetworkError, match="Internal Server Error"):
            await bot.send_message(USER, "hi")
    assert (await bot.send_message(USER, "hi")).text == "hi"
    assert [c.ok for c in botapi.calls_of("sendMessage")] == [False, False, True]


async def test_an_outage_drops_connections_until_it_ends(bot: telegram.Bot, botapi: FakeBotApi):
    await bot.get_me()
    botapi.go_down(1.0)
    with pytest.raises(telegram.error.NetworkError):
        await bot.get_me()
    assert botapi.dropped >= 1
    await asyncio.sleep(1.1)
    assert (await bot.get_me()).username == botapi.bot_username


async def test_an_outage_ends_a_long_poll_in_progress(bot: telegram.Bot, botapi: FakeBotApi):
    poll = asyncio.create_task(bot.get_updates(timeout=5, read_timeout=10))
    await asyncio.sleep(0.3)
    botapi.go_down(0.5)
    with pytest.raises(telegram.error.NetworkError):
        await asyncio.wait_for(poll, 3)
