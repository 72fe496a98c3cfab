"""Verdict: what the detector says of one document, and its JSON shape (contract.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LABELS: tuple[str, ...] = ("original", "paraphrased", "machine_translated", "ai_generated")


@dataclass(frozen=True)
class Evidence:
    feature: str
    start: int
    end: int
    excerpt: str
    toward: str | None  # the label this pushed toward; None for a quality flag's span
    note: str = ""  # a readable reason, shown by `detector explain`
    weight: float = 0.0  # how far it moved the winning label's log-odds

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "start": self.start, "end": self.end,
                "excerpt": self.excerpt, "toward": self.toward}


@dataclass(frozen=True)
class Verdict:
    label: str | None
    scores: dict[str, float] | None
    flags: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    error: str | None = None
    id: str | None = None
    text: str | None = field(default=None, repr=False)  # the scored text evidence points into

    @classmethod
    def failed(cls, error: str, id: str | None = None, flags: list[str] | None = None) -> "Verdict":
        return cls(label=None, scores=None, flags=list(flags or []), error=error, id=id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "scores": None if self.scores is None else {k: round(v, 4) for k, v in self.scores.items()},
            "flags": list(self.flags),
            "evidence": [e.to_dict() for e in self.evidence],
            "error": self.error,
        }
