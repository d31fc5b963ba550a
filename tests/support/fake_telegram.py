"""A local stand-in for Telegram's Bot API (https://core.telegram.org/bots/api).

An aiohttp app on 127.0.0.1 and a random port. Point python-telegram-bot at it with
``base_url=fake.api_url`` and ``base_file_url=fake.file_url``. It answers like Telegram
(``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description"}``),
records every call, serves queued updates through getUpdates and files through getFile
and /file/bot<token>/<file_path>, and can be told to fail a method (429 with
retry_after, 500, 502, a dropped connection, or Telegram's permanent 400 "chat not found"
and 403 "bot was blocked"). ``delivered`` lists what reached a chat: a call the fake
failed delivered nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:TEST-token_for-the-fake-api"
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Shop assistant",
    "username": "shop_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_FAILURES = {
    "429": (429, "Too Many Requests: retry after "),
    "500": (500, "Internal Server Error"),
    "502": (502, "Bad Gateway"),
    "400": (400, "Bad Request: chat not found"),
    "403": (403, "Forbidden: bot was blocked by the user"),
}
_JSON_FIELDS = {"reply_markup", "allowed_updates", "entities", "link_preview_options"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "max_connections"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeTelegram:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self.webhook: dict[str, Any] = {}
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._failures: dict[str, list[tuple[str, int]]] = {}
        self.delivered: list[dict[str, Any]] = []  # sendMessage / sendPhoto calls answered "ok"
        self.blocked: set[int] = set()  # chats whose customer blocked the bot: every send gets 403
        self._message_id = 1000
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- test controls -------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def add_file(self, file_id: str, content: bytes, file_path: str) -> None:
        self.files[file_id] = (file_path, content)

    def queue_update(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        self._new_update.set()

    def fail_next(self, method: str, kind: str, retry_after: int = 1, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail: kind "429", "500", "502", "drop"
        (connection closed before an answer), "400" (chat not found) or "403" (bot blocked)."""
        if kind not in _FAILURES and kind != "drop":
            raise ValueError(f"unknown failure kind {kind!r}")
        self._failures.setdefault(method, []).extend([(kind, retry_after)] * times)

    def delivered_to(self, chat_id: int) -> list[str]:
        """Texts (or captions) that reached this chat, in order."""
        return [str(p.get("text") or p.get("caption") or "") for p in self.delivered if p.get("chat_id") == chat_id]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.calls_to(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} called {len(self.calls_to(method))} times, wanted {count}")
            await asyncio.sleep(0.02)
        return self.calls_to(method)

    # --- lifecycle -----------------------------------------------------------------
    async def start(self) -> "FakeTelegram":
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._new_update.set()  # releases long polls still waiting
        await asyncio.sleep(0.05)
        if self._runner is not None:
            await self._runner.cleanup()

    # --- the API -------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        if method.startswith("send") and params.get("chat_id") in self.blocked:
            return _error(*_FAILURES["403"])
        failures = self._failures.get(method)
        if failures:
            kind, retry_after = failures.pop(0)
            if kind == "drop":
                request.transport.close()  # type: ignore[union-attr]
                raise ConnectionResetError("dropped on purpose")
            code, description = _FAILURES[kind]
            if kind == "429":
                return _error(code, f"{description}{retry_after}", {"retry_after": retry_after})
            if kind == "502":  # Telegram's front proxy answers this one in HTML, not JSON
                return web.Response(status=502, text="<html><h1>502 Bad Gateway</h1></html>", content_type="text/html")
            return _error(code, description)
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        answer = await handler(params)
        if method in ("sendMessage", "sendPhoto") and answer.status == 200:
            self.delivered.append(params)
        return answer

    async def _m_getMe(self, params: dict) -> web.Response:
        return _ok(BOT_USER)

    async def _m_setWebhook(self, params: dict) -> web.Response:
        self.webhook = params
        return _ok(True)

    async def _m_deleteWebhook(self, params: dict) -> web.Response:
        self.webhook = {}
        return _ok(True)

    async def _m_getUpdates(self, params: dict) -> web.Response:
        if self.webhook.get("url"):
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = params.get("offset")
        if offset is not None:  # confirms everything before it, as Telegram does
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), float(params.get("timeout") or 0))
            except asyncio.TimeoutError:
                pass
        return _ok(self._updates[: int(params.get("limit") or 100)])

    async def _m_sendMessage(self, params: dict) -> web.Response:
        text = params.get("text") or ""
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return _error(400, "Bad Request: message is too long")
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        return _ok(self._message(params, text=text))

    async def _m_sendPhoto(self, params: dict) -> web.Response:
        photo = [{"file_id": "sent-photo", "file_unique_id": "sp", "width": 1, "height": 1}]
        return _ok(self._message(params, photo=photo, caption=params.get("caption")))

    async def _m_sendChatAction(self, params: dict) -> web.Response:
        return _ok(True)

    async def _m_answerCallbackQuery(self, params: dict) -> web.Response:
        return _ok(True)

    async def _m_editMessageReplyMarkup(self, params: dict) -> web.Response:
        return _ok(self._message(params, text="(edited)"))

    async def _m_getFile(self, params: dict) -> web.Response:
        entry = self.files.get(params.get("file_id", ""))
        if entry is None:
            return _error(400, "Bad Request: invalid file_id")
        path, content = entry
        return _ok(
            {
                "file_id": params["file_id"],
                "file_unique_id": "u" + params["file_id"][-8:],
                "file_size": len(content),
                "file_path": path,
            }
        )

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        for path, content in self.files.values():
            if path == request.match_info["path"]:
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404)

    def _message(self, params: dict, **content: Any) -> dict[str, Any]:
        self._message_id += 1
        message = {
            "message_id": params.get("message_id") or self._message_id,
            "date": int(time.time()),
            "chat": {"id": params.get("chat_id"), "type": "private"},
            "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
            **{k: v for k, v in content.items() if v is not None},
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message


async def _params(request: web.Request) -> dict[str, Any]:
    """Parameters as Telegram reads them: query string, JSON body or (multipart) form."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw.update(await request.json())
        return raw
    if request.can_read_body:
        form = await request.post()
        raw.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in _JSON_FIELDS & raw.keys():
        if isinstance(raw[key], str):
            raw[key] = json.loads(raw[key])
    for key in _INT_FIELDS & raw.keys():
        if isinstance(raw[key], str) and raw[key].lstrip("-").isdigit():
            raw[key] = int(raw[key])
    return raw


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)
