"""Learned style features: n-grams over a topic-blind view of the text.

A bag of words learns what a text is about (Czech politics -> machine-translated) instead of how
it was made. Here every word that is not among the most frequent English words is replaced by
its shape: a capitalised name, a number, or a rare/common content word bucket by Zipf frequency.
Punctuation is kept. What remains is syntax and register: "the attack had people injured" ->
"the w4 had people w4", "Additionally , C C w5 that" - patterns of translation and of model
prose that carry over to unseen topics and sources.

The n-grams are hashed (no vocabulary to store) and a linear model turns them into one
probability per label; those four numbers join the hand-built features (model.py).
"""
from __future__ import annotations

import math
from functools import lru_cache

from detector import lexicon
from detector.document import Document, english_frequencies

# Words at least this frequent (Zipf >= 5, i.e. at least once per 100,000 words: about the top
# 1,000 English words) are kept as themselves; they are function words and common verbs that say
# little about the topic.
KEEP_ZIPF = 5.0
# N-gram orders over the shape sequence.
NGRAM_ORDERS = (1, 2, 3)
# Hash space: 2^18 buckets; collisions are rare at the ~60,000 distinct n-grams of the corpus.
HASH_FEATURES = 1 << 18
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
    out: list[str] = []
    prev_end = 0
    for i, (start, end) in enumerate(doc.word_spans):
        gap = text[prev_end:start]
        out.extend(gap.replace(" ", "").replace("\n", "")[:MAX_GAP])
        if i in starts:
            out.append("<s>")
        out.append(_shape(words[i], lower[i], zipfs[i], i in starts))
        prev_end = end
    tail = text[prev_end:].replace(" ", "").replace("\n", "")[:MAX_GAP]
    out.extend(tail)
    return out


def ngrams(doc: Document) -> list[str]:
    """Hashed-vectoriser input: every n-gram of the shape sequence, joined by spaces."""
    tokens = shape_tokens(doc)
    grams = []
    for n in NGRAM_ORDERS:
        for i in range(len(tokens) - n + 1):
            grams.append(" ".join(tokens[i : i + n]))
    return grams


@lru_cache(maxsize=1)
def hasher():
    """The (stateless) vectoriser: n-gram strings -> sparse counts, l2-normalised."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer=_identity, n_features=HASH_FEATURES, alternate_sign=False,
                             norm="l2")


def _identity(grams: list[str]) -> list[str]:
    return grams


def ngram_matrix(docs_ngrams: list[list[str]]):
    return hasher().transform(docs_ngrams)
