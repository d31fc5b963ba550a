"""`crmbot eval`: held-out NLU quality of the project's pipeline.

Splits nlu/data with Rasa's stratified ``train_test_split`` (80/20, seed 42; English and
each of German, French and Spanish split on its own, see split_per_language),
trains the pipeline of config.yml on the 80 % (NLU only), parses the held-out
messages through the loaded Agent and reports intent accuracy, macro-F1,
faq/* response accuracy, entity F1 (exact span and type; per entity and
micro), the top confusion pairs, the in-scope accuracy and the out-of-scope
false-acceptance rate (an out_of_scope message that ends as an in-scope
intent, after the classifier's rejection and the FallbackClassifier).
The same model is also scored on separately written sets, never trained on:
tests/nlu/unseen.yml, tests/nlu/blind.yml, tests/nlu/near_misses.yml (a
shop's words for another business) and tests/nlu/de.yml, fr.yml, es.yml with
de_more.yml, fr_more.yml, es_more.yml (German, French and Spanish customers), those of
them that exist.

Per language (the last table): English, German, French and Spanish side by side, each
with its share of the held-out split (the validation split: messages of nlu/data/<code>/
for de, fr, es; the rest for English) and its separately written sets (unseen.yml for
English; <code>.yml and <code>_more.yml for the others): intent accuracy and
out-of-scope false acceptance.
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
from collections import Counter
from pathlib import Path
from typing import Any, TypedDict

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
DEFAULT_THRESHOLD = 0.4
# de, fr, es: the held-out sets of the German, French and Spanish customers (docs/languages.md).
DEFAULT_SETS = tuple(
    ROOT / "tests" / "nlu" / f"{name}.yml"
    for name in ("unseen", "blind", "near_misses", "de", "fr", "es", "de_more", "fr_more", "es_more")
)
OTHER_LANGUAGES = ("de", "fr", "es")
# The separately written sets of each language (file stems under tests/nlu/).
LANGUAGE_SETS = {"en": ("unseen",), **{code: (code, f"{code}_more") for code in OTHER_LANGUAGES}}


class Prediction(TypedDict):
    gold_intent: str
    intent: str  # after FallbackClassifier
    classifier_intent: str  # best ranked intent that is not the fallback
    confidence: float  # of classifier_intent
    in_scope_score: float | None  # the classifier's out-of-scope score
    gold_response: str | None
    response: str | None
    gold_entities: list[tuple[str, int, int]]
    entities: list[tuple[str, int, int]]


def fallback_threshold(config_path: Path) -> float:
    import yaml

    config = yaml.safe_load(config_path.read_text("utf-8"))
    for component in config.get("pipeline") or []:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", DEFAULT_THRESHOLD))
    return DEFAULT_THRESHOLD


def train_model(config: Path, train_data: Any, workdir: Path) -> str:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter

    from nlu.training import train_nlu_model

    data_file = workdir / "train.yml"
    RasaYAMLWriter().dump(data_file, train_data)
    return train_nlu_model(config, data_file, workdir / "models")


async def predict(agent: Any, messages: list[Any]) -> list[Prediction]:
    out: list[Prediction] = []
    for message in messages:
        parsed = await agent.parse_message(message.get("text"))
        ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != FALLBACK_INTENT]
        best: dict[str, Any] = ranking[0] if ranking else {"name": FALLBACK_INTENT, "confidence": 0.0}
        selector = parsed.get("response_selector") or {}
        base = message.get("intent")
        response = selector.get(base, {}).get("response", {}).get("intent_response_key")
        out.append(
            Prediction(
                gold_intent=base,
                intent=parsed["intent"]["name"],
                classifier_intent=best["name"],
                confidence=float(best["confidence"]),
                in_scope_score=parsed.get("in_scope_score"),
                gold_response=message.get("intent_response_key"),
                response=response,
                gold_entities=_spans(message.get("entities") or []),
                entities=_spans(parsed.get("entities") or []),
            )
        )
    return out


def _spans(entities: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    return sorted({(e["entity"], int(e["start"]), int(e["end"])) for e in entities})


def score(predictions: list[Prediction], threshold: float) -> dict[str, Any]:
    from sklearn.metrics import f1_score

    gold = [p["gold_intent"] for p in predictions]
    # A fallback on an out_of_scope message is the right outcome.
    final = [
        OUT_OF_SCOPE if p["intent"] == FALLBACK_INTENT and p["gold_intent"] == OUT_OF_SCOPE else p["intent"]
        for p in predictions
    ]
    classifier = [p["classifier_intent"] for p in predictions]
    confusions = Counter((g, c) for g, c in zip(gold, classifier) if g != c)
    retrieval = [p for p in predictions if p["gold_response"]]
    oos = [p for p in predictions if p["gold_intent"] == OUT_OF_SCOPE]
    # What the dialogue sees: an out_of_scope message answered as an in-scope intent.
    accepted = [p for p in oos if p["intent"] not in (OUT_OF_SCOPE, FALLBACK_INTENT)]
    in_scope = [(g, f) for g, f in zip(gold, final) if g != OUT_OF_SCOPE]
    return {
        "messages": len(predictions),
        "intent_accuracy": _mean(g == f for g, f in zip(gold, final)),
        "in_scope_accuracy": _mean(g == f for g, f in in_scope),
        "in_scope_messages": len(in_scope),
        "classifier_accuracy": _mean(g == c for g, c in zip(gold, classifier)),
        "intent_macro_f1": float(f1_score(gold, classifier, average="macro")) if gold else 0.0,
        "fallback_rate": _mean(p["intent"] == FALLBACK_INTENT for p in predictions),
        "response_accuracy": _mean(p["gold_response"] == p["response"] for p in retrieval),
        "response_messages": len(retrieval),
        "entities": entity_scores(predictions),
        "top_confusions": [{"gold": g, "predicted": c, "count": n} for (g, c), n in confusions.most_common(10)],
        "out_of_scope_messages": len(oos),
        "out_of_scope_false_acceptance": len(accepted) / len(oos) if oos else None,
        "fallback_threshold": threshold,
        "rejection_sweep": rejection_sweep(predictions),
        "predictions": [
            {k: p[k] for k in ("gold_intent", "intent", "classifier_intent", "confidence", "in_scope_score")}
            for p in predictions
        ],
    }


def rejection_sweep(predictions: list[Prediction]) -> list[dict[str, float | None]]:
    """What a rejection threshold on in_scope_score would do, alone (choosing it); None where no
    message of that kind was scored."""
    scored = [(p["in_scope_score"], p) for p in predictions if p["in_scope_score"] is not None]
    oos = [s for s, p in scored if p["gold_intent"] == OUT_OF_SCOPE]
    ins = [(s, p) for s, p in scored if p["gold_intent"] != OUT_OF_SCOPE]
    sweep: list[dict[str, float | None]] = []
    for threshold in (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8):
        sweep.append(
            {
                "threshold": threshold,
                "out_of_scope_accepted": _mean(s >= threshold for s in oos),
                "in_scope_rejected": _mean(s < threshold for s, _ in ins),
                "correct_in_scope_rejected": _mean(
                    s < threshold and p["classifier_intent"] == p["gold_intent"] for s, p in ins
                ),
            }
        )
    return sweep


def entity_scores(predictions: list[Prediction]) -> dict[str, dict[str, float]]:
    counts: dict[str, Counter[str]] = {}
    for p in predictions:
        gold, found = set(p["gold_entities"]), set(p["entities"])
        for kind, spans in (("tp", gold & found), ("fn", gold - found), ("fp", found - gold)):
            for entity, _, _ in spans:
                counts.setdefault(entity, Counter())[kind] += 1
    total: Counter[str] = sum(counts.values(), Counter())
    result = {name: _prf(c) for name, c in sorted(counts.items())}
    result["micro"] = _prf(total)
    return result


def _prf(c: Counter[str]) -> dict[str, float]:
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": c["tp"] + c["fn"]}


def _mean(values: Any) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def print_report(title: str, result: dict[str, Any]) -> None:
    print(f"== {title}: {result['messages']} messages")
    print(f"intent accuracy (after fallback)  {_fmt(result['intent_accuracy'])}")
    print(
        f"in-scope accuracy (after fallback) {_fmt(result['in_scope_accuracy'])} ({result['in_scope_messages']} messages)"
    )
    print(f"classifier accuracy / macro-F1    {_fmt(result['classifier_accuracy'])} / {result['intent_macro_f1']:.4f}")
    print(f"fallback rate                     {_fmt(result['fallback_rate'])}")
    print(
        f"faq response accuracy             {_fmt(result['response_accuracy'])} ({result['response_messages']} messages)"
    )
    print(
        f"out-of-scope false acceptance     {_fmt(result['out_of_scope_false_acceptance'])} "
        f"({result['out_of_scope_messages']} messages; fallback threshold {result['fallback_threshold']})"
    )
    if result["rejection_sweep"] and result["rejection_sweep"][0]["in_scope_rejected"] is not None:
        print("in_scope_score threshold alone: OOS accepted / in-scope rejected / correct in-scope rejected")
        for row in result["rejection_sweep"]:
            print(
                f"  {row['threshold']:.2f}: {_fmt(row['out_of_scope_accepted'])} / "
                f"{_fmt(row['in_scope_rejected'])} / {_fmt(row['correct_in_scope_rejected'])}"
            )
    print("entity F1:")
    for name, s in result["entities"].items():
        print(f"  {name:12s} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  (n={s['support']})")
    print("top confusions (gold -> predicted):")
    for c in result["top_confusions"]:
        print(f"  {c['gold']} -> {c['predicted']}: {c['count']}")


def split_per_language(data_dir: Path, train_fraction: float, seed: int) -> tuple[Any, Any]:
    """The stratified split, drawn for each language on its own data: English (the files
    directly in data_dir) and each of data_dir/de, fr, es. English's held-out messages then
    stay the same whatever the other languages add, so its figures compare across rounds."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    parts = [
        TrainingData().merge(*(load_data(str(f)) for f in sorted(data_dir.glob("*.yml")))),
        *(load_data(str(data_dir / code)) for code in OTHER_LANGUAGES if (data_dir / code).is_dir()),
    ]
    splits = [part.train_test_split(train_frac=train_fraction, random_seed=seed) for part in parts]
    train = TrainingData().merge(*(t for t, _ in splits))
    held_out = TrainingData().merge(*(h for _, h in splits))
    return merged_lookups(train), held_out


def merged_lookups(data: Any) -> Any:
    """One lookup table per name: the foreign-business lexicon comes in one file per language, and the
    YAML the model is trained from (train_model) keeps only the last table of a name."""
    tables: dict[str, list[str]] = {}
    for table in data.lookup_tables:
        tables.setdefault(table["name"], []).extend(table["elements"])
    data.lookup_tables = [{"name": name, "elements": elements} for name, elements in tables.items()]
    return data


def split_by_language(messages: list[Any], data_dir: Path) -> dict[str, list[int]]:
    """Indices of the held-out messages per language: those whose text is in nlu/data/<code>/
    are German, French or Spanish, the rest English."""
    from rasa.shared.nlu.training_data.loading import load_data

    texts = {
        code: {m.get("text") for m in load_data(str(data_dir / code)).intent_examples}
        for code in OTHER_LANGUAGES
        if (data_dir / code).is_dir()
    }
    groups: dict[str, list[int]] = {"en": [], **{code: [] for code in texts}}
    for index, message in enumerate(messages):
        code = next((c for c, known in texts.items() if message.get("text") in known), "en")
        groups[code].append(index)
    return groups


def language_table(
    held_out: list[Prediction], groups: dict[str, list[int]], written: dict[str, list[Prediction]], threshold: float
) -> dict[str, dict[str, Any]]:
    """Intent accuracy and out-of-scope false acceptance per language, on the validation
    share and on the separately written sets."""
    table: dict[str, dict[str, Any]] = {}
    for code, indices in groups.items():
        validation = score([held_out[i] for i in indices], threshold)
        row: dict[str, Any] = {
            "validation_messages": validation["messages"],
            "validation_accuracy": validation["intent_accuracy"],
            "validation_oos_false_acceptance": validation["out_of_scope_false_acceptance"],
            "validation_oos_messages": validation["out_of_scope_messages"],
        }
        predictions = [p for stem in LANGUAGE_SETS.get(code, ()) for p in written.get(stem, [])]
        if predictions:
            test = score(predictions, threshold)
            row.update(
                {
                    "test_sets": [s for s in LANGUAGE_SETS[code] if s in written],
                    "test_messages": test["messages"],
                    "test_accuracy": test["intent_accuracy"],
                    "test_oos_false_acceptance": test["out_of_scope_false_acceptance"],
                    "test_oos_messages": test["out_of_scope_messages"],
                }
            )
        table[code] = row
    return table


def print_language_table(table: dict[str, dict[str, Any]]) -> None:
    print("== per language: intent accuracy / out-of-scope false acceptance")
    print("lang  validation (n)                      separately written sets (n)")
    for code, row in table.items():
        validation = (
            f"{_fmt(row['validation_accuracy'])} / {_fmt(row['validation_oos_false_acceptance'])} "
            f"({row['validation_messages']}, OOS {row['validation_oos_messages']})"
        )
        test = (
            f"{_fmt(row['test_accuracy'])} / {_fmt(row['test_oos_false_acceptance'])} "
            f"({row['test_messages']}, OOS {row['test_oos_messages']}; {'+'.join(row['test_sets'])})"
            if "test_accuracy" in row
            else "n/a"
        )
        print(f"{code:4s}  {validation:34s}  {test}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crmbot eval", description="Held-out NLU evaluation.")
    parser.add_argument("--data", type=Path, default=ROOT / "nlu" / "data")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument(
        "--unseen",
        type=Path,
        action="append",
        help="a separately written set to score too (repeatable; default: "
        + ", ".join(str(p.relative_to(ROOT)) for p in DEFAULT_SETS)
        + ")",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "nlu_eval.json")
    parser.add_argument("--train-fraction", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    from rasa.utils.log_utils import configure_structlog

    # Training logs bury the report; Rasa's structlog is at debug level unless configured.
    logging.basicConfig(level=logging.WARNING)
    configure_structlog(logging.WARNING)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    train, held_out = split_per_language(args.data, args.train_fraction, args.seed)
    threshold = fallback_threshold(args.config)
    report: dict[str, Any] = {
        "data": str(args.data),
        "config": str(args.config),
        "seed": args.seed,
        "train_fraction": args.train_fraction,
        "train_messages": len(train.intent_examples),
    }
    with tempfile.TemporaryDirectory(prefix="crmbot-eval-") as tmp:
        started = time.perf_counter()
        model = train_model(args.config, train, Path(tmp))
        report["train_seconds"] = round(time.perf_counter() - started, 1)
        agent = Agent.load(model)
        held_out_predictions = asyncio.run(predict(agent, held_out.intent_examples))
        report["held_out"] = score(held_out_predictions, threshold)
        print_report(f"held-out {1 - args.train_fraction:.0%} of {args.data}", report["held_out"])
        written: dict[str, list[Prediction]] = {}
        for path in args.unseen or DEFAULT_SETS:
            if path.is_file():
                examples = load_data(str(path)).intent_examples
                written[path.stem] = asyncio.run(predict(agent, examples))
                report[path.stem] = score(written[path.stem], threshold)
                print_report(f"separately written set {path}", report[path.stem])
        groups = split_by_language(held_out.intent_examples, args.data)
        report["languages"] = language_table(held_out_predictions, groups, written, threshold)
        print_language_table(report["languages"])
    print(f"training took {report['train_seconds']} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), "utf-8")
    print(f"report written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
