"""The agent workspace's own routes: one live event stream for every console page, the next
chat, and conversations without a handoff (opened from search).

One stream per page: it always carries the navigation counts and queue changes, and, when the
page shows a handed-off conversation, that conversation's new messages and status too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from bot.console import views
from bot.console.auth import requires
from crm_store.errors import CrmError
from crm_store.services import audit, console_views, handoff_queue, handoffs, workspace

POLL_SECONDS = 0.3
PING_SECONDS = 20.0


def _console(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.console


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


@requires("agent")
async def live_events(request: Request) -> Response:
    console, user = _console(request), request.state.user
    handoff_id, after = _int(request.query_params.get("handoff")), _int(request.query_params.get("after"))
    chat = await asyncio.to_thread(console_views.chat_of, console.uow(), handoff_id) if handoff_id else None
    messages_html = console.env.get_template("_messages.html")

    def snapshot() -> tuple:
        """Everything the page follows, read in one worker-thread hop."""
        uow = console.uow
        new = console_views.messages_after(uow(), chat.conversation_id, after) if chat else []
        if new:
            # Shown live on the open page, so read: not counted as unread, nor offered by "next".
            console.mark_read(user.username, handoff_id, max(m.id for m in new))
        queue = handoff_queue.queue_signature(uow())
        unread = workspace.unread_by_handoff(uow(), user.username, console.read_marks(user.username))
        counts = {
            "waiting": sum(1 for row in queue if row[1] == "queued"),
            "mine": len(unread),
            "unread": sum(unread.values()),
        }
        h = handoffs.get_handoff(uow(), handoff_id) if chat else None
        return queue, tuple(sorted(unread.items())), counts, new, h

    async def stream() -> AsyncIterator[str]:
        nonlocal after
        last_queue = last_counts = last_status = None
        idle = 0.0
        while not await request.is_disconnected():
            queue, unread, counts, new, h = await asyncio.to_thread(snapshot)
            if counts != last_counts:
                last_counts = counts
                yield _event("counts", counts)
            if (queue, unread) != last_queue:
                if last_queue is not None:
                    yield _event("queue", {"size": len(queue)})
                last_queue = (queue, unread)
            if new:
                after = max(m.id for m in new)
                yield _event("messages", {"html": messages_html.render(messages=new), "last": after})
            if h is not None and (h.status, h.agent, h.returned_at, h.csat) != last_status:
                last_status = (h.status, h.agent, h.returned_at, h.csat)
                yield _event(
                    "status",
                    {"status": h.status, "agent": h.agent, "returned": h.returned_at is not None, "csat": h.csat},
                )
            idle += POLL_SECONDS
            if idle >= PING_SECONDS:
                idle = 0.0
                await asyncio.to_thread(console.seen, user)
                yield ": ping\n\n"
            await asyncio.sleep(POLL_SECONDS)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


def _event(name: str, body: object) -> str:
    return f"event: {name}\ndata: {json.dumps(body)}\n\n"


@requires("agent")
async def next_chat(request: Request) -> Response:
    """N, and after a resolve: the next waiting customer, else the agent's chat with the most unread."""
    console, user = _console(request), request.state.user
    leaving = _int(request.query_params.get("after")) or None
    target = await asyncio.to_thread(
        workspace.next_chat, console.uow(), user.username, leaving, console.read_marks(user.username)
    )
    return RedirectResponse(f"/handoffs/{target}" if target else "/queue", status_code=303)


@requires("agent")
async def conversation_page(request: Request) -> Response:
    """Any conversation (search finds those that never reached a person too): its latest handoff's
    page when it has one, else the transcript and the profile, read-only."""
    console, user = _console(request), request.state.user
    conversation_id = request.path_params["id"]
    handoff_id = await asyncio.to_thread(workspace.latest_handoff, console.uow(), conversation_id)
    if handoff_id:
        return RedirectResponse(f"/handoffs/{handoff_id}", status_code=303)
    messages = await asyncio.to_thread(console_views.messages_after, console.uow(), conversation_id, 0)
    if not messages:
        return console.render(request, "error.html", 404, message=f"There is no conversation {conversation_id}.")
    profile = await asyncio.to_thread(console_views.profile_for_conversation, console.uow(), conversation_id)
    notes = await asyncio.to_thread(console_views.notes_of, console.uow(), conversation_id)
    await asyncio.to_thread(
        console_views.record_viewed,
        console.uow(),
        user.username,
        "view",
        None,
        conversation_id,
        profile.customer_id,
        console.clock(),
    )
    labels = (await asyncio.to_thread(workspace.labels_by_conversation, console.uow(), [conversation_id])).get(
        conversation_id, []
    )
    facts = await views.profile_insight(console, profile.customer_id)
    return console.render(
        request,
        "conversation.html",
        **await views.inbox(request),
        conversation_id=conversation_id,
        messages=messages,
        profile=profile,
        notes=notes,
        conversation_labels=labels,
        insight=facts,
    )


@requires("agent")
async def customer_page(request: Request) -> Response:
    """A customer who never chatted (found by search, e.g. by an imported order): the profile alone;
    one who did opens their latest conversation."""
    console, user = _console(request), request.state.user
    customer_id = request.path_params["id"]
    latest = await asyncio.to_thread(workspace.latest_conversation, console.uow(), customer_id)
    if latest:
        return RedirectResponse(f"/conversations/{latest}", status_code=303)
    profile = await asyncio.to_thread(console_views.profile_of_customer, console.uow(), customer_id)
    if profile.customer_id is None:
        return console.render(request, "error.html", 404, message=f"There is no customer {customer_id}.")
    await asyncio.to_thread(
        audit.record, console.uow(), f"agent:{user.username}", "view", "customer", customer_id, console.clock()
    )
    facts = await views.profile_insight(console, customer_id)
    return console.render(request, "customer.html", **await views.inbox(request), profile=profile, insight=facts)


@requires("agent")
async def set_status(request: Request) -> Response:
    """Online or away: an away agent is not counted in the expected wait customers are told."""
    console, user = _console(request), request.state.user
    away = str(request.state.form.get("status") or "") == "away"
    await asyncio.to_thread(workspace.set_away, console.uow(), user.username, away, console.clock())
    await asyncio.to_thread(
        audit.record,
        console.uow(),
        f"agent:{user.username}",
        "away" if away else "online",
        "console_user",
        user.id,
        console.clock(),
    )
    return RedirectResponse(_back(request), status_code=303)


@requires("agent")
async def add_label(request: Request) -> Response:
    console, user = _console(request), request.state.user
    conversation_id = request.path_params["id"]
    try:
        label = await asyncio.to_thread(
            workspace.add_label,
            console.uow(),
            conversation_id,
            str(request.state.form.get("label") or ""),
            user.username,
            console.clock(),
        )
    except workspace.UnknownConversation:
        raise
    except CrmError as exc:
        return console.render(request, "error.html", 400, message=str(exc), back=_back(request))
    await asyncio.to_thread(
        audit.record,
        console.uow(),
        f"agent:{user.username}",
        "label",
        "conversation",
        conversation_id,
        console.clock(),
        {"label": label},
    )
    return RedirectResponse(_back(request), status_code=303)


@requires("agent")
async def remove_label(request: Request) -> Response:
    console, user = _console(request), request.state.user
    conversation_id, label = request.path_params["id"], str(request.state.form.get("label") or "")
    await asyncio.to_thread(workspace.remove_label, console.uow(), conversation_id, label)
    await asyncio.to_thread(
        audit.record,
        console.uow(),
        f"agent:{user.username}",
        "unlabel",
        "conversation",
        conversation_id,
        console.clock(),
        {"label": label},
    )
    return RedirectResponse(_back(request), status_code=303)


def _back(request: Request) -> str:
    """The console page the form was on (same origin only), else the queue."""
    referer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return referer[len(origin) :] if referer.startswith(origin + "/") else "/queue"
