"""The pre-ingest filter: route a corpus into accepted/ and rejected/, with a manifest.

    detector filter INPUT... --out DIR [--keep original] [--min-score 0.5]
                    [--reject-flags not_english,too_short,boilerplate_only] [--jobs N] [--jsonl]
                    [--no-link]

In the library:

    from detector.ingest import run_filter, filter_texts
    summary = run_filter(["corpus/"], "out/")                 # the same run as the command
    for result in filter_texts([("doc-1", text), ...]):       # in memory, inside a pipeline
        result.decision, result.reason, result.verdict

How the pieces fit: sources.plan() names every unit (a file, or a JSONL shard) in a stable order;
the parent process reads each unit's documents and hands them in chunks to N worker processes
(workers.py; each loads the model once), takes the verdicts back *in input order*, routes each
one (routing.route) and writes the unit's outputs and manifest lines (manifest.RunState). The
chunks and the order do not depend on N, so --jobs 1 and --jobs 8 write identical files. The
parent only reads, routes and writes; the scoring, most of the cost, is in the workers.

Linking (the default; --no-link / link=False turns it off) needs the whole input before anything
is routed, since a source may come after its rewrite. So the run has three phases instead:
  1. score every unit, saving each unit's verdicts and scored texts as soon as it is scored
     (scored.py: DIR/.detector-filter/scored/), so a killed run resumes its scoring;
  2. link all documents at once (detector.link.link_verdicts, as `detector scan --link` does);
  3. route each unit with the linked verdicts (label moved by a link, `derived_from` set) and
     write its outputs and manifest lines as above.
Nothing of phase 2 is saved: it is computed again, from the same saved verdicts in the same
order, by a rerun, which then routes only the units not yet done.

Inputs are only ever opened for reading; every output is written atomically (manifest.py says how
a killed run resumes without losing or repeating a document).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter, deque
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from detector import scored
from detector.api import BATCH_SIZE, MAX_DOCUMENT_BYTES, Detector
from detector.manifest import (MANIFEST, STATE_DIR, AtomicFile, RunState, SourceError, copy_atomic,
                               json_line, read_manifest, temp_path, write_atomic)
from detector.model import ModelError, default_model_path, sha256_of
from detector.routing import (ACCEPTED, DECISIONS, DEFAULT_KEEP_LABELS, DEFAULT_MIN_SCORE,
                              DEFAULT_REJECT_FLAGS, ERROR, KNOWN_FLAGS, REJECTED, Decision, Policy,
                              error_reason, route)
from detector.sources import FILE, SHARD, Record, Unit, UsageError, input_tags, plan, records
from detector.verdict import LABELS, Verdict
from detector.workers import LocalScorer, PoolScorer, Ready, WorkerDied, load_detector

EXIT_OK, EXIT_SOME_ERRORS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# Documents per task sent to a worker: 8, 16, 32, then CHUNK_MAX. The sizes depend only on the
# position in the input, never on --jobs, so batches (and so results) are the same for every N.
# Big tasks amortise the model call (a prediction costs ~0.15 s whatever the batch size: three
# calibrated 400-round boosted models; measured on the bundled model), small first ones give
# early verdicts and a moving progress bar.
CHUNK_FIRST, CHUNK_MAX = 8, 64
# Tasks in flight per worker: enough that a worker never waits for the parent, few enough that
# memory stays flat on a corpus of any size.
TASKS_AHEAD_PER_JOB = 2
# A unit's manifest lines are kept in memory up to this size, then spooled to a temp file.
SPOOL_BYTES = 8 << 20


def default_jobs() -> int:
    """The cores this process may run on (respects taskset and container CPU sets)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --- results ---------------------------------------------------------------------------------------
@dataclass
class Summary:
    """What a filter run did. Counts cover the whole manifest, earlier interrupted runs included."""

    out: Path
    documents: int = 0
    decisions: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (id, error message)
    duplicates: int = 0  # manifest lines whose id was already seen: must stay 0
    derived: Counter = field(default_factory=Counter)  # relation -> documents linked to a source
    linked: bool = False  # the manifest was written with linking (its lines carry derived_from)
    scored: int = 0  # documents scored by this run
    skipped: int = 0  # documents already in the manifest from an earlier, interrupted run
    reused: int = 0  # documents routed by this run with scores saved by an earlier one (linking)
    seconds: float = 0.0
    first_result_seconds: float | None = None  # when the first verdicts came back (model loaded)
    scored_after_first: int = 0  # documents scored after that moment: their rate is the steady one
    scoring_seconds: float | None = None  # linking runs: when scoring ended (linking, routing follow)
    link_seconds: float | None = None  # linking runs: the time linking took

    @property
    def exit_status(self) -> int:
        return EXIT_SOME_ERRORS if self.decisions[ERROR] else EXIT_OK

    def docs_per_second(self) -> float:
        """Steady-state rate: documents scored after the first verdicts, over the time they took."""
        end = self.scoring_seconds if self.scoring_seconds is not None else self.seconds
        if self.first_result_seconds is None or end <= self.first_result_seconds:
            return 0.0
        return self.scored_after_first / (end - self.first_result_seconds)

    def render(self, max_errors: int = 20) -> str:
        reused = f", {self.reused} scored by an earlier run and routed now" if self.reused else ""
        lines = [f"detector filter: {self.documents} documents in {self.out / MANIFEST} "
                 f"({self.scored} scored now, {self.skipped} done by an earlier run{reused}) "
                 f"in {self.seconds:.1f} s" + (f", {self.docs_per_second():.1f} docs/s once the "
                                                f"model was loaded" if self.docs_per_second() else "")
                 + (f", linked in {self.link_seconds:.1f} s" if self.link_seconds is not None else "")]
        for decision in DECISIONS:
            reasons = Counter({r: n for (d, r), n in self.reasons.items() if d == decision})
            detail = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items(), key=lambda x: (-x[1], x[0])))
            lines.append(f"  {decision:<9}{self.decisions[decision]:>8}" + (f"   {detail}" if detail else ""))
        lines.append("  labels:  " + ", ".join(f"{label} {self.labels[label]}" for label in LABELS)
                     + (f", none {self.labels[None]}" if self.labels[None] else ""))
        if self.linked:
            lines.append(f"  derived from another document of the input: {sum(self.derived.values())}"
                         + "".join(f", {relation} {n}" for relation, n in
                                   sorted(self.derived.items(), key=lambda x: (-x[1], x[0]))))
        if self.duplicates:
            lines.append(f"  WARNING: {self.duplicates} duplicate manifest lines")
        for doc_id, error in self.errors[:max_errors]:
            lines.append(f"  error: {doc_id}: {error}")
        if len(self.errors) > max_errors:
            lines.append(f"  ... and {len(self.errors) - max_errors} more errors (see the manifest)")
        return "\n".join(lines)


def summarise(out: Path) -> Summary:
    """Counts of a finished (or partial) run, read from its manifest."""
    summary = Summary(out=out)
    seen: set[str] = set()
    for entry in read_manifest(out / MANIFEST):
        if entry["id"] in seen:
            summary.duplicates += 1
            continue
        seen.add(entry["id"])
        summary.documents += 1
        summary.decisions[entry["decision"]] += 1
        summary.labels[entry["label"]] += 1
        summary.reasons[(entry["decision"], entry["reason"])] += 1
        if "derived_from" in entry:
            summary.linked = True
            if entry["derived_from"]:
                summary.derived[entry["derived_from"]["relation"]] += 1
        if entry["decision"] == ERROR:
            summary.errors.append((entry["id"], entry["error"]))
    summary.reasons.pop((ACCEPTED, None), None)
    return summary


@dataclass(frozen=True)
class Filtered:
    """One document's outcome from filter_texts."""

    id: str | None
    decision: str
    reason: str | None
    verdict: dict[str, Any]


def filter_texts(items: Iterable[tuple[str | None, str | bytes]], policy: Policy | None = None,
                 detector: Detector | None = None) -> Iterator[Filtered]:
    """The filter as a function, for use inside a pipeline: (id, text) pairs in, outcomes out, in
    order, lazily. Same scoring and routing as `detector filter`; nothing is read or written."""
    from threadpoolctl import threadpool_limits

    policy = policy or Policy()
    detector = detector or load_detector()
    batch: list[tuple[str | None, str | bytes]] = []
    for item in _chain(items, [None]):
        if item is not None:
            batch.append(item)
        if batch and (item is None or len(batch) == BATCH_SIZE):
            # One native thread while scoring (see one_thread); limited per batch, not for the
            # caller's whole process, since this generator pauses between batches.
            with threadpool_limits(limits=1):
                verdicts = detector.score_many([text for _, text in batch], ids=[i for i, _ in batch])
            for verdict in verdicts:
                data = verdict.to_dict()
                decision = route(data, policy)
                yield Filtered(verdict.id, decision.decision, decision.reason, data)
            batch = []


def _chain(*iterables):
    for iterable in iterables:
        yield from iterable


# --- the run ---------------------------------------------------------------------------------------
class InputChanged(RuntimeError):
    """An input changed between being scored and being routed (linking runs only: there, the whole
    input is scored before anything is routed). Finished units are saved; a rerun scores the
    changed input again."""


@dataclass
class _Doc:
    unit: Unit
    id: str
    record: Record


@dataclass
class _Begin:
    """Start of a unit to score and save (linking runs): its position in the run and its stat."""

    unit: Unit
    index: int
    stat: list[int] | None


@dataclass
class _End:
    unit: Unit


class _UnitOutput:
    """The outputs and manifest lines of the unit being routed (results arrive in unit order)."""

    def __init__(self, out: Path, unit: Unit, state: RunState, staged: Path | None = None):
        self.out, self.unit, self.state = out, unit, state
        self.staged = staged  # a copy of the input made earlier (linking runs), if any
        self.shards: dict[str, AtomicFile] = {}
        self.lines = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        self.ids: list[str] = []

    def add(self, doc: _Doc, verdict: dict[str, Any], policy: Policy) -> None:
        decision = route(verdict, policy)
        if decision.decision != ERROR:
            try:
                self._write(doc, verdict, decision)
            except SourceError as exc:  # the input vanished between reading and copying
                verdict = {**verdict, "label": None, "scores": None,
                           "error": f"cannot copy: {exc.strerror or exc}"}
                decision = Decision(ERROR, error_reason(verdict["error"]))
        self.ids.append(doc.id)
        if doc.id not in self.state.recorded:
            line = {"id": doc.id, "source": self.unit.name, "line": doc.record.line,
                    "decision": decision.decision, "label": verdict["label"], "scores": verdict["scores"],
                    "flags": verdict["flags"], "reason": decision.reason, "error": verdict["error"]}
            if "derived_from" in verdict:  # linking ran: last key, null when not derived
                line["derived_from"] = verdict["derived_from"]
            self.lines.write(json_line(line))

    def _write(self, doc: _Doc, verdict, decision: Decision) -> None:
        target = self.out / decision.decision / self.unit.name
        if self.unit.kind == FILE:
            if self.unit.path is None:  # stdin: the bytes we read are all there is
                payload = doc.record.payload
                write_atomic(target, payload if isinstance(payload, bytes) else payload.encode("utf-8"))
            elif self.staged is not None and self.staged.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.staged, target)  # copied (and synced) while the run was scoring
            else:
                copy_atomic(self.unit.path, target)  # the input's bytes, not our decoding of them
            return
        shard = self.shards.get(decision.decision)
        if shard is None:
            shard = self.shards[decision.decision] = AtomicFile(target, gzipped=self.unit.gzipped)
        annotated = dict(doc.record.record or {})
        annotated["detector"] = {"id": doc.id, "decision": decision.decision, "reason": decision.reason,
                                 **{k: v for k, v in verdict.items() if k != "id"}}
        shard.write(json_line(annotated))

    def finish(self) -> None:
        if self.unit.kind == SHARD:
            for decision in (ACCEPTED, REJECTED):
                if decision in self.shards:
                    self.shards[decision].commit()
                else:  # a redone shard must not keep a stale file from an older layout
                    (self.out / decision / self.unit.name).unlink(missing_ok=True)
        self.record()

    def record(self) -> None:
        """Append the unit's manifest lines and mark it done: only once its outputs are in place."""
        self.lines.seek(0)
        # A shard is marked done at once (one fsync per shard is cheap, and redoing a shard is
        # not); one-document units are recognised by their manifest line, so they can wait.
        self.state.commit(self.unit.name, self.lines, self.ids, sync=self.unit.kind == SHARD)
        self.lines.close()

    def discard(self) -> None:
        for shard in self.shards.values():
            shard.discard()
        self.lines.close()


def _claim(seen: set[str], wanted: str, fallback: str) -> str:
    """A unique id: the one asked for, else the fallback (shard:line), else fallback#2, #3..."""
    if wanted not in seen:
        seen.add(wanted)
        return wanted
    candidate, n = fallback, 2
    while candidate in seen:
        candidate, n = f"{fallback}#{n}", n + 1
    seen.add(candidate)
    return candidate


def settings_for(inputs: Sequence[str], policy: Policy, jsonl: bool, model: str | None,
                 link: bool = True) -> dict[str, Any]:
    """What makes two runs the same run: resuming is only allowed when these match. "link" is
    present only when linking, so a folder written without linking (or before linking existed)
    resumes with --no-link."""
    model_path = Path(model) if model else default_model_path()
    try:
        model_sha = sha256_of(model_path)
    except OSError as exc:
        raise ModelError(f"cannot read model file {model_path}: {exc.strerror}") from None
    settings = {"inputs": [i if i == "-" else os.path.abspath(i) for i in inputs],
                "policy": policy.to_dict(), "jsonl": jsonl, "model_sha256": model_sha}
    if link:
        settings["link"] = True
    return settings


def _check_out(inputs: Sequence[str], out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    real_out = os.path.realpath(out)
    for given in inputs:
        if given == "-":
            continue
        real = os.path.realpath(given)
        if real_out == real or real_out.startswith(real.rstrip(os.sep) + os.sep):
            raise UsageError(f"--out {out} is inside the input {given}: a rerun would read its own output")
        if real.startswith(real_out.rstrip(os.sep) + os.sep):
            raise UsageError(f"the input {given} is inside --out {out}")


@dataclass
class _Run:
    """What one run shares between its phases: where it writes, what it has counted."""

    out: Path
    policy: Policy
    state: RunState
    stdin: Any
    bar: "_Progress"
    started: float = field(default_factory=time.monotonic)
    scored: int = 0  # documents scored by this run
    after_first: int = 0  # ... of which after the first verdicts came back
    skipped: int = 0  # documents an earlier run already routed
    reused: int = 0  # documents routed now with scores an earlier run saved (linking runs)
    first_result: float | None = None
    scoring_done: float | None = None  # linking runs: when the last document was scored
    link_seconds: float | None = None

    def is_done(self, unit: Unit) -> bool:
        # Marked done, or a one-document unit whose manifest line is written (its output was
        # renamed into place before that line was appended).
        return unit.name in self.state.done or (unit.kind != SHARD and unit.name in self.state.ids_by_source)

    def count_scored(self, n: int) -> None:
        self.first_result = self.first_result or time.monotonic()
        if self.scored:
            self.after_first += n
        self.scored += n
        self.bar.update(n)


def run_filter(inputs: Sequence[str], out: str | os.PathLike, policy: Policy | None = None,
               jobs: int | None = None, jsonl: bool = False, model: str | None = None,
               stdin=None, progress: bool = False, link: bool = True) -> Summary:
    """Filter inputs (files, folders, JSONL shards, "-" for stdin) into `out`; resume if `out`
    holds an interrupted run of the same command.

    With `link` (the default) every document is scored first, then all of them are linked at
    once (detector.link: a rewrite or translation of another document of the run gets
    `derived_from` and the label the link implies), then routed; memory grows with the input.
    With link=False each document is routed as soon as it is scored, in flat memory.

    Raises UsageError for a command that cannot run, ModelError when the model cannot be loaded,
    WorkerDied when a worker process died, InputChanged when an input changed between scoring
    and routing (linking runs); after any of them a rerun resumes."""
    policy = policy or Policy()
    jobs = jobs or default_jobs()
    out = Path(out)
    inputs = list(inputs)
    _check_out(inputs, out)
    input_tags(inputs, jsonl)  # refuses repeated or nested inputs before anything is written
    state = RunState(out, settings_for(inputs, policy, jsonl, model, link))
    run = _Run(out, policy, state, stdin if stdin is not None else sys.stdin.buffer, _Progress(progress, jobs))
    scorer = LocalScorer(model, for_linking=link) if jobs == 1 else PoolScorer(jobs, model, for_linking=link)
    # In this process a chunk is scored when submitted: handle it at once. Workers get a queue.
    ahead = 0 if jobs == 1 else jobs * TASKS_AHEAD_PER_JOB
    try:
        if link:
            _filter_linked(run, list(plan(inputs, jsonl)), scorer, ahead)
        else:
            _filter_streaming(run, plan(inputs, jsonl), scorer, ahead)
    except BrokenProcessPool:
        raise WorkerDied("a worker process died (out of memory, or killed); finished work is "
                         "saved: rerun the same command to resume") from None
    finally:
        scorer.close()
        state.close()
        run.bar.close()
    seconds = time.monotonic() - run.started
    summary = summarise(out)
    summary.scored, summary.skipped, summary.reused = run.scored, run.skipped, run.reused
    summary.seconds = seconds
    summary.link_seconds = run.link_seconds
    if run.first_result is not None:
        summary.first_result_seconds = run.first_result - run.started
        summary.scored_after_first = run.after_first
        if run.scoring_done is not None:
            summary.scoring_seconds = run.scoring_done - run.started
    return summary


def _pipeline(items: Iterator, scorer, ahead: int, handle) -> None:
    """Score items (documents and unit markers) in chunks, `ahead` chunks in flight, and hand each
    chunk with its future to `handle`, in input order."""
    pending: deque[tuple[list, Any]] = deque()
    for chunk in _chunks(items):
        pairs = [(d.id, d.record.payload) for d in chunk if isinstance(d, _Doc)]
        pending.append((chunk, scorer.submit(pairs) if pairs else Ready([])))
        while len(pending) > ahead:
            handle(*pending.popleft())
    while pending:
        handle(*pending.popleft())


def _chunks(items: Iterator) -> Iterator[list]:
    """Chunks of CHUNK_FIRST, doubling up to CHUNK_MAX documents; unit markers travel with the
    documents after (_Begin) or before (_End) them."""
    chunk, count, size = [], 0, CHUNK_FIRST
    for item in items:
        chunk.append(item)
        if isinstance(item, _Doc):
            count += 1
            if count == size:
                yield chunk
                chunk, count, size = [], 0, min(2 * size, CHUNK_MAX)
    if chunk:
        yield chunk


# --- without linking: route each document as soon as it is scored --------------------------------
def _filter_streaming(run: _Run, units: Iterator[Unit], scorer, ahead: int) -> None:
    current: _UnitOutput | None = None

    def docs() -> Iterator[_Doc | _End]:
        seen: set[str] = set()
        for unit in units:
            if run.is_done(unit):
                ids = run.state.ids_by_source.get(unit.name, [])
                seen.update(ids)
                run.skipped += len(ids)
                continue
            for record in records(unit, run.stdin):
                yield _Doc(unit, _claim(seen, record.wanted_id, record.fallback_id), record)
            yield _End(unit)

    def handle(chunk, future) -> None:
        nonlocal current
        current, n = _route_chunk(chunk, future, run.policy, run.out, current, run.state)
        run.count_scored(n)

    try:
        _pipeline(docs(), scorer, ahead, handle)
    finally:
        if current is not None:
            current.discard()  # an unfinished unit: its temp files go, a rerun redoes it


def _route_chunk(chunk, future, policy: Policy, out: Path, current: _UnitOutput | None,
                 state: RunState) -> tuple[_UnitOutput | None, int]:
    """Route one chunk's verdicts; returns the unit still open after it, and the documents routed."""
    verdicts = iter(future.result())
    for item in chunk:
        if current is None or current.unit is not item.unit:
            current = _UnitOutput(out, item.unit, state)
        if isinstance(item, _End):
            current.finish()
            current = None
            continue
        current.add(item, next(verdicts), policy)
    return current, sum(isinstance(i, _Doc) for i in chunk)


# --- with linking: score everything (saved per unit), link once, then route -----------------------
def _filter_linked(run: _Run, units: list[Unit], scorer, ahead: int) -> None:
    """The three phases of a linking run. Resuming: scores saved by an earlier run are used again
    when their input is unchanged (detector/scored.py); units already routed are linked again
    (they may be the source of a document routed now) but not routed again; links are computed
    from the same verdicts in the same order, so a resumed run routes as an uninterrupted one."""
    todo = [not run.is_done(unit) for unit in units]
    if not any(todo):  # a finished run: nothing to score, link or route
        run.skipped = sum(len(run.state.ids_by_source.get(unit.name, [])) for unit in units)
        return
    from detector.link import link_keys, link_verdicts  # datasketch and scipy: ~0.6 s, only when linking
    units = _spool_stdin(run, units)
    entries, stats = _score_and_save(run, units, todo, scorer, ahead, link_keys)
    run.scoring_done = time.monotonic()
    run.bar.close()

    # Ids are claimed in input order over the whole run, as the filter without linking does.
    seen: set[str] = set()
    batch: list[Verdict] = []
    keys = []
    for unit_entries in entries:
        for entry in unit_entries:
            batch.append(replace(entry.verdict, id=_claim(seen, entry.wanted_id, entry.fallback_id)))
            keys.append(entry.keys)
    run.bar.note(f"linking {len(batch)} documents...")
    started = time.monotonic()
    linked = link_verdicts(batch, keys=keys)
    del keys
    run.link_seconds = time.monotonic() - started
    del batch
    # Routing needs only the verdict dicts: each verdict, and with it its text, is let go as
    # soon as it is converted, so the dicts do not pile up on top of the texts.
    routed: list[tuple[int, list[tuple[Record, dict[str, Any]]]]] = []
    position = 0
    for i, unit_entries in enumerate(entries):
        docs = []
        for e in unit_entries:
            if todo[i]:
                docs.append((Record(e.line, e.wanted_id, e.fallback_id, None), linked[position].to_dict()))
            linked[position] = None
            position += 1
        if todo[i]:
            routed.append((i, docs))
        else:
            run.skipped += len(run.state.ids_by_source.get(units[i].name, []))
        entries[i] = None

    for i, docs in routed:
        _route_saved(run, units[i], stats[i], docs)


def _spool_stdin(run: _Run, units: list[Unit]) -> list[Unit]:
    """Stdin cannot be read twice (scoring, then routing) nor again by a rerun: it is copied once
    to DIR/.detector-filter/stdin, and that copy is the input from then on. Text on stdin is read
    up to the scoring size limit, as without linking."""
    if not any(unit.path is None for unit in units):
        return units
    spool = run.out / STATE_DIR / "stdin"
    if not spool.exists():
        unit = next(unit for unit in units if unit.path is None)
        left = None if unit.kind == SHARD else MAX_DOCUMENT_BYTES + 1
        copy = AtomicFile(spool)
        try:
            while left is None or left > 0:
                block = run.stdin.read(1 << 20 if left is None else min(1 << 20, left))
                if not block:
                    break
                copy.write(block)
                left = None if left is None else left - len(block)
        except BaseException:
            copy.discard()
            raise
        copy.commit()
    return [Unit(u.name, u.kind, str(spool)) if u.path is None else u for u in units]


class _Saver:
    """Phase 1's handler: each unit's verdicts, in order, into its saved file and into memory."""

    def __init__(self, run: _Run, entries: list, keys_of):
        self.run, self.entries, self.keys_of = run, entries, keys_of
        self.writer: scored.Writer | None = None
        self.current: list[scored.Entry] = []
        self.index = -1
        self.staged: Path | None = None

    def __call__(self, chunk, future) -> None:
        verdicts = iter(future.result())
        for item in chunk:
            if isinstance(item, _Begin):
                self.writer = scored.Writer(self.run.out, item.unit, item.stat)
                self.current, self.index = [], item.index
                self.staged = _staging_target(self.run, item.unit)
                if self.staged is not None:  # a copy from an older scoring must never be used
                    self.staged.unlink(missing_ok=True)
            elif isinstance(item, _Doc):
                verdict, record = next(verdicts), item.record
                self.writer.add(record.line, record.wanted_id, record.fallback_id, verdict)
                restored = scored.from_stored(verdict)
                # Linking's per-document work, done here while the workers score the next chunks
                # (this process would otherwise wait): with --jobs N it runs beside the scoring.
                self.current.append(scored.Entry(record.line, record.wanted_id, record.fallback_id,
                                                 restored, self.keys_of(restored)))
            else:
                self.writer.commit()
                self.writer = None
                self.entries[self.index] = self.current
                if self.staged is not None and all(e.verdict.error is None for e in self.current):
                    _stage(item.unit, self.staged)
        self.run.count_scored(sum(isinstance(i, _Doc) for i in chunk))

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.discard()


def _staging_target(run: _Run, unit: Unit) -> Path | None:
    """Where to copy a file input while scoring: a linking run routes only after linking, and
    copying every accepted or rejected file then (an fsync each) would run alone, after the
    parallel part. Files only: a shard's outputs hold its records with annotations."""
    return scored.staged_path(run.out, unit.name) if unit.kind == FILE and unit.path else None


def _stage(unit: Unit, staged: Path) -> None:
    """Copy the input to its staging place (written after the unit's saved scores, so a staged
    copy is never older than the scores routing uses). A failure is left to routing, which
    copies again and reports it."""
    try:
        copy_atomic(unit.path, staged)
    except SourceError:
        pass


def _score_and_save(run: _Run, units: list[Unit], todo: list[bool], scorer, ahead: int, keys_of):
    """Phase 1: every unit's entries, from its saved file when fresh, else scored (and saved).
    Returns the entries per unit and each unit's input stat as of its reading. `keys_of(verdict)`
    gives a new entry's story keys for linking."""
    entries: list[list[scored.Entry] | None] = [None] * len(units)
    stats: list[list[int] | None] = [None] * len(units)

    def docs() -> Iterator[_Begin | _Doc | _End]:
        for i, unit in enumerate(units):
            stats[i] = scored.input_stat(unit)  # before reading: an edit after it shows as stale
            saved = scored.load(run.out, unit, stats[i])
            if saved is not None:
                entries[i] = saved
                run.reused += len(saved) if todo[i] else 0
                continue
            yield _Begin(unit, i, stats[i])
            for record in records(unit, run.stdin):
                yield _Doc(unit, record.wanted_id, record)
            yield _End(unit)

    saver = _Saver(run, entries, keys_of)
    try:
        _pipeline(docs(), scorer, ahead, saver)
    finally:
        saver.discard()  # an unfinished unit's temp file; a rerun scores the unit again
    return entries, stats


def _route_saved(run: _Run, unit: Unit, stat: list[int] | None, docs: list[tuple[Record, dict]]) -> None:
    """Phase 3 for one unit: its outputs and manifest lines from the linked verdicts. A shard is
    read again for its records (every field goes to the output); it must be the shard scored."""
    now = scored.input_stat(unit)
    if now != stat and not (unit.kind == FILE and now is None):  # a vanished file: copy_failed
        raise InputChanged(f"{unit.name} changed after it was scored; finished work is saved: "
                           "rerun the same command to score it again and resume")
    staged = _staging_target(run, unit)
    if staged is not None:  # a copy a kill cut short: the staged file itself is whole or absent
        temp_path(staged).unlink(missing_ok=True)
    output = _UnitOutput(run.out, unit, run.state, staged)
    try:
        if unit.kind == SHARD:
            read = records(unit, run.stdin)
            try:
                for saved, verdict in docs:
                    record = next(read, None)
                    if record is None or (record.line, record.wanted_id, record.fallback_id) != \
                            (saved.line, saved.wanted_id, saved.fallback_id):
                        raise InputChanged(f"{unit.name} changed after it was scored (line {saved.line}); "
                                           "finished work is saved: rerun the same command to resume")
                    output.add(_Doc(unit, verdict["id"], record), verdict, run.policy)
                if next(read, None) is not None:
                    raise InputChanged(f"{unit.name} changed after it was scored (it grew); finished "
                                       "work is saved: rerun the same command to resume")
            finally:
                read.close()
        else:
            for saved, verdict in docs:
                output.add(_Doc(unit, verdict["id"], saved), verdict, run.policy)
        output.finish()
    except BaseException:
        output.discard()
        raise


class _Progress:
    """A tqdm bar on stderr (when asked, and tqdm is installed), started at the first verdicts so
    its docs/s is the scoring rate, not diluted by the seconds spent loading the model."""

    def __init__(self, enabled: bool, jobs: int):
        self.bar = None
        self.tqdm = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:  # the progress extra is not installed: run quietly
                return
            self.tqdm = tqdm
            print(f"detector filter: loading the model in {jobs} process{'es' if jobs > 1 else ''}...",
                  file=sys.stderr)

    def update(self, n: int) -> None:
        if self.tqdm is None:
            return
        if self.bar is None:
            self.bar = self.tqdm(unit="doc", desc="filter", file=sys.stderr, dynamic_ncols=True,
                                 smoothing=0.1, initial=n)
        else:
            self.bar.update(n)

    def note(self, message: str) -> None:
        if self.tqdm is not None:
            print(f"detector filter: {message}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# --- command line ----------------------------------------------------------------------------------
FILTER_DESCRIPTION = f"""\
Route documents into DIR/accepted/ and DIR/rejected/, in their input's own form, and write
DIR/manifest.jsonl with one line per input document: id, decision (accepted/rejected/error),
label, scores, flags, reason (a stable slug) and error. Inputs are never modified.

INPUT is a file (one document), a folder (every file under it, recursively; hidden files are
skipped), a JSONL shard (.jsonl, .jsonl.gz, .ndjson: one {{"id": ..., "text": ...}} a line; other
fields are kept and a "detector" field is added), or - for stdin.

A document is rejected when it has one of the --reject-flags, when its label is not one of
--keep, or when its label's score is below --min-score, in that order; the reason names the
rule ({DEFAULT_REJECT_FLAGS[0]}, too_short, label_ai_generated, low_score, ...). A document that
cannot be read or scored is an error, listed in the manifest only.

Documents are linked across the whole input first (--no-link turns it off): a rewrite or
translation of another document of the input is labelled by that link (paraphrased,
machine_translated) and its manifest line names the source in "derived_from" (null when not
derived). Linking scores every document before routing any, and holds the input's texts in
memory while it links.

Killed or interrupted? Run the same command again: finished work is kept, the rest is done, and
the manifest ends with every input exactly once.
Exit status: 0 no errors, 1 some documents were errors, 2 bad usage or model not loadable.
"""


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `filter` subcommand's arguments (cli.py builds the parser, this module owns the flags)."""
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="file, folder, JSONL shard (.jsonl/.jsonl.gz), or - for stdin")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder (new or empty, or an interrupted run of this command)")
    parser.add_argument("--keep", type=_csv, default=DEFAULT_KEEP_LABELS, metavar="LABELS",
                        help=f"labels to accept, comma-separated (default: {','.join(DEFAULT_KEEP_LABELS)}; "
                             f"from {','.join(LABELS)})")
    parser.add_argument("--min-score", type=float, default=DEFAULT_MIN_SCORE, metavar="P",
                        help=f"minimum score of the document's label to accept it (default: {DEFAULT_MIN_SCORE})")
    parser.add_argument("--reject-flags", type=_csv, default=DEFAULT_REJECT_FLAGS, metavar="FLAGS",
                        help=f"flags that reject, comma-separated, '' for none "
                             f"(default: {','.join(DEFAULT_REJECT_FLAGS)}; from {','.join(KNOWN_FLAGS)})")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help=f"worker processes (default: all cores, here {default_jobs()})")
    parser.add_argument("--jsonl", action="store_true",
                        help="read every input (stdin included) as JSONL, whatever its name")
    parser.add_argument("--model", metavar="FILE",
                        help="model file (default: the bundled model); load only model files you trust")
    parser.add_argument("--no-link", dest="link", action="store_false",
                        help="do not link documents across the input (linking is on by default: every "
                             "document is scored before any is routed, and memory grows with the "
                             "input; see docs/linking.md). Without it, memory stays flat")


def main(args: argparse.Namespace, stdin=None, stderr=None) -> int:
    """Run `detector filter` from parsed arguments; print the summary on stderr."""
    stderr = stderr or sys.stderr
    try:
        policy = Policy(keep_labels=args.keep, min_score=args.min_score, reject_flags=args.reject_flags)
    except ValueError as exc:
        print(f"detector filter: {exc}", file=stderr)
        return EXIT_USAGE
    try:
        if args.jobs is not None and args.jobs < 1:
            raise UsageError("--jobs must be at least 1")
        summary = run_filter(args.inputs, args.out, policy, jobs=args.jobs, jsonl=args.jsonl,
                             model=args.model, stdin=stdin, progress=stderr.isatty(), link=args.link)
    except UsageError as exc:
        print(f"detector filter: {exc}", file=stderr)
        return EXIT_USAGE
    except ModelError as exc:
        print(f"detector filter: cannot load the model: {exc}", file=stderr)
        return EXIT_USAGE
    except (WorkerDied, InputChanged) as exc:
        print(f"detector filter: {exc}", file=stderr)
        return EXIT_SOME_ERRORS
    except OSError as exc:  # writing the output failed (disk full, read-only folder...)
        print(f"detector filter: cannot write the output: {exc}; finished work is saved: fix the "
              "cause and rerun the same command to resume", file=stderr)
        return EXIT_SOME_ERRORS
    except KeyboardInterrupt:
        print("detector filter: interrupted; finished work is saved: rerun the same command to resume",
              file=stderr)
        return EXIT_INTERRUPTED
    print(summary.render(), file=stderr)
    if summary.duplicates:
        return EXIT_SOME_ERRORS
    return summary.exit_status
