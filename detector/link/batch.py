"""Link a batch: verdicts in, verdicts out with `derived_from` set and labels that use it."""
from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Iterable, Sequence

from detector.link.fingerprint import key_sequence
from detector.link.relate import Link, find_links
from detector.verdict import LABELS, DerivedFrom, Evidence, Excerpt, Verdict

if TYPE_CHECKING:
    import numpy as np

    from detector.api import Detector

# How far a verified link moves the derived document's scores toward the relation's label:
# new = (1 - LINK_WEIGHT) * own + LINK_WEIGHT * one-hot. Set to the share of links on the
# corpus test split news batch whose derived document truly has the relation's label (paraphrase
# 0.84, translation 0.83; training/evaluate_linking.py prints the counts), so the mixed
# score stays roughly calibrated; it is also high enough that a checked link beats a style-only
# verdict: a reworded copy that reads as original is still a rewrite.
LINK_WEIGHT = 0.84
# The label each relation implies for the derived document. A near copy says nothing new about
# how its text was made (it is the same text): its own verdict stands.
LABEL_OF_RELATION = {"paraphrase": "paraphrased", "translation": "machine_translated"}
# A link is a translation only when the derived version's own machine_translated score beats
# its paraphrased score *and* reaches this floor: below it, "more MT than rewrite" compares two
# small numbers and says nothing. On the corpus test split news batch, 99% of the machine
# translations linked as `translation` score >= 0.25 (floor 0.2: 2 of 1,759 derivatives' labels
# lost); on 48 rewrites of test-split articles by a current chat model, not in the corpus, 12
# links were `translation` with machine_translated 0.04-0.48, 9 of them under 0.2, and the
# rewrites were relabelled machine_translated (with the floor: 35 of 48 `paraphrased`, 26 before).
TRANSLATION_MIN = 0.2
# Evidence excerpts are cut to this many characters (as in api.MAX_EXCERPT_CHARS).
MAX_EXCERPT_CHARS = 160
# Shared numbers and names listed in a link's notes, at most.
MAX_LISTED = 8


def link_verdicts(verdicts: Sequence[Verdict], stats: dict | None = None,
                  keys: Sequence[np.ndarray | None] | None = None) -> list[Verdict]:
    """Find, for each verdict, the document of the same batch it derives from.

    Returns new Verdicts (the inputs are not modified), in order, each with `linked` True and
    `derived_from` set or None. A derived document's label and scores take the link into account
    (LABEL_OF_RELATION); sources keep theirs. Failed verdicts pass through, linked, never derived.
    `stats`, when given, receives stage timings and counts (see benchmarks/link_speed.py).
    `keys`: each verdict's link_keys(), when computed earlier (None entries are computed here).
    """
    texts = [_linkable_text(v) for v in verdicts]
    sourceness = [_sourceness(v) for v in verdicts]
    translated = [bool(v.scores) and v.scores["machine_translated"] > v.scores["paraphrased"]
                  and v.scores["machine_translated"] >= TRANSLATION_MIN for v in verdicts]
    links = find_links(texts, sourceness, translated, stats=stats, keys=keys)
    out = []
    for i, v in enumerate(verdicts):
        link = links[i]
        if link is None:
            out.append(replace(v, linked=True, derived_from=None))
        else:
            out.append(_apply(v, verdicts[link.source], link))
    return out


def link_keys(verdict: Verdict) -> np.ndarray | None:
    """The story keys linking will use for this verdict (None: it is not linked). Cheap to call
    where time is free, e.g. while other documents are being scored."""
    text = _linkable_text(verdict)
    return key_sequence(text) if text else None


def _linkable_text(v: Verdict) -> str | None:
    return v.text if v.error is None and v.scores else None


def link_texts(texts: Iterable[str | bytes], ids: Sequence[str | None] | None = None,
               detector: "Detector | None" = None) -> list[Verdict]:
    """Score a list of texts and link them (the library form of `detector scan --link`).

    `detector` defaults to the bundled model. Texts that cannot be scored get error verdicts and
    are not linked; they never stop the batch.
    """
    if detector is None:
        from detector import _default_detector

        detector = _default_detector()
    return link_verdicts(detector.score_many(list(texts), ids=ids))


def _sourceness(v: Verdict) -> float:
    """How far `original` leads the strongest other label in the verdict's own scores (log
    ratio): the more original-looking of two versions is taken as the source. Artefacts of
    translation, rewriting or generation in a version all lower it.

    Against the strongest rival rather than against all others together (plain log-odds): an
    original the model half-suspects of two things at once (0.40 original, 0.30 paraphrased,
    0.30 machine-translated) is still a better source than a rewrite it firmly calls
    paraphrased (0.45 / 0.55). On the corpus test split news batch this raised recall of
    (original, derivative) pairs from 0.707 to 0.744 at the same precision (docs/linking.md)."""
    if not v.scores:
        return -math.inf
    own = _clip(v.scores.get("original", 0.0))
    rival = _clip(max((p for k, p in v.scores.items() if k != "original"), default=0.0))
    return math.log(own) - math.log(rival)


def _clip(p: float) -> float:
    return min(max(p, 1e-6), 1 - 1e-6)


def _apply(v: Verdict, source: Verdict, link: Link) -> Verdict:
    ev = link.evidence
    best = max(ev.aligned, key=lambda a: a.similarity)
    d_text, s_text = v.text or "", source.text or ""
    derived_excerpt = _excerpt(d_text, *best.derived)
    source_excerpt = _excerpt(s_text, *best.source)
    notes = [f"{len(ev.aligned)} aligned sentences cover {ev.coverage:.0%} of the shorter text"]
    if ev.shared_quotes:
        notes.append(f"{len(ev.shared_quotes)} direct quote(s) in both")
    if ev.shared_numbers:
        notes.append("numbers in both: " + ", ".join(ev.shared_numbers[:MAX_LISTED]))
    if ev.shared_names:
        notes.append(f"{len(ev.shared_names)} names in both")
    credit = _credited_byline(d_text, s_text)
    if credit:
        notes.append(f'credits "{credit}", which the source names in its first lines (byline)')
    if link.relation == "near_copy":
        notes.append(f"{link.near_copy_share:.0%} of its 5-word sequences appear in the source")
    elif link.relation == "translation":
        notes.append(f"this version carries machine-translation artefacts (machine_translated "
                     f"{v.scores['machine_translated']:.2f} vs paraphrased {v.scores['paraphrased']:.2f}; "
                     f"source {source.scores['machine_translated']:.2f})")
    else:
        notes.append("same facts reworded: few shared 5-word sequences "
                     f"({link.near_copy_share:.0%}), no machine-translation artefacts")
    derived_from = DerivedFrom(id=source.id, index=link.source, relation=link.relation,
                               similarity=ev.similarity, derived_excerpt=derived_excerpt,
                               source_excerpt=source_excerpt, notes=tuple(notes))
    label, scores, evidence = v.label, v.scores, list(v.evidence)
    target = LABEL_OF_RELATION.get(link.relation)
    if not link.aligned and v.label == "ai_generated":
        # Shared story keys with few aligned sentences is also what a generation from the same
        # headline looks like (contract.md: ai_generated is written from a prompt or headline),
        # so a loose link keeps an ai_generated verdict. On the corpus test split news batch this
        # kept 42 more non-derived documents right and 12 fewer derivatives: net +30.
        target = None
    if target and scores:
        scores = {k: (1 - LINK_WEIGHT) * p + (LINK_WEIGHT if k == target else 0.0)
                  for k, p in scores.items()}
        label = max(LABELS, key=lambda k: scores[k])
        # The aligned sentence leads the evidence: it is the strongest reason for the label.
        evidence.insert(0, Evidence(
            feature="derived_from", start=derived_excerpt.start, end=derived_excerpt.end,
            excerpt=derived_excerpt.text, toward=target,
            note=f"{link.relation} of {source.id if source.id is not None else link.source}",
            weight=round(LINK_WEIGHT, 4)))
    return replace(v, label=label, scores=scores, evidence=evidence, linked=True,
                   derived_from=derived_from)


# The source's byline: an outlet named this close to the top of the source text.
BYLINE_CHARS = 300


def _credited_byline(derived: str, source: str) -> str | None:
    """The outlet the derived text credits ("Bloomberg reported") when the source's byline names
    it: checkable evidence of where the rewrite came from. None otherwise."""
    from detector.features.paraphrase import _attribution_pattern
    from detector.lexicon import lines

    head = source[:BYLINE_CHARS]
    for m in _attribution_pattern().finditer(derived):
        for outlet in lines("outlets.txt"):
            if outlet in m.group() and outlet in head:
                return m.group()
    return None


def _excerpt(text: str, start: int, end: int) -> Excerpt:
    chunk = text[start:end]
    if len(chunk) > MAX_EXCERPT_CHARS:
        chunk = chunk[: MAX_EXCERPT_CHARS - 1] + "…"
    return Excerpt(start=start, end=end, text=chunk)
