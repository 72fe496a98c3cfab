"""The numbers of the evaluation report: pure functions of labels, predictions and probabilities.

Kept apart from evaluate.py so each can be tested on a handful of hand-made rows.
"""
from __future__ import annotations

import numpy as np

from detector.verdict import LABELS

# Reliability-diagram bins over the winning label's probability. Ten equal-width bins is the
# usual choice for expected calibration error; the winning probability of four labels is never
# below 0.25, so the lowest bins stay empty.
CALIBRATION_BINS = 10


def present_label_f1(y_true, y_pred) -> tuple[list[str], np.ndarray]:
    """(labels present in y_true, their F1): F1 over those labels only, a prediction of an
    absent label counting as a miss for the true one (present_label_scores)."""
    from sklearn.metrics import f1_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    present = [label for label in LABELS if (y_true == label).any()]
    f1 = f1_score(y_true, y_pred, labels=present, average=None, zero_division=0) if present else np.array([])
    return present, f1


def present_label_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Accuracy, macro-F1 over the labels present in y_true, recall per present label, and
    where each present label's documents went (counts of predicted labels).

    For one source left out: a source with only two labels is judged on those two, and a
    prediction of an absent label counts as a miss for the true label (lower recall) without
    adding a zero-F1 row for the absent label.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    present, f1 = present_label_f1(y_true, y_pred)
    recall, predicted_as = {}, {}
    for label in present:
        mine = y_true == label
        recall[label] = round(float((y_pred[mine] == label).mean()), 4)
        predicted_as[label] = {other: int((y_pred[mine] == other).sum()) for other in LABELS}
    return {
        "documents": int(len(y_true)),
        "labels": present,
        "accuracy": round(float((y_true == y_pred).mean()), 4) if len(y_true) else 0.0,
        "macro_f1": round(float(np.mean(f1)), 4) if present else 0.0,
        "f1": {label: round(float(v), 4) for label, v in zip(present, f1)},
        "recall": recall,
        "predicted_as": predicted_as,
    }


def called_shares(y_true, y_pred) -> dict:
    """Per true label: how many documents, and the share called each label (for the probe,
    whose documents may all have one label, where F1 says little)."""
    scores = present_label_scores([str(t) for t in y_true], [str(p) for p in y_pred])
    called = {truth: {label: round(n / sum(counts.values()), 4) for label, n in counts.items()}
              for truth, counts in scores["predicted_as"].items()}
    return {"documents": scores["documents"],
            "accuracy": scores["accuracy"] if scores["documents"] else None, "called": called}


def auroc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve of `scores` for telling `positive` rows from the rest;
    None when one side is empty (the figure does not exist)."""
    from sklearn.metrics import roc_auc_score

    positive = np.asarray(positive, dtype=bool)
    if positive.all() or not positive.any():
        return None
    return round(float(roc_auc_score(positive, scores)), 4)


def reliability(probabilities: np.ndarray, y_true: np.ndarray, bins: int = CALIBRATION_BINS) -> dict:
    """Reliability of the winning label's probability: per bin the mean confidence, the
    accuracy and the count, and the expected calibration error (count-weighted mean gap)."""
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(axis=1)
    correct = np.asarray(LABELS)[probabilities.argmax(axis=1)] == np.asarray(y_true)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bin b holds confidences in (edges[b], edges[b+1]]; a confidence of exactly 0 goes to bin 0.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        inside = which == b
        n = int(inside.sum())
        if n:
            conf, acc = float(confidence[inside].mean()), float(correct[inside].mean())
            ece += n / len(confidence) * abs(acc - conf)
        else:
            conf = acc = None
        rows.append({"low": round(float(edges[b]), 2), "high": round(float(edges[b + 1]), 2),
                     "documents": n,
                     "confidence": None if conf is None else round(conf, 4),
                     "accuracy": None if acc is None else round(acc, 4)})
    return {"ece": round(float(ece), 4), "bins": rows,
            "mean_confidence": round(float(confidence.mean()), 4) if len(confidence) else 0.0,
            "accuracy": round(float(correct.mean()), 4) if len(correct) else 0.0}


def by_group(groups: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, dict]:
    """present_label_scores for each group (e.g. source), groups in sorted order."""
    groups = np.asarray(groups)
    return {str(g): present_label_scores(np.asarray(y_true)[groups == g], np.asarray(y_pred)[groups == g])
            for g in sorted(set(groups.tolist()))}


def agreement(before: np.ndarray, after: np.ndarray) -> float:
    """Share of documents whose label is unchanged."""
    before, after = np.asarray(before), np.asarray(after)
    return round(float((before == after).mean()), 4) if len(before) else 1.0
