"""Page furniture scraped into the text: CMS tails, plugin tags, notices, HTML, repeats.

The lexicon (lexicons/boilerplate.tsv) says of each pattern what kind of furniture it is and
where it is seen. Most kinds are quality flags only; the notices that say how a text was made
(an auto-translation plugin, "By AI") are evidence for a label, through the documented priors.
"""
from __future__ import annotations

import re
from functools import lru_cache

from detector import lexicon
from detector.document import Document
from detector.features.finding import Finding, Span, rate_finding

# Words a sentence needs before its repetition counts: short lines ("Read more", "Photo") repeat
# legitimately.
MIN_DUPLICATE_WORDS = 6
_OPENING_QUOTE = "\"“‘'«"


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern, str], ...]:
    return tuple((re.compile(pattern, re.MULTILINE), kind)
                 for pattern, kind, _where in lexicon.rows("boilerplate.tsv"))


def boilerplate_matches(doc: Document) -> dict[str, list[Span]]:
    """All lexicon matches by kind, skipping ones inside a quotation (an article *about* a widget)."""
    text = doc.text
    found: dict[str, list[Span]] = {}
    taken: list[tuple[int, int]] = []
    for pattern, kind in _patterns():
        for m in pattern.finditer(text):
            start, end = m.span()
            if start > 0 and text[start - 1] in _OPENING_QUOTE:
                continue
            if any(s < end and start < e for s, e in taken):
                continue  # one piece of furniture, one match
            taken.append((start, end))
            found.setdefault(kind, []).append(Span(start, end, f"{kind.replace('_', ' ')}: {m.group().strip()}"))
    return found


def _kind(kind: str):
    def detector(doc: Document) -> Finding:
        spans = doc.shared(boilerplate_matches).get(kind, [])
        return Finding(float(len(spans)), tuple(spans))
    return detector


def translation_plugin(doc: Document) -> Finding:
    """An auto-translation plugin's trace: "(Tagstotranslate)", "automatically translated from".

    Sites that machine-translate other sites' articles leave these tags; a human translation
    never carries them. Count of matches (not a rate: one is conclusive).
    """
    return _kind("translation_plugin")(doc)


def automation_notice(doc: Document) -> Finding:
    """A notice that a machine pipeline published the text unedited.

    ("This article was generated from an automated news agency without text modifications.")
    Such pipelines republish machine-translated or generated copy. Count of matches.
    """
    return _kind("automation_notice")(doc)


def ai_disclosure(doc: Document) -> Finding:
    """A byline or notice saying a language model wrote the text ("By AI"). Count of matches."""
    return _kind("ai_disclosure")(doc)


def syndication_notice(doc: Document) -> Finding:
    """A note that the text is republished wire copy ("auto-generated from a syndicated feed").

    Says the text was copied, not how it was written: a flag, usually on original wire copy.
    """
    return _kind("syndication")(doc)


def widget_text(doc: Document) -> Finding:
    """Share buttons, tag lists, related-link blocks scraped into the body ("Share This Article").

    A quality flag: furniture says where the page came from, not who wrote the text.
    """
    return _kind("widget")(doc)


_HTML = re.compile(
    r"""
      </?(?:p|br|div|span|a|b|i|em|strong|ul|ol|li|h[1-6]|img|figure|figcaption|iframe|script
           |style|table|tr|td|blockquote|section|article)\b[^<>]{0,200}/?>   # a tag
    | &(?:nbsp|amp|quot|lt|gt|apos|mdash|ndash|rsquo|lsquo|rdquo|ldquo|hellip|\#\d{2,5}|\#x[0-9a-fA-F]{2,4});
                                                                          # an entity left encoded
    """,
    re.VERBOSE | re.IGNORECASE,
)


def html_remnant(doc: Document) -> Finding:
    """HTML tags or entities left in the text ("</p><p>", "&nbsp;"): a scraping flaw. Count."""
    spans = [Span(m.start(), m.end(), "HTML left in the text") for m in _HTML.finditer(doc.text)]
    return Finding(float(len(spans)), tuple(spans))


def duplicate_sentences(doc: Document) -> Finding:
    """Sentences that occur twice: a scraper that caught the teaser and the body, or a pasted repeat.

    Value: share of sentences (of at least MIN_DUPLICATE_WORDS words) that repeat an earlier one.
    Compared by hashing their lower-cased words, so the check is linear in the text's length.
    """
    seen: dict[tuple[str, ...], int] = {}
    spans, counted = [], 0
    lower = doc.lower_words
    for s in doc.sentences:
        if s.last_word - s.first_word < MIN_DUPLICATE_WORDS:
            continue
        counted += 1
        key = lower[s.first_word : s.last_word]
        if key in seen:
            spans.append(Span(s.start, s.end, "repeats an earlier sentence"))
        else:
            seen[key] = s.start
    return Finding(len(spans) / counted if counted else 0.0, tuple(spans))


def boilerplate_share(doc: Document) -> float:
    """Share of the text's words inside boilerplate matches (for the boilerplate_only flag)."""
    spans = [s for group in doc.shared(boilerplate_matches).values() for s in group]
    if not spans or not doc.word_count:
        return 0.0
    inside = sum(1 for a, b in doc.word_spans if any(s.start <= a and b <= s.end for s in spans))
    return inside / doc.word_count
