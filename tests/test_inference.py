"""detector/inference.py computes what the scikit-learn estimators it was exported from compute.

The model file holds arrays (training/export.py), and scoring never imports scikit-learn; these
tests fit real estimators and compare, so a scikit-learn change in tree or calibration layout
fails here rather than silently changing verdicts.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from detector.document import Document
from detector.inference import forest_from_arrays, linear_from_arrays
from detector.learned import HASH_FEATURES, hashed_row, row_of_tokens
from detector.verdict import LABELS
from training import export


def _rows_with_gaps(hand: np.ndarray, seed: int = 3) -> np.ndarray:
    """The tiny model's rows, jittered, with NaN ("not measurable") sprinkled in: both branches
    of every missing-value rule get exercised."""
    rng = np.random.default_rng(seed)
    rows = np.vstack([hand, hand * rng.uniform(0.5, 1.5, hand.shape)])
    rows[rng.random(rows.shape) < 0.1] = np.nan
    return rows


def test_forest_and_calibration_match_scikit_learn(tiny_model):
    _, pipeline, _, hand = tiny_model
    forest, isotonic, classes = export.calibrated_of(pipeline.estimator)
    assert classes == [str(c) for c in pipeline.estimator.classes_]
    rows = np.hstack([_rows_with_gaps(hand), np.random.default_rng(4).dirichlet(np.ones(4), 2 * len(hand))])
    inner = pipeline.estimator.calibrated_classifiers_[0].estimator
    np.testing.assert_allclose(forest.decision(rows), inner.decision_function(rows), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(isotonic.probabilities(forest.decision(rows)),
                               pipeline.estimator.predict_proba(rows), rtol=1e-12, atol=1e-12)


def test_linear_stage_matches_scikit_learn(tiny_model):
    _, pipeline, records, _ = tiny_model
    linear, classes = export.linear_of(pipeline.ngram_model)
    from detector.learned import ngram_matrix

    rows = [hashed_row(Document.from_text(r.text)) for r in records[:40]]
    grams = ngram_matrix(rows)
    expected = pipeline.ngram_model.predict_proba(grams)
    np.testing.assert_allclose(linear.predict_proba(grams), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(linear.predict_rows(rows), expected, rtol=1e-12, atol=1e-12)


def test_model_file_round_trips_through_save_and_load(tiny_model, tmp_path):
    _, pipeline, _, hand = tiny_model
    arrays = pipeline.arrays(np.zeros(hand.shape[1]))
    path = tmp_path / "m.npz"
    export.save(arrays, path)
    first = path.read_bytes()
    export.save(arrays, path)
    assert path.read_bytes() == first  # fixed member times: a rerun writes the same bytes
    with np.load(path, allow_pickle=False) as npz:
        loaded = {name: npz[name] for name in npz.files}
    assert set(loaded) == set(arrays)
    forest, isotonic = forest_from_arrays(loaded, classes=len(LABELS))
    rows = _rows_with_gaps(np.hstack([hand, np.full((len(hand), 4), 0.25)]))
    np.testing.assert_allclose(isotonic.probabilities(forest.decision(rows)),
                               pipeline.estimator.predict_proba(rows), rtol=1e-12, atol=1e-12)
    assert linear_from_arrays(loaded).coef.shape == (len(LABELS), HASH_FEATURES)


def test_scoring_does_not_import_scikit_learn():
    code = ("import sys, detector; d = detector.Detector.load(); d.score('The minister said on Monday "
            "that the talks would resume in Geneva next week, officials confirmed.');"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy', 'joblib')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- hashed shape n-grams ------------------------------------------------------------------------
def test_hashed_row_is_l2_normalised_sorted_and_in_range():
    columns, values = hashed_row(Document.from_text("The court said on Monday that the ruling stands."))
    assert len(columns) > 10
    assert np.all(np.diff(columns) > 0) and columns.min() >= 0 and columns.max() < HASH_FEATURES
    assert np.sum(values ** 2) == pytest.approx(1.0)


def test_hashed_row_counts_orders_one_to_three():
    # 3 tokens: 3 unigrams + 2 bigrams + 1 trigram = 6 distinct n-grams (no collisions expected).
    columns, values = row_of_tokens(["the", "<w4>", "said"])
    assert len(columns) == 6
    np.testing.assert_allclose(values, 1 / np.sqrt(6))
    # A repeated token: "a a" has unigram "a" twice and one bigram.
    columns, values = row_of_tokens(["a", "a"])
    assert sorted(np.round(values * np.sqrt(5), 6)) == [1.0, 2.0]


def test_word_order_changes_the_row():
    a, _ = row_of_tokens(["the", "<w4>", "said"])
    b, _ = row_of_tokens(["said", "<w4>", "the"])
    assert set(a) != set(b) and len(set(a) & set(b)) == 3  # same unigrams, other bigrams/trigram


def test_hashing_is_stable_across_processes():
    code = ("from detector.learned import row_of_tokens;"
            "print(row_of_tokens(['the', '<Cap>', ',', 'said'])[0].tolist())")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout
            for seed in ("1", "2")}
    assert len(runs) == 1


def test_empty_text_gives_an_empty_row():
    columns, values = row_of_tokens([])
    assert len(columns) == 0 and len(values) == 0
