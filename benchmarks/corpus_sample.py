"""Documents for benchmarks and the equivalence check: a seeded sample of ../shared/corpus.

Read straight from the corpus files (never copied into the repo), so the benchmark does not
depend on training/ and anyone with the corpus gets the same documents for the same seed.
"""
from __future__ import annotations

import gzip
import json
import random
from itertools import islice
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
SAMPLES = REPO / "samples"
DEFAULT_SEED = 20261122


def corpus_texts(corpus: Path = DEFAULT_CORPUS) -> list[tuple[str, str]]:
    """(id, text) of every corpus document, in file order."""
    files = sorted(Path(corpus).glob("*.jsonl.gz"))
    if not files:
        raise SystemExit(f"no *.jsonl.gz files in {corpus}: pass --corpus PATH/TO/shared/corpus")
    out = []
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                out.append((record["id"], record["text"]))
    return out


def sample(n: int, seed: int = DEFAULT_SEED, corpus: Path = DEFAULT_CORPUS) -> list[tuple[str, str]]:
    """n corpus documents drawn without replacement with a fixed seed (all of them if n is larger)."""
    texts = corpus_texts(corpus)
    if n >= len(texts):
        return texts
    return random.Random(seed).sample(texts, n)


def sample_files() -> list[tuple[str, str]]:
    """The README's sample documents (samples/*.txt)."""
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SAMPLES.glob("*.txt"))]


def concatenated(texts: list[str], size_bytes: int) -> str:
    """One document of about size_bytes (UTF-8) made by joining corpus texts as paragraphs.

    Real text rather than one repeated document, so a cache or dedup shortcut cannot flatter
    the per-KB cost of long documents; cycles through `texts` if they run out.
    """
    parts, size, i = [], 0, 0
    while size < size_bytes:
        t = texts[i % len(texts)]
        parts.append(t)
        size += len(t.encode("utf-8")) + 2
        i += 1
    text = "\n\n".join(parts)
    data = text.encode("utf-8")[:size_bytes]
    return data.decode("utf-8", "ignore")


def corpus_sample(corpus: Path, n: int) -> list[dict]:
    """n whole records, taken round-robin from every corpus file (the first lines of each), so
    every source and label is represented; deterministic. Used by the filter's scripts."""
    files = sorted(Path(corpus).glob("*.jsonl.gz"))
    if not files:
        raise SystemExit(f"no corpus files in {corpus}: pass --corpus")
    per_file = -(-n // len(files))
    pools = []
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            pools.append([json.loads(line) for line in islice(handle, per_file)])
    out: list[dict] = []
    for i in range(per_file):
        for pool in pools:
            if i < len(pool) and len(out) < n:
                out.append(pool[i])
    return out
