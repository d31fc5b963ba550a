"""Where a turn's CPU goes: py-spy's collapsed stacks of the Rasa server, sorted into parts of a turn.

    py-spy record --format raw --rate 200 -p <rasa pid> -d 30 -o rasa.txt   # while bench/load.py runs
    .venv/bin/python bench/profile_breakdown.py rasa.txt

`bench/load.py --profile rasa.txt` does both for the assistant's last level.
Each sample is put in the first part (in the order below) whose marker appears
in its stack; the shares are of all samples of the Rasa process (idle excluded).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

# (part of a turn, markers in a stack); first match wins.
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("CRM spool + ingestion (worker thread)", ("crm_store/ingestion/spool.py", "crm_store/ingestion/events.py")),
    ("tracker store: save", ("save (bot/rasa/stores.py", "save (rasa/core/tracker_store.py")),
    ("tracker store: read", ("rasa/core/tracker_store.py", "bot/rasa/stores.py")),
    ("action call (HTTP + JSON-schema check)", ("actions/action.py", "aiohttp/client", "jsonschema/")),
    ("NLU: language-model featurizer (MiniLM)", ("lm_featurizer", "transformers/")),
    ("NLU: other components", ("rasa/nlu/", "nlu/components")),
    ("dialogue: TED policy", ("ted_policy",)),
    ("dialogue: other policies + ensemble", ("rasa/core/policies/",)),
    ("tracker state (featurize / apply events)", ("rasa/shared/core/trackers.py", "rasa/shared/core/events.py")),
    ("TensorFlow (other)", ("tensorflow/",)),
    ("logging", ("logging/__init__.py",)),
    ("HTTP server / event loop", ("sanic/", "asyncio/", "uvloop")),
]


# Leaf frames of threads that only wait (py-spy cannot always tell): not part of a turn's cost.
IDLE = (
    "_worker (concurrent/futures/thread.py",
    "serve (sanic/server/runners.py",
    "wait (threading.py",
    "select (selectors.py",
)


def parse(lines: list[str]) -> Counter:
    samples: Counter = Counter()
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit() or stack.rsplit(";", 1)[-1].startswith(IDLE):
            continue
        for part, markers in PARTS:
            if any(m in stack for m in markers):
                samples[part] += int(count)
                break
        else:
            samples["other"] += int(count)
    return samples


def report(samples: Counter) -> str:
    total = sum(samples.values()) or 1
    rows = [f"{'part of a turn':<44} {'share':>6}"]
    for part, count in samples.most_common():
        rows.append(f"{part:<44} {count / total:>6.1%}")
    rows.append(f"{'(samples)':<44} {total:>6}")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    print(report(parse(Path(argv[0]).read_text().splitlines())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
