"""Machine-translation artefacts: what an MT system leaves that a human translator would not."""
from __future__ import annotations

import bisect
import re
from functools import lru_cache
from itertools import compress

from detector import lexicon
from detector.document import Document, WordCache, english_frequencies
from detector.features.finding import (Finding, Span, matches_from, occurrences, per_thousand_words,
                                       rate_finding)

_GENDERED = {"he": "m", "him": "m", "his": "m", "himself": "m",
             "she": "f", "her": "f", "hers": "f", "herself": "f"}
# Prepositions that make a place an adverbial of location ("in Turkey he met ...") rather than the
# subject a pronoun could refer to.
_LOCATIVE = frozenset("in into to from at near across around throughout inside outside towards "
                      "toward via through within".split())
_WEEKDAYS_MONTHS = frozenset("monday tuesday wednesday thursday friday saturday sunday january "
                             "february march april may june july august september october "
                             "november december".split())
# A capitalised word ending like a demonym and followed by a lower-case word is an adjective
# ("American proposal", "Turkish counterpart"), not a person the pronoun could refer to.
_DEMONYM = re.compile(r"(?:an|ian|ish|ese|ean|i|ic)$")
# Unknown lower-case words this long or longer are candidates for mangled names.
MIN_NAME_LENGTH = 4
# A lower-case word that also appears capitalised mid-sentence is a dropped capital only if it is
# rare as a common word (Zipf < 3: fewer than one use per million words), so "march", "bill" or
# "may" in lower case never fire.
MAX_COMMON_ZIPF = 3.0
# Typo neighbours must be this common to explain an unknown word as a misspelling.
TYPO_NEIGHBOUR_ZIPF = 3.0


@lru_cache(maxsize=1)
def _places() -> tuple[frozenset[str], frozenset[str]]:
    names, unambiguous = set(), set()
    for row in lexicon.rows("places.txt"):
        name = row[0].lower()
        names.add(name)
        if len(row) < 2 or row[1] != "ambiguous":
            unambiguous.add(name)
    return frozenset(names), frozenset(unambiguous)


def _name_follows(doc: Document, i: int, end: int) -> bool:
    """Does a capitalised word that is not a place follow word i in its sentence?"""
    places, _ = _places()
    for k in range(i + 1, end):
        w = doc.words[k]
        if w[:1].isupper() and doc.lower_words[k] not in places:
            return True
    return False


def _sentence_window(sentences, firsts: list[int], i: int) -> tuple[int, int, int]:
    """(first word of word i's sentence, first word of the sentence before it, end of i's
    sentence); (0, 0, 0) for a word outside every sentence."""
    k = bisect.bisect_right(firsts, i) - 1
    if k < 0 or i >= sentences[k].last_word:
        return 0, 0, 0
    return firsts[k], firsts[k - 1] if k else 0, sentences[k].last_word


def pronoun_gender(doc: Document) -> Finding:
    """A country, city or institution referred to as he/she/his/her ("Turkey ... his readiness").

    Languages with grammatical gender (Russian, German, French, Czech, ...) refer to a country or
    ministry with a gendered pronoun; MT systems carry it over, human translators do not. For each
    gendered pronoun we walk back to the nearest possible antecedent within the current and the
    previous sentence: a place or an institution noun fires, a person (a capitalised name, a title
    such as "minister") does not. Known false positives: ships and countries in poetry ("she"),
    a person whose name is also a place (Georgia, Chelsea), antecedents further back than one
    sentence.
    """
    places, _ = _places()
    person_nouns = lexicon.word_set("person_nouns.txt")
    org_nouns = lexicon.word_set("organisation_nouns.txt")
    function_words = lexicon.word_set("function_words.txt")
    words, lower = doc.words, doc.lower_words
    starts = doc.sentence_starts
    sentences = doc.sentences
    firsts = [s.first_word for s in sentences]
    fired: dict[int, str] = {}
    spans = []
    # Only pronouns are visited (compress picks them out in C), each placed in its sentence
    # by bisection rather than by a table over every word.
    for i in compress(range(len(lower)), map(_GENDERED.__contains__, lower)):
        gender = _GENDERED[lower[i]]
        own_first, window_start, sentence_end = _sentence_window(sentences, firsts, i)
        for j in range(i - 1, window_start - 1, -1):
            if j < own_first and _name_follows(doc, i, sentence_end):
                break  # "In addition to his talks, Scholz ...": the name comes after the pronoun
            lj, wj = lower[j], words[j]
            if lj in _GENDERED:
                if j in fired and _GENDERED[lj] == gender:
                    spans.append(Span(*doc.word_spans[i],
                                      f"'{words[i]}' again refers to {fired[j]}"))
                    fired[i] = fired[j]
                break
            if lj in person_nouns:
                break
            if lj in places and (j == 0 or lower[j - 1] not in _LOCATIVE):
                fired[i] = wj
                spans.append(Span(doc.word_spans[j][0], doc.word_spans[i][1],
                                  f"'{words[i]}' refers to {wj}"))
                break
            if lj in org_nouns and j > 0 and lower[j - 1] == "the":
                fired[i] = "the " + wj
                spans.append(Span(doc.word_spans[j - 1][0], doc.word_spans[i][1],
                                  f"'{words[i]}' refers to the {wj}"))
                break
            if wj[:1].isupper() and lj not in function_words and lj not in _WEEKDAYS_MONTHS:
                nxt = words[j + 1] if j + 1 < len(words) else ""
                if _DEMONYM.search(lj) and nxt[:1].islower():
                    continue  # "Turkish counterpart": an adjective
                if j in starts and (english_frequencies().get(lj, 0) > 1e-5):
                    continue  # a common word that merely opens the sentence
                break  # a name: a person is the likely antecedent
    return rate_finding(spans, doc)


def _edit1(word: str):
    letters = _LETTERS
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    for a, b in splits:
        if b:
            yield a + b[1:]
            for c in letters:
                yield a + c + b[1:]
        if len(b) > 1:
            yield a + b[1] + b[0] + b[2:]
        for c in letters:
            yield a + c + b


def looks_like_typo(word: str) -> bool:
    """True when one edit turns `word` into a common English word (then it is a misspelling).

    An edit is what _edit1 generates: delete a letter, swap two adjacent ones, or insert or
    replace one with a letter a-z. For a word of letters a-z (every word dropped_capital asks
    about) _typo_index answers in ~3 x len(word) set look-ups instead of ~500 generated
    candidates; any other word takes the generator.
    """
    if not _LOWER_AZ.fullmatch(word):
        freqs = english_frequencies()
        threshold = 10 ** (TYPO_NEIGHBOUR_ZIPF - 9)
        return any(freqs.get(candidate, 0) >= threshold for candidate in _edit1(word))
    common, deletions = _typo_index()
    if word in deletions:  # a letter inserted into the word gives a common word
        return True
    for k in range(len(word)):
        cut = word[:k] + word[k + 1:]
        if cut in common:  # a letter deleted
            return True
        # A letter replaced at k gives a common word only if that word, cut at k, equals the
        # word cut at k: then `cut` is among the deletions. Rarely so; then try the 26 letters.
        if cut in deletions and any(word[:k] + c + word[k + 1:] in common for c in _LETTERS):
            return True
        if k + 1 < len(word) and word[:k] + word[k + 1] + word[k] + word[k + 2:] in common:
            return True  # two adjacent letters swapped
    return False


_LOWER_AZ = re.compile(r"[a-z]*")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@lru_cache(maxsize=1)
def _typo_index() -> tuple[frozenset[str], frozenset[str]]:
    """The common words (Zipf >= TYPO_NEIGHBOUR_ZIPF) spelt with a-z alone, and every one-letter
    deletion of them: built once, ~28,000 words and ~170,000 deletions in ~0.2 s.

    Only such words can be one edit from a word of letters a-z, since every edit keeps letters
    or adds a-z. The word plus one inserted letter is among them exactly when the word is one
    of their deletions (a symmetric-delete index, as human._slip_index).
    """
    threshold = 10 ** (TYPO_NEIGHBOUR_ZIPF - 9)
    common = frozenset(w for w, f in english_frequencies().items()
                       if f >= threshold and _LOWER_AZ.fullmatch(w))
    return common, frozenset(w[:k] + w[k + 1:] for w in common for k in range(len(w)))


def dropped_capital(doc: Document) -> Finding:
    """A proper noun in lower case ("kyiv", "moscow", a transliterated name left lower-case).

    MT systems lose capitals when a name is rare in their training data or when they transliterate
    it. Fires on (a) a place name in lower case, (b) a rare word written both capitalised and in
    lower case in the same text, (c) an unknown lower-case word that is no misspelling of a common
    word (a mangled name). Known false positives: brand names styled in lower case (a negatives
    case), hashtags and user names, rare technical terms.
    """
    words, lower = doc.words, doc.lower_words
    starts = doc.sentence_starts
    positions = range(len(words))
    capitalised_mid = {lower[i] for i in compress(positions, _TITLE_LIKE.values(words)) if i not in starts}
    kinds = _LOWER_CASE_KINDS.values(words)
    spans = []
    # Only the few candidates are visited: most words are common, capitalised or not letters.
    for i in compress(positions, kinds):
        w, kind = words[i], kinds[i]
        if kind == _PLACE:
            note = f"place name '{w}' in lower case"
        elif w in capitalised_mid:
            note = f"'{w}' also written with a capital"
        elif kind == _UNKNOWN_NAME:
            note = f"unknown word '{w}': a name without its capital?"
        else:
            continue
        spans.append(Span(*doc.word_spans[i], note))
    return rate_finding(spans, doc)


def _title_like(word: str) -> bool:
    """Starts with a capital and is not all capitals: may be the capitalised twin of a word."""
    return word[:1].isupper() and not word.isupper()


# What dropped_capital can say of a word, from the word alone (WordCache): nothing; a place
# name in lower case; a rare lower-case word (fires when the text also capitalises it); or an
# unknown one that is no typo (fires in any case, as a capitalised twin if it has one).
_NEVER, _PLACE, _RARE, _UNKNOWN_NAME = 0, 1, 2, 3


def _lower_case_kind(w: str) -> int:
    if not w.islower() or not w.isalpha():
        return _NEVER
    if w in _places()[1]:
        return _PLACE
    if len(w) < MIN_NAME_LENGTH:
        return _NEVER
    freq = english_frequencies().get(w, 0.0)
    if freq >= 10 ** (MAX_COMMON_ZIPF - 9):
        return _NEVER
    if freq == 0.0 and w.isascii() and not looks_like_typo(w):
        return _UNKNOWN_NAME
    return _RARE


_TITLE_LIKE = WordCache(_title_like)
_LOWER_CASE_KINDS = WordCache(_lower_case_kind)


def _within_edits(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance <= limit, with early exit (names are short)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


# Inflections and derivations that make two spellings of one name legitimately different.
_NAME_SUFFIXES = ("s", "n", "an", "ian", "ese", "i", "ns", "es", "'s", "’s")
MIN_VARIANT_LENGTH = 5


def name_variants(doc: Document) -> Finding:
    """The same name spelled two ways in one text ("Priestley" and "Pristel", "Sergei"/"Sergey").

    MT systems transliterate a name afresh in each sentence; a human writer or editor keeps one
    spelling. Compares capitalised, uncommon words that share their first letter and differ by
    one or two edits. Known false positives: two different people with similar names, legitimate
    variants in quotes (Kiev/Kyiv in a text about the renaming).
    """
    freqs = english_frequencies()
    starts = doc.sentence_starts
    first_seen: dict[str, int] = {}
    for i, w in enumerate(doc.words):
        if (len(w) >= MIN_VARIANT_LENGTH and w[:1].isupper() and w[1:].islower() and w.isalpha()
                and i not in starts and freqs.get(w.lower(), 0.0) < 1e-5):
            first_seen.setdefault(w, i)
    # Names that differ in their first three letters are never compared, so grouping by them
    # keeps the pairwise comparison small (it was quadratic in the names of a 1 MB text).
    by_prefix: dict[str, list[str]] = {}
    order: dict[str, int] = {}
    initial_rank: dict[str, int] = {}
    for name in first_seen:
        by_prefix.setdefault(name[:3], []).append(name)
        order[name] = len(order)
        initial_rank.setdefault(name[0], len(initial_rank))
    pairs = []
    for group in by_prefix.values():
        for x in range(len(group)):
            for y in range(x + 1, len(group)):
                a, b = group[x], group[y]
                short, long_ = sorted((a, b), key=len)
                if long_.startswith(short) and long_[len(short):] in _NAME_SUFFIXES:
                    continue
                if short[:3] != long_[:3]:
                    continue
                limit = 1 if len(short) < 7 else 2
                if _within_edits(a.lower(), b.lower(), limit):
                    pairs.append(((initial_rank[a[0]], order[a], order[b]), a, b))
    spans = []
    # Report pairs by first letter, then by first appearance: a stable, readable order.
    for _key, a, b in sorted(pairs):
        i, j = first_seen[a], first_seen[b]
        spans.append(Span(*doc.word_spans[i], f"'{a}' also spelled '{b}'"))
        spans.append(Span(*doc.word_spans[j], f"'{b}' also spelled '{a}'"))
    return Finding(per_thousand_words(len(spans) / 2, doc), tuple(spans))


_SPACING_SLIPS = re.compile(
    r"""
      (?<=\w)\ -(?=[^\W\d_])        # "30 -day", "year -old": space before a joining hyphen
    | (?<=\w)\ [,;:](?=\s|$)        # "Moscow , Turkey": space before a comma, semicolon or colon
    | (?<=[a-z])\ \.(?=\s|$)        # "the war ." : space before a full stop
    | \(\ (?=\w) | (?<=\w)\ \)      # "( text )": spaces inside brackets
    """,
    re.VERBOSE,
)


# Every alternative of _SPACING_SLIPS contains one of these two-character pieces.
_SPACING_PIECES = (" -", " ,", " ;", " :", " .", "( ", " )")


def spacing_matches(text: str) -> list[re.Match]:
    """The matches of _SPACING_SLIPS.finditer(text), tried only where a match can start.

    Every match is one of _SPACING_PIECES (each alternative consumes exactly those two
    characters; the rest is lookaround, which `match` at a position still sees), so matching at
    each piece's occurrences, left to right and never inside the previous match, gives finditer's
    matches. The regex opens with lookbehinds, so finditer tried all five alternatives at every
    character: ~0.3 ms on a 1.7 KB text, against ~0.02 ms for the substring searches.
    """
    starts = (i for piece in _SPACING_PIECES for i in occurrences(text, piece))
    return matches_from(_SPACING_SLIPS, text, starts)


def spacing_slip(doc: Document) -> Finding:
    """A space in the wrong place: "30 -day", "Moscow , Turkey", "( text )".

    MT systems detokenise hyphens and punctuation badly; editors and writers rarely type this.
    Known false positives: text typed on phones, French spacing before "?" and "!" (not matched),
    tokenised research text.
    """
    # spacing_matches looks for the pieces every match needs, so a text with none costs only
    # those substring searches. A span reaches 3 characters past the slip, within the text.
    text = doc.text
    return rate_finding((Span(m.start(), min(m.end() + 3, len(text)), "misplaced space")
                         for m in spacing_matches(text)), doc)


@lru_cache(maxsize=1)
def _quote_capital_pattern() -> re.Pattern:
    words = "|".join(sorted(w.capitalize() for w in lexicon.word_set("quote_continuations.txt")))
    return re.compile(r"""[!?]["”’]\s+(?:%s)\b""" % words)


def quote_capital(doc: Document) -> Finding:
    """A capitalised preposition after a quoted exclamation: "absolutely crazy!" For killing ...

    The quote ends in "!" or "?" but the sentence goes on; MT systems cut the sentence there and
    capitalise what follows. Only prepositions and conjunctions count: a pronoun ("He") may open
    a new sentence. Known false positives: a headline or list item starting with a preposition.
    """
    spans = [Span(m.start(), m.end(), "capital after a mid-sentence quote")
             for m in _quote_capital_pattern().finditer(doc.text)]
    return rate_finding(spans, doc)


_NON_LATIN = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")


@lru_cache(maxsize=1)
def _foreign_function_words() -> frozenset[str]:
    """Function words of other languages that are rare in English (Zipf < 2.5)."""
    freqs = english_frequencies()
    words = set()
    for _code, listed in lexicon.rows("languages.tsv"):
        for w in listed.split():
            if freqs.get(w, 0.0) < 10 ** (2.5 - 9):
                words.add(w)
    return frozenset(words)


def foreign_word(doc: Document) -> Finding:
    """Words left untranslated: non-Latin script, or other languages' function words.

    An MT system passes through what it cannot translate; a human translator renders or explains
    it. Known false positives: names in their own script, quoted foreign phrases, bilingual text.
    """
    words = doc.words
    notes = _FOREIGN_NOTES.values(words)
    spans = [Span(*doc.word_spans[i], notes[i]) for i in compress(range(len(words)), notes)]
    return rate_finding(spans, doc)


def _foreign_note(w: str) -> str:
    """foreign_word's note on a word ("" when it does not fire): it reads the word alone."""
    if _NON_LATIN.search(w):
        return f"'{w}' in a non-Latin script"
    if w.islower() and w in _foreign_function_words():
        return f"'{w}' is not English"
    return ""


_FOREIGN_NOTES = WordCache(_foreign_note)


@lru_cache(maxsize=1)
def _article_exceptions() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {"a": [], "an": []}
    for article, prefix in lexicon.rows("article_exceptions.tsv"):
        out[article].append(prefix)
    return {k: tuple(v) for k, v in out.items()}


_AGREEMENT = {
    ("he", "have"), ("she", "have"), ("it", "have"), ("he", "are"), ("she", "are"), ("it", "are"),
    ("he", "were"), ("she", "were"), ("it", "were"), ("he", "don't"), ("she", "don't"),
    ("they", "is"), ("they", "was"), ("they", "has"), ("they", "does"), ("we", "is"), ("we", "was"),
    ("we", "has"), ("i", "is"), ("i", "has"), ("i", "are"), ("you", "is"), ("you", "was"),
    ("you", "has"), ("people", "is"), ("people", "was"), ("people", "has"),
}
# Inversions and subjunctives where the pairs above are correct ("did he have", "if it were").
_SLIP_OPENERS = frozenset({"a", "an"} | {subject for subject, _verb in _AGREEMENT})
_AGREEMENT_EXCUSES = frozenset("did does do will would should could can may might must to if as "
                               "wish though whether".split())


def agreement_slip(doc: Document) -> Finding:
    """Article and subject-verb agreement slips: "a invasion", "an car", "they was", "he have".

    Translation out of languages without articles or with different agreement leaves these; a
    writer's typo does too, so this is weak alone. Acronyms, numbers and known exceptions ("an
    hour", "a university") are skipped.
    """
    exceptions = _article_exceptions()
    lower, words = doc.lower_words, doc.words
    spans = []
    # Only words that can open a slip are visited (an article or a subject of _AGREEMENT).
    for i in compress(range(len(lower) - 1), map(_SLIP_OPENERS.__contains__, lower)):
        w, nxt = lower[i], lower[i + 1]
        raw_next = words[i + 1]
        if w in ("a", "an") and raw_next.isalpha() and raw_next.islower() and len(raw_next) > 1:
            vowel = nxt[0] in "aeiou"
            if w == "a" and vowel and not nxt.startswith(exceptions["a"]):
                spans.append(Span(doc.word_spans[i][0], doc.word_spans[i + 1][1], "'a' before a vowel"))
            elif w == "an" and not vowel and not nxt.startswith(exceptions["an"]):
                spans.append(Span(doc.word_spans[i][0], doc.word_spans[i + 1][1], "'an' before a consonant"))
        elif (w, nxt) in _AGREEMENT and (i == 0 or lower[i - 1] not in _AGREEMENT_EXCUSES):
            spans.append(Span(doc.word_spans[i][0], doc.word_spans[i + 1][1], "subject and verb disagree"))
    return rate_finding(spans, doc)


# --- literal calques: word pairs MT systems write and fluent English does not --------------------
def content_pairs(doc: Document):
    """(index of the first word, "first second") for adjacent lower-case content words.

    A pair is two words as written in lower case (capitalised words are names or sentence starts,
    digits are numbers: topics, not phrasing), each of letters only, at least three long, neither
    a function word, separated by exactly one space (no comma, hyphen or full stop between them).
    training/calques.py learns the calque lexicon from these very pairs, so the feature and the
    lexicon share one tokenisation.
    """
    function_words = lexicon.word_set("function_words.txt")
    words = doc.words
    for i in range(len(words) - 1):
        a, b = words[i], words[i + 1]
        if (len(a) >= 3 and len(b) >= 3 and a.isalpha() and b.isalpha() and a.islower()
                and b.islower() and doc.spaced_pair(i)
                and a not in function_words and b not in function_words):
            yield i, f"{a} {b}"


_OPENING_QUOTES = frozenset("\"'“‘«")
_CLOSING_QUOTES = frozenset("\"'”’»")


@lru_cache(maxsize=1)
def _calques() -> tuple[dict[str, str], frozenset[str]]:
    """Pair -> span note, and the set of words that open some pair (a cheap first test)."""
    notes = {}
    for pair, stories, systems, *_ in lexicon.rows("calques.tsv"):
        notes[pair] = (f"'{pair}': a literal rendering MT systems wrote in {stories} training "
                       f"stories ({systems} systems) and fluent English in the corpus never does")
    return notes, frozenset(p.split(" ", 1)[0] for p in notes)


def calque_pair(doc: Document) -> Finding:
    """A literal calque or unidiomatic word pair ("new crown" for the coronavirus, "spring block").

    An MT system renders a source collocation word by word where a translator picks the English
    collocation, so the pair it writes is one English writers do not use. Which pairs are unusual
    is learned from data, not listed by hand: detector/lexicons/calques.tsv holds adjacent
    lower-case content-word pairs (content_pairs) that, in the corpus's train split, WMT systems
    wrote in at least two stories whose professional human translation did not, from at least
    three systems, that no original, human translation, paraphrase or AI text of the train split
    contains, that are no Google Books bigram, and whose words are both common English (made by
    `python -m training.calques`; see its header). Value: pairs per 1,000 words.
    Known false positives: ordinary English that the corpus's fluent text happens to lack
    ("torrential rains", "popular science", "constantly growing"), domain jargon of the WMT
    e-commerce texts, text about the same topics as the WMT stories (covid, Japanese
    baseball), and the literal sense of a listed pair ("the queen's new crown"). Silent, by design,
    on capitalised or sentence-initial pairs (names) and on a pair standing alone in quotes.
    """
    notes, firsts = _calques()
    lower = doc.lower_words
    if firsts.isdisjoint(lower):
        return rate_finding((), doc)  # most texts hold no word that opens a listed pair
    spans = []
    words, word_spans, text = doc.words, doc.word_spans, doc.text
    for i in compress(range(len(lower) - 1), map(firsts.__contains__, lower)):
        note = notes.get(f"{lower[i]} {lower[i + 1]}")
        if note is None or not (words[i].islower() and words[i + 1].islower()):
            continue
        if not doc.spaced_pair(i):
            continue  # "spring, block" or "spring-block": not the pair as learned
        start, stop = word_spans[i][0], word_spans[i + 1][1]
        if start and text[start - 1] in _OPENING_QUOTES and text[stop:stop + 1] in _CLOSING_QUOTES:
            continue  # a quoted name or phrase ("the 'new crown' pub") is mentioned, not used
        spans.append(Span(start, stop, note))
    return rate_finding(spans, doc)
