"""python -m training.evaluate end to end, on a tiny synthetic corpus written by the test.

Checks the wiring (every section reaches the report, leave-one-source-out covers every source,
figures are written and are byte-identical when written again), not the model's quality.
"""
from __future__ import annotations

import gzip
import json
import random

import pytest

from training import dataset, evaluate

SOURCES = ("alpha", "beta")
# Label-specific phrasing, so a model can learn something from the hand-built features.
OPENINGS = {
    "original": ["Officials said on {day} that the {thing} would open in {month}, according to the council."],
    "paraphrased": ["Furthermore, it is worth noting that the {thing} is set to open in {month}, "
                    "as reported by Reuters."],
    "machine_translated": ["The {thing} of the city she will open in {month} , said he the mayor ."],
    "ai_generated": ["In today's rapidly evolving world, the {thing} stands as a testament to progress. "
                     "Overall, it remains to be seen how the community will respond."],
}
FILLER = ["The {thing} cost {n} million euros.", "Work began in {month}.", "Residents asked about parking.",
          "The mayor visited the site on {day}.", "A spokesman declined to comment."]


def _text(label: str, rng: random.Random) -> str:
    slots = {"day": rng.choice(["Monday", "Tuesday", "Friday"]), "month": rng.choice(["May", "June", "July"]),
             "thing": rng.choice(["bridge", "library", "stadium", "station"]), "n": rng.randint(2, 90)}
    sentences = [rng.choice(OPENINGS[label])] + rng.sample(FILLER, 4) + [rng.choice(OPENINGS[label])]
    return " ".join(s.format(**slots) for s in sentences)


@pytest.fixture(scope="module", autouse=True)
def synthetic_corpus_alone(tmp_path_factory):
    """These runs read the synthetic corpus only, not the project's own training/data/."""
    saved, dataset.PROJECT_DATA = dataset.PROJECT_DATA, tmp_path_factory.mktemp("no-project-data")
    yield
    dataset.PROJECT_DATA = saved


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    rng = random.Random(7)
    for source in SOURCES:
        for kind in ("original", "paraphrased", "machine_translated", "ai_generated", "human_translated"):
            label = "original" if kind == "human_translated" else kind
            with gzip.open(root / f"{source}.{kind}.jsonl.gz", "wt", encoding="utf-8") as handle:
                for i in range(10 if kind == "human_translated" else 30):
                    # Human translations share stories with the machine translations.
                    story = f"{source}:{'mt' if kind in ('machine_translated', 'human_translated') else kind}:{i}"
                    handle.write(json.dumps({"id": f"{source}-{kind}-{i}", "text": _text(label, rng),
                                             "label": kind, "source": source, "story": story,
                                             "generator": "human"}) + "\n")
    return root


@pytest.fixture(scope="module")
def results(corpus, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    saved, dataset.CACHE_DIR = dataset.CACHE_DIR, cache  # keep the synthetic matrices out of the repo
    try:
        out = tmp_path_factory.mktemp("report")
        code = evaluate.main(["--corpus", str(corpus), "--out", str(out), "--sample", "20",
                              "--no-ablation", "--jobs", "1"])
    finally:
        dataset.CACHE_DIR = saved
    assert code == 0
    return out


def test_every_section_reaches_the_report(results):
    report = (results / "report.md").read_text(encoding="utf-8")
    for heading in ("## Test split", "## Leave one source out", "## Machine vs human translation",
                    "## Held-out probe", "## Layout invariance", "## Short documents", "## samples/ (bundled model)",
                    "## Feature firing rates", "## Calibration", "## Run"):
        assert heading in report
    assert "incomplete" not in report


def test_json_holds_every_source_left_out_and_the_checks(results):
    figures = json.loads((results / "evaluation.json").read_text(encoding="utf-8"))
    assert figures["run"]["complete"] is True
    assert set(figures["loso"]["sources"]) == set(SOURCES)
    assert figures["loso"]["complete"] is True
    for name, layout in figures["layout"].items():
        if isinstance(layout, dict):
            assert 0.0 <= layout["agreement"] <= 1.0
            assert layout["changed_texts"] > 0, f"{name}: no breaks were inserted"
    assert figures["translation"]["human_translated_documents"] > 0
    # Every probe document is counted once, in the group of its file and generator.
    probe = dataset.read_probe()
    groups = figures["probe"]["groups"]
    assert sum(g["documents"] for g in groups.values()) == len(probe)
    assert all(sum(g["called"].values()) == g["documents"] for g in groups.values())
    assert {g["label"] for g in groups.values()} == {r.label for r in probe}
    assert len(figures["samples"]) == 5
    assert {row["feature"] for row in figures["firing"]["features"]} == set(evaluate.FEATURE_NAMES)


def test_figures_are_byte_identical_when_written_again(results, tmp_path):
    figures = json.loads((results / "evaluation.json").read_text(encoding="utf-8"))
    evaluate.write(figures, tmp_path)
    for name in ("confusion.png", "confusion_loso.png", "per_source.png", "reliability.png", "report.md"):
        assert (tmp_path / name).read_bytes() == (results / name).read_bytes(), name


def test_ablation_loso_screens_every_row_on_every_source(corpus, tmp_path, monkeypatch):
    from training import ablation_loso

    monkeypatch.setattr(dataset, "CACHE_DIR", tmp_path / "cache")
    # A few rounds: the test checks the wiring, not the model.
    monkeypatch.setattr(ablation_loso, "SCREEN_OVERRIDES", {"max_iter": 20, "learning_rate": 0.3})
    widths, real_booster = [], ablation_loso.train.make_booster

    def recording_booster(**overrides):  # the width of every matrix a row's booster is fitted on
        booster = real_booster(**overrides)
        real_fit = booster.fit
        booster.fit = lambda x, y, **kw: (widths.append(x.shape[1]), real_fit(x, y, **kw))[1]
        return booster

    monkeypatch.setattr(ablation_loso.train, "make_booster", recording_booster)
    assert ablation_loso.main(["--corpus", str(corpus), "--out", str(tmp_path), "--jobs", "1"]) == 0
    result = json.loads((tmp_path / "ablation_loso.json").read_text(encoding="utf-8"))
    rows = {row["variant"]: row for row in result["rows"]}
    assert list(rows) == [v.name for v in evaluate.ablation_variants()]
    for row in rows.values():
        assert set(row["sources"]) == set(SOURCES)  # both synthetic sources have all four labels
        assert row["loso_mean_macro_f1"] == round(sum(row["sources"].values()) / len(SOURCES), 4)
        assert 0.0 <= row["human_called_mt"] <= 1.0
    # The synthetic labels are written with label-specific phrasing: the full model learns them.
    assert rows["model (fit_pipeline defaults)"]["test_macro_f1"] > 0.6
    report = (tmp_path / "ablation_loso.md").read_text(encoding="utf-8")
    assert all(f"| {name} |" in report for name in rows)
    # Per split: all columns + 4 stacked n-gram columns, hand-built only, each family removed + 4.
    hand = len(evaluate.FEATURE_NAMES)
    per_split = [hand + 4, hand] + [len(v.columns) + 4 for v in evaluate.ablation_variants()[2:]]
    assert widths == per_split * (1 + len(SOURCES))
