"""The filter's output folder: atomic writes, the manifest, and what a rerun may skip.

Layout of DIR:
    accepted/<unit name>       accepted documents, in their input's form
    rejected/<unit name>       rejected documents, likewise
    manifest.jsonl             one line per input document: the record of what was decided
    .detector-filter/          run state: settings.json (the command's settings) and done.txt;
                               with linking also scored/ (each unit's saved verdicts, scored.py)
                               and stdin (the one copy of standard input)

Why a crash (SIGKILL included) never costs a document or duplicates one:
- every output file is written to a hidden temp file beside its target, flushed, fsync'ed and
  renamed over the target, so a file under accepted/ or rejected/ is always whole;
- a unit (one file, or one JSONL shard) is committed in this order: outputs renamed into place,
  its manifest lines appended, then its name appended to done.txt. A rerun skips units in
  done.txt, and one-document units whose line is in the manifest; any other unit is redone from
  scratch (outputs rewritten whole) and appends manifest lines only for ids not yet recorded;
- a torn last line (the process died mid-write) in manifest.jsonl or done.txt is cut off before
  anything else is appended.
Done markers are written after the manifest is fsync'ed, so even a power cut cannot leave a unit
marked done whose manifest lines were lost.
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import time
from collections import defaultdict
from pathlib import Path
from typing import IO, Any, Sequence

from detector.sources import UsageError

STATE_DIR = ".detector-filter"
MANIFEST = "manifest.jsonl"
# Manifest and done markers are fsync'ed at most this often (and at the end): each fsync costs
# milliseconds, and a folder of many small files would otherwise pay one per document.
SYNC_INTERVAL_S = 1.0


def temp_path(target: Path) -> Path:
    """The hidden temp file beside `target` (same folder, so the rename is atomic). Hidden names are
    skipped by the folder walk, so a stale temp file is never taken for a document."""
    return target.with_name(f".{target.name}.detector-tmp")


class AtomicFile:
    """Write to a temp file; commit() renames it over the target, discard() removes it.

    `sync=False` skips the fsync before the rename: for files that a reader checks and can
    rebuild (detector/scored.py), where one fsync per small file would cost more than the file."""

    def __init__(self, target: Path, gzipped: bool = False, sync: bool = True):
        self.target = target
        self.sync = sync
        self.temp = temp_path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._raw = open(self.temp, "wb")
        # mtime=0 and no file name in the gzip header: identical runs give identical bytes.
        self.handle: IO[bytes] = (gzip.GzipFile(filename="", fileobj=self._raw, mode="wb", mtime=0,
                                                compresslevel=6) if gzipped else self._raw)

    def write(self, data: bytes) -> None:
        self.handle.write(data)

    def commit(self) -> None:
        if self.handle is not self._raw:
            self.handle.close()
        self._raw.flush()
        if self.sync:
            os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self.temp, self.target)

    def discard(self) -> None:
        try:
            self.handle.close()
            self._raw.close()
        finally:
            self.temp.unlink(missing_ok=True)


class SourceError(OSError):
    """Reading the input failed while copying it (it vanished or became unreadable). Writing
    failures (disk full, read-only output) are plain OSErrors: they stop the run, since recording
    them as document errors would make a rerun skip documents that are fine."""


def copy_atomic(source: str, target: Path) -> None:
    """Copy a file's bytes to target atomically. Reads source only."""
    try:
        handle = open(source, "rb")
    except OSError as exc:
        raise SourceError(exc.errno, exc.strerror, source) from None
    with handle:
        out = AtomicFile(target)
        try:
            while True:
                try:
                    block = handle.read(1 << 20)
                except OSError as exc:
                    raise SourceError(exc.errno, exc.strerror, source) from None
                if not block:
                    break
                out.write(block)
        except BaseException:
            out.discard()
            raise
        out.commit()


def write_atomic(target: Path, data: bytes) -> None:
    out = AtomicFile(target)
    out.write(data)
    out.commit()


def json_line(obj: Any) -> bytes:
    """One JSONL line. Readable UTF-8, unless the data holds lone surrogates (JSON input can carry
    "\\ud800"), which UTF-8 cannot encode: then ASCII escapes, which round-trip exactly."""
    try:
        return json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n"
    except UnicodeEncodeError:
        return json.dumps(obj).encode("ascii") + b"\n"


def _cut_torn_tail(path: Path) -> list[bytes]:
    """Complete lines of a file we append to; a torn last line (no newline) is truncated away."""
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end != len(data):
        with open(path, "r+b") as handle:
            handle.truncate(end)
    return data[:end].splitlines()


class RunState:
    """The output folder of one filter command: settings, what is done, and the append handles."""

    def __init__(self, out: Path, settings: dict[str, Any]):
        self.out = out
        self.state = out / STATE_DIR
        self.manifest_path = out / MANIFEST
        self.done_path = self.state / "done.txt"
        self._check_settings(settings)
        self._lock = _lock(self.state / "lock", out)
        self.recorded: set[str] = set()  # ids with a manifest line
        self.ids_by_source: dict[str, list[str]] = defaultdict(list)
        for n, raw in enumerate(_cut_torn_tail(self.manifest_path), 1):
            try:
                entry = json.loads(raw)
                doc_id, source = entry["id"], entry["source"]
            except (ValueError, KeyError, TypeError):
                raise UsageError(f"{self.manifest_path} line {n} is damaged; move the folder "
                                 "aside and start again") from None
            self.recorded.add(doc_id)
            self.ids_by_source[source].append(doc_id)
        self.done: set[str] = {line.decode("utf-8", "replace") for line in _cut_torn_tail(self.done_path)}
        self._manifest = open(self.manifest_path, "ab")
        self._done = open(self.done_path, "ab")
        self._pending_done: list[str] = []
        self._last_sync = time.monotonic()

    def _check_settings(self, settings: dict[str, Any]) -> None:
        path = self.state / "settings.json"
        if path.exists():
            previous = json.loads(path.read_text("utf-8"))
            if previous != settings:
                changed = sorted(k for k in set(previous) | set(settings) if previous.get(k) != settings.get(k))
                hint = ""
                if "link" in changed:  # "link" is only in the settings of a linking run
                    hint = (" (that run linked documents: rerun it without --no-link)" if previous.get("link")
                            else " (that run did not link documents: add --no-link)")
                raise UsageError(f"{self.out} holds the output of a different filter command "
                                 f"(it differs in: {', '.join(changed)}); rerun that command{hint} to "
                                 "resume it, or choose a new --out folder")
            return
        if self.out.exists() and any(self.out.iterdir()):
            raise UsageError(f"{self.out} is not empty and was not made by detector filter; "
                             "choose a new or empty --out folder")
        self.state.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(settings, indent=1, sort_keys=True).encode("utf-8"))

    def commit(self, unit_name: str, lines: IO[bytes], ids: Sequence[str], sync: bool = False) -> None:
        """Record a unit whose outputs are already in place: its manifest lines (`lines`, a file
        positioned at its start, holding only ids not recorded before), then its done marker."""
        shutil.copyfileobj(lines, self._manifest)
        self._manifest.flush()  # in the kernel now: survives SIGKILL of this process
        self.recorded.update(ids)
        self._pending_done.append(unit_name)
        self.done.add(unit_name)
        if sync or time.monotonic() - self._last_sync >= SYNC_INTERVAL_S:
            self.sync()

    def sync(self) -> None:
        """fsync the manifest, and only then write the done markers of the units it holds."""
        os.fsync(self._manifest.fileno())
        if self._pending_done:
            self._done.write("".join(name + "\n" for name in self._pending_done).encode("utf-8"))
            self._done.flush()
            os.fsync(self._done.fileno())
            self._pending_done = []
        self._last_sync = time.monotonic()

    def close(self) -> None:
        self.sync()
        self._manifest.close()
        self._done.close()
        if self._lock is not None:
            self._lock.close()  # releases the lock


def _lock(path: Path, out: Path) -> IO[bytes] | None:
    """Hold an exclusive lock on the output folder for the life of the run: two runs appending to
    one manifest would interleave. The kernel drops the lock when the process dies, kill -9
    included, so a stale lock cannot block the rerun."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, and no second run should be started by hand
        return None
    handle = open(path, "ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise UsageError(f"another detector filter is writing to {out}; wait for it to finish") from None
    return handle


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """Every complete line of a manifest (a torn last line is skipped, not truncated)."""
    out = []
    with open(path, "rb") as handle:
        for raw in handle:
            if raw.endswith(b"\n"):
                out.append(json.loads(raw))
    return out
