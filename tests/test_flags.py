"""Quality flags: each raised by its rule, none on a clean article."""
from __future__ import annotations

import pytest

from detector.document import Document
from detector.features import FEATURE_NAMES, extract
from detector.flags import FLAG_DESCRIPTIONS, MIN_WORDS, flags_for

ARTICLE = ("The regional parliament voted 54 to 12 on Wednesday to ban smoking in public parks "
           "and playgrounds from next year. \"Children deserve clean air,\" the health minister, "
           "Olga Brandt, told reporters after the vote. The ban takes effect in January, and "
           "fines will start at 50 euros for a first offence, officials said. Opposition members "
           "said the law would be hard to enforce in large parks without more wardens.")


def _flags(text: str) -> list[str]:
    doc = Document.from_text(text)
    flags, spans = flags_for(doc, dict(zip(FEATURE_NAMES, extract(doc))))
    for flag, flag_spans in spans.items():
        assert flag in flags and flag_spans
    assert set(flags) <= set(FLAG_DESCRIPTIONS)
    return flags


def test_clean_article_has_no_flags():
    assert Document.from_text(ARTICLE).word_count >= MIN_WORDS
    assert _flags(ARTICLE) == []


@pytest.mark.parametrize("text, flag", [
    (ARTICLE + " Share This Article", "boilerplate_tail"),
    (ARTICLE.replace("year. ", "year.</p><p>"), "html_remnant"),
    (ARTICLE + " " + ARTICLE.split(". ")[0] + ".", "duplicate_paragraphs"),
    ("**Smoking Ban Passes**\n" + ARTICLE, "markdown"),
    ("Parliament bans smoking in parks.", "too_short"),
    (ARTICLE.replace("officials said", "the cityâ€™s officials said"), "mojibake_repaired"),
])
def test_flag_is_raised(text, flag):
    assert flag in _flags(text)


def test_furniture_only_page():
    flags = _flags("Share This Article Follow us on Twitter Related Posts: Impact Shorts More Shorts")
    assert {"boilerplate_tail", "boilerplate_only", "too_short"} <= set(flags)
