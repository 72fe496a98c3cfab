"""The labelled corpus (../shared/corpus): reading, label mapping, story splits, feature cache."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path
from typing import Iterator

import numpy as np

from detector.model import sha256_of

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
CACHE_DIR = Path(__file__).resolve().parent / "cache"
# Labelled documents this project made itself (training/data/README.md), read beside the
# corpus: text from generators the corpus lacks. Same format and split as the corpus files.
PROJECT_DATA = Path(__file__).resolve().parent / "data"

# human_translated is not a label of its own: a professional translation is original writing
# (contract.md). It is kept apart as `kind` so evaluations can single it out.
LABEL_OF = {"human_translated": "original"}


@dataclass(frozen=True)
class Record:
    id: str
    text: str
    label: str  # one of the four labels
    kind: str  # the corpus label (human_translated kept)
    source: str
    generator: str
    story: str
    domain: str


def is_test_story(story: str) -> bool:
    """The corpus README's test split: about 20% of stories, by a hash anyone can recompute."""
    return int(hashlib.sha256(story.encode("utf-8")).hexdigest(), 16) % 10 < 2


def corpus_files(corpus: Path) -> list[Path]:
    files = sorted(corpus.glob("*.jsonl.gz"))
    if not files:
        raise FileNotFoundError(f"no *.jsonl.gz files in {corpus}: pass --corpus PATH/TO/shared/corpus")
    return files


# Held-out documents from outside the corpus (training/probe/README.md): never trained on,
# measured by training.train into the card and checked by tests/test_project_data.py.
PROBE = Path(__file__).resolve().parent / "probe"


def read_probe(directory: Path = PROBE) -> list[Record]:
    """The held-out probe: plain JSONL files with `id`, `text`, `label`, `generator`."""
    records = []
    for path in sorted(directory.glob("*.jsonl")):
        for raw in iter_jsonl(path):
            records.append(Record(id=raw["id"], text=raw["text"], label=raw["label"],
                                  kind=raw["label"], source=f"probe:{path.stem}",
                                  generator=raw.get("generator", ""), story=raw["id"],
                                  domain=raw.get("domain", "news")))
    return records


def project_data_files() -> list[Path]:
    return sorted(PROJECT_DATA.glob("*.jsonl.gz"))


def read_corpus(corpus: Path = DEFAULT_CORPUS, project_data: bool = True) -> list[Record]:
    """The corpus's documents, then (unless project_data is False) the project's own."""
    records = []
    for path in corpus_files(corpus) + (project_data_files() if project_data else []):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                raw = json.loads(line)
                kind = raw["label"]
                records.append(Record(
                    id=raw["id"], text=raw["text"], label=LABEL_OF.get(kind, kind), kind=kind,
                    source=raw.get("source", ""), generator=raw.get("generator", ""),
                    story=raw.get("story", raw["id"]), domain=raw.get("domain", ""),
                ))
    return records


def corpus_fingerprint(corpus: Path) -> dict[str, dict]:
    """Per file: size and sha256, recorded in the model card."""
    out = {}
    for path in corpus_files(corpus):
        out[path.name] = {"bytes": path.stat().st_size, "sha256": sha256_of(path)}
    return out


def project_data_fingerprint() -> dict[str, dict]:
    """The same for training/data/, recorded in the model card beside the corpus's files."""
    return {path.name: {"bytes": path.stat().st_size, "sha256": sha256_of(path)}
            for path in project_data_files()}


_DETECTOR = Path(__file__).resolve().parent.parent / "detector"


def _fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(_DETECTOR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def code_fingerprint() -> str:
    """Hash of what feature values depend on (document parsing, features, lexicons): the feature
    cache is valid while it is unchanged."""
    return _fingerprint([_DETECTOR / "document.py", _DETECTOR / "lexicon.py",
                         *(_DETECTOR / "features").glob("*.py"), *(_DETECTOR / "lexicons").glob("*")])


def ngram_fingerprint() -> str:
    """Hash of what the learned n-grams depend on (parsing, learned.py, the lexicons it reads)."""
    lexicons = ("abbreviations.txt", "function_words.txt", "rewrite_register.txt", "reporting_verbs.txt")
    return _fingerprint([_DETECTOR / "document.py", _DETECTOR / "lexicon.py", _DETECTOR / "learned.py",
                         *(_DETECTOR / "lexicons" / name for name in lexicons)])


def _texts_digest(texts: list[str]) -> str:
    """Short hash of a list of texts: part of every cache file's name."""
    digest = hashlib.sha256()
    for t in texts:
        digest.update(hashlib.sha1(t.encode("utf-8")).digest())
    return digest.hexdigest()[:12]


def _map_chunks(function, texts: list[str], jobs: int | None, chunk: int) -> list:
    """function(list of texts) -> list, over chunks of texts and `jobs` processes, order kept."""
    jobs = jobs or os.cpu_count() or 1
    chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
    if jobs == 1 or len(chunks) <= 1:
        return [item for c in chunks for item in function(c)]
    with get_context("fork").Pool(jobs) as pool:
        return [item for part in pool.imap(function, chunks) for item in part]


def _vectors(texts: list[str]) -> list[list[float]]:
    from detector.document import Document
    from detector.features import extract

    return [[f.value for f in extract(Document.from_text(t))] for t in texts]


def feature_matrix(texts: list[str], jobs: int | None = None, chunk: int = 500) -> np.ndarray:
    """Features of many texts with the package's own extract(), over `jobs` processes."""
    return np.array(_map_chunks(_vectors, texts, jobs, chunk), dtype=np.float64)


def cached_features(name: str, texts: list[str], jobs: int | None = None) -> np.ndarray:
    """feature_matrix, cached on disk under training/cache/ keyed by code and input."""
    path = CACHE_DIR / f"{name}-{code_fingerprint()}-{_texts_digest(texts)}.npy"
    if path.exists():
        return np.load(path)
    matrix = feature_matrix(texts, jobs=jobs)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, matrix)
    os.replace(tmp, path)
    return matrix


def _ngrams(texts: list[str]) -> list:
    from detector.document import Document
    from detector.learned import hashed_row

    return [hashed_row(Document.from_text(t)) for t in texts]


def ngram_matrix(texts: list[str], jobs: int | None = None, chunk: int = 500):
    """Hashed shape n-grams (detector.learned) of many texts, as a sparse matrix."""
    from detector.learned import ngram_matrix as to_matrix

    return to_matrix(_map_chunks(_ngrams, texts, jobs, chunk))


def _ngram_cache_path(name: str, texts: list[str]) -> Path:
    return CACHE_DIR / f"{name}-ngrams-{ngram_fingerprint()}-{_texts_digest(texts)}.npz"


def cached_ngrams(name: str, texts: list[str], jobs: int | None = None):
    """ngram_matrix, cached on disk under training/cache/ keyed by code and input."""
    import scipy.sparse as sp

    path = _ngram_cache_path(name, texts)
    if path.exists():
        return sp.load_npz(path).tocsr()
    matrix = ngram_matrix(texts, jobs=jobs).tocsr()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    sp.save_npz(tmp, matrix)
    os.replace(tmp, path)
    return matrix


@lru_cache(maxsize=2)
def _corpus_ngrams(corpus: Path):
    """The whole corpus's n-gram rows, if train.py has cached them, and an index by text hash."""
    import scipy.sparse as sp

    texts = [r.text for r in read_corpus(corpus)]
    path = _ngram_cache_path("corpus", texts)
    if not path.exists():
        raise FileNotFoundError(path)
    matrix = sp.load_npz(path).tocsr()
    return matrix, {hashlib.sha1(t.encode("utf-8")).digest(): i for i, t in enumerate(texts)}


def ngram_rows(texts: list[str], corpus: Path = DEFAULT_CORPUS, cache_name: str | None = None):
    """N-gram rows of these texts: corpus texts from the whole-corpus cache when train.py made
    it, others computed (and cached under `cache_name` when given)."""
    import scipy.sparse as sp

    # A glob first: reading the corpus to find out that no cache exists costs seconds.
    if not (CACHE_DIR.exists() and any(CACHE_DIR.glob(f"corpus-ngrams-{ngram_fingerprint()}-*.npz"))):
        return cached_ngrams(cache_name, texts) if cache_name else ngram_matrix(texts).tocsr()
    try:
        matrix, index = _corpus_ngrams(corpus)
    except FileNotFoundError:
        return ngram_matrix(texts).tocsr()
    rows = [index.get(hashlib.sha1(t.encode("utf-8")).digest()) for t in texts]
    missing = [i for i, r in enumerate(rows) if r is None]
    if not missing:
        return matrix[rows]
    computed = iter(ngram_matrix([texts[i] for i in missing]).tocsr())
    return sp.vstack([next(computed) if r is None else matrix[r] for r in rows]).tocsr()


def split(records: list[Record]) -> tuple[list[int], list[int]]:
    """Indices of (train, test) records by the README's story hash."""
    train, test = [], []
    for i, r in enumerate(records):
        (test if is_test_story(r.story) else train).append(i)
    return train, test


def iter_jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
