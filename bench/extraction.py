"""Entity extraction speed per message, against one bare regex search as the baseline.

    uv run python bench/extraction.py

Prints microseconds per message for `crm_store.values.extract_all` and for a single
compiled order-number regex over the same messages, and their ratio. Dates go to
dateparser only where a cheap cue found one, and a phrase read once is cached; "cold"
clears that cache before every message, the worst case of phrases never seen before.
Speed targets live
here rather than in unit tests: the machines are shared and timings in tests are noise.
"""

from __future__ import annotations

import re
import time
from datetime import date

from crm_store.values import extract_all
from crm_store.values.dates import _read

MESSAGES = [
    "hi, where is my order A-10423? I paid €49,90 yesterday",
    "hi, is A-10423 shipped? I paid €49,90",
    "can you call me on +49 30 1234567 about 3 yoga mats",
    "my email is alex.demo@example.com and the order was on 12.03.2025",
    "thanks, that's all",
]
ORDER = re.compile(r"\b[A-Z]-?\d{5}\b")


def per_message(fn, rounds: int = 400) -> float:
    fn(MESSAGES[0])
    started = time.perf_counter()
    for _ in range(rounds):
        for text in MESSAGES:
            fn(text)
    return (time.perf_counter() - started) / (rounds * len(MESSAGES))


def main() -> None:
    today = date(2026, 11, 27)
    ours = per_message(lambda text: extract_all(text, today))

    def cold(text: str) -> None:
        _read.cache_clear()
        extract_all(text, today)

    ours_cold = per_message(cold, rounds=100)
    baseline = per_message(ORDER.findall)
    print(f"extract_all:          {ours * 1e6:8.1f} µs/message   (target < 1000 µs)")
    print(f"extract_all, cold:    {ours_cold * 1e6:8.1f} µs/message   (dateparser uncached)")
    print(f"baseline (one regex): {baseline * 1e6:8.1f} µs/message")
    print(f"ratio:                {ours / baseline:8.1f}x")


if __name__ == "__main__":
    main()
