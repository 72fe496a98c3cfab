"""Page furniture scraped into the text: CMS tails, plugin tags, notices, HTML, repeats.

The lexicon (lexicons/boilerplate.tsv) says of each pattern what kind of furniture it is and
where it is seen. Most kinds are quality flags only; the notices that say how a text was made
(an auto-translation plugin, "By AI") are evidence for a label, through the documented priors.
"""
from __future__ import annotations

import bisect
import re
from functools import lru_cache

from detector import lexicon
from detector.document import Document
from detector.features.finding import Finding, Span

# Words a sentence needs before its repetition counts: short lines ("Read more", "Photo") repeat
# legitimately.
MIN_DUPLICATE_WORDS = 6
_OPENING_QUOTE = "\"“‘'«"


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern, str, tuple[str, ...] | None], ...]:
    """(compiled pattern, kind, literals one of which every match contains), in lexicon order."""
    out = []
    for pattern, kind, _where in lexicon.rows("boilerplate.tsv"):
        compiled = re.compile(pattern, re.MULTILINE)
        out.append((compiled, kind, required_literals(compiled)))
    return tuple(out)


def required_literals(pattern: re.Pattern) -> tuple[str, ...] | None:
    """Literals of which every match of `pattern` contains at least one, or None if unknown.

    Why: scanning the text once per lexicon pattern was the slowest step of the whole feature
    set (48 scans, ~2.5 ms on a 1.7 KB document), yet almost no document holds any furniture.
    `literal in text` is a fast substring search, so a pattern none of whose literals occur is
    skipped without running it: the result is the same, because such a pattern cannot match.
    Usually one literal: the longest run of plain characters in the pattern's top-level sequence
    (or in a group that is neither repeated nor alternated). Or, for a pattern such as
    "(?:Previous|Next) post", one literal per alternative of a group. Anything else (case-insensitive
    flags, a parse we cannot read) gives None, and the pattern always runs. (One alternation of
    all patterns is no faster: `re` still tries every branch at every position.)
    """
    try:
        from re import _parser as sre_parse  # Python >= 3.11
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse  # type: ignore[no-redef]
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
        if parsed.state.flags & re.IGNORECASE:
            return None
        runs: list[str] = []
        branches: list[tuple[str, ...]] = []
        _literal_runs(parsed, runs, branches, sre_parse)
    except Exception:  # noqa: BLE001 - an unreadable parse only costs the shortcut
        return None
    # Candidates: the longest single run, or one alternation's literals. Longer literals are
    # rarer in text, so take the candidate whose shortest literal is longest ("This article was
    # written by AI" is tested by "written/generated/...", not by "his ", found in most texts).
    candidates = [(max(runs, key=len, default=""),)] + branches
    best = max(candidates, key=lambda literals: min(len(x) for x in literals))
    return best if min(len(x) for x in best) >= 2 else None


def _literal_runs(sequence, runs: list[str], branches: list[tuple[str, ...]], sre_parse) -> None:
    """Collect the runs of consecutive LITERAL items of a parsed sequence (recursing into
    groups), and for each alternation whose every branch has a run, the branches' longest runs."""
    current: list[str] = []
    for op, arg in sequence:
        if op is sre_parse.LITERAL:
            current.append(chr(arg))
            continue
        runs.append("".join(current))
        current = []
        if op is sre_parse.SUBPATTERN:
            _group, add_flags, del_flags, inner = arg
            if not (add_flags | del_flags) & re.IGNORECASE:
                _literal_runs(inner, runs, branches, sre_parse)
        elif op is sre_parse.BRANCH:
            options = []
            for alternative in arg[1]:
                alt_runs: list[str] = []
                _literal_runs(alternative, alt_runs, [], sre_parse)
                options.append(max(alt_runs, key=len, default=""))
            if all(len(o) >= 2 for o in options):
                branches.append(tuple(options))
    runs.append("".join(current))


@lru_cache(maxsize=1)
def _all_literals() -> tuple[str, ...]:
    """Every distinct literal of _patterns(), once each (several patterns share "generated")."""
    return tuple(dict.fromkeys(lit for _p, _k, literals in _patterns() for lit in literals or ()))


def runnable_patterns(text: str) -> list[tuple[re.Pattern, str]]:
    """(pattern, kind) of the lexicon patterns that can match `text`, in lexicon order: those
    with a literal in the text, and those with none known (required_literals gave None).

    Each distinct literal is looked for once, in one set comprehension; a generator of `in`
    tests per pattern paid its set-up 48 times a document (~0.1 against ~0.07 ms a text).
    """
    present = {literal for literal in _all_literals() if literal in text}
    return [(pattern, kind) for pattern, kind, literals in _patterns()
            if literals is None or not present.isdisjoint(literals)]


def boilerplate_matches(doc: Document) -> dict[str, list[Span]]:
    """All lexicon matches by kind, skipping ones inside a quotation (an article *about* a widget).

    Patterns run in lexicon order; a match overlapping one already taken is dropped (one piece
    of furniture, one match). Taken spans are disjoint and kept sorted, so the overlap test is
    a binary search rather than a pass over every earlier match: linear on a megabyte of
    furniture too.
    """
    text = doc.text
    found: dict[str, list[Span]] = {}
    taken_starts: list[int] = []
    taken_ends: list[int] = []
    for pattern, kind in runnable_patterns(text):
        accepted: list[tuple[int, int]] = []
        for m in pattern.finditer(text):
            start, end = m.span()
            if start > 0 and text[start - 1] in _OPENING_QUOTE:
                continue
            # Disjoint and sorted: only the last taken span starting before `end` can overlap.
            k = bisect.bisect_left(taken_starts, end) - 1
            if k >= 0 and taken_ends[k] > start:
                continue
            accepted.append((start, end))
            found.setdefault(kind, []).append(Span(start, end, f"{kind.replace('_', ' ')}: {m.group().strip()}"))
        if accepted:
            # One pattern's matches never overlap each other, so each is checked against earlier
            # patterns' spans only, and they join the taken spans once the pattern is done.
            merged = sorted(list(zip(taken_starts, taken_ends)) + accepted)
            taken_starts = [s for s, _ in merged]
            taken_ends = [e for _, e in merged]
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
    """Share of the text's words inside boilerplate matches (for the boilerplate_only flag).

    The matches are disjoint (boilerplate_matches keeps one per piece of furniture), so after
    sorting, the only match that can hold a word is the last one starting at or before it: one
    walk over words and matches together, linear where testing every match per word was not.
    """
    spans = sorted((s.start, s.end) for group in doc.shared(boilerplate_matches).values() for s in group)
    if not spans or not doc.word_count:
        return 0.0
    inside, k = 0, -1
    for a, b in doc.word_spans:
        while k + 1 < len(spans) and spans[k + 1][0] <= a:
            k += 1
        if k >= 0 and b <= spans[k][1]:
            inside += 1
    return inside / doc.word_count
