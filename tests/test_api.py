"""The library surface (contract.md): score, score_file, Detector.score_many, Verdict.to_dict."""
from __future__ import annotations

import pytest

import detector
from detector.api import MAX_DOCUMENT_BYTES
from detector.document import normalise
from detector.verdict import LABELS

from conftest import sample_files

TEXT = ("The regional\u00a0parliament voted 54 to 12 on Wednesday to ban smoking in parks.\r\n\r\n"
        "\"Children deserve clean air,\" the health minister, Olga\u200b Brandt, said. The ban "
        "takes effect in January and fines start at 50 euros, officials said.")


@pytest.fixture
def default(monkeypatch, bundled):
    """detector.score / score_file with the session's bundled detector (no second load)."""
    monkeypatch.setattr(detector, "_default", bundled)
    return bundled


def test_score_returns_a_verdict_on_the_normalised_text(default):
    verdict = detector.score(TEXT)
    assert verdict.error is None and verdict.label in LABELS
    assert verdict.text == normalise(TEXT)
    for item in verdict.evidence:
        assert verdict.text[item.start:item.end].startswith(item.excerpt.rstrip("…"))


def test_bytes_and_text_score_alike(default):
    assert detector.score(TEXT.encode("utf-16")).scores == detector.score(TEXT).scores


def test_score_file_reports_errors_instead_of_raising(default, tmp_path):
    verdict = detector.score_file(tmp_path / "missing.txt")
    assert (verdict.label, verdict.scores, verdict.error) == (None, None, "no such file")
    assert detector.score_file(tmp_path).error == "is a directory"


def test_score_file_matches_score(default):
    path = sample_files()[2]
    assert detector.score_file(path).scores == detector.score(path.read_bytes()).scores


def test_score_many_keeps_order_ids_and_errors(bundled):
    texts = [TEXT, "", b"\x00\x01\x02binary", TEXT.upper(), "   "]
    verdicts = bundled.score_many(texts, ids=["a", "b", "c", "d", "e"], batch_size=2)
    assert [v.id for v in verdicts] == ["a", "b", "c", "d", "e"]
    assert [v.error is None for v in verdicts] == [True, False, False, True, False]
    assert verdicts[0].scores == bundled.score(TEXT).scores


def test_oversized_document_is_refused(bundled):
    verdict = bundled.score("word " * (MAX_DOCUMENT_BYTES // 5 + 1))
    assert verdict.label is None and verdict.error.startswith("document too large")


def test_to_dict_has_the_contract_shape(bundled):
    data = bundled.score(TEXT, id="x").to_dict()
    assert list(data) == ["id", "label", "scores", "flags", "evidence", "error"]
    assert data["id"] == "x" and list(data["scores"]) == list(LABELS)
    assert all(list(e) == ["feature", "start", "end", "excerpt", "toward"] for e in data["evidence"])
    failed = bundled.score("", id="y").to_dict()
    assert failed == {"id": "y", "label": None, "scores": None, "flags": [], "evidence": [],
                      "error": "empty document"}


def test_huge_file_is_refused_without_claiming_its_size(bundled, tmp_path):
    """Only MAX_DOCUMENT_BYTES + 1 bytes are read, so the message states the limit, not a size."""
    path = tmp_path / "huge.txt"
    path.write_bytes(b"The council met on Monday. " * (20_000_000 // 27))
    verdict = bundled.score_file(path)
    assert verdict.label is None
    assert verdict.error == f"document too large (over the {MAX_DOCUMENT_BYTES // 1_000_000} MB limit)"
