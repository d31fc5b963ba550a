"""Which spool this deployment's Rasa writes and where its worker delivers.

Straight into the CRM database (embedded profile), or to RabbitMQ with publisher confirms for
`crmbot ingest` (scale-out profile, EVENT_BROKER_URL).
"""

from __future__ import annotations

from crm_store.db import unit_of_work
from crm_store.ingestion.spool import EventSink, shared_sink
from crm_store.settings import Settings

__all__ = ["build_sink", "sink_for"]


def build_sink(settings: Settings, role: str = "both") -> EventSink:
    """A sink on this deployment's spool, delivering where the profile says (role: see crm_store.ingestion.spool)."""
    if role == "writer":
        return EventSink(None, settings.var_path, fsync=settings.ingest_fsync, role=role)
    if settings.event_broker_url:
        from crm_store.ingestion.rabbit import ConfirmedPublisher, topology_from

        publisher = ConfirmedPublisher(settings.event_broker_url, topology_from(settings))
        # The event itself is valid JSON from the spool: every failure to publish is the broker's.
        return EventSink(
            None,
            settings.var_path,
            deliver=publisher,
            deliver_batch=publisher.batch,
            temporary=lambda exc: True,
            destination="rabbitmq",
            fsync=settings.ingest_fsync,
            role=role,
        )
    return EventSink(lambda: unit_of_work(settings), settings.var_path, fsync=settings.ingest_fsync, role=role)


def sink_for(settings: Settings) -> EventSink:
    """The spool of this deployment's var/ as Rasa holds it: appending, and delivering too unless
    INGEST_WORKER=process gives delivery to its own process (`crmbot ingest spool`)."""
    role = "writer" if settings.ingest_worker == "process" else "both"
    return shared_sink(settings.var_path, lambda: build_sink(settings, role))
