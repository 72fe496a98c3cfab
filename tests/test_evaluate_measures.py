"""The evaluation's numbers and text changes, on hand-made inputs whose answers are known."""
from __future__ import annotations

import numpy as np
import pytest

from detector.document import Document
from training import measures, perturb
from training.evaluate import translation_check

O, P, M, A = "original", "paraphrased", "machine_translated", "ai_generated"


def test_present_label_scores_ignores_absent_labels_but_counts_their_predictions_as_misses():
    y_true = np.array([O, O, O, O, P, P, P, P])
    y_pred = np.array([O, O, O, M, P, P, P, P])  # one original called MT, a label the source lacks
    scores = measures.present_label_scores(y_true, y_pred)
    assert scores["labels"] == [O, P]
    assert scores["recall"] == {O: 0.75, P: 1.0}
    # F1 original = 2*1*0.75/1.75, F1 paraphrased = 1.0; no zero row for MT or AI.
    assert scores["macro_f1"] == pytest.approx(round((2 * 0.75 / 1.75 + 1.0) / 2, 4))
    assert scores["predicted_as"][O] == {O: 3, P: 0, M: 1, A: 0}
    assert scores["accuracy"] == 0.875


def test_reliability_of_a_calibrated_and_an_overconfident_model():
    # 10 documents at p=0.9 of which 9 right: calibrated, ECE 0.
    probs = np.tile([0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3], (10, 1))
    y = np.array([O] * 9 + [P])
    calibrated = measures.reliability(probs, y)
    assert calibrated["ece"] == pytest.approx(0.0, abs=1e-9)
    assert sum(b["documents"] for b in calibrated["bins"]) == 10
    filled = [b for b in calibrated["bins"] if b["documents"]]
    assert len(filled) == 1 and filled[0]["low"] == pytest.approx(0.8)
    # Same confidence, half right: the gap 0.9 - 0.5 is the ECE.
    y = np.array([O] * 5 + [P] * 5)
    assert measures.reliability(probs, y)["ece"] == pytest.approx(0.4)


def test_auroc_is_none_without_both_classes():
    assert measures.auroc(np.array([0.1, 0.9]), np.array([True, True])) is None
    assert measures.auroc(np.array([0.1, 0.9, 0.2]), np.array([False, True, False])) == 1.0


def test_translation_check_uses_only_stories_with_both_translations():
    kinds = np.array([M, "human_translated", M, M, "original"])
    stories = np.array(["s1", "s1", "s2", "s2", "s3"])
    sources = np.array(["wmt"] * 5)
    # P(MT) column is the third; s2's machine translations score low, but s2 has no human
    # translation, so they do not enter the same-story AUROC.
    probs = np.array([
        [0.1, 0.0, 0.9, 0.0],
        [0.8, 0.0, 0.2, 0.0],
        [0.9, 0.0, 0.1, 0.0],
        [0.9, 0.0, 0.1, 0.0],
        [0.65, 0.1, 0.15, 0.1],
    ])
    out = translation_check(kinds, stories, sources, probs)
    assert out["stories_with_both"] == 1
    assert out["mt_vs_ht_same_stories_auroc"] == 1.0
    assert out["human_translated_as"][O] == 1.0
    assert out["human_translated_as"][M] == 0.0
    # Over all MT vs original, s2's low scores count: 1 of 3 MT above the original (0.15).
    assert out["mt_vs_original_auroc"] == pytest.approx(round(1 / 3, 4))


TEXT = ("The minister arrived on Monday. He met the mayor. They spoke about the bridge. "
        "Work will start in May. Critics say the cost is too high. The council votes next week. "
        "Residents were not asked.")


def test_with_breaks_changes_only_the_whitespace_between_sentences():
    changed = perturb.with_breaks(TEXT)
    assert changed.count("\n\n") == 2  # after sentences 3 and 6 of 7
    assert changed.replace("\n\n", " ") == Document.from_text(TEXT).text
    before, after = Document.from_text(TEXT), Document.from_text(changed)
    assert after.words == before.words
    assert [after.sentence_text(s) for s in after.sentences] == [before.sentence_text(s) for s in before.sentences]


def test_with_breaks_one_sentence_a_line():
    changed = perturb.with_breaks(TEXT, every=1, separator="\n")
    assert changed.split("\n")[:2] == ["The minister arrived on Monday.", "He met the mayor."]
    assert changed.count("\n") == 6


def test_first_chars_cuts_back_to_a_whole_word():
    text = "alpha beta gamma delta"
    assert perturb.first_chars(text, limit=13) == "alpha beta"  # "gamma" would be cut to "ga"
    assert perturb.first_chars(text, limit=10) == "alpha beta"  # the cut falls on a space
    assert perturb.first_chars(text, limit=100) == text


def test_ablation_rows_remove_exactly_one_family_each():
    from detector.features import FAMILIES, FAMILY_OF, FEATURE_NAMES
    from training.evaluate import ablation_variants

    rows = {v.name: v for v in ablation_variants()}
    assert rows["model (fit_pipeline defaults)"].columns is None
    for family in FAMILIES:
        kept = {FEATURE_NAMES[i] for i in rows[f"without {family}"].columns}
        assert kept == {n for n in FEATURE_NAMES if FAMILY_OF[n] != family}


def test_fit_pipeline_accepts_a_column_subset():
    """The ablation slices the hand-feature matrix itself; fit_pipeline must take any width."""
    from training.dataset import Record
    from training.evaluate import Variant, fit, label_of, Data

    rng = np.random.default_rng(0)
    labels = [O, P, M, A] * 120  # enough rows for min_samples_leaf=40 in 3 calibration folds
    records = [Record(id=str(i), text="x", label=l, kind=l, source=f"s{i % 2}", generator="",
                      story=f"story{i}", domain="") for i, l in enumerate(labels)]
    hand = rng.normal(size=(len(records), 6))
    hand[:, 0] += np.array([[O, P, M, A].index(l) for l in labels]) * 3  # column 0 tells the label
    data = Data(records, hand, np.arange(len(records)), np.arange(len(records)))
    variant = Variant("two columns", columns=(0, 3))
    pipeline = fit(data, data.train, variant)
    probs = pipeline.predict_proba(records, variant.hand(hand))
    assert probs.shape == (len(records), 4)
    assert (label_of(probs) == np.array(labels)).mean() > 0.9


def test_linking_near_copy_classes_join_only_near_copy_links():
    """evaluate_linking's near-copy recall: documents joined by near_copy links (either way) are
    one text; a paraphrase link does not join its two ends."""
    from types import SimpleNamespace as NS

    from training.evaluate_linking import near_copy_classes

    def v(index=None, relation=None):
        return NS(derived_from=None if index is None else NS(index=index, relation=relation))

    # 0 cut original -> 1 whole copy (near_copy); 2 rewrite -> 1 (paraphrase); 3 -> 2 near copy.
    classes = near_copy_classes([v(1, "near_copy"), v(), v(1, "paraphrase"), v(2, "near_copy")])
    assert classes[0] == classes[1]
    assert classes[2] == classes[3] != classes[1]


def test_linking_ceiling_verifies_a_rewrite_and_not_an_independent_report():
    """evaluate_linking --ceiling pairs documents directly with the linker's own checks: sample
    001 (a rewrite of 002) passes them; 003 (another report of the same event) does not."""
    from pathlib import Path

    import numpy as np

    from detector.document import Document
    from detector.link.fingerprint import key_sequence
    from training.evaluate_linking import verifies

    samples = Path(__file__).resolve().parent.parent / "samples"
    texts = [Document.from_text(next(samples.glob(f"{p}_*.txt")).read_text(encoding="utf-8")).text
             for p in ("001", "002", "003")]
    keysets = [np.unique(key_sequence(t)) for t in texts]
    profiles: dict = {}
    assert verifies(texts, keysets, profiles, 0, 1)
    assert not verifies(texts, keysets, profiles, 2, 1)
    assert not verifies([None, texts[1]], keysets, {}, 0, 1)  # a document that was not scored
