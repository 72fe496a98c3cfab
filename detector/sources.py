"""Inputs of the pre-ingest filter: name every input, walk folders, read files and JSONL shards.

The unit of work is a *unit*: one file (one document) or one JSONL shard (many records). A unit's
name is where it came from, relative to the input's *tag* (the input's last path components, just
enough of them to tell the inputs apart): `corpus/news/a.txt`, `shards/part-00.jsonl.gz`. The name
is also the unit's path under accepted/ and rejected/, and the manifest's `source`.

Nothing here writes anything. Special files (FIFOs, devices) are refused rather than opened, since
opening a FIFO blocks until someone writes to it; symlinked folders are reported, not followed, so
a symlink loop cannot trap the walk.
"""
from __future__ import annotations

import errno
import gzip
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from detector.api import MAX_DOCUMENT_BYTES, read_document

STDIN = "-"
# Shards hold one JSON record a line; every other file is one document.
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")

FILE, SHARD, BROKEN = "file", "shard", "broken"


class InputError(ValueError):
    """A document that cannot be read; the message is shown to the user and routed to a reason."""


class UsageError(ValueError):
    """The command cannot run as given (overlapping inputs, output inside an input...)."""


@dataclass(frozen=True)
class Unit:
    name: str  # unique among the run's units; output path under accepted/ and rejected/
    kind: str  # FILE, SHARD, or BROKEN (a folder entry that is no document and no folder we walk)
    path: str | None  # what to read; None for stdin
    error: str | None = None  # for BROKEN: why

    @property
    def gzipped(self) -> bool:
        return self.name.endswith(".gz")


@dataclass
class Record:
    """One document of a unit, as read: the payload to score, and for a JSONL record the record."""

    line: int | None  # 1-based line in its shard; None for a file
    wanted_id: str  # the id it asks for (the record's own id, the unit name for a file)
    fallback_id: str  # used when wanted_id is missing or already taken
    payload: Any  # bytes, str, or an InputError
    record: dict | None = None


def is_shard(name: str, jsonl: bool) -> bool:
    return jsonl or name.lower().endswith(JSONL_SUFFIXES)


# --- naming inputs -------------------------------------------------------------------------------
def input_tags(inputs: Sequence[str], jsonl: bool = False) -> list[str]:
    """A short distinct name per input: its last path component, or more of them when two inputs
    share a last component (2023/part-0.jsonl, 2024/part-0.jsonl). Raises UsageError when inputs
    repeat or nest, since one document would then be filtered twice."""
    parts: list[tuple[str, ...]] = []
    for given in inputs:
        if given == STDIN:
            parts.append(("stdin.jsonl" if jsonl else "stdin",))
        else:
            parts.append(Path(os.path.abspath(given)).parts[1:] or ("root",))
    real = [os.path.realpath(g) if g != STDIN else STDIN for g in inputs]
    for i, a in enumerate(real):
        for j, b in enumerate(real):
            if i < j and a == b:
                raise UsageError(f"input given twice: {inputs[i]} and {inputs[j]}")
            if i != j and a != STDIN and b != STDIN and b.startswith(a.rstrip(os.sep) + os.sep):
                raise UsageError(f"inputs overlap: {inputs[j]} is inside {inputs[i]}")
    depth = [1] * len(parts)
    while True:
        tags = ["/".join(p[-d:]) for p, d in zip(parts, depth)]
        clash = {i for i in range(len(tags)) for j in range(len(tags))
                 if i != j and (tags[i] == tags[j] or tags[j].startswith(tags[i] + "/"))}
        if not clash:
            return tags
        grown = False
        for i in clash:
            if depth[i] < len(parts[i]):
                depth[i] += 1
                grown = True
        if not grown:
            raise UsageError("cannot give the inputs distinct names: " + ", ".join(inputs[i] for i in sorted(clash)))


def plan(inputs: Sequence[str], jsonl: bool = False) -> Iterator[Unit]:
    """Every unit named by the inputs, in a stable order: inputs as given, folders sorted by name."""
    for given, tag in zip(inputs, input_tags(inputs, jsonl)):
        if given == STDIN:
            yield Unit(tag, SHARD if jsonl else FILE, None)
        elif os.path.isdir(given):
            yield from _walk(given, tag, jsonl)
        else:
            yield Unit(tag, SHARD if is_shard(given, jsonl) else FILE, given)


def _walk(folder: str, prefix: str, jsonl: bool) -> Iterator[Unit]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield Unit(prefix, BROKEN, folder, error=f"cannot list folder: {os_message(exc)}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue  # hidden files and folders (.git, .DS_Store, our own temp files)
        name = f"{prefix}/{entry.name}"
        if entry.is_symlink() and os.path.isdir(entry.path):
            yield Unit(name, BROKEN, entry.path, error="symlink to a folder, not followed")
        elif not entry.is_symlink() and entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path, name, jsonl)
        else:
            yield Unit(name, SHARD if is_shard(entry.name, jsonl) else FILE, entry.path)


# --- reading -------------------------------------------------------------------------------------
def os_message(exc: OSError) -> str:
    """A short, stable description of why a path could not be read."""
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EISDIR:
        return "is a directory"
    return f"cannot read: {exc.strerror or exc}"


def check_regular(path: str) -> InputError | None:
    """None for a regular file we may open; otherwise why not (opening a FIFO would block)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return InputError(os_message(exc))
    if stat.S_ISDIR(mode):
        return InputError("is a directory")
    if not stat.S_ISREG(mode):
        kind = "fifo" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"
        return InputError(f"not a regular file ({kind})")
    return None


def read_file(path: str) -> bytes | InputError:
    """A file's bytes (gunzipped when .gz, at most the scorer's size limit + 1), or why not."""
    problem = check_regular(path)
    if problem:
        return problem
    data = read_document(path)
    if isinstance(data, OSError):
        return InputError(os_message(data))
    if isinstance(data, Exception):
        return InputError(f"cannot read: {data}")
    return data


def records(unit: Unit, stdin=None) -> Iterator[Record]:
    """The documents of a unit, in order."""
    if unit.kind == BROKEN:
        yield Record(None, unit.name, unit.name, InputError(unit.error or "unreadable"))
    elif unit.kind == FILE:
        # stdin: read no more than the scorer accepts; a longer document is refused as too large.
        payload = stdin.read(MAX_DOCUMENT_BYTES + 1) if unit.path is None else read_file(unit.path)
        yield Record(None, unit.name, unit.name, payload)
    else:
        yield from _shard_records(unit, stdin)


def _shard_records(unit: Unit, stdin) -> Iterator[Record]:
    if unit.path is None:
        handle = stdin
    else:
        problem = check_regular(unit.path)
        if problem:
            yield Record(None, unit.name, unit.name, problem)
            return
        try:
            handle = gzip.open(unit.path, "rb") if unit.gzipped else open(unit.path, "rb")
        except OSError as exc:
            yield Record(None, unit.name, unit.name, InputError(os_message(exc)))
            return
    lineno = 0
    try:
        for lineno, raw in enumerate(handle, 1):
            if raw.strip():
                yield _parse_line(unit, lineno, raw)
    except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
        where = f"{unit.name}:{lineno + 1}"
        message = os_message(exc) if isinstance(exc, OSError) and exc.errno else f"cannot read: {exc}"
        yield Record(lineno + 1, where, where, InputError(f"{message} (after line {lineno})"))
    finally:
        if handle is not stdin:
            handle.close()


def _parse_line(unit: Unit, lineno: int, raw: bytes) -> Record:
    fallback = f"{unit.name}:{lineno}"
    try:
        record = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return Record(lineno, fallback, fallback, InputError(f"line {lineno} is not valid JSON"))
    if not isinstance(record, dict):
        return Record(lineno, fallback, fallback, InputError(f"line {lineno} is not a JSON object"))
    wanted = str(record["id"]) if record.get("id") is not None else fallback
    text = record.get("text")
    if not isinstance(text, str):
        return Record(lineno, wanted, fallback, InputError('record has no "text" string'), record)
    return Record(lineno, wanted, fallback, text, record)
