"""BANKING77-OOS: out-of-scope rejection of the project's NLU pipeline against TF-IDF + LR.

    nice .venv/bin/python bench/nlu_oos.py [--data DIR] [--limit N]

Trains the pipeline section of config.yml (through rasa.model_training, like
bench/nlu_banking77.py) on banking77-oos/train.csv (50 intents), parses every
valid and test message through the loaded Rasa Agent and reads the classifier's
``in_scope_score`` (nlu/components/classifier.py). The rejection threshold is
chosen on valid as the highest one that rejects at most 5 % of the valid
in-scope messages; test is then scored once with it: in-scope accuracy (right
intent and not rejected), ID-OOS recall and OOD-OOS recall. The same rule is
applied, in the same run, to the pipeline's own max-probability and to a TF-IDF
(word 1-2 + char 2-5) logistic regression's max-probability (the baseline).

Rows whose text is empty (2 train, 2 valid, 4 test, all but the train ones
ID-OOS) are dropped: Rasa cannot train on or parse an empty message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/benchmarks/banking77-oos"
TARGETS = {"in_scope_accuracy": 0.88, "id_oos_recall": 0.60, "ood_oos_recall": 0.95}
MAX_VALID_IN_SCOPE_REJECTED = 0.05
FALLBACK = "nlu_fallback"
IN_SCOPE, ID_OOS, OOD_OOS = "in_scope", "id-oos", "ood-oos"


def read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, keep_default_na=False)
    return frame[frame.text.str.strip() != ""].reset_index(drop=True)


def choose_threshold(scores: np.ndarray, kinds: np.ndarray) -> float:
    """Highest threshold that rejects (score < threshold) at most 5 % of in-scope rows."""
    in_scope = np.sort(scores[kinds == IN_SCOPE])
    allowed = int(np.floor(MAX_VALID_IN_SCOPE_REJECTED * len(in_scope)))
    # Exactly the scores below in_scope[allowed] are rejected: at most `allowed` rows.
    return float(in_scope[allowed])


def outcome(frame: pd.DataFrame, predicted: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    rejected = scores < threshold
    kinds = frame.kind.values
    in_scope = kinds == IN_SCOPE
    right = predicted[in_scope] == frame.label.values[in_scope]
    return {
        "in_scope_accuracy": float(np.mean(right & ~rejected[in_scope])),
        "in_scope_rejected": float(np.mean(rejected[in_scope])),
        "id_oos_recall": float(np.mean(rejected[kinds == ID_OOS])),
        "ood_oos_recall": float(np.mean(rejected[kinds == OOD_OOS])),
    }


def system(name: str, valid: pd.DataFrame, test: pd.DataFrame, scored: dict[str, Any], key: str) -> dict[str, Any]:
    threshold = choose_threshold(scored["valid"][key], valid.kind.values)
    return {
        "name": name,
        "threshold": threshold,
        "valid": outcome(valid, scored["valid"]["predicted"], scored["valid"][key], threshold),
        "test": outcome(test, scored["test"]["predicted"], scored["test"][key], threshold),
    }


def run_pipeline(train: pd.DataFrame, splits: dict[str, pd.DataFrame]) -> dict[str, Any]:
    import yaml
    from nlu_banking77 import project_pipeline, write_rasa_data
    from rasa.core.agent import Agent

    from nlu.training import train_nlu_model

    with tempfile.TemporaryDirectory(prefix="bench-oos-") as tmp:
        folder = Path(tmp)
        config = folder / "config.yml"
        config.write_text(
            yaml.safe_dump(
                {"recipe": "default.v1", "assistant_id": "bench", "language": "en", "pipeline": project_pipeline()}
            ),
            "utf-8",
        )
        data = write_rasa_data(train, folder)
        started = time.perf_counter()
        model = train_nlu_model(config, data, folder / "models")
        train_minutes = (time.perf_counter() - started) / 60
        agent = Agent.load(model)
        scored = {name: asyncio.run(parse_all(agent, frame.text.tolist())) for name, frame in splits.items()}
    scored["train_minutes"] = train_minutes
    return scored


async def parse_all(agent: Any, texts: list[str]) -> dict[str, np.ndarray]:
    predicted, max_prob, in_scope, latencies = [], [], [], []
    for text in texts:
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        latencies.append(time.perf_counter() - started)
        ranked = [r for r in parsed.get("intent_ranking", []) if r["name"] != FALLBACK]
        predicted.append(ranked[0]["name"] if ranked else FALLBACK)
        max_prob.append(ranked[0]["confidence"] if ranked else 0.0)
        in_scope.append(parsed.get("in_scope_score", np.nan))
    return {
        "predicted": np.array(predicted),
        "max_prob": np.array(max_prob),
        "in_scope_score": np.array(in_scope, dtype=float),
        "latency_ms": np.array(latencies) * 1000,
    }


def run_baseline(train: pd.DataFrame, splits: dict[str, pd.DataFrame]) -> dict[str, Any]:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(train.text)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2).fit(train.text)

    def features(texts: list[str]) -> Any:
        return sparse.hstack([word.transform(texts), char.transform(texts)]).tocsr()

    clf = LogisticRegression(C=10.0, max_iter=2000).fit(features(train.text.tolist()), train.label)
    scored = {}
    for name, frame in splits.items():
        probs = clf.predict_proba(features(frame.text.tolist()))
        scored[name] = {"predicted": clf.classes_[probs.argmax(1)], "max_prob": probs.max(1)}
    return scored


def report(systems: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"{'system (test, threshold from valid)':44s} {'in-scope acc':>12s} {'ID-OOS rec':>10s} {'OOD-OOS rec':>11s} {'threshold':>9s}"
    ]
    for s in systems:
        t = s["test"]
        lines.append(
            f"{s['name']:44s} {t['in_scope_accuracy']:12.1%} {t['id_oos_recall']:10.1%} "
            f"{t['ood_oos_recall']:11.1%} {s['threshold']:9.4f}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with train/valid/test.csv")
    parser.add_argument("--limit", type=int, default=0, help="use only N rows of each file (smoke test)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "nlu_oos.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)

    train, valid, test = (read(args.data / f"{name}.csv") for name in ("train", "valid", "test"))
    if args.limit:
        train, valid, test = (
            f.sample(n=min(args.limit, len(f)), random_state=42).reset_index(drop=True) for f in (train, valid, test)
        )
    splits = {"valid": valid, "test": test}
    print(
        f"BANKING77-OOS: {len(train)} train ({train.label.nunique()} intents), "
        f"valid {valid.kind.value_counts().to_dict()}, test {test.kind.value_counts().to_dict()}",
        flush=True,
    )

    baseline = run_baseline(train, splits)
    pipeline = run_pipeline(train, splits)
    systems = [
        system("project pipeline, in_scope_score", valid, test, pipeline, "in_scope_score"),
        system("project pipeline, max-probability", valid, test, pipeline, "max_prob"),
        system("tfidf+logreg max-probability (baseline)", valid, test, baseline, "max_prob"),
    ]
    for line in report(systems):
        print(line)
    main_run = systems[0]["test"]
    checks = {target: main_run[target] >= bound for target, bound in TARGETS.items()}
    for target, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'} {target}: {main_run[target]:.1%} (target >= {TARGETS[target]:.0%})")
    latencies = np.concatenate([pipeline[name]["latency_ms"] for name in splits])
    print(
        f"parse latency p50 {np.percentile(latencies, 50):.1f} ms, p95 {np.percentile(latencies, 95):.1f} ms; "
        f"training {pipeline['train_minutes']:.1f} min"
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "data": str(args.data),
                "rows": {name: len(frame) for name, frame in {"train": train, **splits}.items()},
                "systems": systems,
                "targets": TARGETS,
                "pass": checks,
                "train_minutes": pipeline["train_minutes"],
                "p50_ms": float(np.percentile(latencies, 50)),
                "p95_ms": float(np.percentile(latencies, 95)),
            },
            indent=2,
        ),
        "utf-8",
    )
    print(f"report written to {args.out}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
