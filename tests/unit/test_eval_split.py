"""`crmbot eval` trains on the same lexicons as `crmbot train`: the foreign-business lookup comes in one
file per language, and the model the evaluation trains is written to one YAML file first."""

from __future__ import annotations

from pathlib import Path

from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
from rasa.shared.nlu.training_data.loading import load_data

from nlu.evaluation import split_per_language

ROOT = Path(__file__).resolve().parents[2]


def test_the_training_split_keeps_every_languages_foreign_business_terms(tmp_path):
    train, _ = split_per_language(ROOT / "nlu" / "data", 0.8, 42)
    written = tmp_path / "train.yml"

    RasaYAMLWriter().dump(written, train)

    [terms] = [t["elements"] for t in load_data(str(written)).lookup_tables if t["name"] == "foreign_business"]
    assert {"tax refund", "Fluggesellschaft", "mutuelle", "biblioteca"} <= set(terms)
