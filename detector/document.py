"""Document: one text, cleaned once and cut into paragraphs, sentences and words with offsets.

Every feature detector receives the same Document, so decoding, normalisation and segmentation
happen exactly once per text. All offsets are character offsets into `Document.text`, the
*scored* text (normalised), which is also what the verdict's evidence points into.

Layout invariance: the corpus had its whitespace flattened, so nothing a model learns may depend
on line breaks. Sentences are cut at sentence punctuation *and* at line breaks, so inserting a
break between two sentences changes nothing; features read sentences and words, never lines.
Paragraphs are kept only for flags (a duplicated paragraph, a tail on its own line).
"""
from __future__ import annotations

import bisect
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate
from operator import itemgetter
from typing import Callable, Sequence

from detector import lexicon

# Characters that carry no text: zero-width joiners/spaces, soft hyphen, BOM inside text.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Every horizontal space (tabs, no-break spaces, thin spaces) becomes one ordinary space. Written
# to match only what changes (a run of two or more, or one that is not an ordinary space), not
# every single space between words: same result, half the time.
_HSPACE = re.compile(r"[^\S\n]{2,}|[^\S\n ]")
# Control characters other than newline and tab.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_LINE_EDGES = re.compile(r" *\n *")

# Hard-wrapped text (wire feeds, e-mail, plain-text archives, text copied from a PDF) breaks its
# lines at a fixed width, mid-sentence. Sentences are cut at every line break (layout
# invariance, below), so such a text would read as dozens of three-word "sentences" that
# start in lower case: of 12 Reuters wire stories of 1987 the model called 11 ai_generated,
# and 5 with the lines rejoined (6 original). A text is taken as hard-wrapped when at least
# HARD_WRAP_MIN_BREAKS of its single line breaks, and at least HARD_WRAP_MIN_SHARE of them, fall
# mid-sentence: a word or comma before the break and a lower-case word after it, which a
# break a writer puts between sentences, list items or headings (almost) never shows.
HARD_WRAP_MIN_BREAKS = 3
HARD_WRAP_MIN_SHARE = 0.3
# A single line break, with the spaces around it and the first characters of the next line.
_SINGLE_BREAK = re.compile(r"(?<=\S)([^\S\n]*)\n(?!\n)([^\S\n]*)(?=\S)")
_MID_SENTENCE = re.compile(r"[^\W_],?[^\S\n]*\n[^\S\n]*[a-z]")
# Where a hard-wrapped text still starts a new line: an indented line (the wire's paragraph
# mark), a list item, a heading or a quote block.
_KEEPS_LINE = re.compile(r"[-*•#>|]|\d{1,3}[.)]\s")

# A word: letters or digits, with inner apostrophes kept ("don't", "Russia's").
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# The same as a group, so that one re.split yields the gaps and the words in turn.
_WORD_SPLIT = re.compile(f"({WORD.pattern})")

# A sentence boundary candidate: terminal punctuation, optional closing quotes or brackets,
# whitespace, then what can open a sentence (an opening quote/bracket, a capital or a digit).
_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9])""")
_LINE_BREAK = re.compile(r"\n+")
_LAST_WORD = re.compile(r"([^\W\d_]+)\.?$")


@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    return lexicon.word_set("abbreviations.txt")


@lru_cache(maxsize=1)
def english_frequencies() -> dict[str, float]:
    """wordfreq's English list as a plain dict (word -> frequency), loaded once.

    Looking words up in the dict is ~50x faster than calling wordfreq.zipf_frequency per word,
    which re-tokenises its argument; we lower-case tokens ourselves instead.
    """
    return _read_cbpack() or _wordfreq_dict()


# The list's file inside the wordfreq package, in wordfreq's documented "cBpack" format: a
# msgpack list whose first item is {"format": "cB", "version": 1} and whose item i+1 holds the
# words of frequency 10^(-i/100). Reading it directly takes 0.4 s; `import wordfreq` alone takes
# 0.35 s more (its tokenizer's regex and language data), which is most of a cold start.
# Any other layout falls back to wordfreq's own function.
WORDLIST_FILE = ("data", "large_en.msgpack.gz")
CBPACK_HEADER = {"format": "cB", "version": 1}


def _read_cbpack() -> dict[str, float] | None:
    import gzip
    import importlib.util
    import os

    try:
        import msgpack  # a dependency of wordfreq

        spec = importlib.util.find_spec("wordfreq")
        path = os.path.join(spec.submodule_search_locations[0], *WORDLIST_FILE)
        with gzip.open(path, "rb") as handle:
            pack = msgpack.load(handle, raw=False)
    except (ImportError, OSError, ValueError, TypeError, AttributeError, IndexError):
        return None
    if not pack or pack[0] != CBPACK_HEADER:
        return None
    frequencies: dict[str, float] = {}
    for index, bucket in enumerate(pack[1:]):
        frequencies.update(dict.fromkeys(bucket, 10.0 ** (-index / 100)))
    return frequencies


def _wordfreq_dict() -> dict[str, float]:
    import wordfreq

    return wordfreq.get_frequency_dict("en", wordlist="large")


def zipf(word_lower: str) -> float:
    """Zipf frequency of a lower-cased word in English (0.0 when wordfreq does not know it)."""
    freq = english_frequencies().get(word_lower)
    return math.log10(freq) + 9.0 if freq else 0.0


def repair(text: str) -> str:
    """Repair mojibake (ftfy) and compose characters (NFC); returns the text unchanged otherwise."""
    if _needs_ftfy(text):
        import ftfy

        return ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False)
    return unicodedata.normalize("NFC", text)


def normalise(text: str) -> str:
    """Clean text for scoring: repaired, one kind of space and newline, no control characters."""
    text = repair(text.replace("\r\n", "\n").replace("\r", "\n"))
    return _clean_layout(text)


def _clean_layout(text: str) -> str:
    # The `in` tests skip a regex pass that cannot match (a substring search is far cheaper
    # than a regex scan); the result is the same either way.
    ascii_only = text.isascii()
    if not ascii_only:
        text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    if "\n" in text:
        text = unwrap_hard_lines(text)
    # After _CONTROL, the only horizontal spaces left in ASCII text are " " and "\t" (it turned
    # \x0b, \x0c, \r and \x1c-\x1f into spaces), so _HSPACE can match only at a tab or at two
    # spaces in a row; most texts have neither, and two substring searches cost a tenth of the scan.
    if not ascii_only or "\t" in text or "  " in text:
        text = _HSPACE.sub(" ", text)
    if "\n" in text:
        text = _LINE_EDGES.sub("\n", text)
        if "\n\n\n" in text:
            text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


def unwrap_hard_lines(text: str) -> str:
    """Rejoin the lines of a hard-wrapped text (see HARD_WRAP_MIN_SHARE); other texts are
    returned unchanged. Blank lines, indented lines, list items and headings still start a new
    line; a word hyphenated across the break ("long-\nterm") is joined without a space."""
    breaks = sum(1 for _ in _SINGLE_BREAK.finditer(text))
    if breaks < HARD_WRAP_MIN_BREAKS:
        return text
    mid = sum(1 for _ in _MID_SENTENCE.finditer(text))
    if mid < HARD_WRAP_MIN_BREAKS or mid < HARD_WRAP_MIN_SHARE * breaks:
        return text

    def join(m: re.Match) -> str:
        if len(m.group(2).expandtabs(4)) >= 2 or _KEEPS_LINE.match(text, m.end()):
            return m.group(0)
        if text[m.start() - 1] == "-" and text[m.end()].islower():
            return ""
        return " "

    return _SINGLE_BREAK.sub(join, text)


def _needs_ftfy(text: str) -> bool:
    """Cheap gates before ftfy: pure ASCII text has no mojibake, and ftfy is the slowest step;
    nor does text that lacks every sequence ftfy's badness regex needs (see _ftfy_gate)."""
    if text.isascii():
        return False
    gate = _ftfy_gate()
    if gate is not None and not gate.search(text):
        return False
    import ftfy.badness

    return ftfy.badness.is_bad(text)


@lru_cache(maxsize=1)
def _ftfy_gate() -> re.Pattern | None:
    """A regex that matches wherever ftfy.badness.is_bad could: two non-ASCII characters in a
    row, or one of the few non-ASCII characters that some alternative needs alone (C1 controls,
    "Â" and "Ã" before a space, "œ"). Derived from ftfy's own regex, so it stays exact.

    is_bad costs ~1 ms on a 1.7 KB text with curly quotes or an accented name; this search
    ~0.05 ms, and it lets about nine in ten non-ASCII corpus texts skip is_bad. Every
    alternative of ftfy's BADNESS_RE is a sequence of single characters; it can only match
    where two consecutive items, each a set of non-ASCII characters only, match a non-ASCII
    pair, or otherwise where one such item matches. When an alternative has neither (another
    ftfy version), there is no gate: None, and every non-ASCII text goes to is_bad.
    """
    import ftfy.badness

    try:
        import re._parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover - older Pythons
        import sre_parse

    pattern = ftfy.badness.BADNESS_RE
    if pattern.flags & re.IGNORECASE:  # case folding could map a non-ASCII letter to ASCII
        return None
    tree = list(sre_parse.parse(pattern.pattern, pattern.flags))
    branches = tree[0][1][1] if len(tree) == 1 and str(tree[0][0]) == "BRANCH" else [tree]
    singles: list[tuple[int, int]] = []
    for branch in branches:
        ranges = [_non_ascii_ranges(item) for item in branch]
        if any(a and b for a, b in zip(ranges, ranges[1:])):
            continue  # needs two non-ASCII characters in a row
        alone = next((r for r in ranges if r), None)
        if alone is None:
            return None
        singles.extend(alone)
    one_of = "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in sorted(set(singles)))
    pair = r"[^\x00-\x7f]{2}"
    return re.compile(f"{pair}|[{one_of}]" if one_of else pair)


def _non_ascii_ranges(item) -> list[tuple[int, int]] | None:
    """The code point ranges of a parsed regex item that matches one non-ASCII character from a
    fixed set (a literal or a class of literals and ranges); None for anything else."""
    op, arg = str(item[0]), item[1]
    if op == "LITERAL":
        return [(arg, arg)] if arg > 0x7F else None
    if op != "IN":
        return None
    out = []
    for sub_op, sub_arg in arg:
        if str(sub_op) == "LITERAL":
            lo = hi = sub_arg
        elif str(sub_op) == "RANGE":
            lo, hi = sub_arg
        else:  # a negated class or a category such as \w may match ASCII
            return None
        if lo <= 0x7F:
            return None
        out.append((lo, hi))
    return out


# Words each feature's WordCache holds before it is cleared. Six of them (and the Zipf cache)
# share the scan's memory: on input with an unbounded vocabulary (8,000 documents, ~600,000
# distinct made-up words) a scan's peak RSS was 200 MB before the six and 262 MB with them at
# 200,000 words each, 233 MB at 100,000. The words that recur ("the", "said", the week's names)
# are back in a cache within a document or two.
MAX_WORD_CACHE = 100_000


def word_zipf(word: str) -> float:
    """The Zipf value Document.zipfs gives `word` (as written): lower-cased, curly apostrophe
    spelt as wordfreq spells it. For per-word caches (WordCache) that need it."""
    return zipf(word.lower().replace("’", "'"))


class WordCache:
    """The values of a function of one word alone, each distinct word computed once per process.

    Why: a Python loop over every word of every document, testing isalpha(), isupper() and a
    dict or two per word, was the cost of many features; most words ("the", "said") recur in
    every document. `values(words)` looks all words up with map() in C and computes only the
    words never seen before. `compute` must depend on nothing but its argument (no document
    state) and never return None. Cleared past `max_size` words to bound memory.
    """

    def __init__(self, compute: Callable[[str], object], max_size: int = MAX_WORD_CACHE):
        self.compute = compute
        self.max_size = max_size
        self._values: dict[str, object] = {}

    def values(self, words: Sequence[str]) -> list:
        """compute(w) for every word, in order."""
        cache = self._values
        if len(cache) > self.max_size:
            cache.clear()
        try:  # every word seen before (most documents, once warm): no scan for gaps
            return list(map(cache.__getitem__, words))
        except KeyError:
            out = list(map(cache.get, words))
        if None in out:
            compute = self.compute
            for i in [i for i, v in enumerate(out) if v is None]:
                value = cache.get(words[i])
                if value is None:
                    value = cache[words[i]] = compute(words[i])
                out[i] = value
        return out


# Zipf values of lower-cased words (Document.zipfs), cleared past this size to bound memory.
MAX_CACHED_ZIPFS = 200_000
_ZIPF_WORDS = WordCache(zipf, max_size=MAX_CACHED_ZIPFS)


# How far back word_before_stop looks first; most words are shorter.
_NEAR_STOP = 8


def word_before_stop(text: str, stop: int) -> re.Match | None:
    """_LAST_WORD.search(text, max(0, stop - 20), stop + 1): the letters before the full stop
    at `stop`, within the 20 characters before it, as the sentence splitter reads them.

    Searched first in the last _NEAR_STOP characters: the search tries every start position of
    its window, and the leftmost match is the start of the run of letters before the stop (or
    the window's start). A match that starts after the near window's start is that run; one that
    starts right at it may reach further back, and is searched again in the full window.
    """
    lo = max(0, stop - 20)
    near = max(lo, stop - _NEAR_STOP)
    found = _LAST_WORD.search(text, near, stop + 1)
    if found and found.start() == near and near > lo:
        found = _LAST_WORD.search(text, lo, stop + 1)
    return found


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    first_word: int  # index into Document.words
    last_word: int  # exclusive


@dataclass(frozen=True, eq=False)
class Document:
    """A normalised text with its segmentation. Build it with Document.from_text."""

    text: str
    repaired: bool = False  # normalisation changed more than whitespace (mojibake, controls)
    words: tuple[str, ...] = field(default=(), repr=False)
    word_spans: tuple[tuple[int, int], ...] = field(default=(), repr=False)
    # The text before each word and after the last: len(words) + 1 strings, "" when unknown.
    gaps: tuple[str, ...] = field(default=(), repr=False)
    _shared: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_text(cls, raw: str) -> "Document":
        unified = raw.replace("\r\n", "\n").replace("\r", "\n")
        repaired_text = repair(unified)
        text = _clean_layout(repaired_text)
        # One regex pass, in C: [gap, word, gap, ..., word, gap]; the offsets are the running
        # sum of the pieces' lengths. Cheaper than findall plus finditer's span() per match.
        pieces = _WORD_SPLIT.split(text)
        bounds = list(accumulate(map(len, pieces)))
        spans = tuple(zip(bounds[0:-1:2], bounds[1::2]))
        # NFC alone is not a repair worth flagging; ftfy's fixes are.
        repaired = repaired_text != unicodedata.normalize("NFC", unified)
        return cls(text=text, repaired=repaired, words=tuple(pieces[1::2]), word_spans=spans,
                   gaps=tuple(pieces[0::2]))

    def shared(self, compute):
        """Run `compute(doc)` once per document: for scans that several features read."""
        try:
            return self._shared[compute]
        except KeyError:
            value = self._shared[compute] = compute(self)
            return value

    # --- words -----------------------------------------------------------------------------
    @cached_property
    def lower_words(self) -> tuple[str, ...]:
        return tuple(map(str.lower, self.words))

    @cached_property
    def word_count(self) -> int:
        return len(self.words)

    @cached_property
    def zipfs(self) -> tuple[float, ...]:
        """English Zipf frequency of every word, in order (0.0 for unknown words)."""
        keys = self.lower_words
        if "’" in self.text:  # wordfreq spells the apostrophe "'"; most texts have no curly one
            keys = [w.replace("’", "'") for w in keys]
        # Each word's value is computed once per process and then looked up, all words at once
        # with map() in C; a Python loop computed log10 again for every "the" and "said".
        return tuple(_ZIPF_WORDS.values(keys))

    @cached_property
    def sentence_starts(self) -> frozenset[int]:
        """Indices of words that open a sentence (their capital says nothing about names)."""
        return frozenset(s.first_word for s in self.sentences)

    # --- sentences and paragraphs ------------------------------------------------------------
    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        text = self.text
        cuts = []
        abbreviations = _abbreviations()
        for match in _SENTENCE_END.finditer(text):
            stop = match.start()
            if text[stop] == ".":
                before = word_before_stop(text, stop)
                if before:
                    token = before.group(1)
                    # "J. K. Rowling", "U.S. officials", "Sgt. Moss": not the end of a sentence.
                    if len(token) == 1 or token.lower() in abbreviations:
                        continue
            cuts.append(match.end())
        # finditer's matches do not overlap, so their ends rise: sorted already, no repeats.
        bounds = cuts
        if "\n" in text:  # the corpus has its line breaks flattened: most texts have none
            bounds = sorted(set(cuts).union(m.start() for m in _LINE_BREAK.finditer(text)))
        sentences = []
        starts = list(map(itemgetter(0), self.word_spans))
        prev = 0
        for cut in bounds + [len(text)]:
            chunk = text[prev:cut]
            lead = len(chunk) - len(chunk.lstrip())
            start, end = prev + lead, prev + len(chunk.rstrip())
            if end > start:
                first = bisect.bisect_left(starts, start)
                last = bisect.bisect_left(starts, end, first)
                if last > first:
                    sentences.append(Sentence(start, end, first, last))
            prev = cut
        return tuple(sentences)

    @cached_property
    def paragraphs(self) -> tuple[tuple[int, int], ...]:
        """(start, end) of each non-empty line. Used for flags only: layout is not a feature."""
        out, pos = [], 0
        for line in self.text.split("\n"):
            if line.strip():
                out.append((pos, pos + len(line)))
            pos += len(line) + 1
        return tuple(out)

    def sentence_text(self, sentence: Sentence) -> str:
        return self.text[sentence.start : sentence.end]

    def word_at(self, index: int) -> tuple[str, int, int]:
        start, end = self.word_spans[index]
        return self.words[index], start, end

    def spaced_pair(self, index: int) -> bool:
        """Are word `index` and the next one separated by exactly one space (no punctuation, no
        line break)? The test of a word pair for calque_pair, content_pairs and doubled_word."""
        end = self.word_spans[index][1]
        return self.word_spans[index + 1][0] == end + 1 and self.text[end] == " "
