"""Getting Rasa's events into the CRM: the spool on disk, RabbitMQ and its consumer, and the
idempotent writer.

- `events`: one tracker event becomes CRM rows (idempotent).
- `cleaning`: strings from outside made storable.
- `spool`: the append-only file every accepted event is on before the reply leaves.
- `sinks`: which spool and delivery this deployment uses.
- `rabbit` and `consumer`: the scale-out path through RabbitMQ.
"""
