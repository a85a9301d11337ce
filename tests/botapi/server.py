"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests.

The real python-telegram-bot Application talks HTTP to it through ``base_url``. The fake rejects
what api.telegram.org rejects (HTML entity parsing, length limits, button data, inline answers),
so mistakes that would only show up in production fail the tests instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import http.client
import itertools
import json
import mimetypes
import re
import select
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import EllipsisType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD_BYTES = 20 * 2**20  # getFile refuses bigger files ("file is too big")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_POLL_SECONDS = 50  # Telegram caps long polling at 50 s
WEBHOOK_TIMEOUT = 10.0
WEBHOOK_RETRY_SECONDS = 0.5
# Telegram never sends these unless allowed_updates asks for them explicitly.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
# Parameters the Bot API types as String. Form fields arrive as strings, and everything else is
# JSON (numbers, booleans, objects), so only these must not go through json.loads: a text "123"
# has to stay a string.
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "ip_address",
        "inline_query_id",
        "callback_query_id",
        "inline_message_id",
        "next_offset",
        "action",
        "language_code",
        "business_connection_id",
        "message_effect_id",
    }
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


@dataclass
class ApiCall:
    """One answered Bot API request, as the test sees it."""

    method: str
    params: dict[str, Any]
    ok: bool
    result: Any
    error: str | None
    time: float = field(default_factory=time.monotonic)  # when it was answered


class ApiError(Exception):
    """A Bot API error reply; ``description`` is what Telegram would send."""

    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.code = code


def bad(reason: str) -> ApiError:
    return ApiError(f"Bad Request: {reason}")


class Upload(bytes):
    """An uploaded file: its bytes, plus the file name the client sent."""

    filename: str = ""


class _Abandoned(Exception):
    """The client hung up during a long poll, so there is nobody to answer."""


class _Outage(Exception):
    """The API went down during a long poll: the connection is dropped."""


# --- HTML entity parsing, as Telegram does it --------------------------------------------------

_TAG_RE = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)"
    r"((?:\s+[A-Za-z_-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_ATTR_RE = re.compile(r"([A-Za-z_-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9A-Fa-f]{1,8})|([A-Za-z]+));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _entity_error(reason: str) -> ApiError:
    return bad(f"can't parse entities: {reason}")


def _decode_entity(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED_ENTITIES.get(name)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape(value: str) -> str:
    return _ENTITY_RE.sub(lambda m: _decode_entity(m) or m.group(0), value)


def _attributes(raw: str) -> dict[str, str]:
    return {
        m.group(1).lower(): _unescape(next((g for g in m.groups()[1:] if g is not None), ""))
        for m in _ATTR_RE.finditer(raw)
    }


def _open_entity(
    tag: str, attrs: dict[str, str], stack: list[tuple[str, dict | None, int]], where: str
) -> dict[str, Any] | None:
    """The entity a start tag opens; None for tags that add no entity of their own."""
    if tag == "code" and stack and stack[-1][0] == "pre" and stack[-1][1] is not None:
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][1]["language"] = language.removeprefix("language-")
            return None
    if tag in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[tag]}
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise _entity_error(f'Tag "span" must have class "tg-spoiler" at {where}')
        return {"type": "spoiler"}
    if tag == "a":
        return {"type": "text_link", "url": attrs["href"]} if attrs.get("href") else None
    if tag == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if tag == "tg-emoji":
        if not attrs.get("emoji-id", "").isdigit():
            raise _entity_error(f"Custom emoji identifier must be non-empty at {where}")
        return {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
    raise _entity_error(f'Unsupported start tag "{tag}" at {where}')


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Visible text and entities of ``source`` with parse_mode=HTML; ApiError where Telegram
    would refuse it. Stricter than tdlib on one point: bare ``>`` and ``&`` are refused, as the
    Bot API documentation demands, because tdlib's leniency there is undocumented."""
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, dict | None, int]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            where = f"byte offset {len(source[:i].encode())}"
            tag = _TAG_RE.match(source, i)
            if tag is None:
                raise _entity_error(f'Unexpected "<" at {where}; escape it as &lt;')
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            if not closing:
                entity = _open_entity(name, _attributes(tag.group(3)), stack, where)
                stack.append((name, entity, pos16))
            elif not stack:
                raise _entity_error(f"Unexpected end tag at {where}")
            else:
                opened, entity, start = stack.pop()
                if opened != name:
                    raise _entity_error(
                        f'Unmatched end tag at {where}, expected "</{opened}>", found "</{name}>"'
                    )
                if entity is not None and pos16 > start:
                    entities.append({**entity, "offset": start, "length": pos16 - start})
            i = tag.end()
            continue
        if char == "&":
            entity_ref = _ENTITY_RE.match(source, i)
            decoded = _decode_entity(entity_ref) if entity_ref else None
            if entity_ref is None or decoded is None:
                where = f"byte offset {len(source[:i].encode())}"
                raise _entity_error(f'Character "&" at {where} must be escaped as &amp;')
            char, i = decoded, entity_ref.end()
        elif char == ">":
            where = f"byte offset {len(source[:i].encode())}"
            raise _entity_error(f'Character ">" at {where} must be escaped as &gt;')
        else:
            i += 1
        out.append(char)
        pos16 += utf16_len(char)
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims surrounding whitespace and clips entities to what remains."""
    stripped = text.strip()
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    clipped = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return stripped, clipped


def formatted_text(
    source: Any, parse_mode: Any, entities: Any, *, limit: int, empty: str | None, too_long: str
) -> tuple[str, list[dict[str, Any]]]:
    """Visible text and entities of a text or caption, checked against Telegram's limits."""
    source = "" if source is None else str(source)
    mode = str(parse_mode or "")
    if mode.lower() == "html":
        text, found = parse_html(source)
    elif mode:
        raise bad(f'unsupported parse_mode "{mode}" (the fake Bot API implements only HTML)')
    else:
        text, found = source, entities if isinstance(entities, list) else []
    text, found = _strip(text, found)
    if empty is not None and not text:
        raise bad(empty)
    if len(text) > limit:
        raise bad(too_long)
    return text, found


def inline_markup(markup: Any) -> dict[str, Any] | None:
    """The inline keyboard Telegram would echo in the sent message, after validating it.
    Reply keyboards are accepted but, as in Telegram's answers, not echoed."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad("can't parse inline keyboard markup JSON object")
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not button.get("text"):
            raise bad("BUTTON_DATA_INVALID")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                raise bad("BUTTON_DATA_INVALID")
        elif not BUTTON_ACTIONS & button.keys():
            raise bad(
                "can't parse inline keyboard button: Text buttons are unallowed in the "
                "inline keyboard"
            )
    return markup


def _int(params: dict[str, Any], name: str, default: int | None = None) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(f'field "{name}" must be of type Integer')
    return value


# --- request decoding ---------------------------------------------------------------------------


def _decode_value(name: str, value: Any) -> Any:
    """Form fields and JSON-string fields hold JSON for every non-String parameter."""
    if not isinstance(value, str) or name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if boundary is None:
        raise bad("multipart boundary is missing")
    fields: dict[str, Any] = {}
    for part in body.split(b"--" + boundary.group(1).encode())[1:-1]:
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        disposition = head.decode("utf-8", "replace")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if name is None:
            continue
        if filename is None:
            fields[name.group(1)] = content.decode("utf-8")
        else:
            upload = Upload(content)
            upload.filename = filename.group(1)
            fields[name.group(1)] = upload
    return fields


def decode_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    raw: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";")[0].strip().lower()
    try:
        if media_type == "application/json" and body:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise bad("JSON object expected")
            raw.update(data)
        elif media_type == "application/x-www-form-urlencoded":
            raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        elif media_type == "multipart/form-data":
            raw.update(_multipart(content_type, body))
    except (ValueError, UnicodeDecodeError) as err:
        raise bad(f"can't parse request body: {err}") from err
    return {name: _decode_value(name, value) for name, value in raw.items()}


# --- HTTP plumbing ------------------------------------------------------------------------------

_PATH_RE = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)")
_FILE_PATH_RE = re.compile(r"/file/bot([^/]+)/(.+)")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a burst of bot requests must not overflow the listen backlog
    api: FakeBotApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (cancelled long poll) is normal, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # a stalled client must not hold a thread forever

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads FakeBotApi.calls instead."""

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.api.is_down():
            self._hang_up()
            return
        match = _PATH_RE.fullmatch(url.path)
        if match is None:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        try:
            answer = self.server.api.handle(
                token=match.group(1),
                method=match.group(2),
                read_params=lambda: decode_params(
                    url.query, self.headers.get("Content-Type", ""), body
                ),
                client_gone=self._client_gone,
            )
        except _Abandoned:
            self.close_connection = True
            return
        except _Outage:
            self._hang_up()
            return
        self._reply(*answer)

    def _hang_up(self) -> None:
        """What a client sees of an API that is down: the connection closes, no answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:
        """A file download (/file/bot<token>/<file_path>), or an API call made with GET."""
        match = _FILE_PATH_RE.fullmatch(unquote(urlsplit(self.path).path))  # PTB quotes ":"
        if match is None:
            self.do_POST()
            return
        data = self.server.api.download(match.group(1), match.group(2))
        if data is None:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True


def post_json(url: str, payload: dict[str, Any], secret: str | None) -> int:
    """POST an update like Telegram does; http.client so no proxy setting can reroute it."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=WEBHOOK_TIMEOUT
    )
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, json.dumps(payload).encode(), headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _update_type(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


# --- the fake --------------------------------------------------------------------------------


class FakeBotApi:
    """A Bot API server for one bot, with helpers to play the users and inspect the calls.

    State lives behind one lock; HTTP requests run on their own threads, so it works the same
    for sync tests, async tests and a bot running in a subprocess.
    """

    def __init__(
        self, token: str = "123456:TEST-token", bot_username: str = "leshan_test_bot"
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.base_url = ""
        self._cond = threading.Condition(threading.RLock())
        self._calls: list[ApiCall] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(10_000)
        self._query_ids = itertools.count(4_000_000_001)
        self._file_ids = itertools.count(1)
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._file_paths: dict[str, str] = {}  # file_id -> file_path, for users' uploads
        self._file_data: dict[str, bytes] = {}  # file_path -> bytes
        self.downloads: list[str] = []  # file paths the bot downloaded, in order
        self._open_callbacks: set[str] = set()
        self._open_inline: set[str] = set()
        self._allowed_updates: frozenset[str] | None = None  # None: all but OPT_IN_UPDATES
        self._poll_generation = 0
        self._webhook: dict[str, Any] | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._stopping = False
        # fault injection (see "faults" below)
        self._down_until = 0.0  # time.monotonic() until which every connection is dropped
        self._failures: dict[str, list[int]] = {}  # method -> HTTP statuses of its next calls
        self.dropped = 0  # requests hung up on during outages
        self._httpd: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda params: self._bot_user(),
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "sendChatAction": self._send_chat_action,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "sendPhoto": self._send_photo,
            "setMyCommands": self._set_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }
        # Telegram matches method names case-insensitively.
        self._methods = {name.lower(): name for name in (*self._handlers, "getUpdates")}

    # --- lifecycle ---

    def start(self) -> None:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.api = self
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/bot"
        self._threads = [
            threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.01},  # stop() waits one interval
                name="fake-bot-api",
                daemon=True,
            ),
            threading.Thread(target=self._webhook_loop, name="fake-bot-api-webhook", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Wakes waiting long polls first, so shutting down never waits for their timeout."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=WEBHOOK_TIMEOUT)

    def __enter__(self) -> FakeBotApi:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- observing ---

    @property
    def calls(self) -> list[ApiCall]:
        """A snapshot of every answered call, in order. A long poll the client abandoned was
        never answered and is not listed."""
        with self._cond:
            return list(self._calls)

    def calls_of(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    @property
    def webhook(self) -> dict[str, Any] | None:
        with self._cond:
            return copy.deepcopy(self._webhook)

    @property
    def pending_updates(self) -> int:
        with self._cond:
            return len(self._updates)

    def messages_in(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to the chat, in order, as they are now (after edits)."""
        with self._cond:
            return [
                copy.deepcopy(message)
                for (chat, _), message in self._messages.items()
                if chat == chat_id and message["from"]["id"] == self.bot_id
            ]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] = lambda call: True,
        timeout: float = 10.0,
    ) -> ApiCall:
        """The first call (past or future) of ``method`` matching ``predicate``; failed calls
        count too (their ``result`` is None). Blocks the calling thread."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while (found := self._find(method, predicate)) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(self._timeout_report(method, timeout))
                self._cond.wait(remaining)
            return found

    async def await_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] = lambda call: True,
        timeout: float = 10.0,
    ) -> ApiCall:
        """Like wait_for, but sleeps with asyncio so a bot on the same event loop keeps running."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                found = self._find(method, predicate)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_report(method, timeout))
            await asyncio.sleep(0.02)

    def _find(self, method: str, predicate: Callable[[ApiCall], bool]) -> ApiCall | None:
        return next((c for c in self._calls if c.method == method and predicate(c)), None)

    def _timeout_report(self, method: str, timeout: float) -> str:
        lines = [f"no matching {method} call within {timeout:g}s; the last calls were:"]
        for call in self._calls[-15:]:
            shown = {k: v for k, v in call.params.items() if not isinstance(v, bytes)}
            outcome = "ok" if call.ok else f"ERROR {call.error}"
            lines.append(f"  {call.method} {json.dumps(shown, ensure_ascii=False)[:200]} {outcome}")
        return "\n".join(lines if self._calls else [*lines, "  (none)"])

    # --- faults ---

    def fail_next(self, method: str, count: int, status: int = 500) -> None:
        """The next `count` calls of `method` get HTTP `status` (5xx: "Internal Server Error"),
        as Telegram answers when its side fails. They are listed in `calls` as failed."""
        with self._cond:
            self._failures.setdefault(method, []).extend([status] * count)

    def go_down(self, seconds: float) -> None:
        """An outage: for `seconds`, every request (long polls in progress too) has its
        connection closed without an answer, as when the API or the network is down."""
        with self._cond:
            self._down_until = time.monotonic() + seconds
            self._cond.notify_all()

    def clear_faults(self) -> None:
        """End every injected failure and outage."""
        with self._cond:
            self._failures.clear()
            self._down_until = 0.0

    def is_down(self) -> bool:
        with self._cond:
            down = time.monotonic() < self._down_until
            self.dropped += down
            return down

    def _injected_failure(self, name: str) -> ApiError | None:
        statuses = self._failures.get(name)
        if not statuses:
            return None
        status = statuses.pop(0)
        described = {400: "Bad Request: injected", 403: "Forbidden: bot was blocked by the user"}
        return ApiError(described.get(status, http.client.responses.get(status, "Error")), status)

    # --- playing the users ---

    def send_private_message(self, user_id: int, text: str, *, first_name: str = "User") -> int:
        with self._cond:
            user = self._user(user_id, first_name)
            chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
            message = self._user_message(chat, user, text, None)
            return message["message_id"]

    def send_private_document(
        self, user_id: int, filename: str, data: bytes, *, caption: str | None = None
    ) -> int:
        """The user sends a file (as Telegram's "document"); the bot fetches it with getFile."""
        with self._cond:
            number = next(self._file_ids)
            file = {
                "file_id": f"BQACAgIAAxkBAAI{number:08d}",
                "file_unique_id": f"AgAD{number:06d}",
                "file_name": filename,
                "file_size": len(data),
            }
            if mime_type := mimetypes.guess_type(filename)[0]:
                file["mime_type"] = mime_type
            self._files[file["file_id"]] = file
            file_path = f"documents/file_{number}{Path(filename).suffix}"
            self._file_paths[file["file_id"]] = file_path
            self._file_data[file_path] = bytes(data)
            user = self._user(user_id)
            chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
            self._chats[user_id] = chat
            content: dict[str, Any] = {"document": file}
            if caption:
                content["caption"] = caption
            message = self._new_message(chat, user, content)
            self._enqueue({"message": copy.deepcopy(message)})
            return message["message_id"]

    def download(self, token: str, file_path: str) -> bytes | None:
        """The bytes at a file path getFile gave out, as the file endpoint serves them."""
        with self._cond:
            if token != self.token or file_path not in self._file_data:
                return None
            self.downloads.append(file_path)
            return self._file_data[file_path]

    def send_group_message(
        self, chat_id: int, user_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> int:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative, e.g. -1001234567890")
        with self._cond:
            chat = {"id": chat_id, "type": "supergroup", "title": "Test group"}
            message = self._user_message(chat, self._user(user_id), text, reply_to_message_id)
            return message["message_id"]

    def press_button(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """Only buttons the bot really showed can be pressed, as in Telegram."""
        with self._cond:
            message = self._messages.get((chat_id, message_id))
            if message is None or message["from"]["id"] != self.bot_id:
                raise AssertionError(f"the bot sent no message {message_id} to chat {chat_id}")
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            offered = [button.get("callback_data") for button in itertools.chain(*rows)]
            if data not in offered:
                raise AssertionError(f"message {message_id} has no button {data!r}: {offered}")
            query_id = str(next(self._query_ids))
            self._open_callbacks.add(query_id)
            self._enqueue(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": self._user(user_id),
                        "message": copy.deepcopy(message),
                        "chat_instance": str(chat_id),
                        "data": data,
                    }
                }
            )
            return query_id

    def inline_query(self, user_id: int, query: str, offset: str = "") -> str:
        with self._cond:
            query_id = str(next(self._query_ids))
            self._open_inline.add(query_id)
            self._enqueue(
                {
                    "inline_query": {
                        "id": query_id,
                        "from": self._user(user_id),
                        "query": query,
                        "offset": offset,
                    }
                }
            )
            return query_id

    def post_webhook_update(
        self, update: dict[str, Any], secret: str | None | EllipsisType = ...
    ) -> int:
        """POST ``update`` to the webhook now and return the HTTP status. ``...`` sends the secret
        from setWebhook, None sends no header. Blocks: from a test on the bot's own event loop
        call it via ``await asyncio.to_thread(...)``."""
        with self._cond:
            if self._webhook is None:
                raise AssertionError("no webhook is set")
            url, configured = self._webhook["url"], self._webhook["secret_token"]
            update = {"update_id": next(self._update_ids), **copy.deepcopy(update)}
            if "message" in update:
                message = copy.deepcopy(update["message"])
                self._messages[(message["chat"]["id"], message["message_id"])] = message
        return post_json(url, update, configured if secret is ... else secret)

    def _user(self, user_id: int, first_name: str | None = None) -> dict[str, Any]:
        """Users keep their profile between updates; a given first_name renames them."""
        user = self._users.setdefault(
            user_id,
            {"id": user_id, "is_bot": False, "first_name": "User", "language_code": "zh-hans"},
        )
        if first_name is not None:
            user["first_name"] = first_name
        return copy.deepcopy(user)

    def _user_message(
        self, chat: dict[str, Any], user: dict[str, Any], text: str, reply_to: int | None
    ) -> dict[str, Any]:
        replied = None
        if reply_to is not None:
            replied = self._messages.get((chat["id"], reply_to))
            if replied is None:
                raise AssertionError(f"no message {reply_to} in chat {chat['id']} to reply to")
        self._chats[chat["id"]] = chat
        message = self._new_message(chat, user, {"text": text})
        if entities := _auto_entities(text):
            message["entities"] = entities
        if replied is not None:
            message["reply_to_message"] = _without_reply(replied)
        self._enqueue({"message": copy.deepcopy(message)})
        return message

    def _enqueue(self, update: dict[str, Any]) -> None:
        self._updates.append({"update_id": next(self._update_ids), **update})
        self._cond.notify_all()

    # --- dispatch ---

    def handle(
        self,
        token: str,
        method: str,
        read_params: Callable[[], dict[str, Any]],
        client_gone: Callable[[], bool],
    ) -> tuple[int, dict[str, Any]]:
        """Answer one request and record it: (HTTP status, JSON reply). Parameters are decoded
        under the lock so that a malformed body is recorded like any other failed call."""
        name = self._methods.get(method.lower(), method)
        decoded: dict[str, Any] = {}
        with self._cond:
            try:
                decoded = read_params()
                if token != self.token:
                    raise ApiError("Unauthorized", 401)
                if failure := self._injected_failure(name):
                    raise failure
                if name == "getUpdates":
                    result = self._get_updates(decoded, client_gone)
                elif name in self._handlers:
                    result = self._handlers[name](decoded)
                else:
                    raise ApiError("Not Found", 404)
            except ApiError as err:
                self._record(ApiCall(name, decoded, False, None, err.description))
                reply = {"ok": False, "error_code": err.code, "description": err.description}
                return err.code, reply
            self._record(ApiCall(name, decoded, True, copy.deepcopy(result), None))
            return 200, {"ok": True, "result": copy.deepcopy(result)}

    def _record(self, call: ApiCall) -> None:
        self._calls.append(call)
        self._cond.notify_all()

    # --- updates ---

    def _get_updates(self, params: dict[str, Any], client_gone: Callable[[], bool]) -> list:
        if self._webhook is not None:
            raise ApiError(
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
                409,
            )
        offset = _int(params, "offset", 0)
        limit = min(max(_int(params, "limit", 100), 1), 100)
        timeout = params.get("timeout", 0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise bad('field "timeout" must be of type Integer')
        if "allowed_updates" in params:
            self._set_allowed_updates(params["allowed_updates"])
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        # A newer getUpdates ends this one, as Telegram does when two bot instances poll.
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + min(max(timeout, 0), MAX_POLL_SECONDS)
        while True:
            if client_gone():
                raise _Abandoned
            if time.monotonic() < self._down_until:
                raise _Outage
            self._drop_unwanted_updates()
            if self._updates or self._stopping:
                return copy.deepcopy(self._updates[:limit])
            if generation != self._poll_generation:
                raise ApiError(
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                    409,
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._cond.wait(min(remaining, 0.05))

    def _set_allowed_updates(self, allowed: Any) -> None:
        if not isinstance(allowed, list):
            raise bad("can't parse allowed updates JSON array")
        self._allowed_updates = frozenset(allowed) or None

    def _drop_unwanted_updates(self) -> None:
        """Telegram never delivers update types excluded by allowed_updates."""
        self._updates = [
            update
            for update in self._updates
            if (
                _update_type(update) not in OPT_IN_UPDATES
                if self._allowed_updates is None
                else _update_type(update) in self._allowed_updates
            )
        ]

    def _webhook_loop(self) -> None:
        """Deliver queued updates to the webhook one at a time, retrying failures like Telegram."""
        while True:
            with self._cond:
                self._drop_unwanted_updates()
                while not self._stopping and (self._webhook is None or not self._updates):
                    self._cond.wait(0.5)
                    self._drop_unwanted_updates()
                if self._stopping:
                    return
                update = copy.deepcopy(self._updates[0])
                url, secret = self._webhook["url"], self._webhook["secret_token"]
            try:
                status = post_json(url, update, secret)
                reason = http.client.responses.get(status, "")
                error = f"Wrong response from the webhook: {status} {reason}"
            except OSError as err:
                status, error = 0, f"Connection failed: {err}"
            with self._cond:
                if 200 <= status < 300:
                    if self._updates and self._updates[0]["update_id"] == update["update_id"]:
                        self._updates.pop(0)
                    self._cond.notify_all()
                else:
                    self._webhook_error = (int(time.time()), error)
                    self._cond.wait_for(lambda: self._stopping, WEBHOOK_RETRY_SECONDS)

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if not url:
            return self._delete_webhook(params)
        parts = urlsplit(str(url))
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
            raise bad("bad webhook: the fake Bot API delivers only to http://127.0.0.1")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad("secret token contains unallowed characters")
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        if "allowed_updates" in params:
            self._set_allowed_updates(params["allowed_updates"])
        self._webhook = {"url": url, "secret_token": secret}
        self._webhook_error = None
        self._cond.notify_all()
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        self._webhook = None
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    # --- messages ---

    def _bot_sender(self) -> dict[str, Any]:
        """The bot as the "from" of its messages."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Leshan Test Bot",
            "username": self.bot_username,
        }

    def _bot_user(self) -> dict[str, Any]:
        """The bot as getMe describes it."""
        return {
            **self._bot_sender(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _new_message(
        self, chat: dict[str, Any], sender: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        message_id = self._next_message_id.get(chat["id"], 1)
        self._next_message_id[chat["id"]] = message_id + 1
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
            **content,
        }
        self._messages[(chat["id"], message_id)] = message
        return message

    def _target_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise bad("chat_id is empty")
        if isinstance(chat_id, bool) or not isinstance(chat_id, int):
            raise bad("chat not found")
        if chat_id not in self._chats:
            self._chats[chat_id] = (
                {"id": chat_id, "type": "private", "first_name": "User"}
                if chat_id > 0
                else {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}
            )
        return self._chats[chat_id]

    def _replied_message(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if reply is None and "reply_to_message_id" in params:
            reply = {"message_id": params["reply_to_message_id"]}
        if reply is None:
            return None
        if not isinstance(reply, dict):
            raise bad("can't parse reply parameters JSON object")
        replied = self._messages.get((chat_id, reply.get("message_id")))
        if replied is None and not (
            reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply")
        ):
            raise bad("message to be replied not found")
        return replied

    def _bot_message(
        self, params: dict[str, Any], content: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        chat = self._target_chat(params)
        replied = self._replied_message(chat["id"], params)
        message = self._new_message(chat, self._bot_sender(), content)
        if replied is not None:
            message["reply_to_message"] = _without_reply(replied)
        if markup is not None:
            message["reply_markup"] = markup
        return message

    def _message_text(
        self, params: dict[str, Any], key: str = "text"
    ) -> tuple[str, list[dict[str, Any]]]:
        return formatted_text(
            params.get(key),
            params.get("parse_mode"),
            params.get("entities"),
            limit=MAX_TEXT,
            empty="message text is empty",
            too_long="message is too long",
        )

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text, entities = self._message_text(params)
        markup = inline_markup(params.get("reply_markup"))
        return self._bot_message(params, _text_content(text, entities), markup)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        text, entities = self._message_text(params)
        markup = inline_markup(params.get("reply_markup"))
        if "inline_message_id" in params:
            raise bad("MESSAGE_ID_INVALID (the fake Bot API keeps no inline messages)")
        chat = self._target_chat(params)
        message = self._messages.get((chat["id"], _int(params, "message_id")))
        if message is None:
            raise bad("message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise bad("message can't be edited")
        if "text" not in message:
            raise bad("there is no text in the message to edit")
        if (message["text"], message.get("entities", []), message.get("reply_markup")) == (
            text,
            entities,
            markup,
        ):
            raise bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.pop("entities", None)
        message.pop("reply_markup", None)
        message.update(_text_content(text, entities), edit_date=int(time.time()))
        if markup is not None:
            message["reply_markup"] = markup
        return message

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        if len(str(params.get("text") or "")) > 200:
            raise bad("MESSAGE_TOO_LONG")
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_callbacks:
            raise bad(QUERY_TOO_OLD)
        self._open_callbacks.discard(query_id)
        return True

    def _answer_inline_query(self, params: dict[str, Any]) -> bool:
        results = params.get("results")
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise bad("can't parse inline query results JSON array")
        if len(results) > 50:
            raise bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            result_id = result.get("id")
            if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
                raise bad("RESULT_ID_INVALID")
            if result_id in seen:
                raise bad("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                self._message_text(content, "message_text")
            inline_markup(result.get("reply_markup"))
        query_id = str(params.get("inline_query_id"))
        if query_id not in self._open_inline:
            raise bad(QUERY_TOO_OLD)
        self._open_inline.discard(query_id)
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        if params.get("action") not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        self._target_chat(params)
        return True

    def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        caption, entities = formatted_text(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            limit=MAX_CAPTION,
            empty=None,
            too_long="message caption is too long",
        )
        markup = inline_markup(params.get("reply_markup"))
        document = params.get("document")
        if isinstance(document, Upload):
            if not document:
                raise bad("file must be non-empty")
            number = next(self._file_ids)
            file = {
                "file_id": f"BQACAgIAAxkDAAI{number:08d}",
                "file_unique_id": f"AgAD{number:06d}",
                "file_name": document.filename,
                "file_size": len(document),
            }
            if mime_type := mimetypes.guess_type(document.filename)[0]:
                file["mime_type"] = mime_type
            self._files[file["file_id"]] = file
        elif isinstance(document, str) and document in self._files:
            file = self._files[document]
        else:
            raise bad("wrong file identifier/HTTP URL specified")
        content: dict[str, Any] = {"document": copy.deepcopy(file)}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return self._bot_message(params, content, markup)

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file = self._files.get(str(params.get("file_id", "")))
        if file is None:
            raise bad("invalid file_id")
        if file.get("file_size", 0) > MAX_DOWNLOAD_BYTES:
            raise bad("file is too big")
        result = {k: v for k, v in file.items() if k in ("file_id", "file_unique_id", "file_size")}
        if file["file_id"] in self._file_paths:  # the bot's own uploads cannot be downloaded here
            result["file_path"] = self._file_paths[file["file_id"]]
        return result

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        """An uploaded PNG or JPEG (Telegram rejects other bytes as IMAGE_PROCESS_FAILED)."""
        caption, entities = formatted_text(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            limit=MAX_CAPTION,
            empty=None,
            too_long="message caption is too long",
        )
        photo = params.get("photo")
        if not isinstance(photo, Upload) or not photo:
            raise bad("wrong file identifier/HTTP URL specified")
        if photo.startswith(PNG_SIGNATURE) and len(photo) >= 24:
            width, height = struct.unpack(">II", photo[16:24])  # the IHDR chunk
        elif photo.startswith(b"\xff\xd8\xff"):
            width = height = 0  # the fake does not parse JPEG sizes
        else:
            raise bad("IMAGE_PROCESS_FAILED")
        number = next(self._file_ids)
        size = {
            "file_id": f"AgACAgIAAxkDAAI{number:08d}",
            "file_unique_id": f"AQAD{number:06d}",
            "width": width,
            "height": height,
            "file_size": len(photo),
        }
        content: dict[str, Any] = {"photo": [size]}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return self._bot_message(params, content, inline_markup(params.get("reply_markup")))

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise bad("can't parse commands JSON array")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad("command description is empty or too long")
        return True


def _text_content(text: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    return {"text": text, "entities": entities} if entities else {"text": text}


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    """Telegram embeds a replied-to message one level deep only."""
    return {k: copy.deepcopy(v) for k, v in message.items() if k != "reply_to_message"}


_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")


def _auto_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command and mention entities Telegram's clients attach to a user's text."""
    found: Iterator[tuple[str, re.Match[str]]] = itertools.chain(
        (("bot_command", m) for m in _COMMAND_RE.finditer(text)),
        (("mention", m) for m in _MENTION_RE.finditer(text)),
    )
    entities = [
        {"type": kind, "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
        for kind, m in found
    ]
    return sorted(entities, key=lambda e: e["offset"])
