"""Changed copies of corpus texts, for checks a model must pass on text from the wild.

- Layout: the corpus had its whitespace flattened (corpus README, "Layout was flattened"), so a
  model can never have learned layout, and must not depend on it. Real documents have paragraph
  breaks; WMT's raw files had one sentence a line. These functions put such breaks back at the
  sentence boundaries the detector itself finds, changing nothing else.
- Length: most corpus documents are several hundred words; a snippet or a short news brief is
  a few sentences. `first_chars` keeps the opening of a document.
"""
from __future__ import annotations

from detector.document import Document

# Sentences per paragraph when breaks are inserted: news paragraphs run one to four sentences;
# three puts a break in every document of four sentences or more.
SENTENCES_PER_PARAGRAPH = 3
# Length of a "short document": about 80-100 words, a news brief or a search snippet.
SHORT_CHARS = 500


def with_breaks(text: str, every: int = SENTENCES_PER_PARAGRAPH, separator: str = "\n\n") -> str:
    """The normalised text with `separator` in place of the space after every `every`-th sentence.

    Only whitespace between two sentences is replaced, so words, punctuation and sentence
    boundaries are the same as in Document.from_text(text).text.
    """
    doc = Document.from_text(text)
    out, prev = [], 0
    sentences = doc.sentences
    for i in range(every - 1, len(sentences) - 1, every):
        end, start = sentences[i].end, sentences[i + 1].start
        gap = doc.text[end:start]
        if gap and not gap.strip():
            out.append(doc.text[prev:end])
            out.append(separator)
            prev = start
    out.append(doc.text[prev:])
    return "".join(out)


def normalised(text: str) -> str:
    """The text as the detector scores it, without added breaks: the baseline for with_breaks."""
    return Document.from_text(text).text


def first_chars(text: str, limit: int = SHORT_CHARS) -> str:
    """The first `limit` characters, cut back to the last whitespace so that no half word is
    left at the end (a truncated word would look like a rare word or a typo to the features)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    if not text[limit].isspace():
        cut = max(head.rfind(" "), head.rfind("\n"))
        if cut > 0:
            head = head[:cut]
    return head.rstrip()
