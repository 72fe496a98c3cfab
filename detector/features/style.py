"""Style profile: word frequency (wordfreq Zipf), function words, sentence and word lengths,
punctuation. No spans: these describe the whole text, so they never appear as evidence."""
from __future__ import annotations

import re
import statistics
from itertools import compress

from detector import lexicon
from detector.document import Document, WordCache
from detector.features.finding import MISSING, Finding

# Zipf 3 = once per million words: below it a word is rare (wordfreq's own scale).
RARE_ZIPF = 3.0
# Window for the moving type-token ratio: long enough to see repetition, short enough that
# 500-character texts have one full window (measured: ~85 words per 500 characters).
TTR_WINDOW = 50


def _alpha_lower_zipfs(doc: Document) -> list[float]:
    """Zipf values of the words made of letters that are not capitalised names; read by two
    features, computed once (doc.shared)."""
    return list(compress(doc.zipfs, _ALPHA_LOWER.values(doc.words)))


def _is_alpha_lower(word: str) -> bool:
    """Made of letters and not capitalised (a name): cached per word (WordCache)."""
    return word.lower().isalpha() and not word[:1].isupper()


_ALPHA_LOWER = WordCache(_is_alpha_lower)


def mean_zipf(doc: Document) -> Finding:
    """Mean Zipf frequency of the lower-case words: low for rare vocabulary, high for plain words.

    Models prefer frequent, safe words; translation picks odd near-synonyms. Range ~3-7.
    """
    values = doc.shared(_alpha_lower_zipfs)
    return Finding(statistics.fmean(values) if values else MISSING)


def rare_word_share(doc: Document) -> Finding:
    """Share of lower-case words rarer than Zipf 3 (once per million), unknown words included."""
    values = doc.shared(_alpha_lower_zipfs)
    if not values:
        return Finding(MISSING)
    return Finding(sum(1 for z in values if z < RARE_ZIPF) / len(values))


def function_word_share(doc: Document) -> Finding:
    """Share of words that are English function words (articles, pronouns, prepositions)."""
    if not doc.word_count:
        return Finding(MISSING)
    function_words = lexicon.word_set("function_words.txt")
    # sum of map(): the same count as a generator over the words, without a Python loop.
    return Finding(sum(map(function_words.__contains__, doc.lower_words)) / doc.word_count)


def _share_of(words: frozenset[str]):
    def share(doc: Document) -> float:
        if not doc.word_count:
            return MISSING
        return sum(map(words.__contains__, doc.lower_words)) / doc.word_count
    return share


_ARTICLES = frozenset({"the", "a", "an"})
_FIRST_PERSON = frozenset({"i", "me", "my", "mine", "we", "us", "our", "ours"})


def article_share(doc: Document) -> Finding:
    """Share of words that are articles: translations out of article-less languages (Russian,
    Czech, Chinese, Japanese) drop or add them."""
    return Finding(_share_of(_ARTICLES)(doc))


def first_person_share(doc: Document) -> Finding:
    """Share of first-person pronouns: essays and reviews vs reporting."""
    return Finding(_share_of(_FIRST_PERSON)(doc))


def mean_sentence_words(doc: Document) -> Finding:
    """Mean words per sentence."""
    if not doc.sentences:
        return Finding(MISSING)
    # fmean of a list: of a generator it counts the items in a Python loop (same sum, same n).
    return Finding(statistics.fmean([s.last_word - s.first_word for s in doc.sentences]))


def mean_word_length(doc: Document) -> Finding:
    """Mean letters per word: models and rewrites favour longer Latinate words."""
    if not doc.word_count:
        return Finding(MISSING)
    return Finding(statistics.fmean(list(map(len, doc.words))))


def moving_type_token_ratio(doc: Document) -> Finding:
    """Distinct words per TTR_WINDOW-word window, averaged (length-independent vocabulary richness)."""
    lower = doc.lower_words
    if len(lower) < TTR_WINDOW:
        return Finding(len(set(lower)) / len(lower) if lower else MISSING)
    step = TTR_WINDOW // 2
    ratios = [len(set(lower[i : i + TTR_WINDOW])) / TTR_WINDOW
              for i in range(0, len(lower) - TTR_WINDOW + 1, step)]
    return Finding(statistics.fmean(ratios))


def _punctuation_rate(pattern: re.Pattern, needs: tuple[str, ...] = ()):
    """Matches of `pattern` per word. `needs`: characters every match contains; when the text
    has none of them the count is 0 without a regex scan."""
    def rate(doc: Document) -> Finding:
        if not doc.word_count:
            return Finding(MISSING)
        if needs and not any(c in doc.text for c in needs):
            return Finding(0 / doc.word_count)
        return Finding(len(pattern.findall(doc.text)) / doc.word_count)
    return rate


def _character_rate(characters: str):
    """Occurrences of single characters per word: str.count gives the very count a one-character
    regex class would find, without the regex engine."""
    def rate(doc: Document) -> Finding:
        if not doc.word_count:
            return Finding(MISSING)
        text = doc.text
        return Finding(sum(text.count(c) for c in characters) / doc.word_count)
    return rate


# Commas, colons and semicolons, brackets, "!" and "?" are counted with str.count
# (_character_rate); the patterns below need a regex.
_DASH = re.compile(r"[—–]|\s-\s")
_CONTRACTION = re.compile(r"\w['’](?:t|s|re|ve|ll|d|m)\b", re.IGNORECASE)


def comma_rate(doc: Document) -> Finding:
    """Commas per word."""
    return _character_rate(",")(doc)


def colon_semicolon_rate(doc: Document) -> Finding:
    """Colons and semicolons per word."""
    return _character_rate(";:")(doc)


def dash_rate(doc: Document) -> Finding:
    """Dashes per word (em/en dashes and spaced hyphens): a favourite of some models."""
    return _punctuation_rate(_DASH, needs=("—", "–", "-"))(doc)


def parenthesis_rate(doc: Document) -> Finding:
    """Brackets per word."""
    return _character_rate("()")(doc)


def exclaim_question_rate(doc: Document) -> Finding:
    """Exclamation and question marks per word."""
    return _character_rate("!?")(doc)


def contraction_rate(doc: Document) -> Finding:
    """Contractions per word ("don't", "it's"): informal human writing vs formal rewrites.
    Possessive 's counts too; it is frequent in every class, so the difference is what matters."""
    return _punctuation_rate(_CONTRACTION, needs=("'", "’"))(doc)


def digit_share(doc: Document) -> Finding:
    """Share of words containing a digit: figures, dates, scores."""
    if not doc.word_count:
        return Finding(MISSING)
    # A word of letters only (most words) holds no digit: Unicode letters and digits are
    # disjoint categories, and isalpha() is one C call where the character loop is many.
    return Finding(sum(1 for w in doc.words if not w.isalpha() and any(c.isdigit() for c in w))
                   / doc.word_count)


def capitalised_share(doc: Document) -> Finding:
    """Share of words that start with a capital and do not open a sentence: names and titles."""
    if not doc.word_count:
        return Finding(MISSING)
    starts = doc.sentence_starts
    return Finding(sum(1 for i, w in enumerate(doc.words) if w[:1].isupper() and i not in starts)
                   / doc.word_count)
