"""The Rasa server's NLU worker processes (bot/rasa/nlu_pool.py) in the running stack: a worker that dies
loses no turn and is replaced, and a parse is the same whether a worker or the server made it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.local_stack import Stack, eventually
from bot.rasa.nlu_pool import default_processes
from tests.e2e.conftest import RASA_TOKEN
from tests.support.events import unique_sender

pytestmark = pytest.mark.e2e

TEXTS = (
    "hello",
    "where is my order A-10423?",
    "how much is shipping?",
    "my email is someone@example.com",
    "I want to return the blue kettle",
    "thanks",
    "bye",
)


def pids_below(pid: int, pattern: str) -> set[int]:
    out = subprocess.run(["pgrep", "-P", str(pid), "-f", pattern], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def nlu_workers(stack: Stack) -> set[int]:
    """The live NLU workers: the spawned children of the stack's Rasa server (not multiprocessing's tracker)."""
    servers = pids_below(stack.process.pid, "bot.rasa.server")
    return {w for server in servers for w in pids_below(server, "spawn_main") if alive(w)}


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def ready_lines(stack: Stack) -> int:
    return stack.log_path.read_text(errors="replace").count("nlu worker ready")


def parse(stack: Stack, text: str) -> dict:
    req = urllib.request.Request(
        f"{stack.rasa_url}/model/parse?token={RASA_TOKEN}",
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def essentials(parsed: dict) -> tuple:
    ranking = tuple((r["name"], round(r["confidence"], 5)) for r in parsed.get("intent_ranking", []))
    entities = tuple((e["entity"], e.get("value"), e.get("start"), e.get("end")) for e in parsed["entities"])
    return parsed["intent"]["name"], round(parsed["intent"]["confidence"], 5), ranking, entities


def all_workers_ready(stack: Stack, before: int = 0) -> bool:
    return len(nlu_workers(stack)) == default_processes() and ready_lines(stack) >= before + default_processes()


def test_the_stack_parses_in_one_worker_per_core(stack: Stack):
    if default_processes() == 0:
        pytest.skip("one core: the server parses itself")
    assert eventually(lambda: all_workers_ready(stack), timeout=600), stack.log()


def test_a_killed_nlu_worker_loses_no_turn_and_is_replaced(stack: Stack):
    if default_processes() == 0:
        pytest.skip("one core: no NLU workers")
    assert eventually(lambda: all_workers_ready(stack), timeout=600), stack.log()
    before, ready_before = nlu_workers(stack), ready_lines(stack)
    victim = min(before)
    senders = [unique_sender("nlu-kill") for _ in range(8)]

    with ThreadPoolExecutor(len(senders)) as pool:
        turns = [pool.submit(stack.say, sender, "where is my order A-10423?") for sender in senders]
        os.kill(victim, signal.SIGKILL)
        replies = [turn.result(timeout=120) for turn in turns]
    after_kill = [stack.say(sender, "how much is shipping?") for sender in senders]

    assert all(replies) and all(after_kill), (replies, after_kill)  # every turn answered, none lost
    assert eventually(lambda: "nlu worker lost" in stack.log_path.read_text(errors="replace"), timeout=60)
    # A new worker takes the dead one's place once it has loaded the model.
    assert eventually(lambda: ready_lines(stack) > ready_before and len(nlu_workers(stack)) == len(before), 600)
    assert victim not in nlu_workers(stack)


def test_a_parse_is_the_same_from_a_worker_and_from_the_server(stack: Stack):
    if default_processes() == 0:
        pytest.skip("one core: no NLU workers")
    assert eventually(lambda: all_workers_ready(stack), timeout=600), stack.log()
    by_workers = [essentials(parse(stack, text)) for text in TEXTS]
    ready_before = ready_lines(stack)
    for worker in nlu_workers(stack):
        os.kill(worker, signal.SIGKILL)
    assert eventually(lambda: not nlu_workers(stack), timeout=30)

    by_server = [essentials(parse(stack, text)) for text in TEXTS]
    no_worker_meanwhile = ready_lines(stack) == ready_before  # loading the model takes far longer than 7 parses

    assert no_worker_meanwhile, "a replacement was ready too soon: the second parses may not be the server's"
    assert by_workers == by_server
    assert eventually(lambda: all_workers_ready(stack, ready_before), timeout=600), stack.log()
