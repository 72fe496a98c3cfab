"""Fitted scikit-learn estimators -> the model file's plain arrays (detector/inference.py).

The model file is an .npz: numbers only, loadable with allow_pickle=False, no scikit-learn at
scoring time. tests/test_inference.py checks the arrays reproduce the estimators' probabilities.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from detector.inference import (Forest, Isotonic, LinearOvR, forest_arrays, linear_arrays)


def forest_of(boosted) -> Forest:
    """A fitted HistGradientBoostingClassifier's trees as flat arrays."""
    trees, classes = [], []
    for iteration in boosted._predictors:
        for k, predictor in enumerate(iteration):
            trees.append(predictor)
            classes.append(k)
    sizes = [len(t.nodes) for t in trees]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    nodes = np.concatenate([t.nodes for t in trees])
    if nodes["is_categorical"].any():
        raise ValueError("categorical splits are not supported by detector.inference")
    owner_offset = np.repeat(offsets, sizes)
    own_index = np.arange(len(nodes), dtype=np.int64)
    leaf = nodes["is_leaf"].astype(bool)
    left = np.where(leaf, own_index, nodes["left"].astype(np.int64) + owner_offset)
    right = np.where(leaf, own_index, nodes["right"].astype(np.int64) + owner_offset)
    return Forest(
        feature=np.where(leaf, 0, nodes["feature_idx"]).astype(np.int64),
        threshold=np.where(leaf, np.inf, nodes["num_threshold"]).astype(np.float64),
        missing_left=nodes["missing_go_to_left"].astype(bool),
        left=left, right=right,
        value=np.where(leaf, nodes["value"], 0.0).astype(np.float64),
        roots=offsets, tree_class=np.asarray(classes, dtype=np.int64),
        baseline=np.asarray(boosted._baseline_prediction, dtype=np.float64).ravel(),
        depth=int(nodes["depth"][leaf].max()) if len(nodes) else 0)


def calibrated_of(calibrated) -> tuple[Forest, Isotonic, list[str]]:
    """A CalibratedClassifierCV(HistGradientBoostingClassifier, isotonic, ensemble=False)."""
    if calibrated.method != "isotonic" or len(calibrated.calibrated_classifiers_) != 1:
        raise ValueError("export needs one isotonic-calibrated estimator (ensemble=False)")
    inner = calibrated.calibrated_classifiers_[0]
    for calibrator in inner.calibrators:
        if calibrator.out_of_bounds != "clip":
            raise ValueError("export needs isotonic calibrators that clip out of bounds")
    isotonic = Isotonic(x=tuple(np.asarray(c.X_thresholds_, dtype=np.float64) for c in inner.calibrators),
                        y=tuple(np.asarray(c.y_thresholds_, dtype=np.float64) for c in inner.calibrators))
    return forest_of(inner.estimator), isotonic, [str(c) for c in inner.estimator.classes_]


def linear_of(model) -> tuple[LinearOvR, list[str]]:
    """A fitted SGDClassifier(loss="log_loss") with more than two classes."""
    return (LinearOvR(coef=np.asarray(model.coef_, dtype=np.float64),
                      intercept=np.asarray(model.intercept_, dtype=np.float64)),
            [str(c) for c in model.classes_])


def arrays_of(estimator, ngram_model, features, labels, baseline) -> dict[str, np.ndarray]:
    """Everything the model file holds, by name (detector.model.Model.load reads them)."""
    forest, isotonic, classes = calibrated_of(estimator)
    arrays = {**forest_arrays(forest, isotonic), "forest.classes": np.asarray(classes),
              "features": np.asarray(list(features)), "labels": np.asarray(list(labels)),
              "baseline": np.asarray(baseline, dtype=np.float64)}
    if ngram_model is not None:
        linear, ngram_classes = linear_of(ngram_model)
        arrays.update(linear_arrays(linear))
        arrays["ngram.classes"] = np.asarray(ngram_classes)
    return arrays


# np.savez stamps each member with the current time, so two identical models would differ in
# bytes (and sha256). Members here get a fixed time and a fixed order: a rerun of training
# writes a byte-identical file.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def save(arrays: dict[str, np.ndarray], path: Path) -> None:
    """Write the model file (.npz, readable by np.load) atomically: temp file, then rename."""
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(arrays[name]), allow_pickle=False)
    os.replace(tmp, path)
