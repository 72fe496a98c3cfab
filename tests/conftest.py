"""Shared fixtures: paths, the bundled detector (loaded once per session), sample labels."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CASES = Path(__file__).resolve().parent / "cases"


def sample_files() -> list[Path]:
    return sorted(SAMPLES.glob("*.txt"))


def sample_labels() -> list[dict[str, str]]:
    with open(SAMPLES / "labels.tsv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="session")
def bundled():
    """The bundled model, loaded once: loading costs seconds (checksum, unpickling)."""
    from detector.api import Detector

    return Detector.load()
