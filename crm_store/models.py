"""CRM tables. Business facts live here; dialogue state stays in Rasa's tracker store.

Processes (orders, tickets, returns, deals) keep their current stage on the row
(with stage_entered_at, for stalled checks) and every stage they entered in
stage_history, one table for all process kinds so analytics reads one place.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import registry, relationship
from sqlalchemy.orm.decl_api import DeclarativeMeta
from sqlalchemy.sql.expression import true

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
_registry = registry(metadata=MetaData(naming_convention=NAMING))


class Base(metaclass=DeclarativeMeta):
    """What declarative_base() returns, written as a class so type checkers see a base class."""

    __abstract__ = True
    registry = _registry
    metadata = _registry.metadata
    __init__ = _registry.constructor


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    email = Column(String(320), unique=True)
    phone = Column(String(40))
    address = Column(Text)
    created_at = Column(DateTime, nullable=False)
    country = Column(String(60))  # as the shop's export names it ("United Kingdom")
    identities = relationship("ChannelIdentity", back_populates="customer")


class ChannelIdentity(Base):
    """Who a customer is on one channel: (channel, external id) maps to one customer."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_identity_channel_external"),)
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    channel = Column(String(40), nullable=False)
    external_id = Column(String(200), nullable=False)
    display_name = Column(String(200))
    created_at = Column(DateTime, nullable=False)
    customer = relationship("Customer", back_populates="identities")


class Conversation(Base):
    """One Rasa session of one sender; opened by session_started or the first message."""

    __tablename__ = "conversations"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(200), nullable=False, index=True)
    channel = Column(String(40))
    customer_id = Column(ForeignKey("customers.id"), index=True)
    identity_id = Column(ForeignKey("channel_identities.id"))
    opened_by_event = Column(String(64), unique=True)
    started_at = Column(DateTime, nullable=False)
    last_event_at = Column(DateTime, nullable=False)
    paused = Column(Boolean, nullable=False, default=False)
    status = Column(String(20), nullable=False, default="open")


class Message(Base):
    __tablename__ = "messages"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    # sha256 of the canonical event JSON: a redelivered event maps to the same key.
    event_key = Column(String(64), nullable=False, unique=True)
    direction = Column(String(3), nullable=False)  # "in" from the customer, "out" to them
    text = Column(Text)
    intent = Column(String(100))
    confidence = Column(Float)
    entities = Column(JSON)
    action = Column(String(100))
    buttons = Column(JSON)
    message_id = Column(String(100))
    sent_at = Column(DateTime, nullable=False, index=True)
    # Who wrote an outgoing message: None = the assistant, "agent", or "handoff"
    # (the handoff service's queue notices); author_name is the agent's user name.
    author = Column(String(20))
    author_name = Column(String(100))
    # ISO 639-1 code of a customer message's language (nlu/components/language.py);
    # None when the message was too short to tell, and on outgoing messages.
    language = Column(String(8))


class ConversationEvent(Base):
    """Every non-message tracker event (actions, slots, forms, pauses) for analytics."""

    __tablename__ = "conversation_events"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    event_key = Column(String(64), nullable=False, unique=True)
    kind = Column(String(40), nullable=False)
    name = Column(String(100))
    payload = Column(JSON)
    occurred_at = Column(DateTime, nullable=False)


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("message_id", "path", name="uq_attachment_message_path"),)
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    message_id = Column(ForeignKey("messages.id"), nullable=False)
    kind = Column(String(20), nullable=False)
    file_name = Column(String(255))
    mime_type = Column(String(100))
    size = Column(Integer)
    path = Column(String(500), nullable=False)
    ocr_text = Column(Text)
    created_at = Column(DateTime, nullable=False)


class Product(Base):
    __tablename__ = "products"
    id = Column(Integer, primary_key=True)
    sku = Column(String(40), nullable=False, unique=True)
    name = Column(String(200), nullable=False, index=True)
    category = Column(String(100))
    description = Column(Text)
    price = Column(Numeric(10, 2), nullable=False)
    stock = Column(Integer, nullable=False, default=0)


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False, unique=True)  # "A-10423"
    # None for an anonymous order: a shop export's line with no customer still counts for products.
    customer_id = Column(ForeignKey("customers.id"), nullable=True, index=True)
    status = Column(String(20), nullable=False)
    stage_entered_at = Column(DateTime, nullable=False)
    placed_at = Column(DateTime, nullable=False)
    # Signed: a credit note's total is negative, so SUM(total) per customer is their net revenue.
    total = Column(Numeric(10, 2), nullable=False)
    shipping_address = Column(Text)
    tracking_code = Column(String(60))
    kind = Column(String(20), nullable=False, default="order", server_default="order")  # order | credit_note
    credit_for_order_id = Column(ForeignKey("orders.id"), index=True)  # the order a credit note cancels, where found
    country = Column(String(60))
    items = relationship("OrderItem", back_populates="order")


class OrderItem(Base):
    __tablename__ = "order_items"
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    product_id = Column(ForeignKey("products.id"), nullable=False)
    quantity = Column(Integer, nullable=False)  # negative on a credit note's lines
    unit_price = Column(Numeric(12, 4), nullable=False)  # as the file gives it (shops price to 0.001)
    order = relationship("Order", back_populates="items")
    product = relationship("Product")


class OrderAdjustment(Base):
    """A line of an order that is no product: postage, fees, discounts, manual corrections.
    Counted in the order's total, kept out of order_items so product and basket figures stay clean."""

    __tablename__ = "order_adjustments"
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    code = Column(String(40), nullable=False)  # the file's SKU: "POST", "M", "BANK CHARGES"
    description = Column(String(200))
    quantity = Column(Integer, nullable=False)
    amount = Column(Numeric(12, 2), nullable=False)  # signed, quantity x unit price


class StageHistory(Base):
    """Every stage a process entered: process is order | ticket | return | deal."""

    __tablename__ = "stage_history"
    __table_args__ = (Index("ix_stage_history_process", "process", "process_id"),)
    id = Column(Integer, primary_key=True)
    process = Column(String(20), nullable=False)
    process_id = Column(Integer, nullable=False)
    stage = Column(String(30), nullable=False)
    entered_at = Column(DateTime, nullable=False)
    note = Column(Text)


class Ticket(Base):
    __tablename__ = "tickets"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    conversation_id = Column(ForeignKey("conversations.id"))
    order_id = Column(ForeignKey("orders.id"))
    subject = Column(String(200), nullable=False)
    description = Column(Text)
    priority = Column(String(10), nullable=False, default="normal")
    status = Column(String(20), nullable=False)
    stage_entered_at = Column(DateTime, nullable=False)
    created_at = Column(DateTime, nullable=False)


class Return(Base):
    __tablename__ = "returns"
    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False, unique=True)  # "R-00001"
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False)
    item = Column(String(200), nullable=False)
    reason = Column(Text, nullable=False)
    status = Column(String(20), nullable=False)
    stage_entered_at = Column(DateTime, nullable=False)
    refund_amount = Column(Numeric(10, 2))
    receipt_attachment_id = Column(ForeignKey("attachments.id"))
    created_at = Column(DateTime, nullable=False)
    # An exchange (another size/colour) or a replacement (damaged, part missing)
    # is a return whose goods come back as `wanted` instead of money.
    kind = Column(String(20), nullable=False, default="return", server_default="return")
    wanted = Column(Text)


class Deal(Base):
    __tablename__ = "deals"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    title = Column(String(200), nullable=False)
    contact_name = Column(String(200))
    company = Column(String(200))
    email = Column(String(320))
    phone = Column(String(40))
    volume = Column(String(100))
    value = Column(Numeric(12, 2))
    stage = Column(String(20), nullable=False)
    stage_entered_at = Column(DateTime, nullable=False)
    created_at = Column(DateTime, nullable=False)


class Handoff(Base):
    __tablename__ = "handoffs"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    reason = Column(String(200))
    status = Column(String(20), nullable=False)  # stages.TRANSITIONS["handoff"]
    agent = Column(String(100))
    requested_at = Column(DateTime, nullable=False)
    claimed_at = Column(DateTime)
    closed_at = Column(DateTime)
    # The handoff lifecycle (migration 0006)
    trigger = Column(String(40))  # request_human | fallback | form | complaint | payment
    priority = Column(String(10), nullable=False, default="normal", server_default="normal")
    stage_entered_at = Column(DateTime)
    first_response_at = Column(DateTime)
    escalated_at = Column(DateTime)
    returned_at = Column(DateTime)
    ticket_id = Column(ForeignKey("tickets.id"))
    csat = Column(Integer)
    csat_at = Column(DateTime)
    last_notice_at = Column(DateTime)
    seen_message_id = Column(Integer)  # the queue monitor's cursor over customer messages


class Segment(Base):
    __tablename__ = "segments"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    description = Column(Text)
    created_at = Column(DateTime, nullable=False)


class SegmentMembership(Base):
    __tablename__ = "segment_memberships"
    __table_args__ = (UniqueConstraint("segment_id", "customer_id", name="uq_membership_segment_customer"),)
    id = Column(Integer, primary_key=True)
    segment_id = Column(ForeignKey("segments.id"), nullable=False)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    score = Column(Float)
    assigned_at = Column(DateTime, nullable=False)


class Flag(Base):
    """A raised concern about a process (e.g. stalled); cleared_at closes it."""

    __tablename__ = "flags"
    __table_args__ = (Index("ix_flags_process", "process", "process_id"),)
    id = Column(Integer, primary_key=True)
    process = Column(String(20), nullable=False)
    process_id = Column(Integer, nullable=False)
    kind = Column(String(40), nullable=False)
    reason = Column(Text)
    raised_at = Column(DateTime, nullable=False)
    cleared_at = Column(DateTime)
    stage = Column(String(30))
    owner = Column(String(100))
    customer_id = Column(Integer, index=True)
    stage_entered_at = Column(DateTime)
    threshold_hours = Column(Float)


class DigestSent(Base):
    __tablename__ = "digests_sent"
    id = Column(Integer, primary_key=True)
    kind = Column(String(40), nullable=False)
    recipients = Column(Text, nullable=False)
    subject = Column(String(300), nullable=False)
    period_start = Column(DateTime)
    period_end = Column(DateTime)
    sent_at = Column(DateTime, nullable=False)
    # One row per (kind, recipient, period); a re-run finds it and sends nothing.
    __table_args__ = (UniqueConstraint("kind", "recipients", "period_start", name="uq_digests_sent_period"),)
    status = Column(String(10), nullable=False, default="sent", server_default="sent")  # sending | sent | failed
    attempts = Column(Integer, nullable=False, default=0, server_default="0")
    error = Column(Text)


class Feedback(Base):
    """A customer's rating (1-5) and comment, given in chat."""

    __tablename__ = "feedback"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    conversation_id = Column(ForeignKey("conversations.id"))
    rating = Column(Integer, nullable=False)
    comment = Column(Text)
    created_at = Column(DateTime, nullable=False)


# --- Digest recipients and the customer-import merge log ---
class DigestRecipient(Base):
    """A manager who gets digests: how often (daily | weekly | both) and which sections (None = all)."""

    __tablename__ = "digest_recipients"
    id = Column(Integer, primary_key=True)
    email = Column(String(320), nullable=False, unique=True)
    name = Column(String(200))
    frequency = Column(String(10), nullable=False, default="daily")
    sections = Column(JSON)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)


class CustomerMerge(Base):
    """One imported row merged into an existing customer; `changes` is what undo puts back."""

    __tablename__ = "customer_merges"
    id = Column(Integer, primary_key=True)
    import_run = Column(String(40), nullable=False, index=True)
    kept_customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    source = Column(String(300), nullable=False)  # "customers.csv line 12"
    reason = Column(String(200), nullable=False)  # "same email", "close name and same city"
    row = Column(JSON, nullable=False)  # the normalised imported row
    changes = Column(JSON, nullable=False)  # {"fields": {name: old value}, "identity_ids": [...]}
    merged_at = Column(DateTime, nullable=False)
    undone_at = Column(DateTime)
    split_customer_id = Column(Integer)  # the customer undo made from the row
    kept = relationship("Customer")


# --- Receipts read from customers' photos (OCR) ---
class ReceiptReading(Base):
    """What OCR read on one photo, and once the customer confirmed it, where it was attached.

    status: read (waiting for the customer's yes) | confirmed.
    process/process_id: the return, ticket or order the confirmed receipt belongs to.
    The image stays where its channel stored it (image_path, relative to VAR_DIR);
    attachment_id links the conversation's attachment row once ingestion has stored it.
    """

    __tablename__ = "receipt_readings"
    __table_args__ = (Index("ix_receipt_readings_process", "process", "process_id"),)
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    sender_id = Column(String(200), nullable=False)
    attachment_id = Column(ForeignKey("attachments.id"))
    image_path = Column(String(500), nullable=False)
    ocr_text = Column(Text)
    fields = Column(JSON)
    order_number = Column(String(20))
    receipt_date = Column(String(10))  # ISO date as read
    total = Column(Numeric(10, 2))
    currency = Column(String(3))
    merchant = Column(String(200))
    status = Column(String(20), nullable=False)
    process = Column(String(20))
    process_id = Column(Integer)
    created_at = Column(DateTime, nullable=False)
    confirmed_at = Column(DateTime)


# --- Shipments, payments and refunds (the data order questions are answered from) ---
class Shipment(Base):
    """The parcel of an order: carrier, tracking, dates, failed attempts and proof of delivery."""

    __tablename__ = "shipments"
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, unique=True)
    carrier = Column(String(40), nullable=False)
    tracking_code = Column(String(60))
    tracking_url = Column(String(300))
    status = Column(String(20), nullable=False)  # in_transit | out_for_delivery | delivered | returned_to_sender
    dispatched_at = Column(DateTime)
    eta = Column(DateTime)
    delivered_at = Column(DateTime)
    delivery_attempts = Column(Integer, nullable=False, default=0)
    proof_of_delivery = Column(String(300))  # the carrier's words: "left at front door", "signed by neighbour"


class Payment(Base):
    """Money movement on an order; a second capture of the same order is `duplicate_of` the first."""

    __tablename__ = "payments"
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    method = Column(String(20), nullable=False)  # card | paypal
    amount = Column(Numeric(10, 2), nullable=False)
    status = Column(String(20), nullable=False)  # captured | failed | refunded
    duplicate_of = Column(ForeignKey("payments.id"))
    reference = Column(String(40))
    created_at = Column(DateTime, nullable=False)


class Refund(Base):
    """Money going back, with its stage history (process 'refund') as the customer's timeline."""

    __tablename__ = "refunds"
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    payment_id = Column(ForeignKey("payments.id"))
    return_id = Column(ForeignKey("returns.id"))
    amount = Column(Numeric(10, 2), nullable=False)
    reason = Column(String(200), nullable=False)
    status = Column(String(20), nullable=False)  # requested | processing | paid
    stage_entered_at = Column(DateTime, nullable=False)
    expected_by = Column(DateTime)
    created_at = Column(DateTime, nullable=False)


# --- One-time codes and the audit log ---


class LinkCode(Base):
    """A one-time code sent to a customer's email to prove a chat is theirs.

    Every request leaves a row, matched or not (customer_id is then NULL and no code
    exists), so requests are rate-limited per chat and per customer alike. The code
    itself is stored only as an argon2 hash. purpose: link | reauth | forget.
    """

    __tablename__ = "link_codes"
    __table_args__ = (Index("ix_link_codes_chat", "channel", "external_id"),)
    id = Column(Integer, primary_key=True)
    channel = Column(String(40), nullable=False)
    external_id = Column(String(200), nullable=False)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    purpose = Column(String(10), nullable=False)
    order_number = Column(String(20))
    code_hash = Column(String(200))
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime)


class AuditEntry(Base):
    """Who saw or changed what: one row per access to or change of personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    actor = Column(String(100), nullable=False)  # "agent:ana", "cli", "customer:12", "system"
    action = Column(String(40), nullable=False)  # "view", "export", "forget", "link", ...
    subject_type = Column(String(40), nullable=False)  # "customer", "conversation", ...
    subject_id = Column(Integer)
    detail = Column(JSON)


def utc_from_timestamp(ts: float) -> datetime:
    """Naive UTC datetime from a Rasa event timestamp (all CRM times are naive UTC)."""
    return datetime.utcfromtimestamp(ts)


# --- Scheduled analytics (job runs, stage thresholds, follow-ups, segment history) ---


class JobRun(Base):
    """One run of a scheduled job; (job, scheduled_for) is unique so a fire time runs once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "scheduled_for", name="uq_job_runs_job_scheduled_for"),)
    id = Column(Integer, primary_key=True)
    job = Column(String(60), nullable=False, index=True)
    scheduled_for = Column(DateTime)  # None for a run started by hand
    started_at = Column(DateTime, nullable=False)
    finished_at = Column(DateTime)
    status = Column(String(20), nullable=False)  # running | ok | failed
    rows = Column(Integer)
    error = Column(Text)
    summary = Column(JSON)
    host = Column(String(200))


class StageThreshold(Base):
    """When a process counts as stalled in a stage: the SLA if configured, else the recomputed p90."""

    __tablename__ = "stage_thresholds"
    __table_args__ = (UniqueConstraint("process", "stage", name="uq_stage_thresholds_process_stage"),)
    id = Column(Integer, primary_key=True)
    process = Column(String(20), nullable=False)
    stage = Column(String(30), nullable=False)
    sla_hours = Column(Float)
    p50_hours = Column(Float)
    p90_hours = Column(Float)
    samples = Column(Integer, nullable=False, default=0)
    computed_at = Column(DateTime, nullable=False)


class FollowUp(Base):
    """A message we owe a customer (e.g. after an abandoned form); source_key makes it once only."""

    __tablename__ = "follow_ups"
    id = Column(Integer, primary_key=True)
    source_key = Column(String(100), nullable=False, unique=True)
    kind = Column(String(40), nullable=False)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    conversation_id = Column(ForeignKey("conversations.id"))
    text = Column(Text, nullable=False)
    due_at = Column(DateTime, nullable=False, index=True)
    status = Column(String(20), nullable=False)  # pending | sending | sent | failed
    attempts = Column(Integer, nullable=False, default=0)
    channel = Column(String(40))
    last_error = Column(Text)
    created_at = Column(DateTime, nullable=False)
    sent_at = Column(DateTime)


class SchedulerLease(Base):
    """Who runs the scheduler: one holder at a time, renewed before expires_at."""

    __tablename__ = "scheduler_leases"
    name = Column(String(40), primary_key=True)
    holder = Column(String(200))
    expires_at = Column(DateTime, nullable=False)


class SegmentChange(Base):
    """A customer moved from one segment to another (None: joined or left the segmentation).

    An append-only log written in bulk: no foreign keys, whose per-row checks tripled the
    cost of a first run over 100 k customers on PostgreSQL.
    """

    __tablename__ = "segment_changes"
    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, nullable=False, index=True)
    from_segment_id = Column(Integer)
    to_segment_id = Column(Integer)
    changed_at = Column(DateTime, nullable=False, index=True)
    run_id = Column(Integer)


# Columns the scheduled analytics add to earlier tables (migration 0007); declared here so the ORM sees them.
Segment.active = Column(Boolean, nullable=False, default=True, server_default=true())
Segment.centroid = Column(JSON)  # feature name -> value, in the features' own units
Segment.size = Column(Integer)
Segment.updated_at = Column(DateTime)
SegmentMembership.previous_segment_id = Column(Integer)  # segments.id (no FK: written in bulk)
SegmentMembership.run_id = Column(Integer)
# One open flag per process, kind and stage, even with two writers racing.
Index(
    "uq_flags_open",
    Flag.process,
    Flag.process_id,
    Flag.kind,
    Flag.stage,
    unique=True,
    sqlite_where=Flag.cleared_at.is_(None),
    postgresql_where=Flag.cleared_at.is_(None),
)


# --- Agent console accounts, private notes, canned replies ---
class ConsoleUser(Base):
    """A person who logs into the agent console: role is agent | manager | admin."""

    __tablename__ = "console_users"
    id = Column(Integer, primary_key=True)
    username = Column(String(100), nullable=False, unique=True)
    role = Column(String(20), nullable=False)
    password_hash = Column(String(200), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)
    last_seen_at = Column(DateTime)
    away_since = Column(DateTime)  # set while the agent is away: not counted as online for the expected wait
    # ISO 639-1 codes of the languages the person answers customers in, comma-separated
    # ("en,de"); None = English only. The console compares it with the customer's language.
    languages = Column(String(40))


class ConversationLabel(Base):
    """A short tag an agent puts on a conversation ("damaged", "vip"), for the queue and search."""

    __tablename__ = "conversation_labels"
    __table_args__ = (UniqueConstraint("conversation_id", "label", name="uq_conversation_label"),)
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False)
    label = Column(String(40), nullable=False, index=True)
    added_by = Column(String(100), nullable=False)
    created_at = Column(DateTime, nullable=False)


class ConsoleSession(Base):
    """A console log-in: the cookie names it by id, logging out deletes it, so a copied cookie dies too."""

    __tablename__ = "console_sessions"
    id = Column(String(64), primary_key=True)  # sha256 of the random id the cookie carries
    user_id = Column(ForeignKey("console_users.id"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)


class ConversationNote(Base):
    """A private note an agent wrote on a conversation; never shown to the customer."""

    __tablename__ = "conversation_notes"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    author = Column(String(100), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)


class CannedReply(Base):
    """A reply template with {first_name}, {order_id} ... filled in from the CRM profile."""

    __tablename__ = "canned_replies"
    id = Column(Integer, primary_key=True)
    title = Column(String(100), nullable=False, unique=True)
    body = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)


# --- analytics results: basket rules, purchase propensity, sales forecasts ---


class BasketRule(Base):
    """ "Bought with A, also bought B": one association rule over order lines, as of a date.

    Items are product ids; the keys are the sorted ids joined by commas, so "often bought with
    product 12" is an indexed lookup on antecedent_key = '12'. Each run replaces the rules.
    """

    __tablename__ = "basket_rules"
    id = Column(Integer, primary_key=True)
    antecedent_key = Column(String(200), nullable=False, index=True)
    consequent_key = Column(String(200), nullable=False)
    antecedent = Column(JSON, nullable=False)  # [product_id, ...]
    consequent = Column(JSON, nullable=False)
    support = Column(Float, nullable=False)  # share of orders with every item of the rule
    confidence = Column(Float, nullable=False)
    lift = Column(Float, nullable=False)
    orders = Column(Integer, nullable=False)  # orders with every item of the rule
    as_of = Column(DateTime, nullable=False)
    run_id = Column(Integer)


class PurchasePropensity(Base):
    """How likely a customer is to order within horizon_days after as_of (0..1), one row per
    customer and as-of date; the model's held-out validation is in the job run's summary."""

    __tablename__ = "purchase_propensity"
    __table_args__ = (UniqueConstraint("customer_id", "as_of", name="uq_propensity_customer_as_of"),)
    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, nullable=False, index=True)  # no FK: written in bulk
    score = Column(Float, nullable=False)
    horizon_days = Column(Integer, nullable=False)
    as_of = Column(DateTime, nullable=False, index=True)
    run_id = Column(Integer)


class SalesForecast(Base):
    """Forecast sales for one future period (week or month) with an 80 % interval, as of a date."""

    __tablename__ = "sales_forecasts"
    __table_args__ = (UniqueConstraint("kind", "period_start", "as_of", name="uq_forecast_kind_period_as_of"),)
    id = Column(Integer, primary_key=True)
    kind = Column(String(10), nullable=False)  # week | month
    period_start = Column(DateTime, nullable=False)
    revenue = Column(Float, nullable=False)
    lower = Column(Float, nullable=False)
    upper = Column(Float, nullable=False)
    as_of = Column(DateTime, nullable=False, index=True)
    run_id = Column(Integer)
