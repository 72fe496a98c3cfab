"""Quality flags: facts about a text worth acting on whatever its label.

Each flag is a stable slug (pipelines filter on them) with the rule that raises it here.
"""
from __future__ import annotations

from detector.document import Document
from detector.features import boilerplate
from detector.features.finding import Finding, Span

# Fewer words than this and the label is a guess: the features are rates over too few words.
# 50 words is about 300 characters, a short news brief.
MIN_WORDS = 50
# A text whose words are mostly furniture has no article in it.
MAX_BOILERPLATE_SHARE = 0.5

FLAG_DESCRIPTIONS: dict[str, str] = {
    "boilerplate_tail": "page furniture in the text: share widgets, tag lists, plugin tags, notices",
    "html_remnant": "HTML tags or entities left in the text",
    "duplicate_paragraphs": "a sentence or passage occurs twice (scraping duplicate)",
    "markdown": "literal markdown (bold, headings, bullets)",
    "too_short": f"fewer than {MIN_WORDS} words: the verdict is a guess",
    "boilerplate_only": "mostly page furniture, little or no article text",
    "mojibake_repaired": "broken encoding (mojibake) was repaired before scoring",
}

# Flag -> the features whose spans show it.
FLAG_FEATURES: dict[str, tuple[str, ...]] = {
    "boilerplate_tail": ("translation_plugin", "automation_notice", "ai_disclosure",
                         "syndication_notice", "widget_text"),
    "html_remnant": ("html_remnant",),
    "duplicate_paragraphs": ("duplicate_sentences",),
    "markdown": ("markdown_markup",),
}


def flags_for(doc: Document, findings: dict[str, Finding]) -> tuple[list[str], dict[str, list[Span]]]:
    """The flags raised on a document, and for each the spans that show it."""
    raised: list[str] = []
    spans: dict[str, list[Span]] = {}
    for flag, features in FLAG_FEATURES.items():
        flag_spans = [s for name in features for s in findings[name].spans]
        if flag_spans:
            raised.append(flag)
            spans[flag] = flag_spans
    if doc.word_count < MIN_WORDS:
        raised.append("too_short")
    if "boilerplate_tail" in raised and boilerplate.boilerplate_share(doc) > MAX_BOILERPLATE_SHARE:
        raised.append("boilerplate_only")
    if doc.repaired:
        raised.append("mojibake_repaired")
    return raised, spans
