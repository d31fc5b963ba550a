"""Console pages beyond one conversation: search, the manager overview, export, user admin."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from bot.console.auth import requires
from crm_store.services import console_users, console_views, handoffs
from crm_store.services.console_users import ROLES, BadUser


def _console(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.console


@requires("agent")
async def search_page(request: Request) -> Response:
    console = _console(request)
    query = request.query_params.get("q", "")
    hits = await asyncio.to_thread(console_views.search, console.uow(), query) if query else []
    customers = await asyncio.to_thread(console_views.search_customers, console.uow(), query) if query else []
    return console.render(request, "search.html", q=query, hits=hits, customers=customers)


@requires("manager")
async def overview_page(request: Request) -> Response:
    console = _console(request)
    data = await asyncio.to_thread(console_views.overview, console.uow(), console.clock())
    return console.render(request, "overview.html", o=data)


LISTS = {
    "waiting": "Waiting in the queue",
    "active": "Being handled now",
    "today": "Resolved today",
    "rated": "Rated by the customer (last 7 days)",
    "recent": "Claimed in the last 7 days",
}


@requires("manager")
async def overview_list(request: Request) -> Response:
    console = _console(request)
    what = request.path_params["what"]
    if what not in LISTS:
        return console.render(request, "error.html", 404, message="There is no such list.")
    agent = request.query_params.get("agent") or None
    rows = await asyncio.to_thread(console_views.handoffs_for, console.uow(), what, console.clock(), agent)
    return console.render(request, "overview_list.html", title=LISTS[what], agent=agent, rows=rows)


@requires("agent")
async def export(request: Request) -> Response:
    """One conversation as JSON or CSV: the transcript plus its CRM context."""
    console = _console(request)
    handoff_id, fmt = request.path_params["id"], request.path_params["fmt"]
    if fmt not in ("json", "csv"):
        return console.render(request, "error.html", 404, message="Export as .json or .csv.")
    try:
        handoff = await asyncio.to_thread(handoffs.get_handoff, console.uow(), handoff_id)
    except handoffs.UnknownHandoff as exc:
        return console.render(request, "error.html", 404, message=str(exc))
    messages = await asyncio.to_thread(console_views.messages_after, console.uow(), handoff.conversation_id, 0)
    profile = await asyncio.to_thread(console_views.profile_for_conversation, console.uow(), handoff.conversation_id)
    notes = await asyncio.to_thread(console_views.notes_of, console.uow(), handoff.conversation_id)
    await asyncio.to_thread(
        console_views.record_viewed,
        console.uow(),
        request.state.user.username,
        "export",
        handoff_id,
        handoff.conversation_id,
        profile.customer_id,
        console.clock(),
    )
    name = f"conversation-{handoff.conversation_id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    turns = [
        {
            "at": m.created_at.isoformat(),
            "speaker": _speaker(m),
            "text": m.text,
            "intent": m.intent,
            "confidence": m.confidence,
        }
        for m in messages
    ]
    if fmt == "json":
        body = {
            "handoff": asdict(handoff),
            "customer": asdict(profile),
            "notes": [asdict(n) for n in notes],
            "transcript": turns,
        }
        return JSONResponse(json.loads(json.dumps(body, default=str)), headers=headers)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "speaker", "text", "intent", "confidence"])
    for t in turns:
        writer.writerow([t["at"], t["speaker"], _safe_cell(t["text"]), t["intent"] or "", t["confidence"] or ""])
    writer.writerow([])
    writer.writerow(["customer", _safe_cell(profile.name), _safe_cell(profile.email), _safe_cell(profile.phone)])
    for o in profile.orders:
        writer.writerow(["order", o.label, o.status, o.at.isoformat() if o.at else ""])
    for ticket in profile.tickets:
        writer.writerow(["ticket", _safe_cell(ticket.label), ticket.status, ticket.at.isoformat() if ticket.at else ""])
    for n in notes:
        writer.writerow(["note", n.author, _safe_cell(n.text), n.created_at.isoformat()])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _speaker(m) -> str:  # type: ignore[no-untyped-def]
    if m.direction == "in":
        return "customer"
    if m.author == "agent":
        return f"agent {m.author_name or ''}".strip()
    return "handoff service" if m.author == "handoff" else "assistant"


def _safe_cell(text: str | None) -> str:
    """A customer's text cannot become a spreadsheet formula."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@requires("admin")
async def users_page(request: Request) -> Response:
    console = _console(request)
    error = None
    if request.method == "POST":
        form = request.state.form
        try:
            await asyncio.to_thread(
                console_users.add_user,
                console.uow(),
                str(form.get("username") or ""),
                str(form.get("role") or ""),
                str(form.get("password") or ""),
                console.clock(),
            )
            return RedirectResponse("/admin/users", status_code=303)
        except BadUser as exc:
            error = str(exc)
    users = await asyncio.to_thread(console_users.list_users, console.uow())
    return console.render(request, "users.html", 400 if error else 200, users=users, roles=ROLES, error=error)


@requires("admin")
async def user_active(request: Request) -> Response:
    console = _console(request)
    active = request.state.form.get("active") == "1"
    try:
        await asyncio.to_thread(console_users.set_active, console.uow(), request.path_params["uid"], active)
    except BadUser as exc:
        return console.render(request, "error.html", 404, message=str(exc))
    return RedirectResponse("/admin/users", status_code=303)


@requires("admin")
async def user_languages(request: Request) -> Response:
    """The languages a console user answers customers in ("en, fr"): the conversation page says
    when a customer writes in another one and offers canned replies in the customer's language."""
    console = _console(request)
    try:
        languages = console_users.parse_languages(str(request.state.form.get("languages") or ""))
        await asyncio.to_thread(console_users.set_languages, console.uow(), request.path_params["uid"], languages)
    except BadUser as exc:
        users = await asyncio.to_thread(console_users.list_users, console.uow())
        return console.render(request, "users.html", 400, users=users, roles=ROLES, error=str(exc))
    return RedirectResponse("/admin/users", status_code=303)
