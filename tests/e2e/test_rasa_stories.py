"""`rasa data validate` and the test stories in tests/stories, as `make test` runs them.

`rasa test core` only predicts: custom actions never run, so the stories spell out
their slot events and no action server is needed. The stories use intents, not texts,
so they test the dialogue, not the NLU (tests/nlu covers that).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from crm_store.settings import PROJECT_ROOT, get_settings
from nlu.training import ensure_model

pytestmark = pytest.mark.e2e


def rasa(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rasa", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_training_data_and_domain_are_valid():
    result = rasa("data", "validate", "--domain", "domain.yml", "--data", "nlu", "--config", "config.yml")

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_every_test_story_is_predicted_exactly(tmp_path):
    model, _ = ensure_model(get_settings().model_path)

    result = rasa(
        "test",
        "core",
        "--model",
        str(model),
        "--stories",
        "tests/stories",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path / "results"),
    )

    failed = tmp_path / "results" / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, detail[-6000:] + result.stdout[-3000:] + result.stderr[-3000:]
