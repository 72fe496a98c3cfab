"""How fast is the detector, and where does the time go? One command, one table.

    python benchmarks/bench.py                   # 2,000 documents, 5 runs (a few minutes)
    python benchmarks/bench.py --quick           # 200 documents, 3 runs, no 1 MB row: about a minute

Measures, on documents sampled from ../shared/corpus with a fixed seed:
  - Detector.score_many in this process, and `detector scan --jsonl` in a subprocess over a temp
    JSONL file: docs/s and MB/s (UTF-8 bytes of text);
  - the floor on the same documents: read the JSONL, json.loads, wordfreq.tokenize(text, "en"),
    nothing else; and detector time / floor time, the figure that carries across machines;
  - time per KB for single documents of 1 KB .. 1 MB built by concatenating corpus documents
    (the cost must grow linearly), and the time to refuse one over MAX_DOCUMENT_BYTES;
  - the scan's peak RSS, import + model load time in a fresh process, the model file's size;
  - the scan's peak RSS on made-up documents whose vocabulary never stops growing (the per-word
    caches full and cycling), unless --vocabulary-docs 0 (as with --quick);
  - a profile: time per step (document, features by family and by feature, flags, model).

Each figure is the median of --runs runs. Times are wall-clock; CPU seconds are shown too
because on a shared machine they are the steadier of the two (on a quiet one they agree).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus_sample  # noqa: E402

SIZES = (1_000, 10_000, 100_000, 1_000_000)


def _clock():
    return time.perf_counter(), time.process_time()


def _since(start):
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def median(values):
    return statistics.median(values) if values else float("nan")


# --- the floor and the in-process scorer ----------------------------------------------------------
def floor_run(jsonl_path: Path) -> tuple[float, float]:
    """Read the JSONL, parse it, tokenise every text with wordfreq: the cost of reading the text."""
    import wordfreq

    start = _clock()
    with open(jsonl_path, encoding="utf-8") as handle:
        for line in handle:
            wordfreq.tokenize(json.loads(line)["text"], "en")
    return _since(start)


def score_many_run(detector, texts: list[str]) -> tuple[float, float]:
    start = _clock()
    detector.score_many(texts)
    return _since(start)


# --- the CLI in a subprocess ----------------------------------------------------------------------
# A child's ru_maxrss counts the pages it shared with its parent between fork and exec: a scan
# started from this process (which holds the corpus sample and a loaded detector) reported this
# process's size when that was larger than the scan's own peak (284 MB against 236 MB measured
# with GNU time on the same file). So the command is started by a small launcher process, whose
# child's maxrss is the command's own.
_LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_pid, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - started
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mb": usage.ru_maxrss / 1024, "returncode": os.waitstatus_to_exitcode(status)}))
"""


def run_child(argv: list[str]) -> dict:
    """Run a command; its wall time, CPU time and peak RSS (wait4 in a small launcher: the
    command's own figures, not this process's)."""
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *argv], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"launcher failed ({out.returncode}): {out.stderr[-2000:]}")
    result = json.loads(out.stdout)
    if result.pop("returncode") not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed: {out.stderr[-2000:]}")
    return result


def scan_argv(path: Path, model: Path | None = None) -> list[str]:
    argv = [sys.executable, "-m", "detector.cli", "scan", "--jsonl", str(path)]
    return argv + ["--model", str(model)] if model else argv


def startup_times(model: Path | None = None) -> dict:
    """Import + model load in a fresh interpreter, then the first document (loads wordfreq's list)."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from detector.api import Detector\n"
        f"d = Detector.load({str(model) if model else None!r}); t1 = time.perf_counter()\n"
        "d.score('The minister said on Monday that the talks would resume next week in Geneva.')\n"
        "t2 = time.perf_counter(); print(t1 - t, t2 - t1)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    load, first = map(float, out.stdout.split())
    return {"load": load, "first": first}


# --- memory against vocabulary ---------------------------------------------------------------------
def write_made_up_vocabulary(path: Path, n_docs: int, seed: int) -> int:
    """n_docs English-looking documents of 300 words, a quarter of them random letter strings:
    the vocabulary grows without bound, so every per-word cache fills to its limit and cycles
    (what "peak RSS over any number of documents" must survive). Returns the distinct words."""
    import random
    import string

    import wordfreq

    common = wordfreq.top_n_list("en", 300)
    rng = random.Random(seed)
    seen = set()
    with open(path, "w", encoding="utf-8") as handle:
        for d in range(n_docs):
            words = []
            for i in range(300):
                if rng.random() < 0.75:
                    w = rng.choice(common)
                else:
                    w = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 10)))
                    w = w.capitalize() if rng.random() < 0.3 else w
                seen.add(w)
                words.append(w + ("." if i % 15 == 14 else ""))
            handle.write(json.dumps({"id": f"made-up-{d}", "text": " ".join(words)}) + "\n")
    return len(seen)


# --- cost against document size -------------------------------------------------------------------
def size_run(detector, texts: list[str]) -> tuple[float, float]:
    """(seconds for score_many, seconds for the features alone) over documents of one size.

    The features column is what must grow linearly; the full column adds the model, whose cost
    per call is mostly fixed (thousands of trees), so it only amortises over a batch.
    """
    from detector.api import prepare
    from detector.features import FEATURE_NAMES, extract
    from detector.flags import flags_for

    start = _clock()
    verdicts = detector.score_many(texts)
    full = _since(start)[0]
    for v in verdicts:
        if v.error:
            raise SystemExit(f"a benchmark document was refused: {v.error}")
    start = _clock()
    for text in texts:
        doc = prepare(text)
        flags_for(doc, dict(zip(FEATURE_NAMES, extract(doc))))
    return full, _since(start)[0]


def refuse_run(detector, size: int) -> tuple[float, str]:
    text = "word " * (size // 5 + 1)
    start = _clock()
    verdict = detector.score_many([text])[0]
    return _since(start)[0], verdict.error or "(scored!)"


# --- profile --------------------------------------------------------------------------------------
def profile_run(detector, texts: list[str]) -> dict[str, float]:
    """Seconds per step over all texts, for one pass. Segmentation that features read lazily
    (sentences, lower-case words, Zipf values) is forced first so it is charged to the document."""
    from detector.document import Document
    from detector.features import FAMILIES, FEATURE_NAMES
    from detector.flags import flags_for
    from detector.language import non_english_language

    clock = time.perf_counter
    spent: dict[str, float] = defaultdict(float)
    all_findings, all_docs = [], []
    for text in texts:
        t0 = clock()
        doc = Document.from_text(text)
        t1 = clock()
        doc.sentences, doc.lower_words, doc.zipfs, doc.sentence_starts  # noqa: B018
        t2 = clock()
        non_english_language(doc)
        t3 = clock()
        spent["document: Document.from_text"] += t1 - t0
        spent["document: sentences, lower_words, zipfs"] += t2 - t1
        spent["document: language check"] += t3 - t2
        findings = []
        for family, features in FAMILIES.items():
            for feature in features:
                t = clock()
                findings.append(feature(doc))
                spent[f"{family}: {feature.__name__}"] += clock() - t
        t = clock()
        flags_for(doc, dict(zip(FEATURE_NAMES, findings)))
        spent["flags"] += clock() - t
        all_findings.append(tuple(findings))
        all_docs.append(doc)
    # The model, in batches and on one thread as Detector runs it: the base predict_proba, and
    # what Model.predict adds to it (occlusion rows for evidence, priors, ranking).
    from detector.api import BATCH_SIZE
    from detector.model import vectorise

    try:
        from detector.api import _one_thread
    except ImportError:  # no thread limit in this revision (numpy model, no OpenMP): none needed
        from contextlib import nullcontext as _one_thread

    model = detector.model
    for start in range(0, len(all_findings), BATCH_SIZE):
        batch = all_findings[start : start + BATCH_SIZE]
        docs = all_docs[start : start + BATCH_SIZE]
        with _one_thread():
            t = clock()
            matrix = model.matrix(batch, docs) if hasattr(model, "matrix") else vectorise(batch)
            t0 = clock()
            model.probabilities(matrix)
            t1 = clock()
            model.predict(batch, docs) if hasattr(model, "matrix") else model.predict(batch)
            t2 = clock()
        # The model's input: hand features plus, with a learned stage, shape n-grams hashed and
        # passed through the n-gram model (detector/learned.py).
        spent["model: input matrix (learned n-gram stage)"] += t0 - t
        spent["model: predict_proba (base rows)"] += t1 - t0
        spent["model: predict beyond that (occlusion rows)"] += (t2 - t1) - (t1 - t)
    return spent


# --- report ---------------------------------------------------------------------------------------
def table(rows: list[tuple[str, str]], title: str) -> str:
    width = max(len(r[0]) for r in rows)
    lines = [f"| {title:<{width}} | median |", f"|{'-' * (width + 2)}|-------:|"]
    lines += [f"| {name:<{width}} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000, help="documents sampled (default 2000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure; medians are shown (default 5)")
    parser.add_argument("--seed", type=int, default=corpus_sample.DEFAULT_SEED)
    parser.add_argument("--corpus", type=Path, default=corpus_sample.DEFAULT_CORPUS)
    parser.add_argument("--profile-docs", type=int, default=500, help="documents in the profile (default 500)")
    parser.add_argument("--skip-sizes", type=int, nargs="*", default=[], metavar="BYTES",
                        help="document sizes to leave out of the size table (e.g. 1000000)")
    parser.add_argument("--top", type=int, default=15, help="features listed in the profile (default 15)")
    parser.add_argument("--model", type=Path, default=None,
                        help="model file to score with (default: the bundled model)")
    parser.add_argument("--vocabulary-docs", type=int, default=4000,
                        help="documents of made-up words for the worst-case RSS scan (0: skip; default 4000)")
    parser.add_argument("--quick", action="store_true",
                        help="a check in about a minute: --docs 200 --runs 3 --profile-docs 200 "
                             "--skip-sizes 1000000 --vocabulary-docs 0")
    args = parser.parse_args(argv)
    if args.quick:
        args.docs, args.runs, args.profile_docs = 200, 3, 200
        args.vocabulary_docs = 0
        args.skip_sizes = list(args.skip_sizes) + [1_000_000]

    from detector.api import MAX_DOCUMENT_BYTES, Detector
    from detector.model import default_model_path

    docs = corpus_sample.sample(args.docs, args.seed, args.corpus)
    texts = [t for _, t in docs]
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    n = len(texts)
    print(f"{n} documents, {megabytes:.2f} MB, mean {megabytes * 1e6 / n / 1e3:.2f} KB; "
          f"{args.runs} runs; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)

    detector = Detector.load(args.model)
    import wordfreq

    wordfreq.tokenize("warm up the tokenizer", "en")
    detector.score_many(texts[:20])  # warm caches: wordfreq list, lexicons, compiled patterns

    with tempfile.TemporaryDirectory(prefix="detector-bench-") as tmp:
        jsonl = Path(tmp) / "docs.jsonl"
        # Startup of a scan: a file of one short document, so the baseline includes the model
        # load and wordfreq's list (loaded at the first document) but next to no scoring.
        empty = Path(tmp) / "one.jsonl"
        with open(jsonl, "w", encoding="utf-8") as handle:
            for doc_id, text in docs:
                handle.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
        empty.write_text(json.dumps({"id": "one", "text": "The minister said the talks "
                                     "would resume on Monday."}) + "\n", encoding="utf-8")

        floor, inproc, scan, scan_empty, startup = [], [], [], [], []
        for run in range(args.runs):
            floor.append(floor_run(jsonl))
            inproc.append(score_many_run(detector, texts))
            scan.append(run_child(scan_argv(jsonl, args.model)))
            scan_empty.append(run_child(scan_argv(empty, args.model)))
            startup.append(startup_times(args.model))
            print(f"  run {run + 1}: floor {floor[-1][0]:.2f} s, score_many {inproc[-1][0]:.2f} s, "
                  f"scan {scan[-1]['wall']:.2f} s (startup {scan_empty[-1]['wall']:.2f} s)", flush=True)
        vocabulary = None
        if args.vocabulary_docs:
            made_up = Path(tmp) / "made-up.jsonl"
            distinct = write_made_up_vocabulary(made_up, args.vocabulary_docs, args.seed)
            vocabulary = (distinct, run_child(scan_argv(made_up, args.model)))
            print(f"  made-up vocabulary: {args.vocabulary_docs} documents, {distinct:,} distinct words, "
                  f"scan {vocabulary[1]['wall']:.1f} s, peak RSS {vocabulary[1]['rss_mb']:.0f} MB", flush=True)

    floor_wall, floor_cpu = median([f[0] for f in floor]), median([f[1] for f in floor])
    in_wall, in_cpu = median([r[0] for r in inproc]), median([r[1] for r in inproc])
    scan_wall, scan_cpu = median([s["wall"] for s in scan]), median([s["cpu"] for s in scan])
    empty_wall, empty_cpu = median([s["wall"] for s in scan_empty]), median([s["cpu"] for s in scan_empty])
    steady_wall, steady_cpu = scan_wall - empty_wall, scan_cpu - empty_cpu

    def rate(seconds):
        return f"{n / seconds:,.0f} docs/s, {megabytes / seconds:.2f} MB/s"

    rows = [
        ("floor: read JSONL + wordfreq.tokenize", rate(floor_wall)),
        ("Detector.score_many (in process)", rate(in_wall)),
        ("detector scan --jsonl (subprocess, whole run)", rate(scan_wall)),
        ("detector scan --jsonl, less startup", rate(steady_wall)),
        ("score_many / floor (wall)", f"{in_wall / floor_wall:.2f}x"),
        ("score_many / floor (CPU)", f"{in_cpu / floor_cpu:.2f}x"),
        # Runs after the first score texts whose words the per-word caches (document.WordCache)
        # already hold, so the median above is a warm figure; the first run met most words new.
        # The scan rows, a fresh process each run, are the figure the target is measured on.
        ("score_many / floor, first run only (CPU; words new to the caches)",
         f"{inproc[0][1] / floor[0][1]:.2f}x"),
        ("scan less startup / floor (wall)", f"{steady_wall / floor_wall:.2f}x"),
        ("scan less startup / floor (CPU)", f"{steady_cpu / floor_cpu:.2f}x"),
        ("per document: floor / score_many", f"{1e3 * floor_wall / n:.3f} ms / {1e3 * in_wall / n:.3f} ms"),
        ("scan peak RSS", f"{median([s['rss_mb'] for s in scan]):.0f} MB"),
    ] + ([(f"scan peak RSS, {args.vocabulary_docs} documents of {vocabulary[0]:,} distinct words "
            "(caches full)", f"{vocabulary[1]['rss_mb']:.0f} MB")] if vocabulary else []) + [
        ("scan startup (a one-document file)", f"{empty_wall:.2f} s"),
        ("import + model load (fresh process)", f"{median([s['load'] for s in startup]):.2f} s"),
        ("first document after load (wordfreq list)", f"{median([s['first'] for s in startup]):.2f} s"),
        ("model file size", f"{(args.model or default_model_path()).stat().st_size / 1e6:.1f} MB"),
    ]
    print()
    print(table(rows, "throughput"))

    pool = [t for _, t in corpus_sample.sample(2000, args.seed + 1, args.corpus)]
    size_rows, base = [], None
    for size in SIZES:
        if size in args.skip_sizes:
            continue
        # At least 200 KB of text per row (200 documents of 1 KB, ..., one of 1 MB), each
        # document different (a cache or dedup shortcut must not flatter long documents).
        count = max(1, 200_000 // size)
        texts_of_size = [corpus_sample.concatenated(pool[(i * 37) % len(pool):] + pool, size) for i in range(count)]
        kb = count * size / 1e3
        timings = [size_run(detector, texts_of_size) for _ in range(args.runs)]
        full_kb = 1e3 * median([t[0] for t in timings]) / kb
        features_kb = 1e3 * median([t[1] for t in timings]) / kb
        base = base or features_kb
        size_rows.append((f"{size // 1000:,} KB documents (x{count})",
                          f"features {features_kb:.3f} ms/KB ({features_kb / base:.2f}x the 1 KB cost); "
                          f"with the model {full_kb:.3f} ms/KB"))
    over = MAX_DOCUMENT_BYTES + 500_000
    refused_s, message = refuse_run(detector, over)
    size_rows.append((f"{over / 1e6:.1f} MB document (over the limit)", f"{1e3 * refused_s:.1f} ms: {message}"))
    print()
    print(table(size_rows, "cost per KB by document size"))

    profile_texts = texts[: args.profile_docs]
    runs = [profile_run(detector, profile_texts) for _ in range(args.runs)]
    steps = {name: median([r[name] for r in runs]) for name in runs[0]}
    per_doc = {name: 1e3 * s / len(profile_texts) for name, s in steps.items()}
    total = sum(per_doc.values())
    groups: dict[str, float] = defaultdict(float)
    for name, ms in per_doc.items():
        groups[name.split(":")[0]] += ms
    print()
    print(f"profile over {len(profile_texts)} documents: {total:.3f} ms/doc in the steps below")
    print(table([(g, f"{ms:.3f} ms/doc ({100 * ms / total:.0f}%)")
                 for g, ms in sorted(groups.items(), key=lambda kv: -kv[1])], "step or feature family"))
    ranked = sorted(per_doc.items(), key=lambda kv: -kv[1])
    print()
    print(table([(name, f"{ms:.3f} ms/doc ({100 * ms / total:.0f}%)") for name, ms in ranked[: args.top]],
                "slowest single steps"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
