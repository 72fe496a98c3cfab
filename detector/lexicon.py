"""Load the data files under detector/lexicons/ once per process.

Format of every lexicon: one entry a line; blank lines and lines starting with '#' are comments
that say where the entries came from. Tab-separated files carry extra columns (see each file).
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def lines(name: str) -> tuple[str, ...]:
    """Entries of lexicons/<name>, comments and blank lines removed, order kept."""
    text = resources.files("detector").joinpath("lexicons").joinpath(name).read_text(encoding="utf-8")
    out = []
    for raw in text.splitlines():
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        out.append(line.strip() if "\t" not in line else line)
    return tuple(out)


@lru_cache(maxsize=None)
def rows(name: str) -> tuple[tuple[str, ...], ...]:
    """Tab-separated entries of lexicons/<name>: each a tuple of stripped columns."""
    return tuple(tuple(col.strip() for col in line.split("\t")) for line in lines(name))


@lru_cache(maxsize=None)
def word_set(name: str) -> frozenset[str]:
    """A lexicon of single words, lower-cased, as a set."""
    return frozenset(entry.split("\t")[0].strip().lower() for entry in lines(name))
