"""The shipped model file still earns the figures on its card.

Recomputes the bundled model's test-split figures (detector/models/model.json, "metrics" ->
"test_split") from the model file itself and the package's own feature extraction, and fails
if macro-F1 falls more than 0.01 below the card: a changed feature, lexicon or library version
that silently moves the model's inputs shows up here.

Needs the corpus at ../shared/corpus (skipped otherwise). Feature extraction for the ~9,300
test documents takes ~35 s per core and is cached under training/cache/ (keyed by the feature
code), so a rerun takes seconds.
"""
from __future__ import annotations

import pytest

from training import bundled, dataset

TOLERANCE = 0.01

pytestmark = pytest.mark.skipif(not dataset.DEFAULT_CORPUS.is_dir()
                                or not any(dataset.DEFAULT_CORPUS.glob("*.jsonl.gz")),
                                reason=f"corpus not found at {dataset.DEFAULT_CORPUS}")


@pytest.fixture(scope="module")
def check() -> dict:
    from detector.model import Model

    records, hand = bundled.test_split_features()
    return bundled.test_split_check(records, hand, Model.load())


def test_card_has_test_split_figures(check):
    card = check["card"]
    assert card is not None, "model.json has no metrics.test_split"
    assert card["documents"] == check["recomputed"]["documents"], \
        "the card was measured on another test split (different corpus or split rule)"


def test_model_file_reaches_its_card_macro_f1(check):
    card, now = check["card"]["macro_f1"], check["recomputed"]["macro_f1"]
    assert now >= card - TOLERANCE, (
        f"bundled model's test-split macro-F1 is {now:.4f}, its card says {card:.4f}: "
        f"features or libraries changed under the model; retrain it (python -m training.train)")


def test_priors_do_not_cost_the_model_its_card(check):
    """detector scan adds the documented priors; on the corpus they must not pull the figure
    below the card either (they are meant for artefacts the corpus lacks)."""
    card, now = check["card"]["macro_f1"], check["with_priors"]["macro_f1"]
    assert now >= card - TOLERANCE, f"with priors macro-F1 {now:.4f} < card {card:.4f} - {TOLERANCE}"
