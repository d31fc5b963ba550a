"""Parse latency of the trained model per language, beside English in the same run.

    nice .venv/bin/python bench/nlu_languages.py [--model models/crmbot-....tar.gz]

Loads the model `crmbot prepare` trained (the newest in models/ unless given), parses the
held-out German, French and Spanish sets (tests/nlu/de.yml with de_more.yml, and the same
for fr and es) and the
English one (tests/nlu/unseen.yml, the baseline) through the Rasa Agent, as the server
does, and prints p50/p95 per language and the ratio to English. Target: p95 <= 40 ms.
Accuracy lives in `crmbot eval`, which trains on its own split.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.rasa.server import THREAD_POOLS  # noqa: E402

# Parse as the Rasa server serves: one BLAS and one TensorFlow thread, set before they load.
for _name, _value in THREAD_POOLS.items():
    os.environ.setdefault(_name, _value)

import numpy as np  # noqa: E402

# The separately written sets of each language (tests/nlu/<name>.yml).
SETS = {"en": ("unseen",), "de": ("de", "de_more"), "fr": ("fr", "fr_more"), "es": ("es", "es_more")}
TARGET_P95_MS = 40.0
WARMUP = 20


def newest_model() -> Path:
    models = sorted((ROOT / "models").glob("crmbot-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("no model in models/: run `crmbot prepare` first")
    return models[-1]


async def timings(agent: Any, texts: list[str]) -> list[float]:
    for text in texts[:WARMUP]:
        await agent.parse_message(text)
    seconds = []
    for text in texts:
        started = time.perf_counter()
        await agent.parse_message(text)
        seconds.append(time.perf_counter() - started)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "nlu_languages.json")
    args = parser.parse_args(argv)
    import logging

    from rasa.utils.log_utils import configure_structlog

    # Rasa's structlog logs every parse (with its text) at debug level unless configured.
    logging.basicConfig(level=logging.WARNING)
    configure_structlog(logging.WARNING)
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load(str(args.model or newest_model()))
    results: dict[str, dict[str, float]] = {}
    for code, names in SETS.items():
        texts = [
            m.get("text")
            for name in names
            if (ROOT / "tests" / "nlu" / f"{name}.yml").is_file()
            for m in load_data(str(ROOT / "tests" / "nlu" / f"{name}.yml")).intent_examples
        ]
        ms = np.array(asyncio.run(timings(agent, texts))) * 1000
        results[code] = {
            "messages": len(texts),
            "p50_ms": float(np.percentile(ms, 50)),
            "p95_ms": float(np.percentile(ms, 95)),
        }
    base = results["en"]
    print(f"{'language':9s} {'messages':>8s} {'p50 ms':>7s} {'p95 ms':>7s}  vs English (baseline)")
    for code, run in results.items():
        print(
            f"{code:9s} {run['messages']:8d} {run['p50_ms']:7.2f} {run['p95_ms']:7.2f}  "
            f"p50 x{run['p50_ms'] / base['p50_ms']:.2f}, p95 x{run['p95_ms'] / base['p95_ms']:.2f}"
            f"  {'ok' if run['p95_ms'] <= TARGET_P95_MS else 'ABOVE TARGET'} (p95 <= {TARGET_P95_MS:.0f} ms)"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
