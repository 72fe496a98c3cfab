"""Data-driven feature cases (tests/cases/<family>.tsv and <family>_negatives.tsv).

Every case runs through Document.from_text and the named feature. A span-bearing feature "fires"
when it returns at least one span (and, except for said_share, a value above zero); a feature
without spans fires when its value is above zero (NaN = not measurable = silent). Every span of
every case must lie inside the scored text and cover some text.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from detector.document import Document
from detector.features import FAMILIES, FAMILY_OF, FEATURE_NAMES, FEATURES

from conftest import CASES

FAMILIES_WITH_CASES = ("translation", "boilerplate", "generation", "paraphrase", "human")
BY_NAME = dict(zip(FEATURE_NAMES, FEATURES))
# said_share's value is the share of *plain* "said": its spans are the varied verbs, so a text
# with spans can have value 0 (only "stated") and a silent text value 1 or NaN.
INVERTED = {"said_share"}
COLUMNS = ["feature", "fires", "text", "comment", "xfail"]


def read_cases(path: Path) -> list[dict]:
    """Rows of a case file: '#' lines are comments, the first other line is the header."""
    rows, header = [], None
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cols = raw.split("\t")
        if header is None:
            header = cols
            assert header == COLUMNS, f"{path.name}: header must be {COLUMNS}, is {header}"
            continue
        assert len(cols) in (4, 5), f"{path.name}:{lineno}: expected 4 or 5 tab-separated columns"
        row = dict(zip(COLUMNS, cols + [""] * (5 - len(cols))))
        row["text"] = row["text"].replace("\\n", "\n")
        row["file"], row["line"] = path.name, lineno
        rows.append(row)
    return rows


ALL_CASES = [row for family in FAMILIES_WITH_CASES
             for suffix in ("", "_negatives")
             for row in read_cases(CASES / f"{family}{suffix}.tsv")]


def _params():
    for row in ALL_CASES:
        marks = [pytest.mark.xfail(reason=row["xfail"], strict=True)] if row["xfail"] else []
        yield pytest.param(row, id=f"{row['file']}:{row['line']}:{row['feature']}", marks=marks)


def _fired(name: str, finding) -> bool:
    if name in INVERTED or finding.spans:
        return bool(finding.spans)
    return not math.isnan(finding.value) and finding.value > 0


@pytest.mark.parametrize("case", list(_params()))
def test_case(case):
    doc = Document.from_text(case["text"])
    finding = BY_NAME[case["feature"]](doc)
    for span in finding.spans:
        assert 0 <= span.start < span.end <= len(doc.text), span
        assert doc.text[span.start:span.end].strip(), f"empty span text: {span}"
    if finding.spans and case["feature"] not in INVERTED:
        assert finding.value > 0, "spans found but value is zero"
    expected = case["fires"] == "yes"
    found = [doc.text[s.start:s.end] for s in finding.spans]
    assert _fired(case["feature"], finding) == expected, (
        f"{case['feature']} should {'fire' if expected else 'stay silent'} ({case['comment']}); "
        f"value={finding.value}, spans={found}")


# --- the case files themselves ---------------------------------------------------------------
def test_case_files_name_known_features_of_their_family():
    for row in ALL_CASES:
        family = row["file"].removesuffix(".tsv").removesuffix("_negatives")
        assert row["feature"] in BY_NAME, f"{row['file']}:{row['line']}: unknown feature"
        assert FAMILY_OF[row["feature"]] == family, f"{row['file']}:{row['line']}: wrong family"
        assert row["fires"] in ("yes", "no"), f"{row['file']}:{row['line']}: fires must be yes/no"
        assert row["comment"].strip(), f"{row['file']}:{row['line']}: every case says why"


def test_negatives_files_hold_only_silent_cases():
    for row in ALL_CASES:
        if row["file"].endswith("_negatives.tsv"):
            assert row["fires"] == "no", f"{row['file']}:{row['line']} is a negative; fires must be no"


def _span_bearing(name: str) -> bool:
    """A feature is span-bearing when it produced spans on any of its firing cases."""
    return any(BY_NAME[name](Document.from_text(r["text"])).spans
               for r in ALL_CASES if r["feature"] == name and r["fires"] == "yes")


@pytest.mark.parametrize("family", FAMILIES_WITH_CASES)
def test_every_span_feature_has_two_firing_cases_and_two_negatives(family):
    for feature in FAMILIES[family]:
        name = feature.__name__
        rows = [r for r in ALL_CASES if r["feature"] == name and not r["xfail"]]
        assert rows, f"{name} has no cases"
        if not _span_bearing(name):
            continue
        firing = [r for r in rows if r["fires"] == "yes"]
        negatives = [r for r in rows if r["file"].endswith("_negatives.tsv")]
        assert len(firing) >= 2, f"{name}: {len(firing)} firing cases, need 2"
        assert len(negatives) >= 2, f"{name}: {len(negatives)} negatives, need 2"


# --- degenerate documents ------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "", "\n\n", "\u200b\u200b", "!!!", "a", "Mr.", "J. K.", "-", "**", "## ", "\"", "“”", "(",
    "123 456", "東京 大阪", "word word word", "x" * 300, "é" * 30, "&nbsp;", "</p>",
    "She said: \"Hi!\" For",
])
def test_every_feature_survives_degenerate_text(text):
    doc = Document.from_text(text)
    for name, finding in zip(FEATURE_NAMES, (feature(doc) for feature in FEATURES)):
        assert math.isnan(finding.value) or math.isfinite(finding.value), name
        for span in finding.spans:
            assert 0 <= span.start < span.end <= len(doc.text), (name, span)
