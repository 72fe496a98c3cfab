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
class Excerpt:
    """A span of one document's scored text and its characters."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class DerivedFrom:
    """The document in the same batch this one was built from (detector.link).

    relation: near_copy, paraphrase or translation. similarity: 0-1, the share of the shorter
    text's sentences aligned with the other text times their mean similarity. excerpt: one
    aligned sentence pair, the derived sentence (offsets into this verdict's text) and the source
    sentence (offsets into the source's text). notes: the checkable reasons, in words.
    """

    id: str | None
    index: int  # position of the source in the linked batch
    relation: str
    similarity: float
    derived_excerpt: Excerpt
    source_excerpt: Excerpt
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "index": self.index, "relation": self.relation,
                "similarity": round(self.similarity, 4),
                "excerpt": {"derived": self.derived_excerpt.to_dict(),
                            "source": self.source_excerpt.to_dict()},
                "notes": list(self.notes)}


@dataclass(frozen=True)
class Verdict:
    label: str | None
    scores: dict[str, float] | None
    flags: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    error: str | None = None
    id: str | None = None
    text: str | None = field(default=None, repr=False)  # the scored text evidence points into
    # Set by detector.link. `linked` says batch linking ran: only then does to_dict() carry a
    # "derived_from" key (null: not derived from any document of the batch). Without linking the
    # key is absent, so plain scan output keeps its shape.
    derived_from: DerivedFrom | None = None
    linked: bool = False

    @classmethod
    def failed(cls, error: str, id: str | None = None, flags: list[str] | None = None) -> "Verdict":
        return cls(label=None, scores=None, flags=list(flags or []), error=error, id=id)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "label": self.label,
            "scores": None if self.scores is None else {k: round(v, 4) for k, v in self.scores.items()},
            "flags": list(self.flags),
            "evidence": [e.to_dict() for e in self.evidence],
            "error": self.error,
        }
        if self.linked:
            out["derived_from"] = None if self.derived_from is None else self.derived_from.to_dict()
        return out
