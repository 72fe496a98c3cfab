"""Bytes to Document: decoding, normalisation, segmentation with offsets, layout invariance."""
from __future__ import annotations

import codecs
import gzip
import math
import re

import pytest

from detector.decoding import DecodeError, decode_bytes
from detector.document import Document, normalise
from detector.features import FEATURE_NAMES, extract

from conftest import sample_files

ENGLISH = ("The mayor of Malmö, Åsa Lindén, said the façade of the old théâtre would be restored "
           "by spring. Work on the “new” roof will cost €1.2 million — more than expected.")


# --- decoding ------------------------------------------------------------------------------------
def test_utf8():
    text, encoding = decode_bytes(ENGLISH.encode("utf-8"))
    assert (text, encoding) == (ENGLISH, "utf-8")


def test_utf8_with_bom_drops_the_bom():
    text, encoding = decode_bytes(codecs.BOM_UTF8 + ENGLISH.encode("utf-8"))
    assert text == ENGLISH
    assert encoding == "utf-8-sig"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    text, _ = decode_bytes(bom + ENGLISH.encode(codec))
    assert text == ENGLISH


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(codec):
    text, encoding = decode_bytes(ENGLISH.encode(codec))
    assert text == ENGLISH
    assert encoding == codec


def test_cp1252_legacy_text():
    text = ("The café’s owner, José Müller, said the “new” menu would cost €12 — more than last "
            "year. Customers in Zürich were not amused.")
    assert decode_bytes(text.encode("cp1252"))[0] == text


def test_latin1_legacy_text_keeps_nordic_names():
    # Å, Ø are Latin-1 letters; a Central European code page would read them as Ĺ, Ř.
    text = ("Åsa Lindén and Søren Ørsted visited Malmö on Tuesday to discuss the bridge toll with "
            "the mayor, who said the façade of the station would be rebuilt.")
    assert decode_bytes(text.encode("latin-1"))[0] == text


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(200),
    gzip.compress(ENGLISH.encode("utf-8") * 20),
    b"%PDF-1.7\n" + bytes(range(0, 32)) * 20,
], ids=["png", "gzip", "control-bytes"])
def test_binary_is_refused(data):
    with pytest.raises(DecodeError, match="binary"):
        decode_bytes(data)


def test_undecodable_bytes_give_a_clear_error():
    # Every high byte in a row: no single-byte code page reads this as language.
    data = b"The report said " + bytes(range(128, 256)) * 3 + b" and nothing more."
    with pytest.raises(DecodeError, match="not valid UTF-8 or any detected encoding"):
        decode_bytes(data)


def test_broken_utf16_after_a_bom_says_where():
    data = codecs.BOM_UTF16_LE + "abc".encode("utf-16-le") + b"\x00\xd8"  # a lone surrogate
    with pytest.raises(DecodeError, match=r"not valid utf-16.*byte \d+"):
        decode_bytes(data)


# --- normalisation -------------------------------------------------------------------------------
def test_crlf_and_cr_become_newlines():
    assert normalise("First line.\r\nSecond line.\rThird line.") == "First line.\nSecond line.\nThird line."


def test_no_break_and_odd_spaces_become_one_space():
    assert normalise("A\u00a0100\u202fkm\t\t road  closed.") == "A 100 km road closed."


def test_zero_width_and_soft_hyphen_are_removed():
    assert normalise("co\u200bop\u00aderation and\u200d the\ufeff rest") == "cooperation and the rest"


def test_blank_lines_collapse_and_edges_are_trimmed():
    assert normalise("  Title  \n\n\n\n  Body text.  \n") == "Title\n\nBody text."


def test_mojibake_is_repaired_and_flagged():
    doc = Document.from_text("The cafÃ© reopened on Monday, its ownerâ€™s son said.")
    assert doc.text == "The café reopened on Monday, its owner’s son said."
    assert doc.repaired


def test_clean_text_is_not_flagged_repaired():
    doc = Document.from_text("Le café reopened\r\non Monday,\u00a0its owner’s son said.")
    assert not doc.repaired
    assert doc.text == normalise("Le café reopened\r\non Monday,\u00a0its owner’s son said.")


# --- words and sentences -------------------------------------------------------------------------
TEXT = ("Dr. Anna Kowalska met Gen. Mark Miller in the U.S. capital on Monday. They didn't agree. "
        "Sgt. J. K. Moss, 41, said: \"Talks will go on.\" Russia's envoy left at 5 p.m. on Tuesday!\n"
        "Is that the end? No.")


def test_word_offsets_point_at_the_words():
    doc = Document.from_text(TEXT)
    assert len(doc.words) == len(doc.word_spans) == doc.word_count
    for word, (start, end) in zip(doc.words, doc.word_spans):
        assert doc.text[start:end] == word
    assert "didn't" in doc.words and "Russia's" in doc.words


def test_sentences_are_cut_at_sentence_ends_and_line_breaks():
    doc = Document.from_text(TEXT)
    sentences = [doc.sentence_text(s) for s in doc.sentences]
    assert sentences == [
        "Dr. Anna Kowalska met Gen. Mark Miller in the U.S. capital on Monday.",
        "They didn't agree.",
        "Sgt. J. K. Moss, 41, said: \"Talks will go on.\"",
        "Russia's envoy left at 5 p.m. on Tuesday!",
        "Is that the end?",
        "No.",
    ]


def test_sentence_word_indices_match_offsets():
    doc = Document.from_text(TEXT)
    for s in doc.sentences:
        assert s.first_word < s.last_word
        first_start = doc.word_spans[s.first_word][0]
        last_end = doc.word_spans[s.last_word - 1][1]
        assert s.start <= first_start and last_end <= s.end
        assert doc.sentence_text(s).strip() == doc.sentence_text(s)


@pytest.mark.parametrize("text", [
    "Prof. Helen Ward and Mr. Tom Ashby spoke in St. Albans on Friday.",
    "The meeting with Gov. Ruiz and Sen. Patel ended at noon.",
    "The talks in Washington, D.C. ended with no deal on Friday.",
])
def test_abbreviations_do_not_end_sentences(text):
    assert len(Document.from_text(text).sentences) == 1


def test_paragraphs_are_non_empty_lines():
    doc = Document.from_text("Headline\n\nFirst paragraph.\nSecond paragraph.")
    assert [doc.text[a:b] for a, b in doc.paragraphs] == ["Headline", "First paragraph.", "Second paragraph."]


# --- layout invariance ---------------------------------------------------------------------------
COMPOSED = [
    "The port of Rotterdam handled 12 percent less cargo in May. Analysts blamed weak demand from "
    "Germany. \"We expect a recovery by autumn,\" a spokesman said. Additionally, the port voiced "
    "its support for the new rail link. Whether it is built remains to be seen.",
    "Officials said Poland would increase his defence spending. The ministry announced a 30 -day "
    "review ( starting Monday ). Talks resumed in warsaw on Thursday, Bloomberg reported. "
    "Share This Article",
    "**Key Points** Ministers met in Brussels on Tuesday. They agreed to meet again. They agreed to "
    "meet again. Overall, the future of the pact is uncertain.",
]


def _with_breaks(text: str) -> str:
    """The same text with a paragraph break between every two sentences."""
    doc = Document.from_text(text)
    out, pos = [], 0
    for i, s in enumerate(doc.sentences):
        gap = doc.text[pos:s.start]
        out.append("\n\n" if i and not gap.strip() else gap)
        out.append(doc.text[s.start:s.end])
        pos = s.end
    return "".join(out) + doc.text[pos:]


def _vector(text: str) -> list[float]:
    return [f.value for f in extract(Document.from_text(text))]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-12)


def _layout_cases():
    for path in sample_files():
        yield pytest.param(path.read_text(encoding="utf-8"), id=path.name[:3])
    for i, text in enumerate(COMPOSED):
        yield pytest.param(text, id=f"composed-{i}")


@pytest.mark.parametrize("text", list(_layout_cases()))
def test_features_do_not_depend_on_line_breaks(text):
    broken = _with_breaks(text)
    assert broken.count("\n") > text.count("\n"), "the test must actually insert breaks"
    assert re.sub(r"\s+", " ", broken) == re.sub(r"\s+", " ", normalise(text))
    a, b = _vector(text), _vector(broken)
    different = [name for name, x, y in zip(FEATURE_NAMES, a, b) if not _same(x, y)]
    assert not different, {n: (a[FEATURE_NAMES.index(n)], b[FEATURE_NAMES.index(n)]) for n in different}


# --- hard-wrapped text ----------------------------------------------------------------------------
WIRE = (
    "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought since "
    "early January and improving prospects for the coming harvest, although normal humidity levels "
    "have not been restored, the exporter said in its weekly review. The dry period means the "
    "harvest will be late this year.\n"
    "Arrivals for the week ended February 22 were 155,221 bags of 60 kilos, making a cumulative "
    "total for the season of 5.93 mln against 5.81 at the same stage last year. Again it seems that "
    "cocoa delivered earlier on consignment was included in the arrivals figures."
)


def _hard_wrap(text: str, width: int = 60, indent: str = "    ") -> str:
    """The text as a wire feed sends it: lines broken at `width`, paragraphs indented."""
    import textwrap

    return "\n".join(textwrap.fill(p, width, initial_indent=indent if i else "")
                     for i, p in enumerate(text.split("\n")))


def test_hard_wrapped_lines_are_rejoined_into_the_flat_text():
    wrapped = _hard_wrap(WIRE)
    assert wrapped.count("\n") >= 8
    assert normalise(wrapped) == WIRE
    flat, doc = Document.from_text(WIRE), Document.from_text(wrapped)
    assert [doc.text[s.start:s.end] for s in doc.sentences] == [flat.text[s.start:s.end] for s in flat.sentences]
    assert all(map(_same, _vector(wrapped), _vector(WIRE)))


def test_hard_wrapping_with_blank_lines_and_a_hyphen_at_the_break():
    text = "The minister described it as a long-\nterm plan that would be put to the\nvote on Monday and\npassed.\n\nThe opposition said\nit would vote against the plan."
    assert normalise(text) == ("The minister described it as a long-term plan that would be put to the "
                               "vote on Monday and passed.\n\nThe opposition said it would vote against the plan.")


@pytest.mark.parametrize("text", [
    "Headline\nFirst paragraph.\nSecond paragraph.",  # breaks between sentences
    "Ministers met on Tuesday.\nThey agreed to meet again.\nTalks resume in May.\nNo date was set.",
    "What we know:\n- the bridge is closed\n- three people were hurt\n- police are on the scene\nand more",
    "Roses are red\nviolets are blue",  # too few breaks to say
])
def test_text_broken_between_sentences_or_items_keeps_its_lines(text):
    assert normalise(text) == text


# --- the word list ---------------------------------------------------------------------------------
def test_word_list_read_directly_equals_wordfreqs_own():
    """document._read_cbpack skips `import wordfreq` at start-up; it must give wordfreq's numbers."""
    from detector import document

    direct, own = document._read_cbpack(), document._wordfreq_dict()
    assert direct is not None and len(direct) == len(own) > 100_000
    assert all(direct[word] == freq for word, freq in own.items())


def test_word_list_falls_back_to_wordfreq_when_the_file_is_not_where_expected(monkeypatch):
    from detector import document

    monkeypatch.setattr(document, "WORDLIST_FILE", ("data", "no_such_list.msgpack.gz"))
    assert document._read_cbpack() is None
    document.english_frequencies.cache_clear()
    try:
        assert document.english_frequencies()["the"] > 0.01
    finally:
        document.english_frequencies.cache_clear()
