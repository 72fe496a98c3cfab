"""Throughput of `detector filter` with --jobs 1 and --jobs 2 (or any list of N) on corpus documents.

    python benchmarks/filter_bench.py                     # 600 docs, jobs 1 and 2
    python benchmarks/filter_bench.py --docs 1500 --jobs 1 2 4

Each run is a fresh process (model loading included, as a user would see it) over the same folder
of text files, into a new output folder. Two rates are printed:
- end-to-end: documents / wall time of the whole command (includes ~2-8 s of model loading);
- steady: documents scored after the first verdicts came back / the time they took. This is the
  rate the progress bar shows, and the one the speed-up is computed on, since loading a model
  once per worker is a fixed cost that a real corpus amortises.
Numbers on a shared machine are noisy: run it on a quiet one.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_sample import DEFAULT_CORPUS, corpus_sample  # noqa: E402


def child(args) -> None:
    from detector.ingest import run_filter

    started = time.monotonic()
    summary = run_filter([args.input], args.out, jobs=args.child)
    print(json.dumps({"documents": summary.documents, "wall": time.monotonic() - started,
                      "steady": summary.docs_per_second(), "first": summary.first_result_seconds}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=600)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
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
        print(f"{args.docs} corpus documents; jobs {args.jobs}")
        results = {}
        for jobs in args.jobs:
            out = Path(tmp) / f"out-{jobs}"
            run = subprocess.run([sys.executable, __file__, "--child", str(jobs), "--input", str(folder),
                                  "--out", str(out)], capture_output=True, text=True)
            if run.returncode != 0:
                print(run.stderr, file=sys.stderr)
                return 1
            r = json.loads(run.stdout.strip().splitlines()[-1])
            results[jobs] = r
            print(f"  --jobs {jobs}: {r['documents']} docs, {r['wall']:.1f} s wall "
                  f"({r['documents'] / r['wall']:.1f} docs/s end-to-end), first verdicts after "
                  f"{r['first']:.1f} s, steady {r['steady']:.1f} docs/s")
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
