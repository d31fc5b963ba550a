"""What an acceptance tester found in the agent workspace, over HTTP on a real SQLite CRM: who counts
as online for the expected wait, short channel ids in the profile, the favicon, search by an
imported order or customer number, and no queue acknowledgement for what an agent already read."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from crm_store.db import unit_of_work
from crm_store.models import ChannelIdentity, Customer, Message, Order
from crm_store.services import console_users, handoff_queue, handoffs
from tests.integration.test_console import PASSWORD, app, csrf_of, login, settings  # noqa: F401 - fixtures
from tests.integration.test_workspace import chat, say

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_only_agents_and_managers_who_take_chats_count_as_online(app, settings):  # noqa: F811
    later = datetime.utcnow() + timedelta(days=400)  # nobody else in this module's CRM was seen then
    tag = uuid.uuid4().hex[:6]
    agent, manager = f"agent-{tag}", f"boss-{tag}"
    console_users.ensure_user(unit_of_work(settings), agent, "agent", PASSWORD, later)
    console_users.ensure_user(unit_of_work(settings), manager, "manager", PASSWORD, later)
    ids = {u.username: u.id for u in console_users.list_users(unit_of_work(settings))}
    for name in (agent, manager):
        console_users.touch(unit_of_work(settings), ids[name], later)

    assert console_users.agents_online(unit_of_work(settings), later) == 1  # the manager only browses
    boss = login(app, manager)
    page = boss.get("/queue").text
    assert "Browsing" in page and 'value="online">Take chats' in page

    boss.post("/status", data={"csrf": csrf_of(boss), "status": "online"})
    assert console_users.agents_online(unit_of_work(settings), later) == 2
    assert 'value="away">Step away' in boss.get("/queue").text
    boss.post("/status", data={"csrf": csrf_of(boss), "status": "away"})
    assert console_users.agents_online(unit_of_work(settings), later) == 1
    assert console_users.works_queue(unit_of_work(settings), agent)


def test_the_profile_shows_a_web_chat_id_short_with_the_full_id_on_hover(app, settings):  # noqa: F811
    conv, handoff = chat(settings)
    web_id = uuid.uuid4().hex  # 32 characters, as the web chat makes them
    uow = unit_of_work(settings)
    with uow:
        customer_id = uow.conversations.get(conv).customer_id
        uow.identities.add(
            ChannelIdentity(
                customer_id=customer_id, channel="webchat", external_id=web_id, created_at=datetime.utcnow()
            )
        )
        uow.commit()

    page = login(app, "ana").get(f"/handoffs/{handoff}").text

    assert f'webchat: <span title="{web_id}">{web_id[:8]}…</span>' in page
    assert f">{web_id}<" not in page


def test_the_console_has_a_favicon(app):  # noqa: F811
    anonymous = login(app, "ana")
    icon = anonymous.get("/favicon.ico")
    assert (
        icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml") and b"<svg" in icon.content
    )
    assert '<link rel="icon" href="/static/favicon.svg"' in anonymous.get("/queue").text
    assert anonymous.get("/static/favicon.svg").status_code == 200


def test_search_finds_imported_orders_and_customer_numbers(app, settings):  # noqa: F811
    now, tag = datetime.utcnow(), uuid.uuid4().hex[:6]
    number, external = f"5{uuid.uuid4().int % 10**8:08d}", f"17{uuid.uuid4().int % 10**6:06d}"
    uow = unit_of_work(settings)
    with uow:  # as `crmbot import orders` leaves them: a customer with a shop number and no chat
        quiet = uow.customers.add(
            Customer(name=f"Imported Buyer {tag}", email=f"buyer-{tag}@shop.example", created_at=now)
        )
        uow.session.flush()
        uow.identities.add(
            ChannelIdentity(customer_id=quiet.id, channel="external_id", external_id=external, created_at=now)
        )
        uow.session.add(
            Order(
                number=number, customer_id=quiet.id, status="delivered", placed_at=now, stage_entered_at=now, total=12
            )
        )
        uow.commit()
        quiet_id = quiet.id
    talker_conv, _ = chat(settings, handoff=False)
    with uow:
        talker = uow.conversations.get(talker_conv).customer_id
        uow.session.add(
            Order(number=f"{number}9", customer_id=talker, status="paid", placed_at=now, stage_entered_at=now, total=5)
        )
        uow.commit()
    ana = login(app, "ana")

    by_order = ana.get("/search", params={"q": number}).text
    by_external = ana.get("/search", params={"q": external}).text

    assert f'href="/customers/{quiet_id}"' in by_order and f"Imported Buyer {tag}" in by_order
    assert f'href="/conversations/{talker_conv}"' in by_order  # a customer who chatted: their latest conversation
    assert f'href="/customers/{quiet_id}"' in by_external and f"/conversations/{talker_conv}" not in by_external
    assert f'href="/customers/{quiet_id}"' in ana.get("/search", params={"q": f"buyer-{tag}@shop"}).text
    profile = ana.get(f"/customers/{quiet_id}")
    assert profile.status_code == 200 and number in profile.text and f"Imported Buyer {tag}" in profile.text
    opened = ana.get(f"/customers/{talker}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"/conversations/{talker_conv}"
    assert ana.get("/customers/99999999").status_code == 404


def test_messages_written_while_an_agent_had_the_chat_are_not_news_to_the_queue_after_a_release(app, settings):  # noqa: F811
    conv, handoff = chat(settings)
    early = _last_in(settings, conv)
    ana = login(app, "ana")
    ana.post(f"/handoffs/{handoff}/claim", data={"csrf": csrf_of(ana)})
    say(settings, conv, "it is order 536365, the blue one")
    read_by_agent = _last_in(settings, conv)
    ana.post(f"/handoffs/{handoff}/release", data={"csrf": csrf_of(ana)})
    say(settings, conv, "hello? anyone?")
    after_release = _last_in(settings, conv)

    assert handoffs.get_handoff(unit_of_work(settings), handoff).status == "queued"
    fresh = handoff_queue.written_while_queued(unit_of_work(settings), handoff, [early, read_by_agent, after_release])
    assert fresh == {after_release}
    assert handoff_queue.written_while_queued(unit_of_work(settings), handoff, []) == set()


def _last_in(settings, conversation_id: int) -> int:  # noqa: F811
    from sqlalchemy import func, select

    uow = unit_of_work(settings)
    with uow:
        return uow.session.scalar(
            select(func.max(Message.id)).where(Message.conversation_id == conversation_id, Message.direction == "in")
        )
