"""Saved scores of a linking filter run: one file per unit, so a killed run resumes its scoring.

With linking (the default), `detector filter` scores every unit, links all documents at once, then
routes (ingest.py). Linking needs every document's verdict and scored text, and a rerun after a
kill must not score again what was scored, so each unit's verdicts are saved as soon as the unit
is scored, in

    DIR/.detector-filter/scored/<sha1 of the unit name, first 2 hex digits>/<sha1>.jsonl.gz

a gzip JSONL file:
    {"unit": name, "kind": kind, "stat": [size, mtime_ns, ctime_ns, inode] or null}   header
    {"line": ..., "wanted_id": ..., "fallback_id": ..., "verdict": {...}}               a document
    ...
    {"end": <number of documents>}                                                       last line
`verdict` is the Verdict as scored, with unrounded scores and the scored `text` (the text the
evidence offsets and the linker's excerpts point into); the final id is assigned later, in input
order across the whole run, as the filter without linking does it.

A saved unit is used again only when it is *fresh*: the header names the same unit and kind, and
the input's stat now is the stat taken just before it was read. An input edited (or replaced,
or touched) since is scored again. ctime is in the key because tools that restore an old mtime
(`cp -p`, `rsync -t`) still change it.

Written to a hidden temp file and renamed into place, without fsync: a kill cannot leave a
half-written file under its final name, and a file that a power cut truncates or zeroes fails the
gzip checksum or lacks its end line, so it is treated as missing and the unit is scored again.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detector.manifest import STATE_DIR, AtomicFile, json_line
from detector.sources import BROKEN, Unit
from detector.verdict import Evidence, Verdict

SCORED_DIR = "scored"
STAGED_DIR = "staged"


@dataclass(frozen=True)
class Entry:
    """One saved document: where it was in its unit, the ids it asks for, and its verdict."""

    line: int | None
    wanted_id: str
    fallback_id: str
    verdict: Verdict  # id None: assigned later, in input order
    # Story keys for linking, when computed while scoring (not saved: a reused entry has None
    # and linking computes them).
    keys: Any = field(default=None, compare=False, repr=False)


def path_for(out: Path, unit_name: str) -> Path:
    digest = _digest(unit_name)
    return out / STATE_DIR / SCORED_DIR / digest[:2] / f"{digest}.jsonl.gz"


def staged_path(out: Path, unit_name: str) -> Path:
    """Where a linking run keeps a copy of a file input, made while other documents are scored,
    until routing renames it into accepted/ or rejected/ (detector/ingest.py)."""
    digest = _digest(unit_name)
    return out / STATE_DIR / STAGED_DIR / digest[:2] / digest


def _digest(unit_name: str) -> str:
    """A unit's file name under the state folder: any unit name, fixed length, no separators."""
    return hashlib.sha1(unit_name.encode("utf-8", "surrogateescape")).hexdigest()


def input_stat(unit: Unit) -> list[int] | None:
    """What says an input is unchanged: [size, mtime_ns, ctime_ns, inode], or None when there is
    nothing to stat (a folder entry that is no document; a path that cannot be stat'ed)."""
    if unit.kind == BROKEN or unit.path is None:
        return None
    try:
        st = os.stat(unit.path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def stored(verdict: Verdict) -> dict[str, Any]:
    """A verdict as saved: Verdict.to_dict() without the id, with full-precision scores (linking
    orders documents by them, as `scan --link` does) and the scored text."""
    data = verdict.to_dict()
    del data["id"]
    data["scores"] = verdict.scores
    data["text"] = verdict.text
    return data


def from_stored(data: dict[str, Any], id: str | None = None) -> Verdict:
    """The Verdict back from its saved form. Evidence keeps what to_dict() shows (feature, span,
    excerpt, toward); its note and weight are only used by `detector explain`."""
    return Verdict(label=data["label"], scores=data["scores"], flags=list(data["flags"]),
                   evidence=[Evidence(**e) for e in data["evidence"]], error=data["error"],
                   id=id, text=data.get("text"))


class Writer:
    """The saved file of one unit, written as its verdicts arrive (memory stays flat on a large
    shard); commit() renames it into place, discard() drops it."""

    def __init__(self, out: Path, unit: Unit, stat: list[int] | None):
        self.file = AtomicFile(path_for(out, unit.name), gzipped=True, sync=False)
        self.file.write(json_line({"unit": unit.name, "kind": unit.kind, "stat": stat}))
        self.count = 0

    def add(self, line: int | None, wanted_id: str, fallback_id: str, verdict: dict[str, Any]) -> None:
        self.file.write(json_line({"line": line, "wanted_id": wanted_id, "fallback_id": fallback_id,
                                   "verdict": verdict}))
        self.count += 1

    def commit(self) -> None:
        self.file.write(json_line({"end": self.count}))
        self.file.commit()

    def discard(self) -> None:
        self.file.discard()


def load(out: Path, unit: Unit, stat: list[int] | None) -> list[Entry] | None:
    """The saved entries of a unit if they are complete and fresh (see the module docstring),
    else None: the unit must be scored (again)."""
    path = path_for(out, unit.name)
    entries: list[Entry] = []
    try:
        with gzip.open(path, "rb") as handle:
            header = json.loads(handle.readline())
            if (header.get("unit"), header.get("kind"), header.get("stat")) != (unit.name, unit.kind, stat):
                return None
            for raw in handle:
                e = json.loads(raw)
                if "end" in e:
                    # Complete only with its end line, as the last line, counting every entry.
                    return entries if e["end"] == len(entries) and not handle.read(1) else None
                entries.append(Entry(e["line"], e["wanted_id"], e["fallback_id"], from_stored(e["verdict"])))
    # Missing, truncated, corrupt or damaged in some other way: the unit is scored again.
    except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError, AttributeError):
        return None
    return None  # no end line: cut short
