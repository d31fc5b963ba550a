"""Whole conversations against the running assistant: the format is in tests/conversations/README.md.

`run_conversation` sets up the CRM as the conversation's `given` says, sends each turn over REST
or the web chat (socket.io), and checks the reply and the CRM after every turn. `crmbot eval` and
tests/conversations use it; both start the real stack first.
"""
from __future__ import annotations

import json
import random
import re
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import yaml
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import (
    ChannelIdentity, Conversation, Customer, Deal, Feedback, Handoff, Message, Order, OrderItem, Payment, Product, Refund,
    Return, Shipment, Ticket,
)
from crm_store.services.shipments import tracking_url

FLOW = ["pending", "paid", "packed", "shipped", "delivered"]
NAMES = ["Jana Novak", "Sam Carter", "Priya Shah", "Lukas Weber", "Emma Brown", "Tom Fischer", "Ana Silva", "Chris Lee"]


@dataclass
class TurnResult:
    index: int
    user: str
    replies: list[str]
    passed: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class ConversationResult:
    name: str
    source: str
    turns: list[TurnResult]

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.turns)

    def report(self) -> str:
        lines = [f"{self.name} ({self.source})"]
        for t in self.turns:
            mark = "ok  " if t.passed else "FAIL"
            lines.append(f"  {mark} {t.index}. user: {t.user!r}")
            lines.append(f"         bot: {' / '.join(t.replies)[:600]!r}")
            lines += [f"         - {p}" for p in t.problems]
        return "\n".join(lines)


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads `user: yes` and `user: no` as booleans; here they stay the customer's words
    (only true / false are booleans)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load(paths: list[Path]) -> list[dict[str, Any]]:
    """Every conversation in the files, each tagged with its file as `source`."""
    found = []
    for path in paths:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
        for conv in data.get("conversations") or []:
            found.append({**conv, "source": path.name})
    return found


# ------------------------------------------------------------------ channels

class RestChat:
    def __init__(self, rasa_url: str) -> None:
        self.rasa_url = rasa_url
        self.sender = f"conv-{uuid.uuid4().hex[:16]}"
        self.channel = "rest"

    def open(self) -> None:
        pass

    def say(self, text: str) -> list[dict]:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
        req = urllib.request.Request(f"{self.rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read())

    def close(self) -> None:
        pass


class WebChat:
    """The widget's socket.io protocol: session_request / session_confirm, user_uttered, bot_uttered."""

    def __init__(self, rasa_url: str, api_token: str | None = None) -> None:
        import socketio  # the client half of python-socketio, installed with Rasa

        self.rasa_url = rasa_url
        self.api_token = api_token
        self.token = ""  # the signed session token the server issued (the widget's credential)
        self.channel = "webchat"
        self.client = socketio.Client(reconnection=False)
        self.received: list[dict] = []
        self.sender = ""
        confirmed: list[str] = []
        self.client.on("session_confirm", lambda sid: confirmed.append(sid if isinstance(sid, str) else sid.get("session_id")))
        self.client.on("bot_uttered", lambda data: self.received.append(data))
        self._confirmed = confirmed

    def open(self) -> None:
        self.client.connect(self.rasa_url, socketio_path="/socket.io", transports=["polling"])
        self.client.emit("session_request", {"session_id": None})
        deadline = time.monotonic() + 20
        while not self._confirmed and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self._confirmed:
            raise RuntimeError("the web chat did not confirm a session")
        # The server signs the session id: "<session id>.<signature>"; the id is Rasa's sender.
        self.token = self._confirmed[0]
        self.sender = self.token.rsplit(".", 1)[0]

    def _tracker(self) -> dict:
        query = f"?token={urllib.parse.quote(self.api_token)}" if self.api_token else ""
        with urllib.request.urlopen(f"{self.rasa_url}/conversations/{self.sender}/tracker{query}", timeout=30) as resp:
            return json.loads(resp.read())

    def _user_events(self) -> int:
        return sum(1 for e in self._tracker().get("events") or [] if e.get("event") == "user")

    def say(self, text: str) -> list[dict]:
        before = self._user_events()
        start = len(self.received)
        self.client.emit("user_uttered", {"message": text, "session_id": self.token})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.15)
            tracker = self._tracker()
            events = tracker.get("events") or []
            users = sum(1 for e in events if e.get("event") == "user")
            last = events[-1] if events else {}
            if users > before and (last.get("event") == "action" and last.get("name") == "action_listen" or tracker.get("paused")):
                break
        time.sleep(0.3)  # the last emits may still be on the wire
        return [{"text": m.get("text", ""), "buttons": m.get("quick_replies") or m.get("buttons") or []}
                for m in self.received[start:]]

    def close(self) -> None:
        # socketio's disconnect() waits for engineio's pending long-poll to come back, which the
        # server holds for up to its ping interval (25 s): that was most of a web chat
        # conversation's time. The conversation is over; close without waiting for it.
        self.client.eio.disconnect(abort=True)


# ------------------------------------------------------------------ the CRM before the conversation

@dataclass
class Given:
    customer_id: int
    values: dict[str, str]
    orders: dict[str, dict[str, Any]]  # "order1" -> {"number", "status", "address"}


def _number(session: Any, rng: random.Random) -> str:
    while True:
        number = f"A-{rng.randint(20000, 99999)}"
        if session.scalar(select(func.count()).select_from(Order).where(Order.number == number)) == 0:
            return number


def arrange(engine: Engine, given: dict[str, Any], channel: str, sender: str, now: datetime | None = None,
            seed: str | None = None) -> Given:
    """Create the conversation's customer, orders and tickets; link the chat unless it is a visitor.

    With a seed (the suites pass the conversation's file and name) the order numbers, name and
    email are the same on every run: the classifier sees their digits, so a random number could
    make one run pass and the next fail."""
    now = now or datetime.utcnow().replace(microsecond=0)
    rng = random.Random(seed if seed is not None else uuid.uuid4().int)
    uow = UnitOfWork(engine)
    tag = f"{rng.getrandbits(32):08x}"
    name = given.get("name") or rng.choice(NAMES)
    email = given.get("email") or f"{name.split()[0].lower()}.{tag}@example.com"
    with uow:
        s = uow.session
        person = uow.customers.add(Customer(name=name, email=email, address="Torstrasse 1, 10119 Berlin",
                                            created_at=now - timedelta(days=200)))
        if (given.get("customer") or "known") == "known":
            s.add(ChannelIdentity(customer_id=person.id, channel=channel, external_id=sender, display_name=name, created_at=now))
        values = {"email": email, "name": name, "first_name": name.split()[0]}
        orders: dict[str, dict[str, Any]] = {}
        for i, spec in enumerate(given.get("orders") or [], start=1):
            order = _order(s, rng, person.id, spec, now)
            values[f"order{i}"] = order.number
            values[f"total{i}"] = f"{Decimal(order.total):.2f}"
            orders[f"order{i}"] = {"number": order.number, "status": order.status, "address": order.shipping_address}
        for i, spec in enumerate(given.get("tickets") or [], start=1):
            created = now - timedelta(days=int(spec.get("days_ago", 3)))
            ticket = Ticket(customer_id=person.id, subject=spec.get("subject", "Problem with my order"), priority=spec.get("priority", "normal"),
                            status="open", stage_entered_at=created, created_at=created)
            s.add(ticket)
            s.flush()
            stages.record_stage(s, "ticket", ticket.id, "open", created)
            if spec.get("status", "open") != "open":
                stages.move(s, "ticket", ticket, spec["status"], created + timedelta(hours=2))
            values[f"ticket{i}"] = f"T-{ticket.id:05d}"
        uow.commit()
        return Given(person.id, values, orders)


def _order(s: Any, rng: random.Random, customer_id: int, spec: dict[str, Any], now: datetime) -> Order:
    status = spec.get("status", "delivered")
    placed = now - timedelta(days=int(spec.get("days_ago", 6)))
    items = []
    for raw in spec.get("items") or ["yoga mat"]:
        match = re.match(r"^\s*(\d+)\s*x\s*(.+)$", str(raw))
        quantity, name = (int(match[1]), match[2].strip()) if match else (1, str(raw).strip())
        product = s.scalars(select(Product).where(Product.name == name)).first()
        if product is None:
            raise ValueError(f"no product {name!r} in the catalogue")
        items.append(OrderItem(product_id=product.id, quantity=quantity, unit_price=product.price))
    total = sum((Decimal(i.unit_price) * i.quantity for i in items), Decimal("0"))
    order = Order(number=_number(s, rng), customer_id=customer_id, status="pending", stage_entered_at=placed, placed_at=placed,
                  total=total, shipping_address="Torstrasse 1, 10119 Berlin", items=items)
    s.add(order)
    s.flush()
    stages.record_stage(s, "order", order.id, "pending", placed)
    path = FLOW[1: FLOW.index(status) + 1] if status in FLOW else (["paid", "cancelled"] if status == "cancelled" else FLOW[1:] + ["returned"])
    at = placed
    for step in path:
        at = min(now - timedelta(hours=1), at + timedelta(days=1))
        stages.move(s, "order", order, step, at)
    payments = spec.get("payments") or ([] if status == "pending" else ["captured"])
    first = None
    for kind in payments:
        payment = Payment(order_id=order.id, method="card", amount=total, status="captured" if kind == "duplicate" else kind,
                          duplicate_of=first.id if kind == "duplicate" and first else None, created_at=placed + timedelta(minutes=2))
        s.add(payment)
        s.flush()
        first = first or payment
    if order.status in ("shipped", "delivered", "returned"):
        parcel = spec.get("shipment") or {}
        carrier = parcel.get("carrier", "DHL")
        code = f"{carrier}{rng.randint(10**9, 10**10 - 1)}"
        order.tracking_code = code
        dispatched = placed + timedelta(days=3)
        shipment = Shipment(order_id=order.id, carrier=carrier, tracking_code=code, tracking_url=tracking_url(carrier, code),
                            status="in_transit", dispatched_at=dispatched, delivery_attempts=int(parcel.get("attempts", 0)))
        if order.status == "shipped":
            shipment.eta = (now + timedelta(days=int(parcel.get("eta_days", 2)))).replace(hour=18, minute=0, second=0)
        else:
            shipment.status, shipment.delivered_at = "delivered", order.stage_entered_at
            shipment.eta = order.stage_entered_at
            shipment.proof_of_delivery = parcel.get("delivered_to", "left at the front door")
        s.add(shipment)
    return order


# ------------------------------------------------------------------ checks

def fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], m[0]), value)
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    return value


def _contains(haystack: str, entry: str) -> bool:
    return any(alt.strip().lower() in haystack for alt in str(entry).split("|") if alt.strip())


def check_reply(expect: dict[str, Any], replies: list[dict]) -> list[str]:
    text = " ".join(r.get("text") or "" for r in replies).lower()
    titles = " ".join(str(b.get("title", "")) for r in replies for b in (r.get("buttons") or [])).lower()
    problems = []
    if expect.get("silent"):
        if text.strip():
            problems.append("expected no reply")
        return problems
    if not expect and not text.strip():
        problems.append("no reply")
    for entry in expect.get("says") or []:
        if not _contains(text, entry):
            problems.append(f"reply lacks {entry!r}")
    for entry in expect.get("not_says") or []:
        if _contains(text, entry):
            problems.append(f"reply has {entry!r}")
    for entry in expect.get("buttons") or []:
        if not _contains(titles, entry):
            problems.append(f"no button {entry!r}")
    return problems


def _customers(conn: Any, given: Given, channel: str, sender: str) -> list[int]:
    """The given customer, and the placeholder customer of an unlinked chat."""
    ids = {given.customer_id}
    ids.update(conn.scalars(select(ChannelIdentity.customer_id).where(ChannelIdentity.channel == channel,
                                                                      ChannelIdentity.external_id == sender)))
    return sorted(ids)


def _compare(row: dict[str, Any], want: dict[str, Any]) -> list[str]:
    problems = []
    for key, expected in want.items():
        if key == "count":
            continue
        field_name = key.removesuffix("_contains")
        actual = row.get(field_name)
        if key.endswith("_contains"):
            if str(expected).lower() not in str(actual or "").lower():
                problems.append(f"{field_name}={actual!r} lacks {expected!r}")
        elif expected is None:
            if actual not in (None, ""):
                problems.append(f"{field_name}={actual!r}, expected empty")
        elif str(actual).lower() != str(expected).lower() and not _same_number(actual, expected):
            problems.append(f"{field_name}={actual!r}, expected {expected!r}")
    return problems


def _same_number(a: Any, b: Any) -> bool:
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except Exception:  # noqa: BLE001 - not numbers, so not equal as numbers
        return False


def _rows(conn: Any, kind: str, customers: list[int], sender: str) -> list[dict[str, Any]]:
    if kind == "ticket":
        stmt = (select(Ticket.status, Ticket.priority, Ticket.subject, Ticket.description, Order.number.label("order"),
                       Ticket.customer_id.label("customer"))
                .outerjoin(Order, Ticket.order_id == Order.id).where(Ticket.customer_id.in_(customers)).order_by(Ticket.id))
    elif kind == "return":
        stmt = (select(Return.item, Return.reason, Return.status, Return.kind, Return.wanted, Order.number.label("order"),
                       Return.customer_id.label("customer"))
                .join(Order, Return.order_id == Order.id).where(Return.customer_id.in_(customers)).order_by(Return.id))
    elif kind == "handoff":
        stmt = (select(Handoff.status, Handoff.reason).join(Conversation, Handoff.conversation_id == Conversation.id)
                .where(Conversation.sender_id == sender).order_by(Handoff.id))
    elif kind == "deal":
        stmt = (select(Deal.company, Deal.email, Deal.phone, Deal.volume, Deal.stage, Deal.contact_name)
                .where(Deal.customer_id.in_(customers)).order_by(Deal.id))
    elif kind == "feedback":
        stmt = select(Feedback.rating, Feedback.comment).where(Feedback.customer_id.in_(customers)).order_by(Feedback.id)
    elif kind == "refund":
        stmt = (select(Refund.status, Refund.amount, Refund.reason, Order.number.label("order"))
                .join(Order, Refund.order_id == Order.id).where(Order.customer_id.in_(customers)).order_by(Refund.id))
    else:
        raise ValueError(f"unknown CRM check {kind!r}")
    return [dict(r._mapping) for r in conn.execute(stmt)]


def check_crm(engine: Engine, want: dict[str, Any], given: Given, channel: str, sender: str) -> list[str]:
    problems: list[str] = []
    with engine.connect() as conn:
        customers = _customers(conn, given, channel, sender)
        for kind, spec in (want or {}).items():
            spec = spec if isinstance(spec, dict) else {}
            if spec.get("customer") == "given":  # the record must sit on the given customer itself
                spec = {**spec, "customer": given.customer_id}
            if kind in given.orders:
                order = given.orders[kind]
                status, address = conn.execute(select(Order.status, Order.shipping_address).where(Order.number == order["number"])).one()
                row = {"status": status, "address": address}
                if spec.get("unchanged") and (status, address) != (order["status"], order["address"]):
                    problems.append(f"{kind} changed: {status}, {address}")
                problems += [f"{kind}: {p}" for p in _compare(row, {k: v for k, v in spec.items() if k != "unchanged"})]
            elif kind == "linked":
                owner = conn.scalar(select(ChannelIdentity.customer_id).where(ChannelIdentity.channel == channel,
                                                                              ChannelIdentity.external_id == sender))
                if bool(want[kind]) != (owner == given.customer_id):
                    problems.append(f"chat linked to {owner}, expected {given.customer_id}")
            elif kind == "messages":
                conversations = list(conn.scalars(select(Conversation.id).where(Conversation.sender_id == sender)))
                counts = dict(conn.execute(select(Message.direction, func.count()).where(Message.conversation_id.in_(conversations))
                                           .group_by(Message.direction)).all())
                actual = {"in": counts.get("in", 0), "out": counts.get("out", 0), "conversations": len(conversations)}
                problems += [f"messages {k}={actual[k]}, expected {v}" for k, v in spec.items() if actual.get(k) != v]
            else:
                rows = _rows(conn, kind, customers, sender)
                if "count" in spec and len(rows) != int(spec["count"]):
                    problems.append(f"{len(rows)} {kind} record(s), expected {spec['count']}")
                elif not rows and any(k != "count" for k in spec):
                    problems.append(f"no {kind} record")
                elif rows:
                    problems += [f"{kind}: {p}" for p in _compare(rows[-1], spec)]
    return problems


def demo_code_in(log_path: Path, email: str) -> str | None:
    """The last one-time code `crmbot run` printed for `email` (LINK_CODE_DELIVERY=console)."""
    masked = f"{email[0]}***@{email.split('@')[1]}"
    found = re.findall(r"one-time code (\d{6}) for " + re.escape(masked), log_path.read_text(errors="replace"))
    return found[-1] if found else None


def run_conversation(rasa_url: str, engine: Engine, conv: dict[str, Any], crm_wait: float = 8.0,
                     api_token: str | None = None, log_path: Path | None = None) -> ConversationResult:
    """Run one conversation; `{code}` in a user turn is the one-time code the stack printed to `log_path`."""
    chat: RestChat | WebChat = WebChat(rasa_url, api_token) if conv.get("channel") == "webchat" else RestChat(rasa_url)
    results: list[TurnResult] = []
    chat.open()
    try:
        given = arrange(engine, conv.get("given") or {}, chat.channel, chat.sender,
                        seed=f"{conv.get('source', '')}:{conv.get('name', '')}")
        for index, turn in enumerate(conv.get("turns") or [], start=1):
            text = "/session_start" if turn.get("new_session") else fill(str(turn.get("user", "")), given.values)
            if "{code}" in text and log_path is not None:
                deadline = time.monotonic() + crm_wait
                while (code := demo_code_in(log_path, str(given.values.get("email", "")))) is None and time.monotonic() < deadline:
                    time.sleep(0.3)
                text = text.replace("{code}", code or "000000")
            expect = fill(turn.get("expect") or {}, given.values)
            replies = chat.say(text)
            problems = [] if turn.get("new_session") and not expect else check_reply(expect, replies)
            if expect.get("crm"):
                deadline = time.monotonic() + crm_wait
                while (crm := check_crm(engine, expect["crm"], given, chat.channel, chat.sender)) and time.monotonic() < deadline:
                    time.sleep(0.3)  # the CRM transcript is written asynchronously
                problems += crm
            results.append(TurnResult(index, text, [r.get("text") or "" for r in replies], not problems, problems))
    finally:
        chat.close()
    return ConversationResult(str(conv.get("name")), str(conv.get("source", "")), results)


@dataclass(frozen=True)
class Score:
    conversations: int
    conversations_passed: int
    turns: int
    turns_passed: int

    @property
    def turn_rate(self) -> float:
        return self.turns_passed / self.turns if self.turns else 0.0

    @property
    def conversation_rate(self) -> float:
        return self.conversations_passed / self.conversations if self.conversations else 0.0

    def line(self, label: str) -> str:
        return (f"{label}: turns {self.turns_passed}/{self.turns} = {self.turn_rate:.1%}, "
                f"whole conversations {self.conversations_passed}/{self.conversations} = {self.conversation_rate:.1%}")


def score(results: list[ConversationResult]) -> Score:
    return Score(len(results), sum(r.passed for r in results), sum(len(r.turns) for r in results),
                 sum(t.passed for r in results for t in r.turns))


def api_token_of(stack: Any) -> str | None:
    """The token of a running stack's Rasa API: RASA_AUTH_TOKEN, else the file `crmbot run` wrote."""
    token = stack.env.get("RASA_AUTH_TOKEN")
    if token:
        return token
    try:
        return (Path(stack.env["VAR_DIR"]) / "rasa-api.token").read_text().strip() or None
    except (KeyError, OSError):
        return None


def run_all(rasa_url: str, engine: Engine, convs: list[dict[str, Any]],
            progress: Callable[[ConversationResult], None] | None = None, api_token: str | None = None,
            log_path: Path | None = None) -> list[ConversationResult]:
    results = []
    for conv in convs:
        result = run_conversation(rasa_url, engine, conv, api_token=api_token, log_path=log_path)
        results.append(result)
        if progress:
            progress(result)
    return results


# Every conversation of a suite comes from this one machine's address, as a hundred customers
# behind one office's NAT would: the per-address limits (60 messages a minute, 100 new customers
# an hour) are for a real deployment and would refuse the later conversations of a 120-conversation
# run. The per-chat limits stay as configured.
SUITE_ENV = {"MESSAGES_PER_MINUTE_PER_IP": "100000", "NEW_CUSTOMERS_PER_IP_PER_HOUR": "100000"}


def main(argv: list[str] | None = None) -> int:
    """`crmbot eval` (after the NLU report): the pass rate of the conversation sets on a fresh stack."""
    import argparse
    import tempfile

    from crm_store.settings import PROJECT_ROOT
    from bot.local_stack import start_stack, stop_stack

    parser = argparse.ArgumentParser(prog="crmbot eval", description="Conversation pass rates.")
    parser.add_argument("--conversations", type=Path, default=PROJECT_ROOT / "tests" / "conversations")
    parser.add_argument("--conversations-out", type=Path, default=PROJECT_ROOT / "results" / "conversations.json")
    parser.add_argument("--verbose", action="store_true", help="print every failed conversation turn by turn")
    args, _ = parser.parse_known_args(argv)
    sets = {"own set": sorted(args.conversations.glob("*.yml")), "blind set": sorted((args.conversations / "blind").glob("*.yml"))}
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="crmbot-conversations-") as tmp:
        stack = start_stack(Path(tmp), SUITE_ENV)
        try:
            for label, files in sets.items():
                convs = load(files)
                if not convs:
                    print(f"{label}: no conversations in {args.conversations}")
                    continue
                results = run_all(stack.rasa_url, stack.engine, convs, api_token=api_token_of(stack), log_path=stack.log_path)
                total = score(results)
                print(total.line(label))
                if args.verbose:
                    for result in results:
                        if not result.passed:
                            print(result.report())
                report[label] = {**total.__dict__, "turn_rate": round(total.turn_rate, 4),
                                 "conversation_rate": round(total.conversation_rate, 4),
                                 "failed": [{"name": r.name, "source": r.source,
                                             "turns": [t.index for t in r.turns if not t.passed]} for r in results if not r.passed]}
        finally:
            stop_stack(stack)
    args.conversations_out.parent.mkdir(parents=True, exist_ok=True)
    args.conversations_out.write_text(json.dumps(report, indent=2), "utf-8")
    print(f"conversation report written to {args.conversations_out}")
    return 0
