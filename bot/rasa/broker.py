"""Rasa's event broker for the CRM: every tracker event goes through the spool on disk.

`publish` appends the event to the spool (crm_store.ingestion.spool) before Rasa goes on,
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

from crm_store.ingestion.sinks import sink_for
from crm_store.ingestion.spool import EventSink
from crm_store.settings import get_settings

__all__ = ["CrmEventBroker"]

log = logging.getLogger(__name__)


class CrmEventBroker(EventBroker):
    """Configured in endpoints.yml as `type: bot.rasa.broker.CrmEventBroker`."""

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
