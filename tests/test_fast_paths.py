"""The shortcuts taken for speed must give the answers of the plain computation they replace.

benchmarks/check_equivalence.py checks this on thousands of corpus documents; these tests pin
the corner cases by name.
"""
import re

from detector.document import Document, _clean_layout
from detector.features import boilerplate, generation, style
from detector.features.finding import PhraseIndex


def test_required_literals_are_in_every_match():
    cases = {
        r"\(Tags ?to ?[Tt]ranslate\)": ("(Tagstotranslate)", "(Tags to translate)"),
        r"\b(?:Previous|Next) (?:article|post)\b": ("Previous article", "Next post"),
        r"\bnewsletters?\b": ("newsletter", "newsletters"),
    }
    for source, examples in cases.items():
        literals = boilerplate.required_literals(re.compile(source))
        assert literals, source
        for example in examples:
            assert re.search(source, example)
            assert any(literal in example for literal in literals), (source, example, literals)


def test_required_literals_give_up_on_case_insensitive_patterns():
    assert boilerplate.required_literals(re.compile(r"share this", re.IGNORECASE)) is None
    assert boilerplate.required_literals(re.compile(r"(?i:share) this")) == (" this",)


def test_lexicon_patterns_all_have_a_literal_and_it_occurs_in_their_matches():
    text = ("Share This Article. Read More @ example.com TAGGED: Russia (Tagstotranslate) Russia "
            "This article was written by AI. Previous article Next post")
    for pattern, _kind, literals in boilerplate._patterns():
        assert literals is not None, pattern.pattern
        for m in pattern.finditer(text):
            assert any(literal in m.group() for literal in literals), pattern.pattern


def test_overlapping_furniture_counts_once_and_quoted_furniture_not_at_all():
    doc = Document.from_text('Body text here. Share this article Share this: and a quote "Read more: no".')
    found = boilerplate.boilerplate_matches(doc)
    notes = [s.note for spans in found.values() for s in spans]
    assert notes == ["widget: Share this article", "widget: Share this:"]


def test_boilerplate_share_counts_words_inside_matches():
    doc = Document.from_text("ADVERTISEMENT ADVERTISEMENT one two")
    assert boilerplate.boilerplate_share(doc) == 0.5


def test_phrase_index_resumes_after_a_match():
    index = PhraseIndex(["a b", "b c", "c d"])
    doc = Document.from_text("a b c d")
    # "a b" is taken, so "b c" (overlapping) is not; "c d" starts after it and is found.
    assert [s.note for s in index.find(doc)] == ["a b", "c d"]
    assert index.matches_somewhere_from(doc, 2)
    assert not PhraseIndex(["x y"]).matches_somewhere_from(doc, 0)


def test_summary_ending_reads_the_last_two_sentences():
    closing = "The talks went on. The minister left. Officials met again. Ultimately, it remains to be seen."
    early = "Ultimately, it remains to be seen. The talks went on. The minister left. Officials met again."
    assert generation.summary_ending(Document.from_text(closing)).value == 1.0
    assert generation.summary_ending(Document.from_text(early)).value == 0.0


def test_layout_cleaning_collapses_only_what_changes():
    assert _clean_layout("a  b\tc\u00a0d e") == "a b c d e"
    assert _clean_layout("a \n\n\n\n b") == "a\n\nb"


def test_punctuation_rates_count_characters():
    doc = Document.from_text("Yes, (really): no; why? Stop! It's a well - known x—y.")
    assert style.comma_rate(doc).value == 1 / doc.word_count
    assert style.parenthesis_rate(doc).value == 2 / doc.word_count
    assert style.colon_semicolon_rate(doc).value == 2 / doc.word_count
    assert style.exclaim_question_rate(doc).value == 2 / doc.word_count
    assert style.dash_rate(doc).value == 2 / doc.word_count
    assert style.contraction_rate(doc).value == 1 / doc.word_count
    assert style.digit_share(Document.from_text("In 2024 the 3rd of x")).value == 2 / 6


def _plain_shape_tokens(doc: Document) -> list[str]:
    """learned.shape_tokens without its shortcuts: every gap sliced, every shape computed."""
    from detector import learned

    out, prev_end = [], 0
    for i, (start, end) in enumerate(doc.word_spans):
        out.extend(doc.text[prev_end:start].replace(" ", "").replace("\n", "")[:learned.MAX_GAP])
        if i in doc.sentence_starts:
            out.append("<s>")
        out.append(learned._shape(doc.words[i], doc.lower_words[i], doc.zipfs[i], i in doc.sentence_starts))
        prev_end = end
    out.extend(doc.text[prev_end:].replace(" ", "").replace("\n", "")[:learned.MAX_GAP])
    return out


def test_shape_tokens_cache_and_single_space_gaps_change_nothing():
    from detector import learned

    # The same word opening a sentence and inside one ("Police"), numbers, a name, gaps of one
    # space, two spaces, a line break, punctuation with and without spaces, text at both ends.
    texts = ["  Akkerberg police said 30 -day curfews ended in Akkerberg , she said, \"left!\" For now\n\nAkkerberg",
             "x", "Mr. Smith met   officials (in 2022) - and left..."]
    for _ in range(2):  # the second pass reads every shape from the cache
        for text in texts:
            doc = Document.from_text(text)
            assert learned.shape_tokens(doc) == _plain_shape_tokens(doc)
    assert learned._SHAPES[("Akkerberg", True)] != learned._SHAPES[("Akkerberg", False)] == "<Cap>"


def _typo_by_generation(word: str) -> bool:
    """translation.looks_like_typo without its index: every one-edit candidate looked up."""
    from detector.document import english_frequencies
    from detector.features import translation

    threshold = 10 ** (translation.TYPO_NEIGHBOUR_ZIPF - 9)
    return any(english_frequencies().get(c, 0) >= threshold for c in translation._edit1(word))


def test_typo_index_finds_every_kind_of_edit_and_nothing_more():
    from detector.features import translation

    # A common word ("government") with a letter inserted, deleted, replaced, two swapped; the
    # word itself; a two-edit word; words with letters outside a-z (the generator's path); the
    # empty word and single letters; an unknown name (no common word one edit away).
    words = ["governmment", "govrnment", "governmant", "govenrment", "government", "govnmnt",
             "kyiv", "zhytomyr", "naïve", "it's", "Moscow", "", "a", "q", "xq", "qzxv"]
    for word in words:
        assert translation.looks_like_typo(word) == _typo_by_generation(word), word
    assert translation.looks_like_typo("govrnment") and not translation.looks_like_typo("zhytomyr")


def test_ftfy_gate_passes_every_text_ftfy_calls_bad():
    import random

    import ftfy.badness

    from detector.document import _ftfy_gate, _needs_ftfy

    gate = _ftfy_gate()
    assert gate is not None, "ftfy's badness regex no longer has the shape the gate is derived from"
    # Texts that is_bad flags, including the few whose mojibake is one non-ASCII character
    # beside ASCII ("Â " and "Ã " before a space, "œ" before a non-letter, a C1 control).
    bad = ["cafÃ© au lait", "it was Â a deal", "x Ã y", "cœ ur", "a\x85b", "donâ€™t", "â€œquoteâ€\x9d"]
    for text in bad:
        assert ftfy.badness.is_bad(text) and gate.search(text) and _needs_ftfy(text), text
    # Ordinary non-ASCII news text: curly quotes and dashes beside ASCII, accented names.
    for text in ["He said “no” — and left.", "José Mourinho’s side", "Zürich, 5 °C"]:
        assert not gate.search(text) and not ftfy.badness.is_bad(text) and not _needs_ftfy(text)
    # Random strings of ASCII and the characters ftfy's classes name: is_bad implies the gate.
    ascii_chars = "ab Z.,?!1"
    others = [chr(c) for c in range(0x80, 0x250)] + list("‘’“”–—…€™•√≈‚βāВГРСЂў")
    rng = random.Random(5)
    for _ in range(20000):
        text = "".join(rng.choice(ascii_chars) if rng.random() < 0.6 else rng.choice(others)
                       for _ in range(rng.randrange(1, 6)))
        if ftfy.badness.is_bad(text):
            assert gate.search(text), repr(text)


def test_token_ids_are_the_ids_of_shape_tokens():
    import numpy as np

    from detector import learned

    # Gaps of every kind (none, one space, several, a line break, punctuation runs longer than
    # MAX_GAP), a word opening a sentence and the same word inside one, curly apostrophes,
    # text before the first word and after the last, a text without words.
    texts = ["  Police said 30 -day curfews ended. Police , she said, \"left!!!!!\" For now\n\nPolice",
             "x", "...", "‘Quoted’ it’s fine.Next one", "Mr. Smith met   officials (in 2022) - and left...",
             "a_b __c", "end ?!?!?!"]
    for _ in range(2):  # the second pass reads every id from the caches
        for text in texts:
            doc = Document.from_text(text)
            expected = [learned._token_id(t) for t in learned.shape_tokens(doc)]
            assert learned.token_ids(doc).tolist() == expected, text
    # A Document built without gaps takes the plain path.
    doc = Document.from_text("Police said so.")
    bare = Document(text=doc.text, words=doc.words, word_spans=doc.word_spans)
    assert learned.token_ids(bare).tolist() == learned.token_ids(doc).tolist()
    assert learned.token_ids(Document.from_text("...")).dtype == np.uint64


def test_word_split_gives_findall_and_finditer_offsets():
    from detector.document import WORD

    for text in ["", "...", "don't stop", "a''b 'c' d’e x_y 3.5 Müller's", "word"]:
        doc = Document.from_text(text)
        assert list(doc.words) == WORD.findall(doc.text)
        assert list(doc.word_spans) == [m.span() for m in WORD.finditer(doc.text)]
        assert len(doc.gaps) == len(doc.words) + 1 and "".join(
            g + w for g, w in zip(doc.gaps, doc.words + ("",))) == doc.text


def test_row_of_ids_counts_as_np_unique():
    import numpy as np

    from detector import learned

    for ids in ([], [5], [5, 5], [1, 2, 3], [7] * 50, list(range(40)) * 3):
        ids = np.array(ids, dtype=np.uint64)
        columns, values = learned.row_of_ids(ids)
        grams = [ids + np.uint64(1), ids[:-1] * learned._COMBINE + ids[1:] + np.uint64(2)]
        grams.append((ids[:-2] * learned._COMBINE + ids[1:-1]) * learned._COMBINE + ids[2:] + np.uint64(3))
        hashed = (learned._mix(np.concatenate(grams)) >> np.uint64(64 - learned.HASH_BITS)).astype(np.int64)
        expected, counts = np.unique(hashed, return_counts=True)
        assert columns.tolist() == expected.tolist()
        if len(counts):
            assert values.tolist() == (counts / np.sqrt((counts.astype(float) ** 2).sum())).tolist()


def test_occlusion_walks_only_the_trees_that_split_on_the_column():
    import numpy as np

    from detector.inference import Forest

    # Two trees: tree 0 splits on column 0, tree 1 on column 1 (then on column 0 below).
    forest = Forest(feature=np.array([0, 0, 0, 1, 0, 0, 0, 0, 0]),
                    threshold=np.array([0.5, 0, 0, 0.5, 1.5, 0, 0, 0, 0]),
                    missing_left=np.array([True, False, False, False, True, False, False, False, False]),
                    left=np.array([1, 1, 2, 4, 6, 5, 6, 7, 8]),
                    right=np.array([2, 1, 2, 5, 7, 5, 6, 7, 8]),
                    value=np.array([0, -1.0, 1.0, 0, 0, 3.0, 0.25, -0.5, 0]),
                    roots=np.array([0, 3]), tree_class=np.array([0, 0]), baseline=np.array([0.1]), depth=2)
    assert forest.trees_testing(0).tolist() == [0, 1]
    assert forest.trees_testing(1).tolist() == [1]
    assert forest.trees_testing(2).tolist() == []
    rows = np.array([[0.0, 0.0], [1.0, 1.0], [np.nan, 0.0], [2.0, np.nan]])
    leaves = forest.leaves(rows)
    # Changing column 1 only: the leaves of tree 0 stay, tree 1 is walked again.
    changed = rows.copy()
    changed[:, 1] = [1.0, 0.0, 1.0, 0.0]
    patched = leaves.copy()
    patched[:, forest.trees_testing(1)] = forest.leaves(changed, forest.trees_testing(1))
    assert patched.tolist() == forest.leaves(changed).tolist()
    assert forest.scores(patched).tolist() == forest.decision(changed).tolist()


# --- per-word caches (document.WordCache) and the features that read them ------------------------
# Texts with the corner cases of the per-word shortcuts: capitalised words opening a sentence and
# inside one, all-capital words, a dotted capital whose lower case is no letter-word ("İstanbul"),
# curly apostrophes, digits, foreign function words, place names and rare words in lower case and
# capitalised, unknown lower-case words that are and are not typos, a word repeated, misspellings.
_WORD_CASE_TEXTS = [
    "Police in kyiv said. Kyiv is calm. The akkerberg plan and the Akkerberg plan. NATO and nato met.",
    "İstanbul and istanbul, Zhytomyr and zhytomyr; the governmment recieve becuase goverment thier.",
    "Les enfants et le chat sont des amis. Le chat is here, und die Katze auch. Don’t stop it’s 2024.",
    "x", "THE END", "said said said. Said it. 3rd 2nd and qzxv qzxv qzxv mispelled words occured",
    "He went to moscow then Moscow and madrid, the mayor of paris met the Paris mayor in 10 days.",
]


def test_word_cache_computes_each_word_once_and_clears_past_its_size():
    from detector.document import WordCache

    calls = []
    cache = WordCache(lambda w: calls.append(w) or len(w), max_size=3)
    assert cache.values(("a", "bb", "a", "ccc")) == [1, 2, 1, 3]
    assert calls == ["a", "bb", "ccc"]  # "a" twice in one call: computed once
    assert cache.values(("bb", "dddd")) == [2, 4] and calls[-1] == "dddd"
    cache.values(("e",))  # past max_size: cleared first, then filled again
    assert cache.values(("a",)) == [1] and calls[-1] == "a"


def _english_share_plain(doc: Document) -> float:
    """language.english_share as a loop over every word, as it was written before its cache."""
    from detector import language

    foreign = language._foreign_function_words()
    known = total = 0
    for i, w in enumerate(doc.words):
        if not w.isalpha() or (w[:1].isupper() and i not in doc.sentence_starts):
            continue
        total += 1
        if doc.zipfs[i] >= language.ENGLISH_ZIPF and doc.lower_words[i] not in foreign:
            known += 1
    return known / total if total else 1.0


def _dropped_capital_plain(doc: Document) -> list:
    """translation.dropped_capital's spans as a loop over every word (before its caches)."""
    from detector.document import english_frequencies
    from detector.features import translation
    from detector.features.finding import Span

    _, places = translation._places()
    freqs, words, lower, starts = english_frequencies(), doc.words, doc.lower_words, doc.sentence_starts
    capitalised_mid = {lower[i] for i, w in enumerate(words)
                       if i not in starts and w[:1].isupper() and not w.isupper()}
    spans = []
    for i, w in enumerate(words):
        if not w.islower() or not w.isalpha():
            continue
        note = None
        if w in places:
            note = f"place name '{w}' in lower case"
        elif len(w) >= translation.MIN_NAME_LENGTH:
            freq = freqs.get(w, 0.0)
            if w in capitalised_mid and freq < 10 ** (translation.MAX_COMMON_ZIPF - 9):
                note = f"'{w}' also written with a capital"
            elif freq == 0.0 and w.isascii() and not translation.looks_like_typo(w):
                note = f"unknown word '{w}': a name without its capital?"
        if note:
            spans.append(Span(*doc.word_spans[i], note))
    return spans


def test_per_word_caches_give_the_plain_loops_answers():
    from detector import language
    from detector.features import human, style, translation

    for _ in range(2):  # the second pass reads every word from the caches
        for text in _WORD_CASE_TEXTS:
            doc = Document.from_text(text)
            assert language.english_share(doc) == _english_share_plain(doc), text
            assert list(translation.dropped_capital(doc).spans) == _dropped_capital_plain(doc), text
            misspelt = [i for i, w in enumerate(doc.words)
                        if doc.zipfs[i] < human.MAX_TYPO_ZIPF and len(w) >= human.MIN_TYPO_LENGTH
                        and w.isalpha() and w.islower() and human._misspelt(w, doc.zipfs[i])
                        and not human._regular_inflection(w)]
            assert [s.start for s in human.misspelling(doc).spans] == [doc.word_spans[i][0] for i in misspelt]
            alpha_lower = [i for i, w in enumerate(doc.lower_words)
                           if w.isalpha() and not doc.words[i][:1].isupper()]
            assert style._alpha_lower_zipfs(doc) == [doc.zipfs[i] for i in alpha_lower]
    doc = Document.from_text(_WORD_CASE_TEXTS[0])
    assert [s.note for s in translation.dropped_capital(doc).spans] == [
        "place name 'kyiv' in lower case", "'akkerberg' also written with a capital"]


def _phrases_plain(index: PhraseIndex, doc: Document) -> list:
    """PhraseIndex.find by trying every phrase of the word, longest first (before _by_start)."""
    from detector.features.finding import Span

    words, out, resume = doc.lower_words, [], 0
    for i in range(len(words)):
        if i < resume:
            continue
        for phrase in index._by_first.get(words[i], ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                out.append(Span(doc.word_spans[i][0], doc.word_spans[i + len(phrase) - 1][1], " ".join(phrase)))
                resume = i + len(phrase)
                break
    return out


def test_phrase_index_tries_phrases_longest_first_by_their_first_two_words():
    index = PhraseIndex(["in", "in the", "in the end", "in fact", "the end", "end", "a b c d", "a b"])
    for text in ["in the end", "in the", "in", "In fact, in the middle in the end", "a b c", "a b c d a",
                 "the end end in", "x in", "a"]:
        doc = Document.from_text(text)
        assert index.find(doc) == _phrases_plain(index, doc), text
    assert [s.note for s in index.find(Document.from_text("in the end in fact end"))] == [
        "in the end", "in fact", "end"]


def test_pstdev_of_ints_is_statistics_pstdev_to_the_bit():
    import random
    import statistics

    from detector.features.generation import pstdev_of_ints

    rng = random.Random(7)
    # One value, all equal (variance 0), two values, large and tiny spreads, a variance past
    # 2 ** 109 (the other branch of the square root), and random sentence lengths.
    cases = [[5], [3, 3, 3], [0, 0], [1, 2], [10**6, 1], [0, 2**120], [1, 2**200, 3]]
    cases += [[rng.randrange(rng.choice([2, 40, 400])) for _ in range(rng.randrange(1, 120))]
              for _ in range(3000)]
    for values in cases:
        ours, theirs = pstdev_of_ints(values), statistics.pstdev(values)
        assert ours == theirs and type(ours) is type(theirs) is float, values


def test_ngram_rows_give_the_products_of_the_plain_column_gather():
    import numpy as np

    from detector.inference import LinearOvR

    rng = np.random.default_rng(3)
    model = LinearOvR(coef=rng.normal(size=(4, 5000)), intercept=rng.normal(size=4))
    rows = []
    for size in (0, 1, 7, 600):
        columns = np.sort(rng.choice(5000, size=size, replace=False))
        rows.append((columns, rng.random(size)))
    plain = np.array([model.coef[:, c] @ v for c, v in rows]) + model.intercept
    assert model.predict_rows(rows).tolist() == model.probabilities(plain).tolist()


def test_word_class_features_give_the_plain_loops_answers():
    from detector.features import paraphrase, translation

    texts = _WORD_CASE_TEXTS + [
        "They was told by Sergei Priestley and Sergey Pristel. It stated a invasion and an car. F16 and 3M "
        "jets, Москва und les gens. 2024 was hot. He have said so, she emphasized, they said it.",
        "A man. An hour. If it were so, did he have it? Said Sergei. SERGEI Sergeis Sergei's.",
    ]
    for _ in range(2):
        for text in texts:
            doc = Document.from_text(text)
            words = doc.words
            foreign = translation._foreign_function_words()
            expected = [doc.word_spans[i][0] for i, w in enumerate(words)
                        if translation._NON_LATIN.search(w) or (w.islower() and w in foreign)]
            assert [s.start for s in translation.foreign_word(doc).spans] == expected, text
            fancy = paraphrase._speech_verbs() - paraphrase._SAID
            expected = [doc.word_spans[i][0] for i, w in enumerate(doc.lower_words) if w in fancy]
            assert [s.start for s in paraphrase.said_share(doc).spans] == expected
    doc = Document.from_text(texts[-2])
    assert [s.note for s in translation.agreement_slip(doc).spans] == [
        "subject and verb disagree", "'a' before a vowel", "'an' before a consonant",
        "subject and verb disagree"]


def _clean_layout_plain(text: str) -> str:
    """_clean_layout with every regex pass run, whatever the text holds."""
    from detector import document

    text = document._INVISIBLE.sub("", text)
    text = document._CONTROL.sub(" ", text)
    text = document.unwrap_hard_lines(text)
    text = document._HSPACE.sub(" ", text)
    text = document._LINE_EDGES.sub("\n", text)
    text = document._MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


def test_layout_cleaning_skips_only_passes_that_cannot_match():
    # Every ASCII whitespace and control character, alone, doubled and next to a space: the
    # horizontal-space pass is skipped for ASCII text without a tab or two spaces in a row.
    specials = [chr(c) for c in range(0x20)] + ["\x7f", " ", "\u00a0", "\u2009", "\u200b", "\u00ad"]
    cases = ["plain text", "a  b", " a ", "a\tb", "\u200b\u200b", "é  e", "a\u200b b"]
    for ch in specials:
        cases += [f"a{ch}b", f"a{ch}{ch}b", f"a {ch}b", f"a{ch} b", f"{ch}a", f"a \n{ch}\n\n\nb"]
    for text in cases:
        assert _clean_layout(text) == _clean_layout_plain(text), repr(text)


def test_sentences_without_line_breaks_match_the_full_splitter():
    from detector import document

    text = "One thing. Two things! Three? Four."
    doc = Document.from_text(text)
    # The same text with a line break where a space was gives the same sentence bounds.
    broken = Document.from_text(text.replace("! ", "!\n"))
    assert [(s.start, s.end) for s in doc.sentences] == [(s.start, s.end) for s in broken.sentences]
    assert document._LINE_BREAK.search(doc.text) is None
    assert len(Document.from_text("no cut here\nbut here").sentences) == 2


def test_spacing_matches_are_finditers_matches():
    import random

    from detector.features import translation

    def plain(text):
        return [m.span() for m in translation._SPACING_SLIPS.finditer(text)]

    cases = ["30 -day", "Moscow , Turkey", "the war .", "( text )", "a ( b ) c", "( )", "x ( ) y",
             "a -", "a  -b", "é -é", "1 -2", "a_ ,", "a ,b", "a ,\n", "A .", "a . . .", "(  a", "a ( (b"]
    rnd = random.Random(5)
    alphabet = " -,;:.()aZ1é_\n"
    cases += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14))) for _ in range(20_000)]
    for text in cases:
        assert [m.span() for m in translation.spacing_matches(text)] == plain(text), repr(text)


def test_attribution_matches_are_finditers_matches():
    import random

    from detector.features import paraphrase

    def plain(text):
        return [m.span() for m in paraphrase._attribution_pattern().finditer(text)]

    outlets = list(paraphrase._outlets())
    pieces = ["according to ", "According to ", "reported by ", "cited by ", "quoted by ", "citing ",
              "Citing ", "told ", "the ", "The ", " news agency", " news service", " agency", " reported",
              ", said", " says", " ", ",", ".", "x", "Michael ", "Yesterday "]
    cases = ["according to the Reuters", "the the Interfax news agency", "citing the AP reported",
             "Reuters reported Bloomberg said", "told CNN news agency reported"]
    rnd = random.Random(7)
    for _ in range(5_000):
        cases.append("".join(rnd.choice(pieces + [rnd.choice(outlets)] * 4) for _ in range(rnd.randint(1, 8))))
    for text in cases:
        assert [m.span() for m in paraphrase.attribution_matches(text)] == plain(text), repr(text)
    assert plain("according to the Reuters") == [(0, 24)]  # the longest lead is exercised


def _walk_one(forest, row, tree):
    """The leaf `row` reaches in `tree`, one node at a time: the plain definition of leaves()."""
    import math

    node = int(forest.roots[tree])
    while forest.left[node] != node:
        x = row[forest.feature[node]]
        go_left = bool(forest.missing_left[node]) if math.isnan(x) else x <= forest.threshold[node]
        node = int(forest.left[node] if go_left else forest.right[node])
    return node


def _small_forest(depth_first: bool):
    """Two trees over two columns; with depth_first=False a left child is not the next node."""
    import numpy as np

    from detector.inference import Forest

    if depth_first:  # tree 0: 0 -> (1, 2); tree 1: 3 -> (4 -> (5, 6), 7)
        left, right = [1, 1, 2, 4, 5, 5, 6, 7], [2, 1, 2, 7, 6, 5, 6, 7]
    else:  # the same shape with the children of 0 and 3 swapped round in the arrays
        left, right = [2, 1, 2, 7, 5, 5, 6, 7], [1, 1, 2, 4, 6, 5, 6, 7]
    return Forest(feature=np.array([0, 0, 0, 1, 0, 0, 0, 0]),
                  threshold=np.array([0.5, 0.0, 0.0, 1.0, -1.0, 0.0, 0.0, 0.0]),
                  missing_left=np.array([True, False, False, False, True, False, False, False]),
                  left=np.array(left), right=np.array(right), value=np.arange(8.0),
                  roots=np.array([0, 3]), tree_class=np.array([0, 1]), baseline=np.zeros(2), depth=2)


def test_tree_walk_reaches_the_leaves_of_the_plain_walk():
    import numpy as np

    from detector.model import Model

    nan, inf = float("nan"), float("inf")
    rows = np.array([[0.5, 1.0], [nan, nan], [-1.0, 2.0], [inf, -inf], [-inf, inf], [0.6, 0.9],
                     [-1.5, nan], [0.0, 1.0000001]])
    for forest in (_small_forest(True), _small_forest(False)):
        assert forest._walk_nodes[2] == (forest.left[0] == 1)  # the second falls back to `left`
        expected = [[_walk_one(forest, row, t) for t in range(len(forest.roots))] for row in rows]
        assert forest.leaves(rows).tolist() == expected
    # The bundled model: rows at its own thresholds (ties go left), just above, NaN and infinities.
    forest = Model.load().forest
    width = int(forest.feature.max()) + 1
    rng = np.random.default_rng(3)
    picks = rng.choice(forest.threshold[forest.left != np.arange(len(forest.left))], size=(6, width))
    rows = np.vstack([picks, np.nextafter(picks, inf), np.full((1, width), nan),
                      np.full((1, width), inf), np.full((1, width), -inf)])
    rows[rng.random(rows.shape) < 0.2] = nan
    trees = range(0, len(forest.roots), 7)
    expected = [[_walk_one(forest, row, t) for t in trees] for row in rows]
    assert forest.leaves(rows, np.array(list(trees))).tolist() == expected
    assert forest._walk_nodes[2]  # the bundled model takes the short path


def test_runnable_patterns_are_those_with_a_literal_in_the_text():
    def plain(text):
        return [(p, k) for p, k, literals in boilerplate._patterns()
                if literals is None or any(literal in text for literal in literals)]

    literals = [lit for _p, _k, lits in boilerplate._patterns() for lit in lits or ()]
    cases = ["", "nothing to see", " ".join(literals)] + literals + [lit[:-1] for lit in literals]
    cases += [f"x {a} y {b}" for a, b in zip(literals, reversed(literals))]
    for text in cases:
        assert boilerplate.runnable_patterns(text) == plain(text), repr(text)


def test_word_before_stop_is_the_full_window_search():
    from detector import document

    def plain(text, stop):
        return document._LAST_WORD.search(text, max(0, stop - 20), stop + 1)

    words = ["J", "U.S", "Sgt", "officials", "internationalisation", "Zürich", "x²", "2022", "a_b",
             "ab1", "Straße", "İstanbul", "", "co-op", "Rowling’s", "abcdefgh", "abcdefg", "abcdefghi"]
    for prefix in ["", " ", "ab", "a b ", "x" * 30, "x" * 30 + " "]:
        for word in words:
            text = f"{prefix}{word}. Next"
            stop = len(prefix) + len(word)
            got, want = document.word_before_stop(text, stop), plain(text, stop)
            assert (got and got.span()) == (want and want.span()), repr(text)
