"""Check that a speed change changed nothing a user can see.

    python benchmarks/check_equivalence.py save    # before: record the reference
    python benchmarks/check_equivalence.py check   # after each change: compare, exit 1 on any diff
    ... --model FILE                               # verdicts from another model than the bundled one

Records, for ~3,000 corpus documents (fixed seed), the samples/ files and a few long documents
built by concatenation (10 KB, 100 KB, 1 MB): the normalised text, words and sentences; every
feature's value *and* spans (evidence comes from spans); the flags; and the full verdict of the
bundled model or --model's (label, scores, evidence with notes and weights). Values compare
exactly, with NaN equal to NaN. The reference lives outside the repo (default /tmp) because it is derived
from the corpus.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus_sample  # noqa: E402

DEFAULT_REFERENCE = Path("/tmp/detector-equivalence.pkl")
LONG_SIZES = (10_000, 100_000, 1_000_000)


def documents(n: int, seed: int) -> list[tuple[str, str]]:
    docs = corpus_sample.sample(n, seed) + corpus_sample.sample_files()
    pool = [t for _, t in corpus_sample.sample(400, seed + 1)]
    for size in LONG_SIZES:
        docs.append((f"concatenated-{size}", corpus_sample.concatenated(pool, size)))
    return docs


def _digest(obj) -> str:
    return hashlib.sha256(repr(obj).encode("utf-8")).hexdigest()


def snapshot(doc_id: str, text: str, verdict) -> dict:
    from detector.document import Document
    from detector.features import FEATURE_NAMES, extract
    from detector.flags import flags_for

    doc = Document.from_text(text)
    findings = extract(doc)
    flags, flag_spans = flags_for(doc, dict(zip(FEATURE_NAMES, findings)))
    return {
        "text": _digest(doc.text),
        "repaired": doc.repaired,
        "words": _digest((doc.words, doc.word_spans)),
        "sentences": _digest(doc.sentences),
        "zipfs": _digest(doc.zipfs),
        "values": tuple(f.value for f in findings),
        "spans": tuple(_digest(f.spans) for f in findings),
        "flags": (flags, _digest(flag_spans)),
        "verdict": (verdict.to_dict(), _digest([(e.note, e.weight) for e in verdict.evidence])),
    }


def _same_value(a: float, b: float) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b and type(a) is type(b)


def compare(reference: dict, current: dict) -> list[str]:
    from detector.features import FEATURE_NAMES

    problems = []
    for key in ("text", "repaired", "words", "sentences", "zipfs", "flags", "verdict"):
        if reference[key] != current[key]:
            problems.append(key)
    for name, a, b in zip(FEATURE_NAMES, reference["values"], current["values"]):
        if not _same_value(a, b):
            problems.append(f"{name} value {a!r} -> {b!r}")
    for name, a, b in zip(FEATURE_NAMES, reference["spans"], current["spans"]):
        if a != b:
            problems.append(f"{name} spans")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("save", "check"))
    parser.add_argument("--docs", type=int, default=3000, help="corpus documents (default 3000)")
    parser.add_argument("--seed", type=int, default=corpus_sample.DEFAULT_SEED)
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--model", type=Path, default=None,
                        help="model file for the verdicts (default: the bundled model)")
    args = parser.parse_args(argv)

    from detector.api import Detector

    detector = Detector.load(args.model)
    started = time.perf_counter()
    docs = documents(args.docs, args.seed)
    # Verdicts in one batched call, as the CLI scores them (one predict_proba per batch).
    verdicts = detector.score_many([t for _, t in docs], ids=[i for i, _ in docs])
    current = {doc_id: snapshot(doc_id, text, v) for (doc_id, text), v in zip(docs, verdicts)}
    elapsed = time.perf_counter() - started
    if args.action == "save":
        with open(args.reference, "wb") as handle:
            pickle.dump({"docs": args.docs, "seed": args.seed, "snapshots": current}, handle)
        print(f"saved {len(current)} documents to {args.reference} ({elapsed:.1f} s)")
        return 0
    with open(args.reference, "rb") as handle:
        reference = pickle.load(handle)
    if (reference["docs"], reference["seed"]) != (args.docs, args.seed):
        print(f"reference was made with --docs {reference['docs']} --seed {reference['seed']}")
        return 2
    failures = 0
    for doc_id, ref in reference["snapshots"].items():
        problems = compare(ref, current[doc_id])
        if problems:
            failures += 1
            if failures <= 20:
                print(f"{doc_id}: " + "; ".join(problems[:6]))
    if failures:
        print(f"DIFFERENT: {failures} of {len(current)} documents changed")
        return 1
    print(f"identical: {len(current)} documents ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
