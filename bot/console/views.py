"""Console pages for agents: log-in, the queue, one handed-off conversation, live updates."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from bot.channels import push
from bot.console.auth import LOGIN_COOKIE, SESSION_SECONDS, csrf_ok, requires
from crm_store.errors import CrmError
from crm_store.services import (
    audit,
    console_users,
    console_views,
    handoff_queue,
    handoff_reasons,
    handoffs,
    workspace,
)
from crm_store.services import canned as canned_replies
from crm_store.services.agents import display_name

CANNOT_REACH = (
    "This customer cannot receive live messages (their channel shows only replies to what they send): "
    "open a ticket instead, and the team answers by email."
)


async def profile_insight(console, customer_id: int | None) -> dict | None:  # type: ignore[no-untyped-def]
    """Segment, purchase propensity and open flags for the profile panel (none for an unknown visitor)."""
    from bot.console.insight import customer_insight

    return None if customer_id is None else await asyncio.to_thread(customer_insight, console.uow, customer_id)


def _console(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.console


# -- log-in ---------------------------------------------------------------------------------


async def login(request: Request) -> Response:
    console = _console(request)
    if request.method == "GET":
        token = secrets.token_urlsafe(24)
        response = console.render(request, "login.html", login_csrf=token, next=request.query_params.get("next", "/"))
        console.sessions.write(response, {"csrf": token}, cookie=LOGIN_COOKIE)
        return response
    form = dict(await request.form())
    pre = console.sessions.read(request, cookie=LOGIN_COOKIE) or {}
    target = str(form.get("next") or "/")
    target = target if target.startswith("/") and not target.startswith("//") else "/"
    username = str(form.get("username") or "").strip()
    if not csrf_ok(request, pre.get("csrf"), form):
        return console.render(
            request,
            "login.html",
            403,
            login_csrf=pre.get("csrf", ""),
            next=target,
            error="The form's security token is missing or wrong; reload the page and try again.",
        )
    keys = (f"user:{username.lower()}", f"addr:{request.client.host if request.client else '?'}")
    locked = console.limiter.attempt(*keys)
    if locked:
        return console.render(
            request,
            "login.html",
            429,
            login_csrf=pre["csrf"],
            next=target,
            username=username,
            error=f"Too many failed log-ins. Try again in {(locked + 59) // 60} minutes.",
        )
    user = await asyncio.to_thread(console_users.authenticate, console.uow(), username, str(form.get("password") or ""))
    if user is None:
        return console.render(
            request,
            "login.html",
            401,
            login_csrf=pre["csrf"],
            next=target,
            username=username,
            error="Wrong user name or password.",
        )
    console.limiter.succeeded(*keys)
    session_id = await asyncio.to_thread(
        console_users.start_session, console.uow(), user.id, datetime.utcnow(), timedelta(seconds=SESSION_SECONDS)
    )
    response = RedirectResponse(target, status_code=303)
    console.sessions.write(response, {"sid": session_id, "csrf": secrets.token_urlsafe(24)})
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@requires("agent")
async def logout(request: Request) -> Response:
    console = _console(request)
    data = console.sessions.read(request) or {}
    await asyncio.to_thread(console_users.end_session, console.uow(), str(data.get("sid", "")))
    response = RedirectResponse("/login", status_code=303)
    console.sessions.clear(response)
    return response


@requires("agent")
async def home(request: Request) -> Response:
    return RedirectResponse("/queue", status_code=303)


# -- the queue ------------------------------------------------------------------------------


@requires("agent")
async def queue_page(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    console = _console(request)
    return console.render(request, "queue.html", status_code, error=error, **await inbox(request))


@requires("agent")
async def queue_rows(request: Request) -> Response:
    console = _console(request)
    open_id = (
        int(request.query_params.get("open", "0") or 0) if request.query_params.get("open", "").isdigit() else None
    )
    return console.render(request, "_queue_rows.html", **await inbox(request, open_id))


async def inbox(request: Request, open_id: int | None = None) -> dict:
    """The left column of the workspace: the queue, the agent's own chats (with unread), others'."""
    console, user = _console(request), request.state.user
    items = await asyncio.to_thread(handoff_queue.queue, console.uow())
    unread = await asyncio.to_thread(
        workspace.unread_by_handoff, console.uow(), user.username, console.read_marks(user.username)
    )
    labels = await asyncio.to_thread(
        workspace.labels_by_conversation, console.uow(), [i.conversation_id for i in items]
    )
    away = await asyncio.to_thread(workspace.is_away, console.uow(), user.username)
    counted = await asyncio.to_thread(console_users.works_queue, console.uow(), user.username)
    reasons = await asyncio.to_thread(handoff_reasons.plain_reasons, console.uow, [i.handoff_id for i in items])
    return {
        "items": items,
        "unread": unread,
        "labels": labels,
        "away": away,
        "counted": counted,
        "reasons": reasons,
        "open_id": open_id,
        "now": console.clock(),
        "escalate_minutes": console.settings.handoff_escalate_minutes,
    }


async def audited(request: Request, action: str, handoff_id: int, **detail: object) -> None:
    """Claims, replies, transfers, notes, resolves and tickets, in the audit log by agent."""
    console, user = _console(request), request.state.user
    await asyncio.to_thread(
        audit.record,
        console.uow(),
        f"agent:{user.username}",
        action,
        "handoff",
        handoff_id,
        console.clock(),
        detail or None,
    )


@requires("agent")
async def claim(request: Request) -> Response:
    console, user = _console(request), request.state.user
    handoff_id = request.path_params["id"]
    try:
        await asyncio.to_thread(handoffs.claim_handoff, console.uow(), handoff_id, user.username, console.clock())
    except handoffs.AlreadyClaimed as exc:
        return await queue_page.__wrapped__(request, error=str(exc), status_code=409)  # type: ignore[attr-defined]
    except CrmError as exc:
        return await queue_page.__wrapped__(request, error=str(exc), status_code=409)  # type: ignore[attr-defined]
    await audited(request, "claim", handoff_id)
    await announce(console, handoff_id, f"{display_name(user.username)} from our team has joined the chat.")
    return RedirectResponse(f"/handoffs/{handoff_id}", status_code=303)


async def _chat_of_known(console, handoff_id: int) -> console_views.Chat:  # type: ignore[no-untyped-def]
    """The chat of a handoff already read (so it exists): who to write to and on which channel."""
    chat = await asyncio.to_thread(console_views.chat_of, console.uow(), handoff_id)
    assert chat is not None
    return chat


async def announce(console, handoff_id: int, text: str) -> None:  # type: ignore[no-untyped-def]
    """Tell the customer, in the team's voice, who is with them now; it is also in the transcript."""
    chat = await _chat_of_known(console, handoff_id)
    try:
        await push.send_to_conversation(chat.sender_id, chat.channel or "latest", text, "handoff")
    except CrmError:
        pass  # the agent's own first reply will reach them, or show the error


# -- one conversation -----------------------------------------------------------------------


@requires("agent")
async def handoff_page(request: Request) -> Response:
    console, user = _console(request), request.state.user
    handoff_id = request.path_params["id"]
    try:
        handoff = await asyncio.to_thread(handoffs.get_handoff, console.uow(), handoff_id)
    except handoffs.UnknownHandoff as exc:
        return console.render(request, "error.html", 404, message=str(exc))
    chat = await _chat_of_known(console, handoff_id)
    messages = await asyncio.to_thread(console_views.messages_after, console.uow(), handoff.conversation_id, 0)
    profile = await asyncio.to_thread(console_views.profile_for_conversation, console.uow(), handoff.conversation_id)
    notes = await asyncio.to_thread(console_views.notes_of, console.uow(), handoff.conversation_id)
    await asyncio.to_thread(
        console_views.record_viewed,
        console.uow(),
        user.username,
        "view",
        handoff_id,
        handoff.conversation_id,
        profile.customer_id,
        console.clock(),
    )
    # The open page shows every message so far, so none of them is unread any more.
    console.mark_read(user.username, handoff_id, max((m.id for m in messages if m.direction == "in"), default=0))
    variables = await asyncio.to_thread(
        canned_replies.conversation_variables, console.uow(), handoff.conversation_id, display_name(user.username)
    )
    canned = [
        (c.title, canned_replies.fill(c.body, variables))
        for c in await asyncio.to_thread(console_views.canned_replies, console.uow())
    ]
    # The customer's language beside the agent's: the page says when they do not share it, and
    # the replies in the customer's language come first.
    customer_language = canned_replies.conversation_language(messages)
    canned = canned_replies.in_language(customer_language, variables) + canned
    agents = [
        u
        for u in await asyncio.to_thread(console_users.list_users, console.uow())
        if u.active and u.role in ("agent", "manager") and u.username != handoff.agent
    ]
    live = await push.can_reach_live(chat.sender_id, chat.channel)
    labels = (await asyncio.to_thread(workspace.labels_by_conversation, console.uow(), [handoff.conversation_id])).get(
        handoff.conversation_id, []
    )
    reason = await asyncio.to_thread(handoff_reasons.plain_reason, console.uow(), handoff_id)
    facts = await profile_insight(console, profile.customer_id)
    return console.render(
        request,
        "handoff.html",
        **await inbox(request, handoff_id),
        conversation_labels=labels,
        reason=reason,
        handoff=handoff,
        chat=chat,
        messages=messages,
        profile=profile,
        insight=facts,
        notes=notes,
        canned=canned,
        customer_language=customer_language,
        shares_language=user.speaks(customer_language),
        agent_languages=user.languages,
        agents=agents,
        mine=handoff.agent == user.username,
        live=live,
        manager=user.at_least("manager"),
        last_id=max((m.id for m in messages), default=0),
    )


@requires("agent")
async def handoff_messages(request: Request) -> Response:
    console = _console(request)
    chat = await asyncio.to_thread(console_views.chat_of, console.uow(), request.path_params["id"])
    if chat is None:
        return Response("Not found", status_code=404)
    after = request.query_params.get("after", "0") or "0"
    if not after.isdigit() or len(after) > 18:
        return Response("'after' must be a message id.", status_code=400)
    messages = await asyncio.to_thread(console_views.messages_after, console.uow(), chat.conversation_id, int(after))
    return console.render(request, "_messages.html", messages=messages)


@requires("agent")
async def reply(request: Request) -> Response:
    console, user = _console(request), request.state.user
    handoff_id = request.path_params["id"]
    text = str(request.state.form.get("text") or "").strip()
    if not text:
        return JSONResponse({"error": "Write a message first."}, status_code=400)
    handoff = await asyncio.to_thread(handoffs.get_handoff, console.uow(), handoff_id)
    if handoff.status != "claimed" or (handoff.agent != user.username and not user.at_least("manager")):
        return JSONResponse({"error": "Take the conversation first: only its agent can reply."}, status_code=409)
    chat = await _chat_of_known(console, handoff_id)
    if not await push.can_reach_live(chat.sender_id, chat.channel):
        return JSONResponse({"error": CANNOT_REACH}, status_code=409)
    try:
        await push.send_to_conversation(
            chat.sender_id, chat.channel or "latest", text[:4000], "agent", agent=user.username
        )
    except CrmError as exc:
        return JSONResponse({"error": str(exc)}, status_code=502)
    await asyncio.to_thread(handoffs.note_first_response, console.uow(), handoff_id, console.clock())
    await audited(request, "reply", handoff_id, chars=len(text))  # the text stays in the transcript, not in the log
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"sent": True})
    return RedirectResponse(f"/handoffs/{handoff_id}", status_code=303)


async def _act(
    request: Request,
    action,
    announcement: str | None = None,
    audit_as: str = "",  # type: ignore[no-untyped-def]
    **detail: object,
) -> Response:
    console, user = _console(request), request.state.user
    handoff_id = request.path_params["id"]
    try:
        await asyncio.to_thread(action, console, user, handoff_id)
    except CrmError as exc:
        return console.render(request, "error.html", 409, message=str(exc), back=f"/handoffs/{handoff_id}")
    if audit_as:
        await audited(request, audit_as, handoff_id, **detail)
    if announcement:
        await announce(console, handoff_id, announcement)
    await console.monitor.tick()  # hand a finished conversation back now, not on the next tick
    return RedirectResponse(f"/handoffs/{handoff_id}", status_code=303)


@requires("agent")
async def transfer(request: Request) -> Response:
    to = str(request.state.form.get("to") or "")

    def act(console, user, handoff_id):  # type: ignore[no-untyped-def]
        names = {
            u.username for u in console_users.list_users(console.uow()) if u.active and u.role in ("agent", "manager")
        }
        if to not in names:
            raise CrmError(f"{to!r} is not an active agent.")
        handoffs.transfer_handoff(
            console.uow(), handoff_id, user.username, to, console.clock(), manager=user.at_least("manager")
        )

    return await _act(request, act, f"{display_name(to)} from our team has taken over the chat.", "transfer", to=to)


@requires("agent")
async def release(request: Request) -> Response:
    return await _act(
        request,
        lambda c, u, h: handoffs.release_handoff(c.uow(), h, u.username, c.clock(), manager=u.at_least("manager")),
        "You're back in the queue; the next person from our team will take over here.",
        "release",
    )


@requires("agent")
async def ticket(request: Request) -> Response:
    """A customer who cannot receive live messages gets a ticket (answered by email) instead."""

    def act(console, user, handoff_id):  # type: ignore[no-untyped-def]
        handoff = handoffs.get_handoff(console.uow(), handoff_id)
        if handoff.status == "claimed":
            handoffs.release_handoff(
                console.uow(), handoff_id, user.username, console.clock(), manager=user.at_least("manager")
            )
        handoffs.ticket_handoff(
            console.uow(), handoff_id, console.clock(), f"opened by {user.username}: no live channel"
        )

    return await _act(request, act, audit_as="ticket")


@requires("agent")
async def resolve(request: Request) -> Response:
    response = await _act(
        request,
        lambda c, u, h: handoffs.resolve_handoff(c.uow(), h, u.username, c.clock(), manager=u.at_least("manager")),
        audit_as="resolve",
    )
    if response.status_code != 303:
        return response
    # Straight on to the next customer waiting; with nobody waiting the agent stays to see the rating come in.
    console, handoff_id = _console(request), request.path_params["id"]
    waiting = await asyncio.to_thread(handoff_queue.queued_order, console.uow())
    return RedirectResponse(f"/handoffs/{waiting[0]}" if waiting else f"/handoffs/{handoff_id}", status_code=303)


@requires("agent")
async def add_note(request: Request) -> Response:
    text = str(request.state.form.get("text") or "").strip()

    def act(console, user, handoff_id):  # type: ignore[no-untyped-def]
        if not text:
            raise CrmError("A note needs some text.")
        chat = console_views.chat_of(console.uow(), handoff_id)
        if chat is None:
            raise handoffs.UnknownHandoff(handoff_id)
        console_views.add_note(console.uow(), chat.conversation_id, user.username, text, console.clock())

    return await _act(request, act, audit_as="note")
