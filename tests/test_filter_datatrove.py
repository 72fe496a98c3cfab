"""The datatrove step, run by datatrove's LocalPipelineExecutor over JSONL shards."""
from __future__ import annotations

import gzip
import json

import pytest

pytest.importorskip("datatrove")

from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

from detector.datatrove_filter import DetectorFilter  # noqa: E402
from ingest_docs import GERMAN, english_text, write_jsonl  # noqa: E402


def read_folder(folder):
    out = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        out += [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    return out


def shards(tmp_path):
    write_jsonl(tmp_path / "in" / "00.jsonl", [
        {"id": "en-1", "text": english_text(1)}, {"id": "de-1", "text": GERMAN},
        {"id": "short", "text": english_text(2, sentences=2)}])
    write_jsonl(tmp_path / "in" / "01.jsonl", [{"id": "en-2", "text": english_text(3)}, {"id": "nowords", "text": "--- ... !!! ???"}])


def test_step_drops_with_stable_reasons_and_annotates(tmp_path):
    shards(tmp_path)
    step = DetectorFilter(keep_labels=("original", "paraphrased", "machine_translated", "ai_generated"),
                          min_score=0.0, exclusion_writer=JsonlWriter(str(tmp_path / "dropped")))
    executor = LocalPipelineExecutor(
        pipeline=[JsonlReader(str(tmp_path / "in")), step, JsonlWriter(str(tmp_path / "kept"))],
        tasks=2, workers=1, logging_dir=str(tmp_path / "logs"))
    executor.run()
    kept = {d["id"]: d for d in read_folder(tmp_path / "kept")}
    dropped = {d["id"]: d for d in read_folder(tmp_path / "dropped")}
    assert set(kept) == {"en-1", "en-2"}
    assert set(dropped) == {"de-1", "short", "nowords"}
    assert dropped["de-1"]["metadata"]["filter_reason"] == "detector_not_english"
    assert dropped["short"]["metadata"]["filter_reason"] == "detector_too_short"
    assert dropped["nowords"]["metadata"]["filter_reason"] == "detector_error_no_words"
    verdict = kept["en-1"]["metadata"]["detector"]
    assert verdict["decision"] == "accepted" and verdict["label"] in verdict["scores"]
    stats = json.loads((tmp_path / "logs" / "stats.json").read_text())
    step_stats = next(s for s in stats if "Detector" in s["name"])["stats"]
    assert step_stats["dropped_detector_not_english"] == 1


def test_annotate_only_keeps_everything(tmp_path):
    shards(tmp_path)
    executor = LocalPipelineExecutor(
        pipeline=[JsonlReader(str(tmp_path / "in")), DetectorFilter(annotate_only=True),
                  JsonlWriter(str(tmp_path / "kept"))],
        tasks=1, workers=1, logging_dir=str(tmp_path / "logs"))
    executor.run()
    kept = {d["id"]: d["metadata"]["detector"] for d in read_folder(tmp_path / "kept")}
    assert len(kept) == 5
    assert kept["de-1"]["decision"] == "rejected" and kept["de-1"]["reason"] == "not_english"
    assert kept["nowords"]["decision"] == "error"
