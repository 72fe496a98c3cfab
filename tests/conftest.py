"""Shared fixtures: paths, the bundled detector (loaded once per session), sample labels."""
from __future__ import annotations

import csv
import os
from pathlib import Path

# The tiny model's gradient boosting runs on ~200 rows: OpenMP threads only fight over the CPU
# (measured 12 s with one thread vs 90 s with the default on a shared two-core machine). Set
# before scikit-learn is imported; a value already in the environment wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CASES = Path(__file__).resolve().parent / "cases"


def sample_files() -> list[Path]:
    return sorted(SAMPLES.glob("*.txt"))


def sample_labels() -> list[dict[str, str]]:
    with open(SAMPLES / "labels.tsv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="session")
def bundled():
    """The bundled model, loaded once: loading costs seconds (checksum, unpickling)."""
    from detector.api import Detector

    return Detector.load()


TINY_ROUNDS = 30


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A model trained in the session on composed documents, saved with its card the way
    training/train.py main() writes them. Returns (model path, pipeline, records, feature rows)."""
    import json

    import numpy as np

    from detector.features import FAMILY_OF, FEATURE_NAMES
    from detector.model import card_path_for, sha256_of
    from detector.verdict import LABELS
    from training import dataset, export, train

    import synthetic

    records = synthetic.records()
    hand = dataset.feature_matrix([r.text for r in records], jobs=1)
    # train.make_estimator's 400 boosting rounds make 4,800 trees (4 labels x 3 calibration
    # folds): seconds to fit, load and save even on 200 rows. The tiny model keeps the same
    # estimator and calibration with TINY_ROUNDS rounds; fit_pipeline itself runs unchanged.
    real_make_estimator = train.make_estimator

    def tiny_estimator(*args, **kwargs):
        estimator = real_make_estimator(*args, **kwargs)
        estimator.estimator.set_params(max_iter=TINY_ROUNDS)
        return estimator

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train, "make_estimator", tiny_estimator)
        pipeline = train.fit_pipeline(records, hand)
    baseline = np.nanmedian(hand, axis=0)
    baseline = np.where(np.isnan(baseline), 0.0, baseline)
    path = tmp_path_factory.mktemp("model") / "tiny.npz"
    export.save(pipeline.arrays(baseline), path)
    card = {
        "model_file": path.name,
        "sha256": sha256_of(path),
        "seed": train.SEED,
        "labels": list(LABELS),
        "features": list(FEATURE_NAMES),
        "feature_families": {name: FAMILY_OF[name] for name in FEATURE_NAMES},
        "training_data": {"corpus": "tests/synthetic.py (composed)", "documents": {"train": len(records)}},
    }
    card_path_for(path).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return path, pipeline, records, hand


@pytest.fixture(scope="session")
def tiny_detector(tiny_model):
    """The tiny model loaded once, for tests that are not about loading."""
    from detector.api import Detector

    return Detector.load(tiny_model[0])
