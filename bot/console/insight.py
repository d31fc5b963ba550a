"""The manager's analytics page: segments and their customers, stalled processes by urgency,
funnels, basket rules, who will buy, the sales forecast; and the digest's signed manage page."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from bot.console.auth import requires
from bot.console.charts import forecast_svg
from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.services import baskets, insight, propensity


def _console(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.console


def _page(uow_factory, now: datetime) -> dict:  # type: ignore[no-untyped-def]
    from analytics.bottlenecks import PIPELINES, bottleneck_report

    ahead = insight.forecast(uow_factory())
    weeks = [f for f in ahead if f.kind == "week"]
    since = (weeks[0].period_start if weeks else now) - timedelta(weeks=26)
    actual = insight.weekly_revenue(uow_factory(), since, weeks[0].period_start if weeks else now)
    return {
        "segments": insight.segments(uow_factory(), now),
        "stalled": insight.stalled(uow_factory(), now),
        "funnels": [bottleneck_report(uow_factory(), p, now) for p in PIPELINES],
        "rules": baskets.top_rules(uow_factory(), 10),
        "likely": propensity.likely_to_buy(uow_factory(), 15),
        "at_risk": propensity.at_risk(uow_factory(), 15),
        "forecast": ahead,
        "chart": forecast_svg(actual, weeks),
    }


@requires("manager")
async def analytics_page(request: Request) -> Response:
    console = _console(request)
    data = await asyncio.to_thread(_page, console.uow, console.clock())
    return console.render(request, "analytics.html", now=console.clock(), **data)


@requires("manager")
async def segment_page(request: Request) -> Response:
    console = _console(request)
    found = await asyncio.to_thread(insight.segment_members, console.uow(), request.path_params["id"])
    if found is None:
        return console.render(request, "error.html", 404, message="There is no such segment.")
    name, members = found
    return console.render(request, "analytics_segment.html", name=name, members=members)


async def digest_manage(request: Request) -> Response:
    """Change or stop one's digest from the link in it: the signed token names the recipient,
    so no log-in is needed, and the token only ever changes that one recipient."""
    from analytics.digest.links import email_from_token
    from analytics.digest.recipients import list_recipients, update_recipient

    console = _console(request)
    token = request.query_params.get("t", "")
    email = email_from_token(console.settings, token) if token else None
    if email is None:
        return console.render(
            request, "error.html", 403, message="This link is not valid: use the one in your latest digest."
        )
    message = ""
    if request.method == "POST":
        form = await request.form()
        choice = str(form.get("frequency", ""))
        try:
            if choice == "stop":
                await asyncio.to_thread(update_recipient, console.uow(), email, active=False)
                message = "Done: you will get no more digests."
            elif choice in ("daily", "weekly", "both"):
                await asyncio.to_thread(update_recipient, console.uow(), email, frequency=choice, active=True)
                message = f"Done: you will get the {choice if choice != 'both' else 'daily and weekly'} digest."
            else:
                message = "Please choose one of the options."
        except CrmError as exc:
            message = str(exc)
    found = next(
        (r for r in await asyncio.to_thread(list_recipients, console.uow(), console.settings) if r.email == email), None
    )
    return console.render(request, "digest_manage.html", email=email, recipient=found, token=token, message=message)


def customer_insight(uow_factory, customer_id: int) -> dict:  # type: ignore[no-untyped-def]
    """Segment, propensity and open flags for a customer profile (the agent workspace can include
    templates/_customer_insight.html with this)."""
    from crm_store.services.segments import segment_of

    uow: UnitOfWork = uow_factory()
    return {
        "segment": segment_of(uow, customer_id),
        "propensity": propensity.propensity_of(uow_factory(), customer_id),
        "flags": insight.customer_flags(uow_factory(), customer_id),
    }
