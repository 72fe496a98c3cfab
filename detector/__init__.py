"""detector: is a text original, paraphrased, machine-translated or AI-generated? With the evidence.

    import detector
    verdict = detector.score(text)
    verdict.label, verdict.scores, verdict.flags, verdict.evidence, verdict.to_dict()

The public surface is this module: score, score_file, Detector, Verdict, LABELS.
"""
from __future__ import annotations

import os
import threading

from detector.api import Detector
from detector.model import ModelError
from detector.verdict import LABELS, Evidence, Verdict

__version__ = "0.1.0"
__all__ = ["score", "score_file", "Detector", "Verdict", "Evidence", "LABELS", "ModelError"]

_default: Detector | None = None
_lock = threading.Lock()


def _default_detector() -> Detector:
    """The bundled model, loaded on first use and kept for the life of the process."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = Detector.load()
    return _default


def score(text: str | bytes) -> Verdict:
    """Score one text with the default model."""
    return _default_detector().score(text)


def score_file(path: str | os.PathLike) -> Verdict:
    """Read, decode and score one file; unreadable input gives a Verdict with .error set."""
    return _default_detector().score_file(path)
