"""The pre-ingest filter: route a corpus into accepted/ and rejected/, with a manifest.

    detector filter INPUT... --out DIR [--keep original] [--min-score 0.5]
                    [--reject-flags not_english,too_short,boilerplate_only] [--jobs N] [--jsonl]

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from detector.api import BATCH_SIZE, Detector
from detector.manifest import (MANIFEST, AtomicFile, RunState, SourceError, copy_atomic, json_line,
                               read_manifest, write_atomic)
from detector.model import ModelError, default_model_path, sha256_of
from detector.routing import (ACCEPTED, DECISIONS, DEFAULT_KEEP_LABELS, DEFAULT_MIN_SCORE,
                              DEFAULT_REJECT_FLAGS, ERROR, KNOWN_FLAGS, REJECTED, Decision, Policy,
                              error_reason, route)
from detector.sources import FILE, SHARD, Record, Unit, UsageError, input_tags, plan, records
from detector.verdict import LABELS
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
    scored: int = 0  # documents scored by this run
    skipped: int = 0  # documents already in the manifest from an earlier, interrupted run
    seconds: float = 0.0
    first_result_seconds: float | None = None  # when the first verdicts came back (model loaded)
    scored_after_first: int = 0  # documents scored after that moment: their rate is the steady one

    @property
    def exit_status(self) -> int:
        return EXIT_SOME_ERRORS if self.decisions[ERROR] else EXIT_OK

    def docs_per_second(self) -> float:
        """Steady-state rate: documents scored after the first verdicts, over the time they took."""
        if self.first_result_seconds is None or self.seconds <= self.first_result_seconds:
            return 0.0
        return self.scored_after_first / (self.seconds - self.first_result_seconds)

    def render(self, max_errors: int = 20) -> str:
        lines = [f"detector filter: {self.documents} documents in {self.out / MANIFEST} "
                 f"({self.scored} scored now, {self.skipped} done by an earlier run) "
                 f"in {self.seconds:.1f} s" + (f", {self.docs_per_second():.1f} docs/s once the "
                                                f"model was loaded" if self.docs_per_second() else "")]
        for decision in DECISIONS:
            reasons = Counter({r: n for (d, r), n in self.reasons.items() if d == decision})
            detail = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items(), key=lambda x: (-x[1], x[0])))
            lines.append(f"  {decision:<9}{self.decisions[decision]:>8}" + (f"   {detail}" if detail else ""))
        lines.append("  labels:  " + ", ".join(f"{label} {self.labels[label]}" for label in LABELS)
                     + (f", none {self.labels[None]}" if self.labels[None] else ""))
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
@dataclass
class _Doc:
    unit: Unit
    id: str
    record: Record


@dataclass
class _End:
    unit: Unit


class _UnitOutput:
    """The outputs and manifest lines of the unit being routed (results arrive in unit order)."""

    def __init__(self, out: Path, unit: Unit, state: RunState):
        self.out, self.unit, self.state = out, unit, state
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
            self.lines.write(json_line({
                "id": doc.id, "source": self.unit.name, "line": doc.record.line,
                "decision": decision.decision, "label": verdict["label"], "scores": verdict["scores"],
                "flags": verdict["flags"], "reason": decision.reason, "error": verdict["error"]}))

    def _write(self, doc: _Doc, verdict, decision: Decision) -> None:
        target = self.out / decision.decision / self.unit.name
        if self.unit.kind == FILE:
            if self.unit.path is None:  # stdin: the bytes we read are all there is
                payload = doc.record.payload
                write_atomic(target, payload if isinstance(payload, bytes) else payload.encode("utf-8"))
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


def settings_for(inputs: Sequence[str], policy: Policy, jsonl: bool, model: str | None) -> dict[str, Any]:
    """What makes two runs the same run: resuming is only allowed when these match."""
    model_path = Path(model) if model else default_model_path()
    try:
        model_sha = sha256_of(model_path)
    except OSError as exc:
        raise ModelError(f"cannot read model file {model_path}: {exc.strerror}") from None
    return {"inputs": [i if i == "-" else os.path.abspath(i) for i in inputs],
            "policy": policy.to_dict(), "jsonl": jsonl, "model_sha256": model_sha}


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


def run_filter(inputs: Sequence[str], out: str | os.PathLike, policy: Policy | None = None,
               jobs: int | None = None, jsonl: bool = False, model: str | None = None,
               stdin=None, progress: bool = False) -> Summary:
    """Filter inputs (files, folders, JSONL shards, "-" for stdin) into `out`; resume if `out`
    holds an interrupted run of the same command. Raises UsageError for a command that cannot
    run, ModelError when the model cannot be loaded."""
    policy = policy or Policy()
    jobs = jobs or default_jobs()
    out = Path(out)
    inputs = list(inputs)
    _check_out(inputs, out)
    input_tags(inputs, jsonl)  # refuses repeated or nested inputs before anything is written
    state = RunState(out, settings_for(inputs, policy, jsonl, model))
    stdin = stdin if stdin is not None else sys.stdin.buffer
    summary_counts = {"scored": 0, "skipped": 0, "after_first": 0}
    started = time.monotonic()
    first_result: float | None = None

    def docs() -> Iterator[_Doc | _End]:
        seen: set[str] = set()
        for unit in plan(inputs, jsonl):
            # Done: marked so, or a one-document unit whose manifest line is written (its output
            # was renamed into place before that line was appended).
            if unit.name in state.done or (unit.kind != SHARD and unit.name in state.ids_by_source):
                ids = state.ids_by_source.get(unit.name, [])
                seen.update(ids)
                summary_counts["skipped"] += len(ids)
                continue
            for record in records(unit, stdin):
                yield _Doc(unit, _claim(seen, record.wanted_id, record.fallback_id), record)
            yield _End(unit)

    bar = _Progress(progress, jobs)
    scorer = LocalScorer(model) if jobs == 1 else PoolScorer(jobs, model)
    pending: deque[tuple[list, Any]] = deque()
    # In this process a chunk is scored when submitted: route it at once. Workers get a queue.
    ahead = 0 if jobs == 1 else jobs * TASKS_AHEAD_PER_JOB
    current: _UnitOutput | None = None
    try:
        for chunk in _chunks(docs()):
            pairs = [(d.id, d.record.payload) for d in chunk if isinstance(d, _Doc)]
            pending.append((chunk, scorer.submit(pairs) if pairs else Ready([])))
            while len(pending) > ahead:
                current, n = _route_chunk(*pending.popleft(), policy, out, current, state)
                first_result = first_result or time.monotonic()
                _count(summary_counts, bar, n)
        while pending:
            current, n = _route_chunk(*pending.popleft(), policy, out, current, state)
            first_result = first_result or time.monotonic()
            _count(summary_counts, bar, n)
    except BrokenProcessPool:
        raise WorkerDied("a worker process died (out of memory, or killed); finished work is "
                           "saved: rerun the same command to resume") from None
    finally:
        if current is not None:
            current.discard()  # an unfinished unit: its temp files go, a rerun redoes it
        scorer.close()
        state.close()
        bar.close()
    seconds = time.monotonic() - started
    summary = summarise(out)
    summary.scored, summary.skipped = summary_counts["scored"], summary_counts["skipped"]
    summary.seconds = seconds
    if first_result is not None:
        summary.first_result_seconds = first_result - started
        summary.scored_after_first = summary_counts["after_first"]
    return summary


def _chunks(items: Iterator) -> Iterator[list]:
    """Chunks of CHUNK_FIRST, doubling up to CHUNK_MAX documents; unit-end markers travel with
    the documents before them."""
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


def _count(counts: dict[str, int], bar: "_Progress", n: int) -> None:
    if counts["scored"]:
        counts["after_first"] += n
    counts["scored"] += n
    bar.update(n)


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

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


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
                             model=args.model, stdin=stdin, progress=stderr.isatty())
    except UsageError as exc:
        print(f"detector filter: {exc}", file=stderr)
        return EXIT_USAGE
    except ModelError as exc:
        print(f"detector filter: cannot load the model: {exc}", file=stderr)
        return EXIT_USAGE
    except WorkerDied as exc:
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
