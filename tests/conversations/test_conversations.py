"""Whole conversations end to end (REST and web chat) against one running stack for the module.

Every conversation in tests/conversations/*.yml must pass turn by turn; the separately written
set in tests/conversations/blind/ is scored as a whole (its pass rate goes in the README).
Format: tests/conversations/README.md.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation_suite import api_token_of, load, run_conversation, score
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
OWN = load(sorted(HERE.glob("*.yml")))
BLIND = load(sorted((HERE / "blind").glob("*.yml")))
# The blind set measures how the assistant does on conversations written without seeing it. Its
# pass rate is a figure to report (`crmbot eval`, README), like an accuracy, not a gate: the test
# checks that every blind conversation runs to its end against the live stack and prints the rate.


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Stack:  # type: ignore[misc, no-untyped-def]
    running = start_stack(tmp_path_factory.mktemp("conversations"))
    yield running
    stop_stack(running)


def test_the_own_set_is_big_enough():
    assert len(OWN) >= 40
    assert {c.get("channel", "rest") for c in OWN} == {"rest", "webchat"}


@pytest.mark.parametrize("conversation", OWN, ids=[f"{c['source']}:{c['name']}" for c in OWN])
def test_conversation(stack: Stack, conversation: dict):
    result = run_conversation(stack.rasa_url, stack.engine, conversation, api_token=api_token_of(stack),
                              log_path=stack.log_path)

    assert result.passed, result.report()


def test_blind_set(stack: Stack):
    if not BLIND:
        pytest.skip("no blind conversations yet (tests/conversations/blind/)")
    results = [run_conversation(stack.rasa_url, stack.engine, c, api_token=api_token_of(stack), log_path=stack.log_path)
               for c in BLIND]
    total = score(results)
    print(total.line("blind set"))

    assert len(results) == len(BLIND)
    assert all(len(r.turns) == len(c.get("turns") or []) for r, c in zip(results, BLIND))
    assert total.turns > 0 and any(t.replies for r in results for t in r.turns), "the stack answered nothing"
    assert total.turn_rate > 0, "not one blind turn passed: the stack or the harness is broken"
