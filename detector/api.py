"""Detector: the one scoring path every entry point (library, CLI, filter) goes through."""
from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Iterable, Sequence

from detector.decoding import DecodeError, decode_bytes
from detector.document import Document
from detector.features import FAMILY_OF, FEATURE_NAMES, extract
from detector.flags import FLAG_FEATURES, flags_for
from detector.language import non_english_language
from detector.model import MAX_EVIDENCE, MAX_SPANS_PER_FEATURE, Model
from detector.verdict import LABELS, Evidence, Verdict

# Documents above this size are refused rather than scored: past ~2 MB a "document" is a dump
# of many pages, and its verdict would mean nothing. Cost is linear below it.
MAX_DOCUMENT_BYTES = 2_000_000
# Excerpts in evidence are cut to this many characters (the span offsets stay exact).
MAX_EXCERPT_CHARS = 160
# Documents scored per model call: large enough to amortise the model call, small enough to
# keep memory flat.
BATCH_SIZE = 256
# Feature families whose spans are shown even when they did not move the label: named
# artefacts. Style measures (sentence rhythm, word frequency) have no spans worth pointing at.
ARTEFACT_FAMILIES = ("translation", "boilerplate", "generation", "paraphrase")
_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}
_ARTEFACT_FEATURES = tuple(name for name in FEATURE_NAMES if FAMILY_OF[name] in ARTEFACT_FAMILIES)


class Detector:
    """A loaded model and the scoring pipeline. Load once, score many."""

    def __init__(self, model: Model):
        self.model = model

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "Detector":
        """Load a model (default: the bundled one). Raises detector.model.ModelError."""
        return cls(Model.load(path))

    def score(self, text: str | bytes, id: str | None = None) -> Verdict:
        """Score one text (str, or bytes that are decoded first)."""
        return self.score_many([text], ids=[id])[0]

    def score_many(self, texts: Iterable[str | bytes], ids: Sequence[str | None] | None = None,
                   batch_size: int = BATCH_SIZE) -> list[Verdict]:
        """Score texts in batches; one Verdict per text, in order, errors included."""
        out: list[Verdict] = []
        batch: list[tuple[str | None, str | bytes]] = []
        for i, text in enumerate(texts):
            batch.append((ids[i] if ids is not None else None, text))
            if len(batch) >= batch_size:
                out.extend(self._score_batch(batch))
                batch = []
        if batch:
            out.extend(self._score_batch(batch))
        return out

    def iter_scores(self, items: Iterable[tuple[str | None, str | bytes | Exception]],
                    batch_size: int = BATCH_SIZE):
        """Stream (id, text-or-error) pairs to verdicts, in order, a batch at a time."""
        batch = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                yield from self._score_batch(batch)
                batch = []
        if batch:
            yield from self._score_batch(batch)

    def score_file(self, path: str | os.PathLike) -> Verdict:
        """Read, decode and score one file; a file that cannot be read gets an error verdict."""
        return self._score_batch([(str(path), read_document(path))])[0]

    # --- the pipeline -------------------------------------------------------------------------
    def _score_batch(self, batch: Sequence[tuple[str | None, str | bytes | Exception]]) -> list[Verdict]:
        verdicts: list[Verdict | None] = [None] * len(batch)
        prepared = []  # (position, id, doc, findings, flags, flag spans)
        for pos, (doc_id, payload) in enumerate(batch):
            doc_or_error = prepare(payload)
            if isinstance(doc_or_error, Verdict):
                verdicts[pos] = Verdict.failed(doc_or_error.error, id=doc_id, flags=doc_or_error.flags)
                continue
            doc = doc_or_error
            findings = extract(doc)
            by_name = dict(zip(FEATURE_NAMES, findings))
            flags, flag_spans = flags_for(doc, by_name)
            prepared.append((pos, doc_id, doc, findings, flags, flag_spans))
        predictions = self.model.predict([p[3] for p in prepared], [p[2] for p in prepared])
        for (pos, doc_id, doc, findings, flags, flag_spans), (probs, pushes) in zip(prepared, predictions):
            scores = {label: float(p) for label, p in zip(LABELS, probs)}
            label = LABELS[int(probs.argmax())]
            evidence = _evidence(doc, findings, pushes, flag_spans)
            verdicts[pos] = Verdict(label=label, scores=scores, flags=flags, evidence=evidence,
                                    id=doc_id, text=doc.text)
        return verdicts  # type: ignore[return-value]


def prepare(payload: str | bytes | Exception) -> Document | Verdict:
    """Turn input into a Document, or a failed Verdict saying why it cannot be scored."""
    if isinstance(payload, Exception):
        return Verdict.failed(_describe(payload))
    if isinstance(payload, bytes):
        if len(payload) > MAX_DOCUMENT_BYTES:
            return Verdict.failed(_too_large())
        try:
            payload, _encoding = decode_bytes(payload)
        except DecodeError as exc:
            return Verdict.failed(str(exc))
    if not isinstance(payload, str):
        return Verdict.failed(f"expected text, got {type(payload).__name__}")
    if len(payload) > MAX_DOCUMENT_BYTES:
        return Verdict.failed(_too_large())
    if not payload.strip():
        return Verdict.failed("empty document")
    doc = Document.from_text(payload)
    if not doc.words:
        return Verdict.failed("no words in document")
    language = non_english_language(doc)
    if language:
        return Verdict.failed(f"not English (detected: {language})", flags=["not_english"])
    return doc


def _too_large() -> str:
    # Readers stop at the limit (read_document reads MAX_DOCUMENT_BYTES + 1 bytes), so the true
    # size is unknown here: say what is known.
    return f"document too large (over the {MAX_DOCUMENT_BYTES / 1e6:.0f} MB limit)"


def _describe(exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror or exc}"
    return str(exc) or type(exc).__name__


def read_document(path: str | os.PathLike) -> bytes | Exception:
    """The bytes of a file (gunzipped if it ends in .gz), or the exception that stopped reading.

    Never reads more than MAX_DOCUMENT_BYTES + 1 bytes: a huge file costs nothing to refuse.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                data = handle.read(MAX_DOCUMENT_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        return exc
    return data


def _evidence(doc: Document, findings, pushes, flag_spans) -> list[Evidence]:
    items: list[Evidence] = []
    shown = set()
    for f, toward, weight in pushes:
        name = FEATURE_NAMES[f]
        shown.add(name)
        for span in findings[f].spans[:MAX_SPANS_PER_FEATURE]:
            items.append(_item(doc, name, span, toward, weight))
    items = items[:MAX_EVIDENCE]
    # Then what was found but did not move the label, marked toward=None: first the spans of
    # quality flags (a share widget, an HTML tag), then artefacts the model did not need. A
    # country called "his" in a text that is already certain to be a translation changes no
    # probability when removed, yet it is exactly what a reader wants pointed out.
    unmoved = [name for flag in flag_spans for name in FLAG_FEATURES.get(flag, ())]
    for name in (*unmoved, *_ARTEFACT_FEATURES):
        if name in shown:
            continue
        shown.add(name)
        for span in findings[_COLUMN[name]].spans[:MAX_SPANS_PER_FEATURE]:
            items.append(_item(doc, name, span, None, 0.0))
    return items


def _item(doc: Document, feature: str, span, toward: str | None, weight: float) -> Evidence:
    excerpt = doc.text[span.start : span.end]
    if len(excerpt) > MAX_EXCERPT_CHARS:
        excerpt = excerpt[: MAX_EXCERPT_CHARS - 1] + "…"
    return Evidence(feature=feature, start=span.start, end=span.end, excerpt=excerpt,
                    toward=toward, note=span.note, weight=round(weight, 4))
