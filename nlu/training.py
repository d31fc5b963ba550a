"""Train the Rasa model only when its inputs changed.

The fingerprint is a sha256 over config, domain, training data and the custom
NLU component sources; the model file carries it in its name, so an unchanged
project finds its model and skips training entirely.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from pathlib import Path

from crm_store.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

MODEL_PREFIX = "crmbot-"


# Read at run time only and learning nothing, so a change needs no new model: the follow-up policy
# (its code is imported when the model loads, none of it is stored in the model).
RUN_TIME_ONLY = frozenset({"nlu/follow_ups.py", "nlu/components/follow_up_policy.py"})


def training_inputs(root: Path = PROJECT_ROOT) -> list[Path]:
    files = [root / "config.yml", root / "domain.yml"]
    files += sorted((root / "nlu").rglob("*.yml"))
    files += sorted((root / "nlu").rglob("*.py"))
    return [
        f
        for f in files
        if f.is_file() and "__pycache__" not in f.parts and f.relative_to(root).as_posix() not in RUN_TIME_ONLY
    ]


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_file(model_dir: Path, root: Path = PROJECT_ROOT) -> Path:
    return model_dir / f"{MODEL_PREFIX}{fingerprint(root)}.tar.gz"


def ensure_model(model_dir: Path, force: bool = False, root: Path = PROJECT_ROOT) -> tuple[Path, bool]:
    """Path of a model matching the current inputs, and whether it had to be trained."""
    target = model_file(model_dir, root)
    if target.exists() and not force:
        return target, False
    model_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--config",
        str(root / "config.yml"),
        "--domain",
        str(root / "domain.yml"),
        "--data",
        str(root / "nlu"),
        "--out",
        str(model_dir),
        "--fixed-model-name",
        target.name[: -len(".tar.gz")],
    ]
    log.info("training the model", extra={"model": target.name})
    subprocess.run(cmd, cwd=root, check=True)
    for old in model_dir.glob(f"{MODEL_PREFIX}*.tar.gz"):
        if old != target:
            old.unlink()
    return target, True


def train_nlu_model(config: Path, data: Path, out: Path, root: Path = PROJECT_ROOT) -> str:
    """Train an NLU-only model (evaluation, benchmarks); returns the model file's path.

    Rasa imports custom components (nlu.components.*) relative to the working directory,
    so training runs from the project root.
    """
    import os

    from rasa.model_training import train_nlu

    cwd = os.getcwd()
    os.chdir(root)
    try:
        model = train_nlu(str(config), str(data), str(out))
    finally:
        os.chdir(cwd)
    if model is None:
        raise RuntimeError(f"NLU training on {data.name} produced no model")
    return model
