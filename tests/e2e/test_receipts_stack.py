"""Receipt photos through the whole running system: Telegram (fake Bot API) and the
web chat in Chromium, each ending in a confirmed receipt row in the CRM (real tesseract)."""

from __future__ import annotations

import random
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import Attachment, ChannelIdentity, Customer, Order, OrderItem, Product, ReceiptReading, Return
from tests.e2e.test_order_status import demo_code
from tests.e2e.test_telegram_stack import post_update, replies_to, text_update
from tests.support.browser import DESKTOP, ChatPage, launch_chromium, require_chromium
from tests.support.receipts import make_receipt, write_receipt
from bot.local_stack import Stack, eventually

pytestmark = pytest.mark.e2e

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def customer_with_delivered_order(stack: Stack, channel: str | None, sender: str | None) -> tuple[str, str]:
    """A customer (known on `channel` as `sender`, if given) with a delivered order of one desk lamp."""
    number, email = f"A-{random.randint(20000, 99999)}", f"r{uuid.uuid4().hex[:10]}@example.com"
    placed = datetime.utcnow() - timedelta(days=6)
    uow = UnitOfWork(stack.engine)
    with uow:
        customer = uow.customers.add(Customer(name="Receipt Person", email=email, created_at=placed))
        if channel:
            uow.identities.add(
                ChannelIdentity(customer_id=customer.id, channel=channel, external_id=sender, created_at=placed)
            )
        product = uow.products.add(
            Product(sku=f"SKU-{uuid.uuid4().hex[:8]}", name="Desk Lamp", price=Decimal("34.90"), stock=3)
        )
        order = uow.orders.add(
            Order(
                number=number,
                customer_id=customer.id,
                status="pending",
                stage_entered_at=placed,
                placed_at=placed,
                total=Decimal("34.90"),
            )
        )
        uow.session.add(OrderItem(order_id=order.id, product_id=product.id, quantity=1, unit_price=Decimal("34.90")))
        for step, stage in enumerate(["paid", "packed", "shipped", "delivered"]):
            stages.move(uow.session, "order", order, stage, placed + timedelta(days=step + 1))
        uow.commit()
    return number, email


def receipt_photo(folder: Path, number: str, total: str = "34.90") -> tuple[Path, dict]:
    receipt = make_receipt(random.Random(number))
    receipt.font, receipt.font_size = FONT, 26
    receipt.rotation = 2.0
    receipt.lines = [line.replace(receipt.fields["order_number"], number) for line in receipt.lines]
    receipt.lines = [f"TOTAL €{total}" if line.startswith("TOTAL") else line for line in receipt.lines]
    receipt.fields.update(order_number=number, total=total, currency="EUR")
    folder.mkdir(parents=True, exist_ok=True)
    return write_receipt(receipt, folder, f"receipt-{uuid.uuid4().hex[:8]}"), receipt.fields


def open_return(say, number: str) -> str:  # type: ignore[no-untyped-def]
    """Walk the return form, answering whatever it asks; the reply that opened the return."""
    answers = {
        "Which order": number,
        "Which item": "the desk lamp",
        "Why are you returning": "it arrived broken",
        "Shall I go ahead": "yes",
    }
    reply = say("I want to return an item")
    for _ in range(5):
        if "I've opened return" in reply:
            return reply
        answer = next((a for ask, a in answers.items() if ask in reply), None)
        assert answer is not None, reply
        reply = say(answer)
    return reply


def reading_of(stack: Stack, sender: str) -> SimpleNamespace | None:
    """The sender's latest receipt reading, as plain values."""
    with stack.engine.connect() as conn:
        row = conn.execute(
            select(ReceiptReading.__table__)
            .where(ReceiptReading.sender_id == sender)
            .order_by(ReceiptReading.id.desc())
        ).first()
    return SimpleNamespace(**row._mapping) if row else None


def tg_say(stack: Stack, telegram, chat_id: int, update: dict, until: str, timeout: float = 90) -> str:  # type: ignore[no-untyped-def]
    """Post one update from this chat; wait for a reply containing `until`; the new replies, joined."""
    before = len(replies_to(telegram, chat_id))
    assert post_update(stack, update) == 200
    new = eventually(
        lambda: (
            [t for t in replies_to(telegram, chat_id)[before:] if until in t] and replies_to(telegram, chat_id)[before:]
        ),
        timeout=timeout,
    )
    assert new, (replies_to(telegram, chat_id)[before:], stack.log())
    return " ".join(new)


def tg_photo(telegram, chat_id: int, content: bytes) -> dict:  # type: ignore[no-untyped-def]
    file_id = f"receipt-{uuid.uuid4().hex}"
    telegram.add_file(file_id, content, f"photos/{file_id}.jpg")
    return photo_update(chat_id, file_id, len(content))


# The REST channel takes no attachments (a client must not name server files), so the
# photo flows run over Telegram, whose channel fetches and stores the file itself.
def test_telegram_receipt_after_a_return_is_confirmed_onto_the_return(stack: Stack, telegram, tmp_path):  # type: ignore[no-untyped-def]
    chat_id = random.randint(10**8, 10**9)
    number, _ = customer_with_delivered_order(stack, "telegram", str(chat_id))
    created = open_return(lambda text: tg_say(stack, telegram, chat_id, text_update(chat_id, text), until=""), number)
    assert "I've opened return R-" in created, stack.log()
    path, fields = receipt_photo(tmp_path, number)

    asked = tg_say(stack, telegram, chat_id, tg_photo(telegram, chat_id, path.read_bytes()), until="is that right?")
    day = datetime.fromisoformat(fields["date"])
    assert f"I read order {number} from {day.day} {day:%B}" in asked and "total €34.90" in asked
    done = tg_say(stack, telegram, chat_id, text_update(chat_id, "yes"), until="attached the receipt")

    assert "to return R-" in done, stack.log()
    row = reading_of(stack, str(chat_id))
    assert (row.status, row.process, row.order_number, row.total) == ("confirmed", "return", number, Decimal("34.90"))

    def attached() -> tuple | None:
        uow = UnitOfWork(stack.engine)
        with uow:
            ret = uow.session.get(Return, row.process_id)
            found = uow.session.get(Attachment, ret.receipt_attachment_id) if ret.receipt_attachment_id else None
            return (found.path, found.ocr_text) if found is not None else None

    # The photo's own turn reaches the CRM through ingestion, which may come after the "yes".
    assert eventually(attached) == (row.image_path, row.ocr_text), stack.log()


def test_no_asks_which_field_and_the_corrected_total_is_kept(stack: Stack, telegram, tmp_path):  # type: ignore[no-untyped-def]
    chat_id = random.randint(10**8, 10**9)
    number, _ = customer_with_delivered_order(stack, "telegram", str(chat_id))
    path, _ = receipt_photo(tmp_path, number, total="19.99")
    tg_say(stack, telegram, chat_id, tg_photo(telegram, chat_id, path.read_bytes()), until="is that right?")

    which = tg_say(stack, telegram, chat_id, text_update(chat_id, "no"), until="Which part did I get wrong?")
    asked = tg_say(
        stack,
        telegram,
        chat_id,
        text_update(chat_id, '/inform{"receipt_field": "total"}'),
        until="What is the right total?",
    )
    again = tg_say(stack, telegram, chat_id, text_update(chat_id, "it was 21.50"), until="total €21.50")
    done = tg_say(stack, telegram, chat_id, text_update(chat_id, "yes"), until=f"with order {number}")

    assert which and asked and f"I read order {number}" in again and done
    row = reading_of(stack, str(chat_id))
    assert (row.status, row.process, row.total) == ("confirmed", "order", Decimal("21.50"))


def test_unreadable_photo_gets_an_honest_reply_and_the_conversation_goes_on(stack: Stack, telegram):  # type: ignore[no-untyped-def]
    chat_id = random.randint(10**8, 10**9)
    number, _ = customer_with_delivered_order(stack, "telegram", str(chat_id))

    reply = tg_say(stack, telegram, chat_id, tg_photo(telegram, chat_id, b"this is not an image"), until="order number")
    after = tg_say(
        stack, telegram, chat_id, text_update(chat_id, f"where is my order {number}?"), until=f"Order {number} ("
    )

    assert "Sorry" in reply and "read" in reply and after
    assert reading_of(stack, str(chat_id)) is None


def photo_update(chat_id: int, file_id: str, size: int) -> dict:
    update = text_update(chat_id, "")
    message = update["message"]
    del message["text"]
    message["photo"] = [
        {"file_id": file_id, "file_unique_id": file_id[-10:], "width": 800, "height": 1000, "file_size": size}
    ]
    return update


def callback_update(chat_id: int, data: str, message_id: int) -> dict:
    return {
        "update_id": random.randint(1, 2**31),
        "callback_query": {
            "id": f"cbq-{uuid.uuid4().hex[:8]}",
            "chat_instance": "-1",
            "data": data,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Grace"},
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": 1, "is_bot": True, "first_name": "Shop"},
                "text": "I read ...",
            },
        },
    }


def test_telegram_photo_is_fetched_read_confirmed_by_button_and_stored(stack: Stack, telegram, tmp_path):  # type: ignore[no-untyped-def]
    chat_id = random.randint(10**8, 10**9)
    number, _ = customer_with_delivered_order(stack, "telegram", str(chat_id))
    path, _ = receipt_photo(tmp_path, number)
    file_id = f"receipt-{uuid.uuid4().hex}"
    telegram.add_file(file_id, path.read_bytes(), f"photos/{file_id}.jpg")

    assert post_update(stack, photo_update(chat_id, file_id, path.stat().st_size)) == 200

    asked = eventually(
        lambda: [
            c
            for c in telegram.calls_to("sendMessage")
            if c.get("chat_id") == chat_id and "is that right?" in c.get("text", "")
        ],
        timeout=90,
    )
    assert asked, (replies_to(telegram, chat_id), stack.log())
    assert any(c.get("file_id") == file_id for c in telegram.calls_to("getFile"))
    assert f"I read order {number}" in asked[0]["text"]
    keyboard = asked[0]["reply_markup"]["inline_keyboard"]
    yes = next(b for row in keyboard for b in row if b["text"] == "Yes")
    assert post_update(stack, callback_update(chat_id, yes["callback_data"], 4242)) == 200
    done = eventually(lambda: [t for t in replies_to(telegram, chat_id) if "saved the receipt" in t], timeout=60)
    assert done and f"with order {number}" in done[0]
    row = reading_of(stack, str(chat_id))
    assert (row.status, row.process, row.order_number) == ("confirmed", "order", number)
    assert row.image_path.startswith(f"uploads/telegram/{chat_id}/")
    assert (Path(stack.env["VAR_DIR"]) / row.image_path).read_bytes() == path.read_bytes()


def say_in_browser(chat: ChatPage, text: str, timeout: float = 60.0) -> str:
    """Send, wait until the bot's answer has arrived, and return the new bot bubbles' text."""
    before = len(chat.bot_texts())
    chat.send(text)
    deadline = time.monotonic() + timeout
    seen, stable_since = before, time.monotonic()
    while time.monotonic() < deadline:
        count = len(chat.bot_texts())
        if count != seen:
            seen, stable_since = count, time.monotonic()
        if count > before and time.monotonic() - stable_since > 1.5:
            break
        time.sleep(0.2)
    return " ".join(chat.bot_texts()[before:])


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    require_chromium()
    with launch_chromium() as b:
        yield b


def test_web_chat_receipt_during_a_return_attaches_order_and_amount(stack: Stack, browser, tmp_path):  # type: ignore[no-untyped-def]
    number, email = customer_with_delivered_order(stack, None, None)
    path, _ = receipt_photo(tmp_path, number)
    context = browser.new_context(viewport=DESKTOP)
    chat = ChatPage(context.new_page(), stack.rasa_url).open()
    try:
        chat.send(f"where is my order {number}?")
        chat.wait_for_bot(f"I can't show order {number}")
        chat.send(email)
        chat.send(eventually(lambda: demo_code(stack, email)))
        chat.wait_for_bot(f"Order {number} (")
        open_return(lambda text: say_in_browser(chat, text), number)
        chat.upload(path)
        chat.wait_for_bot("is that right?")
        chat.click_button("Yes")
        chat.wait_for_bot("attached the receipt")
        chat.screenshot("webchat-receipt-return")
        session = chat.session_id()
    finally:
        context.close()
    row = reading_of(stack, session)
    assert (row.status, row.process, row.order_number, row.total) == ("confirmed", "return", number, Decimal("34.90"))
    uow = UnitOfWork(stack.engine)
    with uow:
        ret = uow.session.get(Return, row.process_id)
        order = uow.session.get(Order, ret.order_id)
        assert order.number == number and ret.receipt_attachment_id is not None
