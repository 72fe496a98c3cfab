"""Learned style features: n-grams over a topic-blind view of the text.

A bag of words learns what a text is about (Czech politics -> machine-translated) instead of how
it was made. Here every word that is not among the most frequent English words is replaced by
its shape: a capitalised name, a number, or a rare/common content word bucket by Zipf frequency.
Punctuation is kept. What remains is syntax and register: "the attack had people injured" ->
"the w4 had people w4", "Additionally , C C w5 that" - patterns of translation and of model
prose that carry over to unseen topics and sources.

The n-grams are hashed (no vocabulary to store) with integer arithmetic over token ids, in numpy
(no n-gram strings are built), and a linear model turns them into one
probability per label; those four numbers join the hand-built features (model.py).
"""
from __future__ import annotations

import math
import zlib
from functools import lru_cache
from itertools import chain

import numpy as np

from detector import lexicon
from detector.document import Document, english_frequencies

# Words at least this frequent (Zipf >= 5, i.e. at least once per 100,000 words: about the top
# 1,000 English words) are kept as themselves; they are function words and common verbs that say
# little about the topic.
KEEP_ZIPF = 5.0
# N-gram orders over the shape sequence.
NGRAM_ORDERS = (1, 2, 3)
# Hash space: 2^18 columns; collisions are rare at the ~60,000 distinct n-grams of the corpus.
HASH_BITS = 18
HASH_FEATURES = 1 << HASH_BITS
# Longest run of characters between two words kept as punctuation tokens (longer gaps are cut).
MAX_GAP = 4


@lru_cache(maxsize=1)
def _kept_words() -> frozenset[str]:
    threshold = 10 ** (KEEP_ZIPF - 9)
    kept = {w for w, f in english_frequencies().items() if f >= threshold and w.isalpha()}
    kept |= lexicon.word_set("function_words.txt")
    kept |= {w for w in lexicon.word_set("rewrite_register.txt") if " " not in w}
    kept |= lexicon.word_set("reporting_verbs.txt")
    return frozenset(kept)


def _shape(word: str, lower: str, zipf: float, sentence_start: bool) -> str:
    if lower in _kept_words():
        return lower
    if any(c.isdigit() for c in word):
        return "<num>"
    if word[:1].isupper() and not sentence_start:
        return "<Cap>"
    if zipf == 0.0:
        return "<unk>"
    return f"<w{min(int(math.floor(zipf)), 4)}>"


def shape_tokens(doc: Document) -> list[str]:
    """The topic-blind token sequence: kept words, word shapes and punctuation, sentence marks."""
    text, words, lower, zipfs = doc.text, doc.words, doc.lower_words, doc.zipfs
    starts = doc.sentence_starts
    shapes = _SHAPES
    if len(shapes) > MAX_CACHED_SHAPES:
        shapes.clear()
    out: list[str] = []
    append = out.append
    prev_end = 0
    for i, (start, end) in enumerate(doc.word_spans):
        if start != prev_end + 1 or text[prev_end] != " ":  # most gaps are one space: no token
            out.extend(text[prev_end:start].replace(" ", "").replace("\n", "")[:MAX_GAP])
        at_start = i in starts
        if at_start:
            append("<s>")
        word = words[i]
        # A word's shape depends only on the word and whether it opens a sentence (its lower
        # case and Zipf value follow from the word): computed once per process, then looked up.
        shape = shapes.get((word, at_start))
        if shape is None:
            shape = shapes[(word, at_start)] = _shape(word, lower[i], zipfs[i], at_start)
        append(shape)
        prev_end = end
    tail = text[prev_end:].replace(" ", "").replace("\n", "")[:MAX_GAP]
    out.extend(tail)
    return out


# Shapes looked up by (word, opens a sentence); cleared past this size to bound memory.
MAX_CACHED_SHAPES = 200_000
_SHAPES: dict[tuple[str, bool], str] = {}


def hashed_row(doc: Document) -> tuple[np.ndarray, np.ndarray]:
    """The document's shape n-grams (orders NGRAM_ORDERS) hashed into HASH_FEATURES columns:
    (sorted column indices, l2-normalised counts). Empty arrays for a text without words."""
    return row_of_ids(token_ids(doc))


def token_ids(doc: Document) -> np.ndarray:
    """The ids (_token_id) of shape_tokens(doc), in order, without its per-word Python loop.

    Each word's id and each gap's ids (the punctuation between two words; none for a single
    space) come from caches looked up with map(), in C, and are joined with chain(), in C.
    Python touches only the sentence starts and what was never seen before in this process.
    Gives exactly shape_tokens' ids (tests/test_fast_paths.py; benchmarks/check_equivalence.py).
    """
    words, gaps, opens = doc.words, doc.gaps, doc.sentence_starts
    if len(gaps) != len(words) + 1:  # a Document not built by from_text: the plain way
        return np.array([_token_id(t) for t in shape_tokens(doc)], dtype=np.uint64)
    for cache in _ID_CACHES:
        if len(cache) > MAX_CACHED_SHAPES:
            cache.clear()
    # A word's shape depends on whether it opens a sentence; a few words do.
    shapes = list(map(_INNER_IDS.get, words))
    for i in opens:
        shapes[i] = _OPENING_IDS.get(words[i])
    if None in shapes:  # words not seen before: their shapes, as shape_tokens computes them
        lower, zipfs = doc.lower_words, doc.zipfs
        for i in [i for i, v in enumerate(shapes) if v is None]:
            cache = _OPENING_IDS if i in opens else _INNER_IDS
            shape = _shape(words[i], lower[i], zipfs[i], i in opens)
            shapes[i] = cache[words[i]] = (_token_id(shape),)
    before = list(map(_GAP_IDS.get, gaps))
    if None in before:
        for i in [i for i, v in enumerate(before) if v is None]:
            before[i] = tuple(_token_id(c) for c in _gap_tokens(gaps[i]))
            if len(gaps[i]) <= MAX_CACHED_GAP:
                _GAP_IDS[gaps[i]] = before[i]
    for i in opens:  # a sentence mark between the gap and the word
        before[i] += (_SENTENCE_MARK,)
    ordered = chain(chain.from_iterable(chain.from_iterable(zip(before, shapes))), before[-1])
    return np.fromiter(ordered, dtype=np.uint64)


# Token ids as 1-tuples of a word's shape inside a sentence and opening one, and the ids of a
# gap's punctuation tokens (", " -> the id of ","; " " -> none). Gaps longer than
# MAX_CACHED_GAP are not kept, so a long run of symbols does not fill the cache.
_INNER_IDS: dict[str, tuple[int]] = {}
_OPENING_IDS: dict[str, tuple[int]] = {}
_GAP_IDS: dict[str, tuple[int, ...]] = {}
_ID_CACHES = (_INNER_IDS, _OPENING_IDS, _GAP_IDS)
MAX_CACHED_GAP = 16


def _gap_tokens(gap: str) -> str:
    """The punctuation tokens of the text between two words, as shape_tokens cuts them."""
    return gap.replace(" ", "").replace("\n", "")[:MAX_GAP]


def row_of_tokens(tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
    return row_of_ids(np.fromiter((_token_id(t) for t in tokens), dtype=np.uint64, count=len(tokens)))


def row_of_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """hashed_row's result for a sequence of token ids: every n-gram's hash, then counts."""
    grams = []
    gram = ids
    for n in range(1, max(NGRAM_ORDERS) + 1):
        if n > 1:  # the n-gram ending at i extends the (n-1)-gram ending at i-1
            gram = gram[:-1] * _COMBINE + ids[n - 1:]
        if n in NGRAM_ORDERS:
            grams.append(gram + np.uint64(n))
    # All orders mixed in one call (the same element by element as one call per order).
    columns = (_mix(np.concatenate(grams)) >> np.uint64(64 - HASH_BITS)).astype(np.int64)
    if not len(columns):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    # np.unique(columns, return_counts=True), without its general-purpose overhead.
    columns.sort()
    firsts = np.concatenate(([0], np.flatnonzero(columns[1:] != columns[:-1]) + 1))
    values = np.diff(firsts, append=len(columns)).astype(np.float64)
    return columns[firsts], values / np.sqrt((values * values).sum())


# Why not Python's hash(): it changes between processes. crc32 is in the standard library and
# fast in C; a token's id is computed once per process (the shape vocabulary is a few thousand).
_COMBINE = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (the golden ratio's bits)


@lru_cache(maxsize=1 << 16)
def _token_id(token: str) -> int:
    return zlib.crc32(token.encode("utf-8")) + 1


_SENTENCE_MARK = _token_id("<s>")


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches the top bits the column is taken from."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(30))
        h = h * np.uint64(0xBF58476D1CE4E5B9)
        h = h ^ (h >> np.uint64(27))
        h = h * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def ngram_matrix(rows: list[tuple[np.ndarray, np.ndarray]]):
    """Rows from hashed_row as a scipy CSR matrix (training: scikit-learn's input)."""
    import scipy.sparse as sp

    indptr = np.concatenate([[0], np.cumsum([len(c) for c, _ in rows])]).astype(np.int64)
    columns = np.concatenate([c for c, _ in rows]) if rows else np.empty(0, dtype=np.int64)
    values = np.concatenate([v for _, v in rows]) if rows else np.empty(0)
    return sp.csr_matrix((values, columns, indptr), shape=(len(rows), HASH_FEATURES))
