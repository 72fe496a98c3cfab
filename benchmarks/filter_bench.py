"""Throughput of `detector filter` with --jobs 1 and --jobs 2 (or any list of N) on corpus documents.

    python benchmarks/filter_bench.py                     # 6,000 docs (5,763 read), jobs 1 and 2
    python benchmarks/filter_bench.py --docs 300          # a quick check that it works
    python benchmarks/filter_bench.py --no-link           # the filter without linking

The filter links documents across its input by default: it scores everything, links once, then
routes. For those runs the time of linking and of the rest after scoring (linking and routing)
is printed too; the steady rate covers the scoring phase.

Each run is a fresh process (model loading included, as a user would see it) over the same folder
of text files, into a new output folder. Two rates are printed:
- end-to-end: documents / wall time of the whole command. It includes starting the workers
  and the time to the first verdicts (0.6 s with --jobs 1, 1.0 s with --jobs 2, measured) and,
  when linking, linking and routing after scoring: on small inputs those fixed costs hide the
  speed-up, hence 6,000 documents by default (2,000 gave 1.75x end-to-end, 6,000 gave 2.03x);
- steady: documents scored after the first verdicts came back / the time they took. This is the
  rate the progress bar shows, and the one the speed-up is computed on, since loading a model
  once per worker is a fixed cost that a real corpus amortises.
Numbers on a shared machine are noisy: run it on a quiet one. As a load-independent check, the
CPU seconds of every process of each run (the filter, the forkserver, the workers; read from
/proc on Linux) are also printed: with --jobs N the work should be spread evenly over N workers,
with the main process doing little, which is what lets N cores give close to N times the rate.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_sample import DEFAULT_CORPUS, corpus_sample  # noqa: E402


def session_cpu(session: int) -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) of every live process in a session, from /proc (Linux only)."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        if int(fields[3]) == session:  # field 6 of stat: session id
            out[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return out


def peak_rss_kb(pid: int) -> int:
    """VmHWM (peak resident set) of a live process, from /proc (Linux only; 0 elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def child(args) -> None:
    from detector.ingest import run_filter

    started = time.monotonic()
    summary = run_filter([args.input], args.out, jobs=args.child, link=args.link)
    wall = time.monotonic() - started
    print(json.dumps({"documents": summary.documents, "wall": wall,
                      "steady": summary.docs_per_second(), "first": summary.first_result_seconds,
                      "link": summary.link_seconds,
                      "after_scoring": None if summary.scoring_seconds is None else wall - summary.scoring_seconds}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=6000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-link", dest="link", action="store_false", help="run the filter without linking")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="filter-bench-") as tmp:
        folder = Path(tmp) / "docs"
        for i, record in enumerate(corpus_sample(args.corpus, args.docs)):
            path = folder / record["source"] / f"{i:05}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(record["text"], encoding="utf-8")
        print(f"{args.docs} corpus documents; jobs {args.jobs}; {'linking' if args.link else 'no linking'}")
        results = {}
        for jobs in args.jobs:
            out = Path(tmp) / f"out-{jobs}"
            proc = subprocess.Popen([sys.executable, __file__, "--child", str(jobs), "--input", str(folder),
                                     "--out", str(out)] + ([] if args.link else ["--no-link"]), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, start_new_session=True)
            cpu: dict[int, tuple[str, float]] = {}
            peak_kb = 0
            while proc.poll() is None:
                cpu.update(session_cpu(proc.pid))
                peak_kb = max(peak_kb, peak_rss_kb(proc.pid))
                time.sleep(0.2)
            stdout, stderr = proc.communicate()
            if proc.returncode != 0:
                print(stderr, file=sys.stderr)
                return 1
            r = json.loads(stdout.strip().splitlines()[-1])
            results[jobs] = r
            print(f"  --jobs {jobs}: {r['documents']} docs, {r['wall']:.1f} s wall "
                  f"({r['documents'] / r['wall']:.1f} docs/s end-to-end), first verdicts after "
                  f"{r['first']:.1f} s, steady {r['steady']:.1f} docs/s")
            if r["link"] is not None:
                print(f"      after scoring: {r['after_scoring']:.1f} s, of which linking {r['link']:.1f} s")
            if cpu:
                main_cpu = cpu.get(proc.pid, ("", 0.0))[1]
                others = sorted((t for pid, (_, t) in cpu.items() if pid != proc.pid), reverse=True)
                print(f"      CPU s: main process {main_cpu:.1f}; other processes "
                      f"{', '.join(f'{t:.1f}' for t in others)} (total {main_cpu + sum(others):.1f})")
            if peak_kb:
                print(f"      peak RSS of the filter's own process: {peak_kb / 1024:.0f} MB "
                      "(workers not included)")
        base = results.get(1)
        if base:
            for jobs, r in results.items():
                if jobs != 1:
                    print(f"  speed-up --jobs {jobs} vs 1: steady {r['steady'] / base['steady']:.2f}x, "
                          f"end-to-end {base['wall'] / r['wall']:.2f}x")
        manifests = {j: (Path(tmp) / f"out-{j}" / "manifest.jsonl").read_bytes() for j in args.jobs}
        same = len(set(manifests.values())) == 1
        print(f"  manifests identical across jobs: {same}")
        return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
