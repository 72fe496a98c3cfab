"""What a feature detector returns: a number and the spans of text that produced it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import compress
from typing import Callable, Iterable, Iterator

from detector.document import Document


@dataclass(frozen=True)
class Span:
    start: int  # character offsets into Document.text
    end: int
    note: str = ""


@dataclass(frozen=True)
class Finding:
    value: float
    spans: tuple[Span, ...] = ()


NOTHING = Finding(0.0)
# Value for "cannot be measured on this text" (e.g. rhythm of a one-sentence text). The
# classifier (gradient boosting) treats NaN as missing rather than as a number.
MISSING = float("nan")

Detector = Callable[[Document], Finding]


def per_thousand_words(count: float, doc: Document) -> float:
    """Rates per 1,000 words keep long and short documents comparable."""
    return 1000.0 * count / max(doc.word_count, 1)


def rate_finding(spans: Iterable[Span], doc: Document) -> Finding:
    spans = tuple(spans)
    return Finding(per_thousand_words(len(spans), doc), spans)


def regex_spans(pattern: re.Pattern, text: str, note: str = "") -> list[Span]:
    return [Span(m.start(), m.end(), note) for m in pattern.finditer(text)]


def occurrences(text: str, needle: str) -> Iterator[int]:
    """Every position where `needle` occurs in `text`, overlapping ones included."""
    i = text.find(needle)
    while i >= 0:
        yield i
        i = text.find(needle, i + 1)


def matches_from(pattern: re.Pattern, text: str, starts: Iterable[int]) -> list[re.Match]:
    """pattern.finditer(text)'s matches, given a superset of the positions where one can start.

    `pattern.match` is tried at those positions only, left to right, never inside the previous
    match: what finditer finds, without trying the pattern at every character. For patterns
    that open with lookarounds or long alternations and rarely match (`match` at a position
    still sees the text before it, so lookbehinds and \\b work as in finditer).
    """
    matches, end = [], 0
    for i in sorted(set(starts)):
        if i >= end:
            m = pattern.match(text, i)
            if m:
                matches.append(m)
                end = m.end()
    return matches


class PhraseIndex:
    """Find lower-case word sequences (one lexicon) in a document's words, one dict look-up a word.

    Cheaper than a regex alternation of hundreds of phrases, and matches on word boundaries by
    construction because both sides go through the same tokeniser.
    """

    def __init__(self, phrases: Iterable[str]):
        from detector.document import WORD

        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            words = tuple(w.lower() for w in WORD.findall(phrase))
            if words:
                self._by_first.setdefault(words[0], []).append(words)
        for options in self._by_first.values():
            options.sort(key=len, reverse=True)  # longest match first
        # The same phrases keyed by their first two words (one-word phrases by their word alone),
        # longest first: at a word that opens phrases ("a", "in", "the" open dozens), one dict
        # look-up of the next word leaves only the phrases that can match there.
        self._by_start: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for options in self._by_first.values():
            for phrase in options:
                self._by_start.setdefault(phrase[:2], []).append(phrase)

    def find(self, doc: Document, note: str = "") -> list[Span]:
        """Matches left to right, longest first; after a match the scan resumes past its end.

        Only words that open some phrase are visited: `compress` picks them out in C, where a
        Python loop over every word cost more than the look-ups themselves. There, the phrases
        of two words or more that start with this word and the next are tried first (longest
        first), then the one-word phrase: the "longest first" order of all the phrases that
        can match at this word.
        """
        words, spans, out = doc.lower_words, doc.word_spans, []
        by_first, by_start = self._by_first, self._by_start
        resume = 0  # first word not inside an earlier match
        for i in compress(range(len(words)), map(by_first.__contains__, words)):
            if i < resume:
                continue
            match = None
            for phrase in by_start.get(tuple(words[i : i + 2]), ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    match = phrase
                    break
            if match is None and (words[i],) in by_start:
                match = (words[i],)
            if match is not None:
                k = len(match)
                out.append(Span(spans[i][0], spans[i + k - 1][1], note or " ".join(match)))
                resume = i + k
        return out

    def matches_somewhere_from(self, doc: Document, first_word: int) -> bool:
        """Could find() return a span starting at word `first_word` or later?

        False only when no phrase matches at any of those words, taken one by one; then find()
        has nothing there either. A cheap test that lets a caller who reads only the end of a
        text skip the scan of the whole text.
        """
        words, by_first = doc.lower_words, self._by_first
        for i in range(first_word, len(words)):
            for phrase in by_first.get(words[i], ()):
                if words[i : i + len(phrase)] == phrase:
                    return True
        return False
