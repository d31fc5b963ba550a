"""Rasa's event broker for the CRM: every tracker event goes through the spool on disk.

`publish` appends the event to the spool (crm_store.spool) before Rasa goes on,
and the tracker store syncs the spool once per saved turn, so an accepted event
is on disk before the reply leaves. The spool's worker then delivers it:
straight into the CRM database (embedded profile), or to RabbitMQ with
publisher confirms for `crmbot ingest` (scale-out profile, EVENT_BROKER_URL).
A model reload (`PUT /model`) gets the running sink, never a second writer.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from crm_store.db import unit_of_work
from crm_store.settings import Settings, get_settings
from crm_store.spool import EventSink, dead_letter, shared_sink

__all__ = ["CrmEventBroker", "EventSink", "build_sink", "dead_letter", "sink_for"]

log = logging.getLogger(__name__)


def build_sink(settings: Settings, role: str = "both") -> EventSink:
    """A sink on this deployment's spool, delivering where the profile says (role: see crm_store.spool)."""
    if role == "writer":
        return EventSink(None, settings.var_path, fsync=settings.ingest_fsync, role=role)
    if settings.event_broker_url:
        from crm_store.rabbit import ConfirmedPublisher, topology_from

        publisher = ConfirmedPublisher(settings.event_broker_url, topology_from(settings))
        # The event itself is valid JSON from the spool: every failure to publish is the broker's.
        return EventSink(None, settings.var_path, deliver=publisher, deliver_batch=publisher.batch, temporary=lambda exc: True,
                         destination="rabbitmq", fsync=settings.ingest_fsync, role=role)
    return EventSink(lambda: unit_of_work(settings), settings.var_path, fsync=settings.ingest_fsync, role=role)


def sink_for(settings: Settings) -> EventSink:
    """The spool of this deployment's var/ as Rasa holds it: appending, and delivering too unless
    INGEST_WORKER=process gives delivery to its own process (`crmbot ingest spool`)."""
    role = "writer" if settings.ingest_worker == "process" else "both"
    return shared_sink(settings.var_path, lambda: build_sink(settings, role))


class CrmEventBroker(EventBroker):
    """Configured in endpoints.yml as `type: crm_store.broker.CrmEventBroker`."""

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig | None, event_loop: asyncio.AbstractEventLoop | None = None
    ) -> EventBroker:
        sink = sink_for(get_settings())
        log.info("CRM events are spooled", extra={"destination": sink.destination})
        return cls(sink)

    def publish(self, event: dict[str, Any]) -> None:
        self.sink.put(event)

    def sync(self) -> None:
        self.sink.sync()

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.sink.stop)
