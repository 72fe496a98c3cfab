"""The filter's acceptance check: samples + corpus documents + a zoo of bad inputs, a reference run,
a run killed with SIGKILL and rerun, and checks that every input is in the manifest exactly once,
the resumed manifest is byte-identical to the reference, inputs are byte-identical afterwards,
and every error line says why.

    python benchmarks/filter_zoo.py                 # 1,500 corpus documents, --jobs = all cores
    python benchmarks/filter_zoo.py --docs 200      # a quick version
    python benchmarks/filter_zoo.py --no-link       # the filter without linking

With linking (the filter's default) nothing is routed until every document is scored, so the
run is killed while it scores (once a third of the units have saved scores); the rerun is then
killed again as soon as it writes its first manifest line (routing, if the kill lands in time;
routing is quick, so it may finish first, which is reported, not failed), and run a third time.
Without linking, the run is killed once a third of the manifest is written.

The folder is built in a temp dir (removed afterwards unless --keep):
    zoo/samples/         the five samples and labels.tsv
    zoo/corpus/<source>/ two thirds of the corpus documents, one .txt file each
    zoo/corpus/shards/   the other third as part-0.jsonl and part-1.jsonl.gz (all fields kept)
    zoo/bad/             empty, binary, undecodable bytes, UTF-16 (readable: must be scored), a 20 MB
                         file, a German page, a symlink loop, an unreadable file, a FIFO, a symlinked
                         folder (not followed), a shard with a broken line and a record without text

Unreadable file: as root, chmod 000 does not stop reading. Then the filter runs under
`setpriv --bounding-set -dac_override,-dac_read_search`, which removes root's right to ignore file
permissions, so the file is truly unreadable; without setpriv the case is skipped, and said so.
Exit status 0 when every check passes.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_sample import DEFAULT_CORPUS, corpus_sample  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
GERMAN = ("<html><body><h1>Neuer Plan für die alte Brücke</h1><p>Die Stadtverwaltung hat am Dienstag "
          "einen neuen Plan für den Umbau der alten Brücke vorgestellt. Nach Angaben der Behörde sollen "
          "die Arbeiten im Frühjahr beginnen und etwa neun Monate dauern. Die Anwohner sind nicht mit "
          "allen Punkten einverstanden, aber die meisten begrüßen die Entscheidung des Rates.</p>"
          "<p>Der Bürgermeister sagte, man habe lange darüber gesprochen und werde die Bürger weiter "
          "informieren, sobald der Zeitplan feststeht.</p></body></html>")
ENGLISH = ("The regional council approved a plan on Tuesday to rebuild the old bridge over the river, "
           "after a debate that lasted most of the evening. Officials said the work would begin in the "
           "spring and take about nine months, during which a temporary crossing will carry foot "
           "traffic. Residents who spoke at the meeting were divided: some welcomed the decision, "
           "others said the cost had grown too quickly. \"We listened to people and we acted,\" said "
           "the council's chair, who has served for six years.")


def build(zoo: Path, corpus: Path, n_docs: int, unreadable: bool) -> tuple[set[str], dict[str, tuple[str, str | None]]]:
    """Write the zoo; return the ids the manifest must hold and the outcomes the bad inputs must get."""
    expected: set[str] = set()
    outcomes: dict[str, tuple[str, str | None]] = {}
    for path in sorted((REPO / "samples").iterdir()):
        (zoo / "samples").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, zoo / "samples" / path.name)
        expected.add(f"zoo/samples/{path.name}")
    docs = corpus_sample(corpus, n_docs)
    as_files = docs[: len(docs) * 2 // 3]
    shards = docs[len(as_files):]
    for i, record in enumerate(as_files):
        path = zoo / "corpus" / record["source"] / f"{i:05}_{record['label']}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record["text"], encoding="utf-8")
        expected.add(f"zoo/{path.relative_to(zoo).as_posix()}")
    half = len(shards) // 2
    (zoo / "corpus" / "shards").mkdir(parents=True, exist_ok=True)
    (zoo / "corpus" / "shards" / "part-0.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in shards[:half]), encoding="utf-8")
    (zoo / "corpus" / "shards" / "part-1.jsonl.gz").write_bytes(
        gzip.compress("".join(json.dumps(r) + "\n" for r in shards[half:]).encode("utf-8")))
    ids = [r["id"] for r in shards]
    assert len(set(ids)) == len(ids), "corpus sample has duplicate ids; the expected set would differ"
    expected.update(ids)

    bad = zoo / "bad"
    bad.mkdir()

    def case(name: str, decision: str, reason: str | None) -> None:
        expected.add(f"zoo/bad/{name}")
        outcomes[f"zoo/bad/{name}"] = (decision, reason)

    (bad / "empty.txt").write_bytes(b"")
    case("empty.txt", "error", "empty")
    (bad / "binary.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    case("binary.bin", "error", "binary")
    (bad / "undecodable.txt").write_bytes(b"\xef\xbb\xbf" + ENGLISH.encode("utf-8")[:200] + b"\xff\xfe\xc3\x28 rest")
    case("undecodable.txt", "error", "undecodable")
    (bad / "utf16.txt").write_bytes(ENGLISH.encode("utf-16"))  # valid UTF-16 with BOM: readable
    case("utf16.txt", "scored", None)
    with open(bad / "huge.txt", "wb") as handle:
        line = (ENGLISH + "\n").encode("utf-8")
        handle.write(line * (20_000_000 // len(line) + 1))
    case("huge.txt", "error", "too_large")
    (bad / "german.html").write_text(GERMAN, encoding="utf-8")
    case("german.html", "rejected", "not_english")
    (bad / "loop.txt").symlink_to("loop.txt")
    case("loop.txt", "error", "symlink_loop")
    os.mkfifo(bad / "pipe")
    case("pipe", "error", "not_a_regular_file")
    (bad / "up").symlink_to("..")
    case("up", "error", "symlinked_folder")
    if unreadable:
        (bad / "unreadable.txt").write_text(ENGLISH, encoding="utf-8")
        os.chmod(bad / "unreadable.txt", 0)
        case("unreadable.txt", "error", "permission_denied")
    (bad / "records.jsonl").write_text(
        json.dumps({"id": "zoo-ok", "text": ENGLISH, "extra": [1, 2]}) + "\n{broken\n"
        + json.dumps({"id": "zoo-notext", "title": "no text field"}) + "\n", encoding="utf-8")
    expected.update({"zoo-ok", "zoo/bad/records.jsonl:2", "zoo-notext"})
    outcomes["zoo/bad/records.jsonl:2"] = ("error", "invalid_json")
    outcomes["zoo-notext"] = ("error", "no_text")
    outcomes["zoo-ok"] = ("scored", None)
    return expected, outcomes


def digest(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            if path.is_symlink():
                out[str(path)] = "symlink:" + os.readlink(path)
            elif not path.is_file():
                out[str(path)] = "special"
            else:
                try:
                    out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
                except PermissionError:
                    out[str(path)] = f"unreadable:{path.stat().st_size}:{oct(path.stat().st_mode)}"
    return out


def manifest(out: Path) -> list[dict]:
    path = out / "manifest.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


def command(zoo: Path, out: Path, jobs: int | None, drop_root: bool, link: bool) -> list[str]:
    cmd = [sys.executable, "-m", "detector.cli", "filter", str(zoo), "--out", str(out)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if not link:
        cmd += ["--no-link"]
    if drop_root:
        cmd = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"] + cmd
    return cmd


def manifest_lines(out: Path) -> int:
    path = out / "manifest.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else 0


def saved_units(out: Path) -> int:
    folder = out / ".detector-filter" / "scored"
    return sum(1 for _ in folder.rglob("*.jsonl.gz")) if folder.exists() else 0


def kill_when(cmd: list[str], progress, out: Path, target: int, what: str, must_kill: bool = True) -> list[str]:
    """Start the filter, SIGKILL it once progress(out) >= target; check its workers go too."""
    failures = []
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reached = 0
    while proc.poll() is None:
        reached = progress(out)
        if reached >= target:
            break
        time.sleep(0.05)
    try:
        os.kill(proc.pid, signal.SIGKILL)  # the filter's own process, as `kill -9 PID` would
    except ProcessLookupError:
        pass
    proc.wait()
    # Worker processes must notice and exit by themselves (they check every second).
    killed_at, orphans = time.monotonic(), True
    while orphans and time.monotonic() - killed_at < 10:
        time.sleep(0.2)
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            orphans = False
    if orphans:
        os.killpg(proc.pid, signal.SIGKILL)
        failures.append("worker processes still alive 10 s after the filter was killed")
    else:
        print(f"  worker processes gone {time.monotonic() - killed_at:.1f} s after the kill")
    killed = proc.returncode == -signal.SIGKILL
    print(f"killed run: {'SIGKILL' if killed else f'exit {proc.returncode} (finished first!)'} "
          f"with {reached} {what} (target {target})")
    if not killed and must_kill:
        failures.append("the run finished before it could be killed")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=1500, help="corpus documents (default 1500)")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for the filter (default: all cores)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and print its path")
    parser.add_argument("--no-link", dest="link", action="store_false", help="run the filter with --no-link")
    args = parser.parse_args()

    is_root = os.geteuid() == 0
    drop_root = is_root and shutil.which("setpriv") is not None
    unreadable = not is_root or drop_root
    if is_root and drop_root:
        print("running as root: the filter runs under setpriv without CAP_DAC_OVERRIDE/"
              "CAP_DAC_READ_SEARCH, so a chmod 000 file is really unreadable")
    elif is_root:
        print("running as root without setpriv: chmod 000 cannot stop root, so the unreadable-file "
              "case is SKIPPED (tests/test_filter.py simulates it)")

    tmp = Path(tempfile.mkdtemp(prefix="filter-zoo-"))
    failures: list[str] = []
    try:
        zoo = tmp / "zoo"
        expected, outcomes = build(zoo, args.corpus, args.docs, unreadable)
        before = digest(zoo)
        print(f"zoo: {len(expected)} input documents ({args.docs} from the corpus) in {zoo}")

        # 1. an uninterrupted run
        ref = tmp / "out-reference"
        started = time.monotonic()
        run = subprocess.run(command(zoo, ref, args.jobs, drop_root, args.link), cwd=REPO, capture_output=True,
                             text=True)
        ref_seconds = time.monotonic() - started
        print(f"reference run: exit {run.returncode} in {ref_seconds:.1f} s")
        print("  " + run.stderr.strip().replace("\n", "\n  "))
        if run.returncode not in (0, 1):
            failures.append(f"reference run exited {run.returncode}")
        lines = manifest(ref)
        ids = [line["id"] for line in lines]
        if len(ids) != len(set(ids)):
            failures.append(f"reference manifest has {len(ids) - len(set(ids))} duplicate ids")
        if set(ids) != expected:
            failures.append(f"reference manifest: missing {sorted(expected - set(ids))[:10]}, "
                            f"unexpected {sorted(set(ids) - expected)[:10]}")
        by_id = {line["id"]: line for line in lines}
        for doc_id, (decision, reason) in outcomes.items():
            got = by_id.get(doc_id)
            if got is None:
                continue
            ok = (got["decision"] in ("accepted", "rejected")) if decision == "scored" else \
                (got["decision"], got["reason"]) == (decision, reason)
            if not ok:
                failures.append(f"{doc_id}: expected {decision}/{reason}, got {got['decision']}/{got['reason']} ({got['error']})")
        errors = [line for line in lines if line["decision"] == "error"]
        for line in errors:
            if not line["reason"] or not line["error"]:
                failures.append(f"error line without a reason or message: {line}")
        print(f"error lines ({len(errors)}):")
        for line in errors:
            print(f"  {line['id']:<32} {line['reason']:<20} {line['error']}")

        # 2. the same command, killed with SIGKILL mid-run, then run again
        out = tmp / "out-killed"
        if args.link:  # nothing is routed before everything is scored: kill while it scores
            units = sum(len(files) for _root, _dirs, files in os.walk(zoo))  # about one unit a file
            failures += kill_when(command(zoo, out, args.jobs, drop_root, True), saved_units, out,
                                  max(1, units // 3), "units with saved scores")
            # and the rerun, once it routes (it may finish first: routing is quick)
            failures += kill_when(command(zoo, out, args.jobs, drop_root, True), manifest_lines, out, 1,
                                  "manifest lines", must_kill=False)
        else:
            failures += kill_when(command(zoo, out, args.jobs, drop_root, False), manifest_lines, out,
                                  max(1, len(expected) // 3), "manifest lines")
        run = subprocess.run(command(zoo, out, args.jobs, drop_root, args.link), cwd=REPO,
                             capture_output=True, text=True)
        print(f"rerun: exit {run.returncode}")
        print("  " + run.stderr.strip().replace("\n", "\n  "))
        resumed = manifest(out)
        resumed_ids = [line["id"] for line in resumed]
        if len(resumed_ids) != len(set(resumed_ids)):
            failures.append(f"resumed manifest has {len(resumed_ids) - len(set(resumed_ids))} duplicates")
        if {(l["id"], l["decision"]) for l in resumed} != {(l["id"], l["decision"]) for l in lines}:
            failures.append("resumed manifest differs from the reference (as a set of id, decision)")
        same_bytes = (out / "manifest.jsonl").read_bytes() == (ref / "manifest.jsonl").read_bytes()
        print(f"resumed manifest byte-identical to the reference: {same_bytes}")
        if not same_bytes:
            failures.append("resumed manifest is not byte-identical to the reference")
        if args.link:
            derived = [l for l in lines if l.get("derived_from")]
            print(f"linked: {len(derived)} documents derived from another of the input "
                  f"({', '.join(sorted({l['derived_from']['relation'] for l in derived}))})")
            if any("derived_from" not in l for l in lines):
                failures.append("a manifest line without derived_from in a linking run")
        leftovers = [p for p in out.rglob("*") if p.name.endswith(".detector-tmp")]
        if leftovers:
            failures.append(f"temp files left after the rerun: {leftovers[:5]}")

        # 3. inputs untouched
        after = digest(zoo)
        if after != before:
            changed = [k for k in set(before) | set(after) if before.get(k) != after.get(k)]
            failures.append(f"inputs changed: {changed[:10]}")
        print(f"inputs byte-identical (sha256 of {len(before)} files): {after == before}")
        print(f"reference: {len(lines)} manifest lines, {len(set(ids))} unique, expected {len(expected)}; "
              f"resumed: {len(resumed)} lines, {len(set(resumed_ids))} unique")
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            os.chmod(tmp / "zoo" / "bad", 0o755) if (tmp / "zoo" / "bad").exists() else None
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("ALL CHECKS PASSED")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
