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

# A word: letters or digits, with inner apostrophes kept ("don't", "Russia's").
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

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
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _HSPACE.sub(" ", text)
    if "\n" in text:
        text = _LINE_EDGES.sub("\n", text)
        if "\n\n\n" in text:
            text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


def _needs_ftfy(text: str) -> bool:
    """Cheap gate before ftfy: pure ASCII text has no mojibake, and ftfy is the slowest step."""
    if text.isascii():
        return False
    import ftfy.badness

    return ftfy.badness.is_bad(text)


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
    _shared: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_text(cls, raw: str) -> "Document":
        unified = raw.replace("\r\n", "\n").replace("\r", "\n")
        repaired_text = repair(unified)
        text = _clean_layout(repaired_text)
        # findall builds the word strings in C; a second pass for the offsets is still cheaper
        # than calling group() and span() on every match object.
        words = WORD.findall(text)
        spans = [match.span() for match in WORD.finditer(text)]
        # NFC alone is not a repair worth flagging; ftfy's fixes are.
        repaired = repaired_text != unicodedata.normalize("NFC", unified)
        return cls(text=text, repaired=repaired, words=tuple(words), word_spans=tuple(spans))

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
        return tuple(w.lower() for w in self.words)

    @cached_property
    def word_count(self) -> int:
        return len(self.words)

    @cached_property
    def zipfs(self) -> tuple[float, ...]:
        """English Zipf frequency of every word, in order (0.0 for unknown words)."""
        get = english_frequencies().get
        log10 = math.log10
        keys = self.lower_words
        if "’" in self.text:  # wordfreq spells the apostrophe "'"; most texts have no curly one
            keys = [w.replace("’", "'") for w in keys]
        out = []
        for w in keys:
            f = get(w)
            out.append(log10(f) + 9.0 if f else 0.0)
        return tuple(out)

    @cached_property
    def sentence_starts(self) -> frozenset[int]:
        """Indices of words that open a sentence (their capital says nothing about names)."""
        return frozenset(s.first_word for s in self.sentences)

    # --- sentences and paragraphs ------------------------------------------------------------
    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        text = self.text
        cuts = set()
        abbreviations = _abbreviations()
        for match in _SENTENCE_END.finditer(text):
            if text[match.start()] == ".":
                before = _LAST_WORD.search(text, max(0, match.start() - 20), match.start() + 1)
                if before:
                    token = before.group(1)
                    # "J. K. Rowling", "U.S. officials", "Sgt. Moss": not the end of a sentence.
                    if len(token) == 1 or token.lower() in abbreviations:
                        continue
            cuts.add(match.end())
        for match in _LINE_BREAK.finditer(text):
            cuts.add(match.start())
        bounds = sorted(cuts)
        sentences = []
        starts = [s for s, _ in self.word_spans]
        prev = 0
        for cut in bounds + [len(text)]:
            chunk = text[prev:cut]
            lead = len(chunk) - len(chunk.lstrip())
            start, end = prev + lead, prev + len(chunk.rstrip())
            if end > start:
                first = bisect.bisect_left(starts, start)
                last = bisect.bisect_left(starts, end)
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
