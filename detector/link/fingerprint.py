"""Story keys: the words of a text that survive rewording and translation, hashed.

A rewrite swaps the plain words ("talks" -> "negotiations", "said" -> "stated") but keeps what
the story is about: names, numbers, and the rarer content words. A translation keeps names and
numbers and most content words. So a text's *story keys* are its content words with function
words and the most frequent English words dropped, each cut to a short prefix so that
"negotiations"/"negotiating" and "sanction"/"sanctions" meet. The key set feeds MinHash (cheap
candidate groups) and the exact set similarity that confirms a candidate.
"""
from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np

from detector import lexicon
from detector.document import WORD, english_frequencies

# Words at least this frequent in English (Zipf scale; "said" 6.3, "year" 6.0, "talks" 4.9,
# "ceasefire" 3.9) say nothing about which story a text tells. Compared on the corpus test split
# news batch (best window Jaccard): at 5.3 the 10th percentile of (source, derivative) pairs is
# 0.19 and the 99th of different-story pairs 0.057; at 4.8, 0.18 and 0.049; at 4.3, 0.16 and
# 0.047. Dropping more words costs same-story similarity faster than it removes chance overlap.
COMMON_ZIPF = 5.3
# Keys are word prefixes of this length: a crude stemmer that merges inflections and most
# derivations ("negotiation(s)", "negotiated") and costs nothing. Chosen, not tuned: 6 keeps
# "sanction"/"sanctuary" apart while merging the inflections of most news words.
PREFIX = 6
# Words shorter than this are skipped unless they are numbers: "US", "EU" survive as names
# through the capital check below, but short common words add only noise.
MIN_LETTERS = 3


@lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    return lexicon.word_set("function_words.txt")


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    """Lower-case words whose English Zipf frequency is at least COMMON_ZIPF (a few hundred)."""
    threshold = 10 ** (COMMON_ZIPF - 9.0)
    return frozenset(w for w, f in english_frequencies().items() if f >= threshold)


_SKIP, _KEEP, _NAME = 0, 1, 2
# word -> (key, hash, rule): a batch repeats the same words, so each is classified once.
_CLASSIFIED: dict[str, tuple[str, int, int]] = {}
# Entries kept before the cache is emptied (bounds memory on unbounded vocabularies).
MAX_CACHED_WORDS = 500_000


def _classify(word: str) -> tuple[str, int, int]:
    if word[0].isdigit():
        key = word.replace(",", "")
        return key, key_hash(key), _KEEP
    low = word.lower().replace("’", "'")
    if low.endswith("'s"):
        low = low[:-2]
    if len(low) < MIN_LETTERS or low in _stop():
        return "", 0, _SKIP
    key = low[:PREFIX]
    if low in _common():
        return (key, key_hash(key), _NAME) if word[0].isupper() else ("", 0, _SKIP)
    return key, key_hash(key), _KEEP


def _story_tokens(text: str) -> list[tuple[str, int, int, int]]:
    """(key, hash, start, end) of every story word, in order."""
    cache = _CLASSIFIED
    if len(cache) > MAX_CACHED_WORDS:
        cache.clear()
    out = []
    for m in WORD.finditer(text):
        word = m.group()
        entry = cache.get(word)
        if entry is None:
            entry = cache[word] = _classify(word)
        key, h, rule = entry
        if rule == _KEEP or (rule == _NAME and m.start() > 0):
            start, end = m.span()
            out.append((key, h, start, end))
    return out


def story_words(text: str) -> list[tuple[str, int, int]]:
    """(key, start, end) for every story word of `text`, in order.

    Offsets are into `text` as given. Numbers are kept whole ("2022", "30"); names keep their key
    even when common ("Turkey" is frequent but a name), recognised by a capital not at the start
    of the text.
    """
    return [(k, s, e) for k, _h, s, e in _story_tokens(text)]


def key_hash(key: str) -> int:
    """A stable 32-bit hash of a key (crc32: fast, and the same in every process and run)."""
    return zlib.crc32(key.encode("utf-8"))


def key_set(text: str) -> np.ndarray:
    """The sorted, de-duplicated 32-bit hashes of a text's story keys."""
    return np.unique(np.fromiter((h for _k, h, _s, _e in _story_tokens(text)), dtype=np.uint32))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted unique key arrays."""
    if not len(a) or not len(b):
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller key set found in the other: a summary inside a long story scores high."""
    if not len(a) or not len(b):
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / min(len(a), len(b))


# Story keys kept per document for candidate search (about 2,500 words): see candidates.py.
MAX_KEYS = 1_200
# Characters read per document for its keys: MAX_KEYS story words fit in ~20,000 characters of
# news prose; reading a 2 MB document to the end would cost time for keys never used.
MAX_KEY_CHARS = 20_000


def key_sequence(text: str, max_keys: int = MAX_KEYS) -> np.ndarray:
    """The 32-bit hashes of a text's first `max_keys` story keys, in text order."""
    # The fast path of _story_tokens: no offsets needed, so no match objects.
    cache = _CLASSIFIED
    if len(cache) > MAX_CACHED_WORDS:
        cache.clear()
    out = []
    append = out.append
    first = True
    for word in WORD.findall(text[:MAX_KEY_CHARS]):
        entry = cache.get(word)
        if entry is None:
            entry = cache[word] = _classify(word)
        rule = entry[2]
        if rule == _KEEP or (rule == _NAME and not (first and text[:1].isalnum())):
            append(entry[1])
            if len(out) >= max_keys:
                break
        first = False
    return np.array(out, dtype=np.uint32)


# A key found in more than this share of the batch's documents is topic, not story ("Trump",
# "election" in a politics feed): it is left out of the MinHash sets, where it would make
# different stories collide. Measured on the corpus test split news batch: dropping keys above
# 2% of documents cut different-story collisions 6x and same-story recall 2 points.
MAX_DOC_SHARE = 0.02
# ...but never below this many documents: in a small batch every key is rare enough.
MIN_DOC_CAP = 50


def drop_frequent(sequences: list[np.ndarray]) -> list[np.ndarray]:
    """The sequences without keys that occur in too many documents of the batch (see above)."""
    if not sequences:
        return []
    cap = max(MIN_DOC_CAP, int(MAX_DOC_SHARE * len(sequences)))
    if len(sequences) <= cap:
        return list(sequences)
    keys, counts = np.unique(np.concatenate([np.unique(s) for s in sequences]), return_counts=True)
    frequent = keys[counts > cap]
    if not len(frequent):
        return list(sequences)
    # One isin over the whole batch, then cut back into documents.
    flat = np.concatenate(sequences)
    keep = ~np.isin(flat, frequent)
    bounds = np.cumsum([len(s) for s in sequences])[:-1]
    return [f[k] for f, k in zip(np.split(flat, bounds), np.split(keep, bounds))]
