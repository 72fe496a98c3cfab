"""A deterministic sample of corpus documents for the filter's benchmark and zoo scripts."""
from __future__ import annotations

import gzip
import json
from itertools import islice
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def corpus_sample(corpus: Path, n: int) -> list[dict]:
    """n documents, taken round-robin from every corpus file (first lines of each), so every
    source and label is represented; deterministic."""
    files = sorted(corpus.glob("*.jsonl.gz"))
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
