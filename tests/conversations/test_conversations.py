"""Whole conversations end to end (REST and web chat) against one running stack for the module.

Every directory is a set (tests/conversations/*.yml is the own set; blind/, blind2/, heldout/ ...
are further sets), judged by the strict judge (bot/conversation_judge.py) and scored as a whole.
Format: tests/conversations/README.md.

Each set with a measured level is gated at that level minus a noise margin, so a regression
fails here; a set without one (a new blind batch before its first run is recorded, and the
held-out set, which nobody may tune on) is reported and gated only against crashes: every
conversation must run to its end.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation_suite import SUITE_ENV, api_token_of, load, run_all, score, sets_in
from bot.local_stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
SETS = sets_in(HERE)
# Turn rates measured with the strict judge on the merged code (`crmbot eval --conversations-only
# --jobs 2 --set own --set batch1 --set batch2 --set batch3 --set blind --set languages`, 2026-12-07,
# second round, with the faulty-product complaints) -- see docs/conversation-judge.md. The order numbers are seeded per conversation, but
# replies under load can still arrive late on the web chat, and two trainings of the same data can
# read a borderline message differently, so each gate sits MARGIN below the measured rate: about
# four turns of ~170, three of ~120, one of 65.
MEASURED_TURN_RATE = {
    "own": 177 / 179,
    "blind": 179 / 187,
    "batch1": 120 / 124,
    "batch2": 97 / 113,
    "batch3": 110 / 127,
    "languages": 65 / 65,
}
MARGIN = 0.025
UNGATED = {"heldout", "heldout2"}
# Conversations run two at a time: the stack waits on its action server and database as much as
# on the CPU, and CI has two cores.
JOBS = 2


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Stack:  # type: ignore[misc, no-untyped-def]
    running = start_stack(tmp_path_factory.mktemp("conversations"), SUITE_ENV)
    yield running
    stop_stack(running)


def test_every_set_follows_the_strict_format():
    """A turn without a positive check, an unknown key or a bare "T-" is an error in the file."""
    for name, files in SETS.items():
        assert load(files), f"set {name} has no conversations"
    own = load(SETS["own"])
    assert len(own) >= 40
    assert {c.get("channel", "rest") for c in own} == {"rest", "webchat"}


@pytest.mark.parametrize("name", list(SETS))
def test_set(stack: Stack, name: str):
    convs = load(SETS[name])
    results = run_all(
        stack.rasa_url, stack.engine, convs, api_token=api_token_of(stack), log_path=stack.log_path, jobs=JOBS
    )
    total = score(results, convs)
    print(total.line(f"{name} set"))
    failed = "\n".join(r.report() for r in results if not r.passed)

    assert len(results) == len(convs)
    assert total.errors == 0, failed
    assert all(len(r.turns) == len(c.get("turns") or []) for r, c in zip(results, convs))
    assert any(t.replies for r in results for t in r.turns), "the stack answered nothing"
    if name in MEASURED_TURN_RATE and name not in UNGATED:
        assert total.turn_rate >= MEASURED_TURN_RATE[name] - MARGIN, total.line(f"{name} set") + "\n" + failed
