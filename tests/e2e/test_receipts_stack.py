"""Receipt photos through the whole running system: REST, Telegram (fake Bot API) and the
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
from tests.e2e.test_order_status import texts
from tests.e2e.test_telegram_stack import post_update, replies_to, text_update
from tests.support.browser import DESKTOP, ChatPage, launch_chromium, require_chromium
from tests.support.events import unique_sender
from tests.support.receipts import make_receipt, write_receipt
from tests.support.stack import Stack, eventually

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
            uow.identities.add(ChannelIdentity(customer_id=customer.id, channel=channel, external_id=sender, created_at=placed))
        product = uow.products.add(Product(sku=f"SKU-{uuid.uuid4().hex[:8]}", name="Desk Lamp", price=Decimal("34.90"), stock=3))
        order = uow.orders.add(Order(number=number, customer_id=customer.id, status="pending", stage_entered_at=placed,
                                     placed_at=placed, total=Decimal("34.90")))
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
    answers = {"Which order": number, "Which item": "the desk lamp", "Why are you returning": "it arrived broken"}
    reply = say("I want to return an item")
    for _ in range(4):
        if "I've opened return" in reply:
            return reply
        answer = next((a for ask, a in answers.items() if ask in reply), None)
        assert answer is not None, reply
        reply = say(answer)
    return reply


def reading_of(stack: Stack, sender: str) -> SimpleNamespace | None:
    """The sender's latest receipt reading, as plain values."""
    with stack.engine.connect() as conn:
        row = conn.execute(select(ReceiptReading.__table__).where(ReceiptReading.sender_id == sender)
                           .order_by(ReceiptReading.id.desc())).first()
    return SimpleNamespace(**row._mapping) if row else None


def send_rest_photo(stack: Stack, sender: str, number: str, total: str = "34.90") -> tuple[list[dict], dict]:
    # Where a channel stores an upload: var/uploads/<channel>/<sender>/ (the REST channel has none of
    # its own, so the test files the photo there the way webchat_uploads and telegram_updates do).
    folder = Path(stack.env["VAR_DIR"]) / "uploads" / "rest" / sender
    path, fields = receipt_photo(folder, number, total)
    relative = path.relative_to(Path(stack.env["VAR_DIR"])).as_posix()
    meta = {"attachments": [{"kind": "photo", "file_name": path.name, "mime_type": "image/png", "size": path.stat().st_size,
                             "path": relative}]}
    return stack.say(sender, "/send_photo", metadata=meta), fields


def test_rest_receipt_after_a_return_is_confirmed_onto_the_return(stack: Stack):
    sender = unique_sender("receipt")
    number, _ = customer_with_delivered_order(stack, "rest", sender)
    created = open_return(lambda text: texts(stack.say(sender, text)), number)
    assert "I've opened return R-" in created, stack.log()

    replies, fields = send_rest_photo(stack, sender, number)

    day = datetime.fromisoformat(fields["date"])
    assert f"I read order {number} from {day.day} {day:%B}" in texts(replies) and "total €34.90" in texts(replies), stack.log()
    assert [b["payload"] for b in replies[-1]["buttons"]] == ["/affirm", "/deny"]
    done = texts(stack.say(sender, "/affirm"))
    assert "attached the receipt" in done and "to return R-" in done, stack.log()
    row = reading_of(stack, sender)
    assert (row.status, row.process, row.order_number, row.total) == ("confirmed", "return", number, Decimal("34.90"))
    assert number in row.ocr_text
    uow = UnitOfWork(stack.engine)
    with uow:
        ret = uow.session.get(Return, row.process_id)
        attachment = uow.session.get(Attachment, ret.receipt_attachment_id)
        assert attachment is not None and attachment.path == row.image_path and attachment.ocr_text == row.ocr_text


def test_rest_no_asks_which_field_and_the_corrected_total_is_kept(stack: Stack):
    sender = unique_sender("receipt")
    number, _ = customer_with_delivered_order(stack, "rest", sender)
    send_rest_photo(stack, sender, number, total="19.99")

    which = stack.say(sender, "/deny")
    assert "Which part did I get wrong?" in texts(which)
    asked = texts(stack.say(sender, '/inform{"receipt_field": "total"}'))
    assert "What is the right total?" in asked
    again = texts(stack.say(sender, "it was 21.50"))
    assert f"I read order {number}" in again and "total €21.50" in again
    done = texts(stack.say(sender, "yes"))

    assert f"with order {number}" in done, stack.log()
    row = reading_of(stack, sender)
    assert (row.status, row.process, row.total) == ("confirmed", "order", Decimal("21.50"))


def test_unreadable_photo_gets_an_honest_reply_and_the_conversation_goes_on(stack: Stack):
    sender = unique_sender("receipt")
    number, _ = customer_with_delivered_order(stack, "rest", sender)
    folder = Path(stack.env["VAR_DIR"]) / "uploads" / "rest" / sender
    folder.mkdir(parents=True)
    (folder / "photo.jpg").write_text("this is not an image")
    meta = {"attachments": [{"kind": "photo", "path": f"uploads/rest/{sender}/photo.jpg"}]}

    reply = texts(stack.say(sender, "/send_photo", metadata=meta))
    after = texts(stack.say(sender, f"where is my order {number}?"))

    assert "Sorry, I can't read that file" in reply and "type the order number" in reply
    assert f"Order {number} is delivered" in after
    assert reading_of(stack, sender) is None


def photo_update(chat_id: int, file_id: str, size: int) -> dict:
    update = text_update(chat_id, "")
    message = update["message"]
    del message["text"]
    message["photo"] = [{"file_id": file_id, "file_unique_id": file_id[-10:], "width": 800, "height": 1000, "file_size": size}]
    return update


def callback_update(chat_id: int, data: str, message_id: int) -> dict:
    return {
        "update_id": random.randint(1, 2**31),
        "callback_query": {
            "id": f"cbq-{uuid.uuid4().hex[:8]}", "chat_instance": "-1", "data": data,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Grace"},
            "message": {"message_id": message_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                        "from": {"id": 1, "is_bot": True, "first_name": "Shop"}, "text": "I read ..."},
        },
    }


def test_telegram_photo_is_fetched_read_confirmed_by_button_and_stored(stack: Stack, telegram, tmp_path):  # type: ignore[no-untyped-def]
    chat_id = random.randint(10**8, 10**9)
    number, _ = customer_with_delivered_order(stack, "telegram", str(chat_id))
    path, _ = receipt_photo(tmp_path, number)
    file_id = f"receipt-{uuid.uuid4().hex}"
    telegram.add_file(file_id, path.read_bytes(), f"photos/{file_id}.jpg")

    assert post_update(stack, photo_update(chat_id, file_id, path.stat().st_size)) == 200

    asked = eventually(lambda: [c for c in telegram.calls_to("sendMessage")
                                if c.get("chat_id") == chat_id and "is that right?" in c.get("text", "")], timeout=90)
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
        chat.wait_for_bot("isn't linked to this chat yet")
        chat.send(email)
        chat.wait_for_bot(f"Order {number} is delivered")
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
