"""Language-model generation: structure, filler and the missing specifics of prose from a prompt."""
from __future__ import annotations

import math
import re
import statistics
import sys
from functools import lru_cache

from detector import lexicon
from detector.document import Document
from detector.features.finding import MISSING, Finding, PhraseIndex, Span, rate_finding

_MARKDOWN = re.compile(
    r"""
      \*\*[^*\n]{2,120}\*\*            # **bold** (models bold their own headings)
    | __[^_\n]{2,120}__                # __bold__
    | (?:^|(?<=\s))\#{1,6}\ (?=\S)     # "## Heading" (also once the line breaks are gone)
    | \[[^\]\n]{1,120}\]\(https?://[^)\s]+\)   # [link](url)
    | ^\s*[*\-•]\ (?=\S)               # a bullet at the start of a line
    """,
    re.VERBOSE | re.MULTILINE,
)


# Every _MARKDOWN match contains one of these (in the order of the alternatives). Most texts
# contain none, and substring tests are far cheaper than the regex scan they let us skip.
_MARKDOWN_LITERALS = ("**", "__", "# ", "](", "* ", "- ", "• ")


def markdown_markup(doc: Document) -> Finding:
    """Markdown in running text: **bold headings**, "## Heading", bullets, [links](url).

    Chat models write markdown; news sites render it away, so when it survives as literal
    characters the text came from a model's raw output. Known false positives: forum posts and
    READMEs. Rate per 1,000 words.
    """
    if not any(literal in doc.text for literal in _MARKDOWN_LITERALS):
        return rate_finding((), doc)
    spans = [Span(m.start(), m.end(), "markdown markup") for m in _MARKDOWN.finditer(doc.text)]
    return rate_finding(spans, doc)


@lru_cache(maxsize=1)
def _stock_phrases() -> PhraseIndex:
    return PhraseIndex(lexicon.lines("stock_phrases.txt"))


def stock_phrase(doc: Document) -> Finding:
    """Stock filler ("remains to be seen", "the international community continues to monitor").

    A model with no more facts to add fills with hedges and grand closers; reporters with a story
    to tell use fewer. Known false positives: opinion pieces, press releases. Rate per 1,000 words.
    """
    return rate_finding(_stock_phrases().find(doc, "stock phrase"), doc)


@lru_cache(maxsize=1)
def _llm_vocabulary() -> PhraseIndex:
    return PhraseIndex(lexicon.lines("llm_vocabulary.txt"))


def llm_vocabulary(doc: Document) -> Finding:
    """Words chat models overuse ("delve", "pivotal", "underscores", "showcasing", "tapestry").

    Measured as excess vocabulary in text written since chat models appeared (the lexicon's
    header gives the studies). Unlike stock_phrase it needs no whole phrase, so it survives a
    model being told to write plainly. Known false positives: press releases, opinion pieces,
    business writing. Rate per 1,000 words.
    """
    return rate_finding(_llm_vocabulary().find(doc, "word chat models overuse"), doc)


# Only texts with this many sentences have a measurable rhythm.
MIN_SENTENCES_FOR_RHYTHM = 4


def sentence_length_cv(doc: Document) -> Finding:
    """How much sentence lengths vary (coefficient of variation; low = uniform rhythm).

    Model prose keeps sentences of similar length; human news mixes one-line quotes with long
    sentences. MISSING below MIN_SENTENCES_FOR_RHYTHM sentences.
    """
    lengths = [s.last_word - s.first_word for s in doc.sentences]
    if len(lengths) < MIN_SENTENCES_FOR_RHYTHM:
        return Finding(MISSING)
    mean = statistics.fmean(lengths)
    return Finding(pstdev_of_ints(lengths) / mean if mean else MISSING)


def pstdev_of_ints(values: list[int]) -> float:
    """statistics.pstdev(values) for integers, the very same float, ~20x faster.

    pstdev computes the exact variance with Fractions (one per value: most of this feature's
    cost), then its correctly rounded square root. For integers the exact variance is the
    integer fraction (n * sum of squares - sum ** 2) / n ** 2; reduced to lowest terms as
    Fraction reduces it, its correctly rounded root is the one pstdev returns.
    """
    n, total = len(values), sum(values)
    numerator, denominator = n * sum(v * v for v in values) - total * total, n * n
    common = math.gcd(numerator, denominator)
    return _sqrt_of_fraction(numerator // common, denominator // common)


# Bits kept in the integer square root before rounding to a float: statistics' own choice
# (_sqrt_bit_width), twice the float's mantissa plus three guard bits.
_SQRT_BITS = 2 * sys.float_info.mant_dig + 3


def _sqrt_of_fraction(n: int, m: int) -> float:
    """Square root of n/m, correctly rounded to a float: statistics._float_sqrt_of_frac's
    algorithm (an integer square root rounded to odd, https://bugs.python.org/msg407078)."""
    q = (n.bit_length() - m.bit_length() - _SQRT_BITS) // 2
    if q >= 0:
        return float(_isqrt_of_fraction_to_odd(n, m << 2 * q) << q)
    return _isqrt_of_fraction_to_odd(n << -2 * q, m) / (1 << -q)


def _isqrt_of_fraction_to_odd(n: int, m: int) -> int:
    a = math.isqrt(n // m)
    return a | (a * a * m != n)


_NUMBER = re.compile(r"\d")


def specifics_per_sentence(doc: Document) -> Finding:
    """Concrete detail per sentence: numbers and capitalised names not opening a sentence.

    Text written from a headline has few facts to state, so it names fewer people, places and
    figures per sentence than reporting does. Range 0 to ~5.
    """
    if not doc.sentences:
        return Finding(MISSING)
    starts = doc.sentence_starts
    count = 0
    for i, w in enumerate(doc.words):
        # Cheap test first; a word of letters only (isalpha) cannot hold a digit, so the regex
        # runs only on the few words with digits, apostrophes or other marks.
        if (w[:1].isupper() and i not in starts) or (not w.isalpha() and _NUMBER.search(w)):
            count += 1
    return Finding(count / len(doc.sentences))


_QUOTED = re.compile(r"[\"“”][^\"“”]{3,600}[\"“”]")


def direct_quote_share(doc: Document) -> Finding:
    """Share of characters inside double quotation marks: what people were heard to say.

    Reporting quotes its sources; generation from a prompt has no one to quote. Range 0-1.
    Whitespace is not counted, so the share does not change when line breaks replace spaces
    (layout invariance, document.py).
    """
    total = _non_space(doc.text)
    if not total:
        return Finding(0.0)
    inside = sum(_non_space(m.group()) for m in _QUOTED.finditer(doc.text))
    return Finding(min(1.0, inside / total))


def _non_space(text: str) -> int:
    return len(text) - sum(text.count(c) for c in " \n")


@lru_cache(maxsize=1)
def _closing_cues() -> PhraseIndex:
    cues = list(lexicon.lines("stock_phrases.txt")) + [
        "overall", "ultimately", "in conclusion", "in summary", "as the world", "going forward",
        "it is clear", "the future of", "remains to be seen", "only time will tell",
    ]
    return PhraseIndex(cues)


def summary_ending(doc: Document) -> Finding:
    """A moralising or summarising close ("Ultimately, ... remains to be seen."). 0 or 1.

    Models end on a summary or an outlook; news stories end on the last fact or quote. Looks at
    the last two sentences only. Known false positives: editorials.
    """
    if len(doc.sentences) < 3:
        return Finding(0.0)
    tail = doc.sentences[-2]
    # Matches are found left to right over the whole text (an earlier match can hide a later
    # overlapping one), so the tail cannot be scanned alone; but when no cue matches anywhere
    # in the tail, the answer is 0 without that scan.
    if not _closing_cues().matches_somewhere_from(doc, tail.first_word):
        return Finding(0.0)
    tail_start = tail.start
    spans = [s for s in doc.shared(_closing_matches) if s.start >= tail_start]
    return Finding(1.0 if spans else 0.0, tuple(spans[:2]))


def _closing_matches(doc: Document) -> list[Span]:
    return _closing_cues().find(doc, "summary or moral at the end")
