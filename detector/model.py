"""The trained model: load (checksum-verified), vectorise, predict, apply priors, rank evidence.

A model file is an .npz of plain arrays (detector/inference.py computes with them; no pickle, so
loading a file cannot run code, and no scikit-learn import at scoring time). The bundled model's
sha256 is stored in its card (model.json) and checked before loading, and the card's feature list
must equal the code's FEATURE_NAMES.
"""
from __future__ import annotations

import hashlib
import json
import math
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Sequence

import numpy as np

from detector import lexicon
from detector.features import FEATURE_NAMES, Finding
from detector.inference import (Forest, Isotonic, LinearOvR, forest_from_arrays,
                                linear_from_arrays)
from detector.verdict import LABELS

DEFAULT_MODEL = "model.npz"
# A feature moves the verdict if hiding it lowers the winning label's log-odds by this much
# (0.1 = odds x 1.1). Log-odds, not probability: once a verdict is certain (p = 0.999) hiding one
# of several artefacts barely moves the probability, but still moves the odds.
MIN_PUSH = 0.1
# Spans shown per feature, and evidence items per verdict: enough to explain, few enough to read.
MAX_SPANS_PER_FEATURE = 3
MAX_EVIDENCE = 12


class ModelError(RuntimeError):
    """The model file is missing, altered, or does not match the code."""


@dataclass(frozen=True)
class Prior:
    feature: str
    label: str
    log_odds: float
    why: str


@lru_cache(maxsize=1)
def priors() -> tuple[Prior, ...]:
    out = []
    for feature, label, log_odds, why in lexicon.rows("priors.tsv"):
        if feature not in FEATURE_NAMES or label not in LABELS:
            raise ModelError(f"priors.tsv names unknown feature or label: {feature} {label}")
        out.append(Prior(feature, label, float(log_odds), why))
    return tuple(out)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def card_path_for(model_path: Path) -> Path:
    """model.npz -> model.json: the card sits beside the model with the same stem."""
    return model_path.with_suffix(".json")


def default_model_path() -> Path:
    return Path(str(resources.files("detector").joinpath("models").joinpath(DEFAULT_MODEL)))


class Model:
    """A fitted classifier over FEATURE_NAMES (and, optionally, the learned n-gram stage), with
    its card."""

    def __init__(self, forest: Forest, isotonic: Isotonic, classes: Sequence[str], labels: Sequence[str],
                 baseline: np.ndarray, card: dict, ngram_model: LinearOvR | None = None,
                 ngram_classes: Sequence[str] = ()):
        self.forest, self.isotonic = forest, isotonic
        self.labels = tuple(labels)
        self.baseline = baseline  # per-feature value that means "nothing seen" (training median)
        self.card = card
        # Column of each label in the forest's and the n-gram model's outputs.
        self._columns = [list(classes).index(label) for label in self.labels]
        self.ngram_model = ngram_model  # learned shape n-grams (detector.learned), or None
        self._ngram_columns = [list(ngram_classes).index(label) for label in self.labels] if ngram_model else []

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Model":
        model_path = Path(path) if path else default_model_path()
        card_path = card_path_for(model_path)
        if not model_path.is_file():
            raise ModelError(f"model file not found: {model_path}")
        if not card_path.is_file():
            raise ModelError(f"model card not found: {card_path} (every model needs its card)")
        card = json.loads(card_path.read_text(encoding="utf-8"))
        actual = sha256_of(model_path)
        if card.get("sha256") != actual:
            raise ModelError(f"checksum mismatch for {model_path}: the card says "
                             f"{card.get('sha256')}, the file is {actual}; refusing to load it")
        if tuple(card.get("features", ())) != FEATURE_NAMES:
            missing = set(FEATURE_NAMES) ^ set(card.get("features", ()))
            raise ModelError(f"{card_path} lists other features than this code computes "
                             f"(differences: {sorted(missing) or 'order'}); retrain the model")
        try:
            with np.load(model_path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise ModelError(f"{model_path} is not a model file of this version "
                             f"(an .npz written by training/train.py): {exc}") from None
        if tuple(str(f) for f in arrays.get("features", ())) != FEATURE_NAMES:
            raise ModelError(f"{model_path} was trained on other features; retrain the model")
        labels = [str(label) for label in arrays["labels"]]
        forest, isotonic = forest_from_arrays(arrays, classes=len(arrays["forest.classes"]))
        return cls(forest, isotonic, [str(c) for c in arrays["forest.classes"]], labels,
                   np.asarray(arrays["baseline"], dtype=np.float64), card,
                   linear_from_arrays(arrays), [str(c) for c in arrays.get("ngram.classes", ())])

    # --- prediction ---------------------------------------------------------------------------
    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, columns in LABELS order, before priors."""
        return self._calibrated(self.forest.decision(matrix))

    def _calibrated(self, decision: np.ndarray) -> np.ndarray:
        return self.isotonic.probabilities(decision)[:, self._columns]

    def ngram_probabilities(self, grams) -> np.ndarray:
        """The n-gram stage's probabilities (LABELS order) of a sparse matrix of hashed rows."""
        return self.ngram_model.predict_proba(grams)[:, self._ngram_columns]

    def matrix(self, findings: Sequence[Sequence[Finding]], docs: Sequence | None = None) -> np.ndarray:
        """The model's input: hand-built features, then the n-gram model's probabilities."""
        hand = vectorise(findings)
        if self.ngram_model is None:
            return hand
        from detector import learned

        rows = [learned.hashed_row(doc) for doc in docs]
        return np.hstack([hand, self.ngram_model.predict_rows(rows)[:, self._ngram_columns]])

    def predict(self, findings: Sequence[Sequence[Finding]], docs: Sequence | None = None):
        """For each document's findings: (probabilities after priors, ranked pushes).

        A push is (feature index, toward label, weight). Weights come from occlusion: how much
        a label's log-odds drop when the feature is set to its baseline (see _strongest_push).
        Pushes toward the winning label come first.
        """
        if not findings:
            return []
        matrix = self.matrix(findings, docs)
        leaves = self.forest.leaves(matrix)
        base = self._calibrated(self.forest.scores(leaves))
        fired = _fired_priors(findings)
        final = np.vstack([apply_priors(base[i], fired[i]) for i in range(len(findings))])
        winners = final.argmax(axis=1)
        owners = self._occluded_cells(findings, matrix)
        occluded = self._occluded_probabilities(matrix, leaves, owners)

        results = []
        pushes: list[list[tuple[int, str, float]]] = [[] for _ in findings]
        for (d, f), probs in zip(owners, occluded):
            push = _strongest_push(final[d], apply_priors(probs, fired[d]), winners[d])
            if push:
                pushes[d].append((f, *push))
        for d in range(len(findings)):
            for prior in fired[d]:
                without = apply_priors(base[d], [p for p in fired[d] if p is not prior])
                push = _strongest_push(final[d], without, winners[d])
                if push:
                    pushes[d].append((FEATURE_NAMES.index(prior.feature), *push))
            merged: dict[int, tuple[int, str, float]] = {}
            for f, toward, weight in pushes[d]:
                if f not in merged or merged[f][2] < weight:
                    merged[f] = (f, toward, weight)
            winner = LABELS[winners[d]]
            # Evidence for the winning label first, strongest first; then what pointed elsewhere.
            ranked = sorted(merged.values(), key=lambda p: (p[1] != winner, -p[2]))
            results.append((final[d], ranked))
        return results

    def _occluded_cells(self, findings: Sequence[Sequence[Finding]], matrix: np.ndarray) -> list[tuple[int, int]]:
        """(document, feature) of every evidence-bearing feature whose value is not its baseline
        (_same), document by document, features in column order: the cells occlusion hides."""
        width = len(findings[0])
        has_spans = np.array([[bool(f.spans) for f in doc_findings] for doc_findings in findings])
        same = _same(matrix[:, :width], self.baseline[:width])
        return list(zip(*(axis.tolist() for axis in np.nonzero(has_spans & ~same))))

    def _occluded_probabilities(self, matrix: np.ndarray, leaves: np.ndarray,
                                owners: list[tuple[int, int]]) -> np.ndarray:
        """Probabilities of each document's row with one feature set to its baseline.

        Only the trees that split on that feature can reach another leaf (Forest.trees_testing),
        so the others keep the leaves of the document's own row, already computed; the scores
        are then summed from the leaves exactly as for any row. Artefact features, the ones with
        spans, are split on by few trees: this walks a fraction of the forest.
        """
        if not owners:
            return np.empty((0, len(LABELS)))
        docs, columns = (np.array(axis, dtype=np.int64) for axis in zip(*owners))
        rows = matrix[docs]
        rows[np.arange(len(rows)), columns] = self.baseline[columns]
        occluded_leaves = leaves[docs]
        for column in np.unique(columns).tolist():
            trees = self.forest.trees_testing(column)
            if len(trees):
                picked = np.flatnonzero(columns == column)
                occluded_leaves[np.ix_(picked, trees)] = self.forest.leaves(rows[picked], trees)
        return self._calibrated(self.forest.scores(occluded_leaves))


def _strongest_push(with_feature: np.ndarray, without: np.ndarray, winner: int) -> tuple[str, float] | None:
    """(label, log-odds gain) the feature pushed toward: the winning label when the feature
    raised it by MIN_PUSH or more, otherwise the label it raised most, if by MIN_PUSH or more.

    Stock filler in a generated text raises both LLM labels against `original`; when it raises
    `paraphrased` more than the winning `ai_generated`, the evidence says so rather than
    pretending it argued for the winner.
    """
    gains = [log_odds(a) - log_odds(b) for a, b in zip(with_feature, without)]
    if gains[winner] >= MIN_PUSH:
        return LABELS[winner], float(gains[winner])
    best = int(np.argmax(gains))
    if gains[best] >= MIN_PUSH:
        return LABELS[best], float(gains[best])
    return None


def log_odds(p: float) -> float:
    p = min(max(float(p), 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _same(values: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Element by element: both NaN, or neither NaN and within 1e-9 of each other."""
    either_nan = np.isnan(values) | np.isnan(baseline)
    return np.where(either_nan, np.isnan(values) & np.isnan(baseline), np.abs(values - baseline) < 1e-9)


def vectorise(findings: Sequence[Sequence[Finding]]) -> np.ndarray:
    """Feature matrix in FEATURE_NAMES order (NaN = not measurable)."""
    return np.array([[f.value for f in doc_findings] for doc_findings in findings], dtype=np.float64)


def _fired_priors(findings: Sequence[Sequence[Finding]]) -> list[list[Prior]]:
    index = {name: i for i, name in enumerate(FEATURE_NAMES)}
    out = []
    for doc_findings in findings:
        out.append([p for p in priors() if doc_findings[index[p.feature]].value > 0])
    return out


def apply_priors(probabilities: np.ndarray, fired: Sequence[Prior]) -> np.ndarray:
    """Add each fired prior's log-odds to its label, renormalise. No priors: unchanged."""
    if not fired:
        return probabilities
    logits = np.log(np.clip(probabilities, 1e-9, 1.0))
    for prior in fired:
        logits[LABELS.index(prior.label)] += prior.log_odds
    exp = np.exp(logits - logits.max())
    return exp / exp.sum()
