"""Human writing slips: what a person typing leaves and a language model or MT system does not.

Models and MT systems emit words from a vocabulary, so they do not misspell, do not write the
pronoun "I" in lower case, do not double a word by accident and do not hammer "!!". People do,
in reviews, essays, forum posts and hastily edited news. These features are the detector's
evidence *for* `original`; their absence proves nothing (most careful human text has none).
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import compress

from detector import lexicon
from detector.document import Document, WordCache, english_frequencies, word_zipf
from detector.features.finding import Finding, Span, rate_finding, regex_spans

# Words shorter than this are too often abbreviations, interjections or units ("hmm", "kph") to
# be called misspellings; from four letters on, the bulk of slips ("thier", "recieve") is caught.
MIN_TYPO_LENGTH = 4
# wordfreq counts web text, so it knows common misspellings, at low frequency: "recieve" 2.75,
# "goverment" 2.66, "becuase" 2.56 on its Zipf scale. A word is a misspelling candidate below
# Zipf 3 (once per million words) ...
MAX_TYPO_ZIPF = 3.0
# ... when a word one slip away (a letter added, dropped, changed or two swapped) is common
# (Zipf >= 4, the ~10,000 most frequent words) and at least 1.5 Zipf (~30x) more frequent.
# "rout" (2.9) next to "route" (4.6) is a known false positive of this rule; "defuse" (2.9) next
# to "refuse" (4.3) is not (1.4 apart).
TYPO_NEIGHBOUR_ZIPF = 4.0
MIN_TYPO_GAP = 1.5


@lru_cache(maxsize=1)
def _slip_index() -> dict[str, float]:
    """Common words and their one-letter deletions -> the highest Zipf value behind each key.

    A symmetric-delete index: a word and a common word one slip apart share a key (the word
    itself, the common word, or one deletion of each), so a look-up costs len(word) + 1 dict
    probes instead of ~500 generated candidates.
    """
    index: dict[str, float] = {}
    floor = 10 ** (TYPO_NEIGHBOUR_ZIPF - 9)
    for word, freq in english_frequencies().items():
        if freq < floor or not word.isalpha() or len(word) < MIN_TYPO_LENGTH - 1:
            continue
        z = math.log10(freq) + 9
        for key in {word, *(word[:k] + word[k + 1:] for k in range(len(word)))}:
            if index.get(key, 0.0) < z:
                index[key] = z
    return index


def _misspelt(word: str, word_zipf: float) -> bool:
    index = _slip_index()
    best = max((index.get(key, 0.0) for key in (word, *(word[:k] + word[k + 1:] for k in range(len(word))))),
               default=0.0)
    return best >= word_zipf + MIN_TYPO_GAP


# A rare word that regularly inflects a word outside the misspelling range is a real word form,
# not a slip: "braved", "kilns", "mended", "chairing" (the first three one slip from "brave",
# "kills", "ended") are what rich, British or specialist vocabularies are made of, and were the
# bulk of this feature's hits on current chat-model news. Its stem must reach Zipf 3.0
# (above "recieve" 2.75, so "recieved" stays a slip). Suffixes and the stems they leave:
_INFLECTIONS = (("ies", ("y",)), ("es", ("", "e")), ("s", ("",)), ("ied", ("y",)),
                ("ed", ("", "e")), ("d", ("",)), ("ing", ("", "e")))
MIN_INFLECTED_STEM_ZIPF = 3.0


def _regular_inflection(word: str) -> bool:
    """True when `word` is stem + a regular suffix of a stem with Zipf >= 3.0, and no common
    word spells the same inflection with a consonant doubled or undoubled ("occured" for
    "occurred", "begining" for "beginning", "writting" for "writing" stay slips)."""
    for suffix, endings in _INFLECTIONS:
        if not word.endswith(suffix) or len(word) - len(suffix) < MIN_TYPO_LENGTH - 1:
            continue
        base = word[:-len(suffix)]
        stems = [base + ending for ending in endings]
        if len(base) >= 2 and base[-1] == base[-2]:  # "stopped" -> "stop"
            stems.append(base[:-1])
        if not any(word_zipf(stem) >= MIN_INFLECTED_STEM_ZIPF for stem in stems):
            continue
        doubled = base + base[-1] + suffix
        undoubled = base[:-1] + suffix if len(base) >= 2 and base[-1] == base[-2] else None
        bar = max(TYPO_NEIGHBOUR_ZIPF, word_zipf(word) + MIN_TYPO_GAP)
        if all(variant is None or word_zipf(variant) < bar for variant in (doubled, undoubled)):
            return True
    return False


def misspelling(doc: Document) -> Finding:
    """A misspelt common word ("recieve", "becuase", "goverment"). Rate per 1,000 words.

    A lower-case word rarer than Zipf 3 with a common word one slip away that is ~30x more
    frequent, and no regular inflection of a word above the misspelling range ("braved" is
    "brave" + d). Generated and machine-translated text is written from a vocabulary and does not
    misspell; people do. Capitalised words are skipped (names, sentence starts). Known false
    positives: rare words one letter from a common one that are no inflection ("rout", "hake",
    "leeks": "leek" is itself rare), deliberate dialect spellings
    ("gud"), a lower-case name one edit from a common word.
    """
    words, spans_of = doc.words, doc.word_spans
    spans = [Span(*spans_of[i], "misspelt word")
             for i in compress(range(len(words)), _MISSPELT.values(words))]
    return rate_finding(spans, doc)


def _is_misspelling(w: str) -> bool:
    """misspelling's test of one word, which reads nothing but the word (cached: WordCache)."""
    if len(w) < MIN_TYPO_LENGTH or not w.isalpha() or not w.islower():
        return False
    z = word_zipf(w)
    return z < MAX_TYPO_ZIPF and _misspelt(w, z) and not _regular_inflection(w)


_MISSPELT = WordCache(_is_misspelling)


# A lone lower-case "i" used as the pronoun: a space (or the text's edge) on both sides, or an
# apostrophe after it ("i'm" is one word token and is matched on its own). "(i)", "i.e." and
# "part i." are not matched: a bracket or full stop touches the letter.
_I_OPENINGS = (" i", "\ni", '"i', "“i")
_LOWER_I = re.compile(r"(?<![^\s\"“])i(?=\s|'m\b|'ve\b|'ll\b|'d\b|’m\b|’ve\b|’ll\b|’d\b)")


def lowercase_i(doc: Document) -> Finding:
    """The pronoun "I" written in lower case ("then i went", "i'm sure"). Rate per 1,000 words.

    Keyboard-casual writing (reviews, forum posts, chat) does this; models and MT systems always
    capitalise the pronoun. Known false positives: a list item "i " after a line break, text that
    is lower-cased as a whole (a style, or a scraper's normalisation), a variable called i in code.
    """
    # Layout is normalised to single spaces and newlines, so these are the only places the
    # pattern can start: skip the regex scan for the many texts that have none of them.
    text = doc.text
    if not (text.startswith("i") or any(opening in text for opening in _I_OPENINGS)):
        return rate_finding((), doc)
    return rate_finding(regex_spans(_LOWER_I, doc.text, "lower-case pronoun 'i'"), doc)


# "!!", "?!", "???": a run of two or more exclamation or question marks.
_REPEATED_MARKS = re.compile(r"[!?]{2,}")


def repeated_punctuation(doc: Document) -> Finding:
    """Exclamation or question marks run together ("amazing!!", "really?!"). Rate per 1,000 words.

    Emphatic informal typing; generated and translated text writes one mark. Known false
    positives: quoted speech written this way in a careful article, chess notation ("!?").
    """
    if "!" not in doc.text and "?" not in doc.text:
        return rate_finding((), doc)
    return rate_finding(regex_spans(_REPEATED_MARKS, doc.text, "repeated marks"), doc)


def doubled_word(doc: Document) -> Finding:
    """The same word typed twice by accident ("the the", "to to"). Rate per 1,000 words.

    An editing slip: a person deletes half a phrase and leaves a word twice. Words English
    writes twice on purpose ("had had", "that that", "very very") are listed in
    lexicons/doubled_words.txt and skipped. MT systems also repeat words when they stutter, so
    this is a slip of either a person or an MT system, never of a language model; the classifier
    weighs it. Known false positives: song lyrics and chants, reduplicated names ("Duran Duran"
    is capitalised and skipped).
    """
    allowed = lexicon.word_set("doubled_words.txt")
    words, lower, spans_of = doc.words, doc.lower_words, doc.word_spans
    spans = []
    for i in range(1, len(words)):
        w = lower[i]
        if (w == lower[i - 1] and words[i].islower() and w.isalpha() and w not in allowed
                and doc.spaced_pair(i - 1)):
            spans.append(Span(spans_of[i - 1][0], spans_of[i][1], "word typed twice"))
    return rate_finding(spans, doc)
