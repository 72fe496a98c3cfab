"""The shipped model file measured on the corpus's test split, against the figures on its card.

Used by the evaluation report and by tests/test_card_metrics.py. This is the one place that
turns hand-feature rows into the bundled model's probabilities the way detector.api does
(model probabilities, then the documented priors of detector/lexicons/priors.tsv); if the
model's input changes (e.g. learned features that need the text), change it here.
"""
from __future__ import annotations

import numpy as np

from detector.features import FEATURE_NAMES
from detector.model import Model, apply_priors, priors
from detector.verdict import LABELS
from training import dataset, measures


def probabilities(model: Model, records: list[dataset.Record], hand: np.ndarray,
                  with_priors: bool = True, cache_name: str | None = "test-split") -> np.ndarray:
    """The bundled model's probabilities (LABELS order) for these records' feature rows.

    with_priors=False gives what the card's figures measure (the fitted pipeline alone);
    with_priors=True gives what `detector scan` reports.
    """
    base = model.probabilities(model_input(model, records, hand, cache_name))
    if not with_priors:
        return base
    # A prior fires when its feature's value is > 0, as in detector.model._fired_priors
    # (NaN, "not measurable", compares False).
    columns = [(prior, FEATURE_NAMES.index(prior.feature)) for prior in priors()]
    out = base.copy()
    for d in range(len(base)):
        fired = [prior for prior, c in columns if hand[d, c] > 0]
        if fired:
            out[d] = apply_priors(base[d], fired)
    return out


def model_input(model: Model, records: list[dataset.Record], hand: np.ndarray,
                cache_name: str | None = "test-split") -> np.ndarray:
    """Hand-feature rows plus, when the model has a learned stage, its n-gram probabilities:
    the same matrix detector.model.Model.matrix builds from documents."""
    if model.ngram_model is None:
        return hand
    grams = dataset.ngram_rows([r.text for r in records], cache_name=cache_name)
    return np.hstack([hand, model.ngram_probabilities(grams)])


def test_split_check(records: list[dataset.Record], hand: np.ndarray, model: Model | None = None) -> dict:
    """The card's test-split figures and the same figures recomputed from the model file, with
    and without priors. `records`/`hand` are the test-split documents and their feature rows."""
    from training.train import metrics

    model = model or Model.load()
    y = np.array([r.label for r in records])
    out = {"card": model.card.get("metrics", {}).get("test_split")}
    for name, with_priors in (("recomputed", False), ("with_priors", True)):
        probs = probabilities(model, records, hand, with_priors=with_priors)
        out[name] = metrics(y, np.asarray(LABELS)[probs.argmax(axis=1)])
    return out


def test_split_features(corpus=dataset.DEFAULT_CORPUS, jobs: int | None = None):
    """(records, hand rows) of the test split, features cached under training/cache/."""
    records = [r for r in dataset.read_corpus(corpus) if dataset.is_test_story(r.story)]
    hand = dataset.cached_features("test-split", [r.text for r in records], jobs=jobs)
    return records, hand


def probe_check(model: Model | None = None) -> dict:
    """The card's probe figures (metrics.probe) against the model file's own, recomputed on
    training/probe/ (a few hundred documents: computed in seconds, not cached)."""
    model = model or Model.load()
    records = dataset.read_probe()
    hand = dataset.feature_matrix([r.text for r in records], jobs=1)
    probs = probabilities(model, records, hand, with_priors=False, cache_name=None)
    return {"card": model.card.get("metrics", {}).get("probe"),
            "recomputed": measures.called_shares([r.label for r in records],
                                                 np.asarray(LABELS)[probs.argmax(axis=1)])}
