"""What two versions of one story share, in a form a person can check.

For a candidate pair this finds the aligned sentences (each sentence of the shorter text with the
sentence of the other that shares most of its story keys), the direct quotes both carry, and the
numbers and names both mention. relate.py turns these into a decision; the verdict shows them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from detector.document import WORD
from detector.link.fingerprint import story_words

# Two sentences are aligned when this share of the smaller sentence's keys (Dice on key sets)
# is shared. Set by hand on the samples: at 0.4, 12 of 001's 13 sentences align with 002 and 13 of
# 000's 14, while 003 and 004 (other reports of the same talks) align 25% and 14% of their
# sentences with 002. The corpus evaluation checks the outcome (precision 0.967 on the test split).
ALIGN_MIN = 0.4
# Sentences with fewer story keys than this ("He said so.") align with anything; not counted.
MIN_SENTENCE_KEYS = 3
# Sentences compared per document: long texts are cut (cost; the top carries the story).
MAX_SENTENCES = 200
# Characters of a text compared (~3,000 words, past the MAX_KEYS story words candidates use).
MAX_PROFILE_CHARS = 20_000
# A direct quote counts from this many words ("absolutely CRAZY!" is two words and too common
# a pattern to prove anything alone).
MIN_QUOTE_WORDS = 4
# Two quotes are the same when this share of the shorter one's keys is shared: translation and
# re-punctuation change a few words of a quote, never most of them.
QUOTE_MATCH = 0.6

# A sentence end: terminal punctuation and closing quotes before a space and a capital or digit
# (as in document.py); line breaks end sentences too.
_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9])""")
_BREAK = re.compile(r"\n+")
# Sentences glued without a space ("pre-fight.The Nevada", "competition.""We visited"): common
# in scraped text (and in XSum). A sentence the splitter left whole is cut again here, for
# alignment only: a lower-case word, end punctuation and closing quotes, then a capital word.
_GLUED = re.compile(r"""(?<=[a-z]{2}[.!?])(?=["“]?[A-Z][a-z])|(?<=[a-z][.!?]["”])(?=["“]?[A-Z])""")
_QUOTE = re.compile(r"""“([^”]{10,400})”|"([^"]{10,400})"|«([^»]{10,400})»""")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")


@dataclass(frozen=True)
class Aligned:
    """One derived sentence and the source sentence it matches (offsets into each scored text)."""

    derived: tuple[int, int]
    source: tuple[int, int]
    similarity: float


class Profile:
    """The comparable parts of one text, built once per text that reaches a candidate pair."""

    def __init__(self, text: str):
        # Offsets point into `text` as given: pass a verdict's text (already normalised) and
        # excerpts line up with the verdict's evidence. Only the top MAX_PROFILE_CHARS are
        # compared: offsets into a prefix are offsets into the whole.
        self.text = text[:MAX_PROFILE_CHARS]

    @cached_property
    def lower_words(self) -> tuple[str, ...]:
        return tuple(WORD.findall(self.text.lower()))

    @cached_property
    def sentences(self) -> list[tuple[int, int, frozenset[str]]]:
        """(start, end, key set) of each sentence, at most MAX_SENTENCES.

        A lighter cut than Document.sentences (no abbreviation list: "Mr." alone becomes a
        sentence without story keys and is never counted), because every document of every
        candidate pair is cut: Document's full parse cost 5 ms a text on the benchmark batch.
        """
        text = self.text
        cuts = {m.end() for m in _SENTENCE_END.finditer(text)}
        cuts.update(m.start() for m in _BREAK.finditer(text))
        cuts.update(m.start() for m in _GLUED.finditer(text))
        spans, prev = [], 0
        for cut in sorted(cuts) + [len(text)]:
            chunk = text[prev:cut]
            lead = len(chunk) - len(chunk.lstrip())
            start, end = prev + lead, prev + len(chunk.rstrip())
            if end > start:
                spans.append((start, end))
                if len(spans) >= MAX_SENTENCES:
                    break
            prev = cut
        words = story_words(text)
        out, w = [], 0
        for start, end in spans[:MAX_SENTENCES]:
            keys = []
            while w < len(words) and words[w][1] < end:
                if words[w][1] >= start:
                    keys.append(words[w][0])
                w += 1
            out.append((start, end, frozenset(keys)))
        return out

    @cached_property
    def quotes(self) -> list[tuple[int, int, frozenset[str]]]:
        out = []
        for m in _QUOTE.finditer(self.text):
            body = next(g for g in m.groups() if g is not None)
            if len(body.split()) < MIN_QUOTE_WORDS:
                continue
            keys = frozenset(k for k, _s, _e in story_words(body))
            if keys:
                out.append((m.start(), m.end(), keys))
        return out

    @cached_property
    def numbers(self) -> frozenset[str]:
        return frozenset(n.replace(",", "").rstrip(".") for n in _NUMBER.findall(self.text))

    @cached_property
    def names(self) -> frozenset[str]:
        """Capitalised words not opening a sentence: people, places, organisations."""
        starts = {s for s, _e, _k in self.sentences}
        out = set()
        for m in re.finditer(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?\b", self.text):
            if m.start() not in starts and m.start() > 0:
                out.add(m.group().lower()[:6])
        return frozenset(out)


@dataclass(frozen=True)
class PairEvidence:
    aligned: tuple[Aligned, ...]
    coverage: float  # share of the shorter text's countable sentences that are aligned
    shared_quotes: tuple[tuple[tuple[int, int], tuple[int, int]], ...]  # (derived span, source span)
    shared_numbers: tuple[str, ...]
    shared_names: tuple[str, ...]

    @property
    def similarity(self) -> float:
        """Mean similarity of the aligned sentences times coverage: 0 unrelated, 1 identical."""
        if not self.aligned:
            return 0.0
        return self.coverage * sum(a.similarity for a in self.aligned) / len(self.aligned)


def compare(derived: Profile, source: Profile) -> PairEvidence:
    """Align `derived` against `source` and collect what they share."""
    d_sents = [s for s in derived.sentences if len(s[2]) >= MIN_SENTENCE_KEYS]
    s_sents = [s for s in source.sentences if len(s[2]) >= MIN_SENTENCE_KEYS]
    # Coverage is measured on the shorter text: a rewrite of an article's first pages covers
    # the rewrite fully and the article partly; either way one is built from the other.
    if len(d_sents) <= len(s_sents):
        aligned, total = _align(d_sents, s_sents, flip=False), len(d_sents)
    else:
        aligned, total = _align(s_sents, d_sents, flip=True), len(s_sents)
    coverage = len(aligned) / total if total else 0.0
    quotes = []
    for ds, de, dk in derived.quotes:
        for ss, se, sk in source.quotes:
            if _dice(dk, sk) >= QUOTE_MATCH:
                quotes.append(((ds, de), (ss, se)))
                break
    return PairEvidence(
        aligned=tuple(aligned), coverage=coverage, shared_quotes=tuple(quotes),
        shared_numbers=tuple(sorted(derived.numbers & source.numbers)),
        shared_names=tuple(sorted(derived.names & source.names)),
    )


def _align(these, others, flip: bool) -> list[Aligned]:
    """For each sentence in `these`, its best match in `others` when it reaches ALIGN_MIN."""
    index: dict[str, list[int]] = {}
    for j, (_s, _e, keys) in enumerate(others):
        for k in keys:
            index.setdefault(k, []).append(j)
    out = []
    for start, end, keys in these:
        counts: dict[int, int] = {}
        for k in keys:
            for j in index.get(k, ()):
                counts[j] = counts.get(j, 0) + 1
        best, best_sim = -1, 0.0
        for j, c in counts.items():
            sim = 2 * c / (len(keys) + len(others[j][2]))
            # Ties go to the earlier sentence. `counts` is filled in the iteration order of a
            # frozenset of strings, which changes with each process's hash seed: without this,
            # the same batch could show a different aligned sentence from one run to the next.
            if sim > best_sim or (sim == best_sim and j < best):
                best, best_sim = j, sim
        if best >= 0 and best_sim >= ALIGN_MIN:
            o = others[best]
            pair = ((start, end), (o[0], o[1]))
            if flip:
                pair = (pair[1], pair[0])
            out.append(Aligned(derived=pair[0], source=pair[1], similarity=round(best_sim, 4)))
    return out


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
