"""Python's cycle collector held off while an import builds its millions of long-lived objects.

An import keeps a file's rows, its match index and a reference per customer in memory, and adds to them
row by row. CPython's collector runs a full pass over every tracked object each time enough new objects
have survived, so those passes grow with what the import holds: on a 200,000-row customer export they
took about 40 % of the CPU, most of it in the matching loop. The import's own objects form no cycles, so
the full passes find nothing. Inside `young_collections_only()` the automatic collector is off, and
`collect_young()` (called once a batch) frees the cycles a batch leaves behind (sessions, frames) by
looking only at what is new since the last call.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def young_collections_only() -> Iterator[None]:
    """Turn automatic cycle collection off for the block, and back on (as it was) after it."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def collect_young() -> int:
    """Collect the two young generations only: linear in what was made since the last call."""
    return gc.collect(1)
