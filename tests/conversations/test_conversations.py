"""Whole conversations end to end (REST and web chat) against one running stack for the module.

Every conversation in tests/conversations/*.yml must pass turn by turn; the separately written
set in tests/conversations/blind/ is scored as a whole (its pass rate goes in docs/reference/conversations.md).
Format: tests/conversations/README.md.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation_suite import SUITE_ENV, api_token_of, load, run_conversation, score
from bot.local_stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
OWN = load(sorted(HERE.glob("*.yml")))
BLIND = load(sorted((HERE / "blind").glob("*.yml")))
# The blind set measures how the assistant does on conversations written without seeing it (its
# rate is in docs/reference/conversations.md and `crmbot eval`). It is a gate at the measured level (173 of 187 turns,
# 92.5 %, 2026-12-01) minus a margin for run-to-run noise (the classifier sees the random order
# numbers): a change that costs more than about six blind turns fails here. Seven failed turns
# expect a visitor's chat to be linked on a typed email alone (which the one-time-code rule forbids)
# or a reply from a chat already waiting for a person, so 100 % is out of reach by design.
BLIND_TURN_RATE_FLOOR = 0.89


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Stack:  # type: ignore[misc, no-untyped-def]
    running = start_stack(tmp_path_factory.mktemp("conversations"), SUITE_ENV)
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
    assert total.turn_rate >= BLIND_TURN_RATE_FLOOR, total.line("blind set") + "\n" + "\n".join(
        r.report() for r in results if not r.passed)
