"""The model file: a tiny model trained in the session round-trips through Detector.load;
altered files and mismatched cards are refused; documented priors move verdicts visibly."""
from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

from detector.api import Detector
from detector.document import Document
from detector.features import FAMILY_OF, FEATURE_NAMES, extract
from detector.inference import Forest, Isotonic
from detector.model import Model, ModelError, apply_priors, card_path_for, priors, sha256_of
from detector.verdict import LABELS

import synthetic
from training import export

BODY = ("The harbour will reopen on Monday, the port authority said. Ferries to the islands were "
        "cancelled for a second day after waves of up to six metres damaged the breakwater. "
        "\"We expect the first boats to leave at 7 a.m.,\" harbour master Elena Pappas said.")
# For every documented prior: the same article carrying the artefact its feature detects.
WITH_ARTEFACT = {
    "translation_plugin": BODY + " (Tagstotranslate) Greece Ports Weather",
    "automation_notice": BODY + " This article was generated from an automated news agency "
                                "without text modifications.",
    "ai_disclosure": "Harbour to Reopen After Storm\nBy AI\n" + BODY,
    "markdown_markup": "**Harbour to Reopen After Storm**\n" + BODY,
}


def _copy(model_path, folder):
    folder.mkdir()
    target = folder / model_path.name
    shutil.copy(model_path, target)
    shutil.copy(card_path_for(model_path), card_path_for(target))
    return target


# --- round trip ----------------------------------------------------------------------------------
def test_tiny_model_round_trips(tiny_model):
    path, _pipeline, records, _hand = tiny_model
    detector = Detector.load(path)
    assert detector.model.labels == LABELS
    assert detector.model.card["sha256"] == sha256_of(path)
    texts = [r.text for r in records[::25]] + [BODY]
    verdicts = detector.score_many(texts)
    assert len(verdicts) == len(texts)
    for verdict, text in zip(verdicts, texts):
        assert verdict.error is None
        assert list(verdict.scores) == list(LABELS)
        assert sum(verdict.scores.values()) == pytest.approx(1.0, abs=1e-9)
        assert verdict.label == max(verdict.scores, key=verdict.scores.get)
        for item in verdict.evidence:
            assert 0 <= item.start < item.end <= len(verdict.text)
            assert verdict.text[item.start:item.end].startswith(item.excerpt.rstrip("…"))
            assert item.toward in (*LABELS, None)


def test_library_scores_equal_the_training_pipeline(tiny_model, tiny_detector):
    """The detector vectorises text exactly as training did: same features, same order."""
    _path, pipeline, records, hand = tiny_model
    detector = tiny_detector
    fired = {p.feature for p in priors()}
    chosen = [i for i, row in enumerate(hand)
              if all(row[FEATURE_NAMES.index(f)] == 0 for f in fired)][::10]
    assert chosen, "some composed documents carry no prior's artefact"
    expected = pipeline.predict_proba([records[i] for i in chosen], hand[chosen])
    verdicts = detector.score_many([records[i].text for i in chosen])
    got = np.array([[v.scores[label] for label in LABELS] for v in verdicts])
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_tiny_model_learned_something(tiny_detector):
    """Trained on composed caricatures, it must tell fresh ones apart better than chance."""
    import random

    detector = tiny_detector
    rng = random.Random(12345)  # not the training seed: new documents
    labels = [label for label in LABELS for _ in range(5)]
    verdicts = detector.score_many([synthetic.document(label, rng) for label in labels])
    right = sum(v.label == label for v, label in zip(verdicts, labels))
    assert right / len(labels) > 0.5


# --- refusing altered or mismatched files --------------------------------------------------------
def test_changed_model_bytes_are_refused(tiny_model, tmp_path):
    path = _copy(tiny_model[0], tmp_path / "m")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum mismatch"):
        Detector.load(path)


@pytest.mark.parametrize("change", ["drop", "reorder", "add"])
def test_card_with_other_features_is_refused(tiny_model, tmp_path, change):
    path = _copy(tiny_model[0], tmp_path / "m")
    card_path = card_path_for(path)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    features = list(card["features"])
    if change == "drop":
        features.pop()
    elif change == "reorder":
        features[0], features[1] = features[1], features[0]
    else:
        features.append("imaginary_feature")
    card["features"] = features
    card_path.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="other features"):
        Detector.load(path)


def test_bundle_trained_on_other_features_is_refused(tiny_model, tmp_path):
    path = _copy(tiny_model[0], tmp_path / "m")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["features"] = arrays["features"][::-1]
    export.save(arrays, path)
    card_path = card_path_for(path)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["sha256"] = sha256_of(path)  # the card is honest about the bytes; the bundle is not
    card_path.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="trained on other features"):
        Detector.load(path)


def test_missing_card_is_refused(tiny_model, tmp_path):
    path = _copy(tiny_model[0], tmp_path / "m")
    card_path_for(path).unlink()
    with pytest.raises(ModelError, match="card not found"):
        Detector.load(path)


def test_missing_model_file_is_refused(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        Detector.load(tmp_path / "nothing.npz")


# --- documented priors ---------------------------------------------------------------------------
def _undecided_detector() -> Detector:
    """A model with no opinion: no trees, and every class calibrated to the same constant, so
    0.25 for every label. Priors alone decide."""
    empty = np.empty(0, dtype=np.int64)
    forest = Forest(feature=empty, threshold=np.empty(0), missing_left=np.empty(0, dtype=bool),
                    left=empty, right=empty, value=np.empty(0), roots=empty, tree_class=empty,
                    baseline=np.zeros(len(LABELS)), depth=0)
    flat = Isotonic(x=(np.array([-1.0, 1.0]),) * len(LABELS), y=(np.array([0.5, 0.5]),) * len(LABELS))
    model = Model(forest, flat, LABELS, LABELS, np.zeros(len(FEATURE_NAMES)),
                  card={"features": list(FEATURE_NAMES)})
    return Detector(model)


def test_every_prior_has_a_case():
    assert {p.feature for p in priors()} == set(WITH_ARTEFACT)


def _fired(text: str) -> set[str]:
    findings = dict(zip(FEATURE_NAMES, extract(Document.from_text(text))))
    return {p.feature for p in priors() if findings[p.feature].value > 0}


@pytest.mark.parametrize("prior", priors(), ids=lambda p: p.feature)
def test_prior_moves_the_verdict_and_shows_in_evidence(prior):
    text = WITH_ARTEFACT[prior.feature]
    assert _fired(BODY) == set() and _fired(text) == {prior.feature}
    detector = _undecided_detector()
    before, after = detector.score_many([BODY, text])
    assert before.scores[prior.label] == pytest.approx(0.25)
    assert after.label == prior.label
    odds = math.exp(prior.log_odds)
    assert after.scores[prior.label] == pytest.approx(odds / (odds + len(LABELS) - 1))
    items = [e for e in after.evidence if e.feature == prior.feature]
    assert items and all(e.toward == prior.label for e in items)
    assert items[0].weight == pytest.approx(prior.log_odds, abs=1e-3)
    assert not [e for e in before.evidence if e.toward is not None]


@pytest.mark.parametrize("prior", priors(), ids=lambda p: p.feature)
def test_prior_adds_its_log_odds_to_the_trained_model(tiny_detector, prior):
    model = tiny_detector.model
    doc = Document.from_text(WITH_ARTEFACT[prior.feature])
    findings = extract(doc)
    base = model.probabilities(model.matrix([findings], [doc]))[0]
    final = model.predict([findings], [doc])[0][0]
    np.testing.assert_allclose(final, apply_priors(base, [prior]))
    k = LABELS.index(prior.label)
    clipped = np.log(np.clip(base, 1e-9, 1.0))
    for other in range(len(LABELS)):
        if other != k:
            moved = math.log(final[k] / final[other]) - (clipped[k] - clipped[other])
            assert moved == pytest.approx(prior.log_odds, abs=1e-6)


def test_artefacts_that_did_not_move_the_label_are_still_shown():
    """A model that ignores every feature still points at the artefacts it was shown: found,
    not decisive (toward=None, weight 0), after any evidence that did move the label."""
    text = BODY + " Ankara welcomed the talks and Turkey repeated his readiness to mediate."
    findings = dict(zip(FEATURE_NAMES, extract(Document.from_text(text))))
    assert findings["pronoun_gender"].spans, "the case must fire the feature"
    verdict = _undecided_detector().score(text)
    items = [e for e in verdict.evidence if e.feature == "pronoun_gender"]
    assert items and all(e.toward is None and e.weight == 0.0 for e in items)
    assert text[items[0].start:items[0].end] == items[0].excerpt
    style = {name for name in FEATURE_NAMES if FAMILY_OF[name] == "style"}
    assert not style & {e.feature for e in verdict.evidence}
