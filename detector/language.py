"""Is this English? A cheap check on the share of words that English uses often.

Measured on the corpus: English documents have 85-98% of their letter-words at Zipf >= 3 in
wordfreq's English list; German, French, Czech news has 20-45% (names, numbers and shared
words such as "in", "a", "die" make up the rest). MIN_ENGLISH_SHARE sits between the two.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache

from detector import lexicon
from detector.document import Document, WordCache, word_zipf, zipf

MIN_ENGLISH_SHARE = 0.6
ENGLISH_ZIPF = 3.0
# Below this many letter-words the share is too noisy to refuse a text as not English.
MIN_WORDS_TO_JUDGE = 8


@lru_cache(maxsize=1)
def _language_words() -> dict[str, frozenset[str]]:
    return {code: frozenset(words.split()) for code, words in lexicon.rows("languages.tsv")}


# wordfreq's English list knows many French, German and Spanish function words at Zipf >= 3,
# because English web text quotes and names them ("le", "les", "des", "et", "und", "que"). Counted
# as English, they carried a plain French news paragraph to an English share of 0.62. They count
# as unknown here unless they are English function words or common English words in their own
# right (Zipf >= 5: "die", "per", "care", "non", "met").
FOREIGN_WORD_MAX_ZIPF = 5.0


@lru_cache(maxsize=1)
def _foreign_function_words() -> frozenset[str]:
    english = lexicon.word_set("function_words.txt")
    return frozenset(w for words in _language_words().values() for w in words
                     if w not in english and zipf(w) < FOREIGN_WORD_MAX_ZIPF)


def english_share(doc: Document) -> float:
    """Share of letter-words (excluding capitalised names) that are common English words."""
    classes = _ENGLISH_CLASSES.values(doc.words)
    counts = Counter(classes)
    known, total = counts[_KNOWN], counts[_KNOWN] + counts[_UNKNOWN]
    # A capitalised word counts only where it opens a sentence (elsewhere it is a name).
    for i in doc.sentence_starts:
        if classes[i] & _CAPITALISED:
            total += 1
            known += classes[i] == _CAPITALISED | _KNOWN
    return known / total if total else 1.0


# What english_share reads of a word, which depends on the word alone: not a letter-word
# (_SKIP), or a letter-word that is or is not common English, with _CAPITALISED added when it
# starts with a capital. Cached per word (WordCache): the share is then a count of classes.
_SKIP, _UNKNOWN, _KNOWN, _CAPITALISED = 0, 1, 2, 4


def _english_class(word: str) -> int:
    if not word.isalpha():
        return _SKIP
    known = word_zipf(word) >= ENGLISH_ZIPF and word.lower() not in _foreign_function_words()
    return (_KNOWN if known else _UNKNOWN) | (_CAPITALISED if word[:1].isupper() else 0)


_ENGLISH_CLASSES = WordCache(_english_class)


def guess_language(doc: Document) -> str:
    """Name the language by its most frequent function words; 'unknown' when none match."""
    counts = {code: 0 for code in _language_words()}
    for w in doc.lower_words:
        for code, words in _language_words().items():
            if w in words:
                counts[code] += 1
    best = max(counts, key=counts.get) if counts else None
    if not best or counts[best] < 3:
        if any(ord(c) > 0x2FF for c in doc.text[:2000] if c.isalpha()):
            return "non-Latin script"
        return "unknown"
    return best


def non_english_language(doc: Document) -> str | None:
    """None for English text; otherwise the detected language code (or 'unknown')."""
    # map() in C: a generator over every word of every document cost ~0.1 ms a document.
    letter_words = sum(map(str.isalpha, doc.words))
    if letter_words < MIN_WORDS_TO_JUDGE:
        non_latin = sum(1 for c in doc.text if c.isalpha() and ord(c) > 0x2FF)
        if non_latin > 0.5 * sum(1 for c in doc.text if c.isalpha()):
            return "non-Latin script"
        return None
    if english_share(doc) >= MIN_ENGLISH_SHARE:
        return None
    return guess_language(doc)
