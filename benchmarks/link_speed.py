"""How fast does batch linking run, and how does it grow with the batch?

    python benchmarks/link_speed.py --sizes 10000,30000,100000     # the full run (lead, quiet machine)
    python benchmarks/link_speed.py --sizes 10000                  # a quick check

Each size runs in its own process, so each peak-memory figure is that size's own. The batch is
built from the corpus (../shared/corpus, ~47,000 documents): documents are taken in a fixed
shuffled order; when the batch is larger than the corpus, documents are repeated with light
perturbation (about 10% of words dropped, numbers changed), so repeats are near copies and the
linker has real work to do on them rather than exact duplicates. This is said in the output.

What is timed: detector.link.link_verdicts over ready verdicts (keys, MinHash, LSH banding,
pre-filter, sentence alignment, relations). Scoring is a separate stage with its own cost; the
verdicts here carry the corpus label as their scores (0.7 on the label) so that the direction of
each link is decided the same way it is in a scan.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
_NUMBER = re.compile(r"\d+")


def corpus_texts(corpus: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(corpus.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                r = json.loads(line)
                out.append((r["label"], r["text"]))
    random.Random(7).shuffle(out)
    return out


def perturb(text: str, rng: random.Random) -> str:
    words = [w for w in text.split(" ") if rng.random() > 0.1]
    return _NUMBER.sub(lambda m: str(int(m.group()) + rng.randint(1, 9)), " ".join(words))


def build(n: int, corpus: Path, base_docs: int = 0) -> tuple[list, int]:
    from detector.verdict import LABELS, Verdict

    base = corpus_texts(corpus)
    if base_docs:
        base = base[:base_docs]
    rng = random.Random(11)
    verdicts = []
    for i in range(n):
        label, text = base[i % len(base)]
        if i >= len(base):
            text = perturb(text, rng)
        label = label if label in LABELS else "original"
        scores = {k: (0.7 if k == label else 0.1) for k in LABELS}
        verdicts.append(Verdict(label=label, scores=scores, id=str(i), text=text))
    return verdicts, len(base)


def run_one(n: int, corpus: Path, base_docs: int = 0) -> dict:
    from detector.link import link_verdicts

    verdicts, base = build(n, corpus, base_docs)
    stats: dict = {}
    t0 = time.perf_counter()
    out = link_verdicts(verdicts, stats=stats)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"docs": n, "corpus_docs": base, "repeats_perturbed": max(0, n - base),
            "seconds": round(seconds, 1), "peak_rss_mb": round(peak_mb),
            "linked": sum(v.derived_from is not None for v in out), **stats}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000", help="comma-separated batch sizes")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--base", type=int, default=0,
                    help="draw from only the first N (shuffled) corpus documents, so that a small "
                         "run has the share of perturbed repeats a big one has (e.g. --sizes 10000 "
                         "--base 4700 mimics the 100,000 batch's 53%% repeats)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size, print JSON
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.corpus, args.base)))
        return 0
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        done = subprocess.run([sys.executable, __file__, "--one", str(n), "--corpus", str(args.corpus),
                               "--base", str(args.base)],
                              capture_output=True, text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("\n docs      seconds  per 1k docs  peak RSS MB  candidate pairs  links")
    for r in rows:
        print(f"{r['docs']:>6}  {r['seconds']:>9.1f}  {r['seconds'] / r['docs'] * 1000:>11.2f}"
              f"  {r['peak_rss_mb']:>11}  {r['candidate_pairs']:>15}  {r['linked']:>5}")
    if any(r["repeats_perturbed"] for r in rows):
        print("(batches beyond the corpus size repeat corpus documents with ~10% of words dropped "
              "and numbers changed)")
    print("peak RSS includes the batch itself (texts and verdicts held in memory)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
