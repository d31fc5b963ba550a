from __future__ import annotations

import pytest

from tests.support.stack import Stack, start_stack, stop_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:  # type: ignore[no-untyped-def]
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    code = stop_stack(running)
    assert code == 0, f"crmbot run did not stop cleanly on Ctrl-C (exit {code}):\n{running.log()}"
