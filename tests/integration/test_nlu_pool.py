"""The NLU worker pool when it has no worker: the Rasa server parses itself, at once (bot/rasa/nlu_pool.py).
A worker that is killed and replaced in the running stack is tests/e2e/test_nlu_workers.py."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.rasa.nlu_pool import NluPool, request_of


class _Message:
    text, sender_id, metadata, input_channel, message_id = "hello", "pool-test", None, "rest", None


def test_while_its_worker_cannot_load_the_model_the_pool_leaves_every_parse_to_the_server(tmp_path: Path):
    async def scenario() -> tuple[list[object], float, int, int]:
        pool = NluPool(tmp_path / "no-such-model.tar.gz", processes=1)
        pool.start()
        started = time.monotonic()
        while_loading = await pool.parse(request_of(_Message(), True))
        answered_in = time.monotonic() - started
        while pool._starting:  # the worker process really starts, and fails to load the model
            await asyncio.sleep(0.2)
        after_failing = await pool.parse(request_of(_Message(), True))
        pool.close()
        return [while_loading, after_failing], answered_in, pool.live, pool.fallbacks

    parses, answered_in, live, fallbacks = asyncio.run(scenario())

    assert parses == [None, None]  # None: the server parses the message itself
    assert answered_in < 1.0  # no waiting for a worker that is still loading
    assert live == 0 and fallbacks == 2
