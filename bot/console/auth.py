"""Console sessions: signed HttpOnly SameSite cookies, CSRF tokens, a login rate limit, roles.

The session cookie holds the session's id and its CSRF token, signed with CONSOLE_SECRET
(or a random key kept in VAR_DIR/console-secret). The session itself lives in the CRM
(console_sessions), so it survives a restart and logging out ends it on the server: a
copied cookie stops working too. Every POST must carry the CSRF token (form field `csrf`
or header X-CSRF-Token).
"""

from __future__ import annotations

import asyncio
import hmac
import os
import secrets
from datetime import datetime
from functools import wraps
from typing import Awaitable, Callable

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from crm_store.rate_limits import Limiter
from crm_store.services.console_users import UserView, session_user
from crm_store.settings import Settings

SESSION_COOKIE = "crmbot_console"
LOGIN_COOKIE = "crmbot_login"  # carries the login form's CSRF token before anyone is logged in
SESSION_SECONDS = 12 * 3600
MAX_FAILURES = 5
LOCKOUT_SECONDS = 300


def console_secret(settings: Settings) -> str:
    if settings.console_secret:
        return settings.console_secret
    path = settings.var_path / "console-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class Sessions:
    def __init__(self, settings: Settings) -> None:
        self.serializer = URLSafeTimedSerializer(console_secret(settings), salt="crmbot-console")
        self.secure = settings.console_secure_cookies

    def read(self, request: Request, cookie: str = SESSION_COOKIE) -> dict | None:
        raw = request.cookies.get(cookie)
        if not raw:
            return None
        try:
            data = self.serializer.loads(raw, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None

    def write(self, response: Response, data: dict, cookie: str = SESSION_COOKIE) -> None:
        response.set_cookie(
            cookie,
            self.serializer.dumps(data),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=self.secure,
            path="/",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=self.secure)


class LoginLimiter:
    """At most MAX_FAILURES log-in attempts per user name and per address in LOCKOUT_SECONDS.

    An attempt is counted before its password is checked, atomically in the limiter's storage;
    a right password clears both counts. So a burst of parallel guesses gets MAX_FAILURES
    checks at most, and the right password among the rest is refused like the others.
    """

    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter

    def attempt(self, *keys: str) -> int:
        """Count one attempt on every key; 0 when it may go on, else seconds until it may."""
        over = [key for key in keys if not self.limiter.hit(f"login:{key}", MAX_FAILURES, LOCKOUT_SECONDS)]
        return max((self.limiter.retry_after(f"login:{key}", MAX_FAILURES, LOCKOUT_SECONDS) for key in over), default=0)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self.limiter.clear(f"login:{key}", MAX_FAILURES, LOCKOUT_SECONDS)


def csrf_ok(request: Request, expected: str | None, form: dict) -> bool:
    sent = form.get("csrf") or request.headers.get("x-csrf-token") or ""
    return bool(expected) and hmac.compare_digest(str(sent), str(expected))


Handler = Callable[[Request], Awaitable[Response]]


def requires(role: str) -> Callable[[Handler], Handler]:
    """Log-in and role check, plus CSRF on every state-changing request.

    The handler finds the user in request.state.user and the parsed form in request.state.form.
    """

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def wrapper(request: Request) -> Response:
            console = request.app.state.console
            data = console.sessions.read(request)
            user: UserView | None = None
            if data and isinstance(data.get("sid"), str):
                user = await asyncio.to_thread(session_user, console.uow(), data["sid"], datetime.utcnow())
            if user is None:
                accept = request.headers.get("accept", "")
                if request.method == "GET" and "text/event-stream" not in accept and "application/json" not in accept:
                    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
                return PlainTextResponse("Please log in.", status_code=401)
            if not user.at_least(role):
                refusal = f"This page is for the {role} role; you are logged in as {user.role}."
                if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                    # A person who followed a link (a manager's digest, a bookmark) gets the console
                    # around the sentence and a way back, not a bare line of text.
                    request.state.user, request.state.csrf = user, data["csrf"]
                    return console.render(request, "error.html", 403, message=refusal, back="/queue")
                return PlainTextResponse(refusal, status_code=403)
            request.state.user, request.state.csrf, request.state.form = user, data["csrf"], {}
            if request.method == "POST":
                form = dict(await request.form())
                if not csrf_ok(request, data.get("csrf"), form):
                    return PlainTextResponse(
                        "The form's security token is missing or wrong; reload the page and try again.", status_code=403
                    )
                request.state.form = form
            console.seen(user)
            return await handler(request)

        return wrapper

    return decorate
