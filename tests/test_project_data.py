"""The project's own labelled documents (training/data/), the held-out probe (training/probe/),
and the card's probe figures. None of this needs ../shared/corpus."""
from __future__ import annotations

import gzip
import json
import pytest

from detector.verdict import LABELS
from training import bundled, dataset, evaluate_external


def project_rows() -> list[dict]:
    rows = []
    for path in dataset.project_data_files():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            rows += [json.loads(line) for line in handle]
    return rows


def test_project_data_has_the_corpus_fields_and_label_of_its_file_name():
    files = dataset.project_data_files()
    assert files, "training/data/ holds no *.jsonl.gz"
    for path in files:
        source, label = path.name.removesuffix(".jsonl.gz").split(".")
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                assert row["label"] == label and row["source"] == source
                assert row["text"].strip() and row["story"] and row["id"].startswith(source + ":")


def test_project_data_ids_and_stories_are_unique():
    rows = project_rows()
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["story"] for r in rows}) == len(rows)


def test_the_probe_is_held_out_from_the_project_data():
    """The probe measures text the model never saw: no probe text, nor its opening, is in
    the training data."""
    probe = dataset.read_probe()
    assert probe and all(r.label in LABELS and r.text.strip() for r in probe)
    assert len({r.id for r in probe}) == len(probe)
    trained = project_rows()
    trained_openings = {" ".join(r["text"].split()[:12]) for r in trained}
    for record in probe:
        assert " ".join(record.text.split()[:12]) not in trained_openings, record.id


def test_read_corpus_adds_the_project_data_unless_told_not_to(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with gzip.open(corpus / "tiny.original.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "t1", "text": "A short text.", "label": "original",
                                 "source": "tiny", "story": "s1"}) + "\n")
    alone = dataset.read_corpus(corpus, project_data=False)
    both = dataset.read_corpus(corpus)
    assert [r.id for r in alone] == ["t1"]
    assert len(both) == 1 + len(project_rows())
    assert {r.source for r in both[1:]} == {r["source"] for r in project_rows()}


def test_the_card_records_probe_figures_the_model_file_still_earns():
    check = bundled.probe_check()
    card, now = check["card"], check["recomputed"]
    assert card is not None, "model.json has no metrics.probe: retrain (python -m training.train)"
    assert card["documents"] == now["documents"], "the probe changed since the card was written"
    # Allow two documents' verdicts to move with library versions.
    assert now["accuracy"] >= card["accuracy"] - 2 / now["documents"], (now, card)


# --- training.evaluate_external ---------------------------------------------------------------
def test_external_records_need_a_text_and_a_known_label(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"text": "Some text.", "label": "original"}) + "\n\n", encoding="utf-8")
    assert [r["id"] for r in evaluate_external.read_records([good])] == ["good.jsonl:1"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "Some text.", "label": "spun"}) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="bad.jsonl:1"):
        evaluate_external.read_records([bad])


def test_external_macro_f1_counts_only_the_labels_present():
    truths = ["ai_generated"] * 4
    assert evaluate_external.macro_f1(truths, ["ai_generated"] * 3 + ["original"]) == pytest.approx(6 / 7)
    truths = ["original", "original", "paraphrased", "paraphrased"]
    predictions = ["original", "paraphrased", "paraphrased", "paraphrased"]
    # original: tp 1, fn 1 -> 2/3; paraphrased: tp 2, fp 1 -> 4/5
    assert evaluate_external.macro_f1(truths, predictions) == pytest.approx((2 / 3 + 4 / 5) / 2)


def test_external_evaluation_scores_and_links_a_batch(tmp_path, capsys):
    """The samples as an external file: sample 001 is a rewrite of sample 002 (labels.tsv)."""
    from conftest import SAMPLES, sample_labels

    records = [{"id": row["file"], "label": row["label"],
                "text": (SAMPLES / row["file"]).read_text(encoding="utf-8")} for row in sample_labels()]
    rewrite = next(r for r in records if r["id"].startswith("001"))
    rewrite["source_id"] = next(r["id"] for r in records if r["id"].startswith("002"))
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert evaluate_external.main([str(path), "--link"]) == 0
    out = capsys.readouterr().out
    assert "5 documents" in out and "| paraphrased | 1 |" in out
    assert "linking: 1 of 1 derived documents' chains reach their source" in out
