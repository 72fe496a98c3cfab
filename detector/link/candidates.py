"""Candidate groups: which documents might tell the same story, found without comparing all pairs.

Each document's story keys (fingerprint.py) are cut into windows; each window gets a MinHash
signature (datasketch), and signatures are banded as in MinHash LSH: two windows that agree on
every row of some band land in the same bucket and make their documents a candidate pair. Cost
is linear in the number of windows, plus the pairs the buckets produce.

Why windows: a model rewrite of a 30,000-character article often covers only its first pages.
The whole-document Jaccard of such a pair is under 0.1 and would never collide, but the rewrite
shares most of its keys with the original's first window.

Why banding is done here and not in datasketch.MinHashLSH: the MinHashLSH in-memory index keeps a
Python set per bucket (about 200 bytes each), which at one million documents times BANDS bands
is several GB. Sorting one uint64 column per band finds the same collisions in numpy memory
(8 bytes per window per band). The signatures are datasketch's (MinHash.generator); the
banding is MinHashLSH's scheme (BANDS bands of ROWS rows), done with numpy sorts.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

try:
    from datasketch import MinHash
except ImportError as exc:  # a dependency missing from a broken install: say exactly what to do
    raise ImportError("detector.link needs datasketch, a dependency of detector: pip install "
                      "'datasketch>=1.6' (or reinstall detector)") from exc

# Bands x rows = MinHash permutations per window. A pair of windows with Jaccard j collides with
# probability 1 - (1 - j^3)^BANDS: with 64 bands of 3 rows, 0.19 at j = 0.15, 0.40 at 0.2,
# 0.82 at 0.3, 0.98 at 0.4, and 0.008 at j = 0.05 (the 99th percentile of different-story
# pairs on the corpus test split). 2 rows collided so often by chance that the number of
# candidate pairs grew as N^2 (50,000 for 3,000 documents); pairs that LSH misses are
# recovered inside their group (relate.py), where the rest of the story's versions are.
BANDS, ROWS = 64, 3
NUM_PERM = BANDS * ROWS
# Story keys per window, and the step between window starts (windows overlap by half, so a
# rewrite of any passage meets one window that contains most of it). 150 keys is roughly a
# 400-word news story (about one story key in three words). Chosen, not tuned.
WINDOW, STEP = 150, 75
# Windows indexed per document: 12 windows cover ~1,000 story words (~2,500 words) from the top.
# A derivative of a text's tail beyond that is not found; the cap keeps cost linear in documents
# rather than in bytes.
MAX_WINDOWS = 12
# A bucket holding more windows than this is a key combination many texts share (boilerplate,
# a tag list); its pairs say nothing about stories and would make the cost quadratic. Dropped.
MAX_BUCKET = 50
SEED = 1


def windows(keys: np.ndarray) -> list[np.ndarray]:
    """Overlapping windows of a document's key sequence (hashes in text order), de-duplicated."""
    if len(keys) <= WINDOW:
        return [np.unique(keys)] if len(keys) else []
    out = []
    for start in range(0, len(keys) - STEP, STEP):
        out.append(np.unique(keys[start : start + WINDOW]))
        if len(out) >= MAX_WINDOWS:
            break
    return out


def signatures(key_sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures of every window: (signature matrix windows x NUM_PERM, owner doc index)."""
    owners: list[int] = []
    sets: list[np.ndarray] = []
    for doc, keys in enumerate(key_sequences):
        for w in windows(keys):
            owners.append(doc)
            sets.append(w)
    sig = np.empty((len(sets), NUM_PERM), dtype=np.uint64)
    # Keys are already 32-bit hashes: the identity hash function skips datasketch's sha1 step.
    for i, m in enumerate(MinHash.generator((s.tolist() for s in sets), num_perm=NUM_PERM,
                                            seed=SEED, hashfunc=_identity)):
        sig[i] = m.hashvalues
    return sig, np.asarray(owners, dtype=np.int64)


def _identity(value: int) -> int:
    return value


def candidate_pairs(sig: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Distinct document pairs (i < j) whose windows share a bucket in at least one band."""
    found: list[np.ndarray] = []
    if not len(sig):
        return np.empty((0, 2), dtype=np.int64)
    for band in range(BANDS):
        rows = sig[:, band * ROWS : (band + 1) * ROWS]
        # One 64-bit bucket id per window: the band's rows mixed by a fixed odd multiplier.
        bucket = rows[:, 0].copy()
        for r in range(1, ROWS):
            bucket = bucket * np.uint64(0x9E3779B97F4A7C15) + rows[:, r]
        found.append(_pairs_in_buckets(bucket, owners))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    if not len(pairs):
        return pairs.reshape(0, 2)
    return np.unique(pairs, axis=0)


def _pairs_in_buckets(bucket: np.ndarray, owners: np.ndarray) -> np.ndarray:
    order = np.argsort(bucket, kind="stable")
    b = bucket[order]
    cuts = np.flatnonzero(np.diff(b)) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [len(b)]))
    out: list[tuple[int, int]] = []
    for s, e in zip(starts[(ends - starts) > 1], ends[(ends - starts) > 1]):
        if e - s > MAX_BUCKET:
            continue
        docs = np.unique(owners[order[s:e]])
        for x in range(len(docs)):
            for y in range(x + 1, len(docs)):
                out.append((int(docs[x]), int(docs[y])))
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


def iter_groups(n: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected components (size >= 2) of the pair graph: the candidate groups."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


# Second channel: documents that share several *rare* keys. A rewrite keeps the names and the
# unusual words of its source ("Leodegar Tenga", "Geithner") even when it rewords every
# sentence; two different stories rarely share three such keys. A key is rare when at most
# RARE_MAX_DOCS documents of the batch have it, so each key yields at most
# RARE_MAX_DOCS * (RARE_MAX_DOCS - 1) / 2 pairs and the cost stays linear in the batch.
# "Rare" must leave room for every version of one story: a story's own names are held by all
# its versions, and a batch can hold many (llmfake stories of the test split have up to 21
# versions; 50 of its 257 stories have 7 or more). At 8, the names of such a story were never
# rare, and its short rewrites of long originals (whose window Jaccard is under 0.1: 30 story
# keys against a window of 150) were found by neither channel. Raised to 32 (test split news
# batch): recall A 0.705 -> 0.742 (llmfake 0.625 -> 0.657, sheepdog 0.754 -> 0.810), precision
# 0.965 -> 0.961 (0.991 both without the unrecorded derivations of docs/linking.md); train
# split, 2,500 documents: recall A 0.816 -> 0.872, precision 0.984 both. 64 added 13 pairs
# more and cost 0.004 precision; the pairs a key yields grow with its square. (Figures with the
# model of commit d4511e0; docs/linking.md has them with the current model.)
RARE_MAX_DOCS = 32
# Pairs need this many shared rare keys. On the corpus test split news batch LSH alone paired
# 194 of 289 sheepdog (original, rewrite) pairs and 280 of 507 llmfake ones; adding this channel
# (with RARE_MAX_DOCS = 8) raised linked (original, derivative) pairs from 0.480 to 0.494
# (sheepdog 0.561 -> 0.585) with precision unchanged (0.968): the pairs it adds that are
# unrelated fail the checks in relate.py.
MIN_SHARED_RARE = 3


def rare_key_pairs(key_sets: Sequence[np.ndarray]) -> np.ndarray:
    """Distinct document pairs (i < j) sharing at least MIN_SHARED_RARE rare keys."""
    if not key_sets:
        return np.empty((0, 2), dtype=np.int64)
    docs = np.concatenate([np.full(len(k), i, dtype=np.int64) for i, k in enumerate(key_sets)])
    keys = np.concatenate(key_sets) if docs.size else np.empty(0, dtype=np.uint32)
    if not keys.size:
        return np.empty((0, 2), dtype=np.int64)
    order = np.lexsort((docs, keys))
    keys, docs = keys[order], docs[order]
    cuts = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate(([0], cuts))
    sizes = np.diff(np.concatenate((starts, [len(keys)])))
    codes = []
    n = len(key_sets)
    for size in range(2, RARE_MAX_DOCS + 1):
        group_starts = starts[sizes == size]
        if not len(group_starts):
            continue
        members = docs[group_starts[:, None] + np.arange(size)[None, :]]  # (groups, size), sorted
        ii, jj = np.triu_indices(size, k=1)
        codes.append((members[:, ii] * n + members[:, jj]).ravel())
    if not codes:
        return np.empty((0, 2), dtype=np.int64)
    uniq, counts = np.unique(np.concatenate(codes), return_counts=True)
    keep = uniq[counts >= MIN_SHARED_RARE]
    return np.stack((keep // n, keep % n), axis=1)
