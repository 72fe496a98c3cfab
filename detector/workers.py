"""Scoring for the filter: in this process (--jobs 1) or in N worker processes (--jobs N).

Each worker loads the model once. Workers start from a forkserver (spawn where there is none): a
clean process that has imported detector but never run the model, so they inherit no OpenMP or
BLAS thread state (forking a process that has used OpenMP can hang the child). Each process runs
native code on one thread: parallelism comes from processes.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from typing import Any, Sequence

from detector import scored
from detector.api import Detector
from detector.model import ModelError


class WorkerDied(RuntimeError):
    """A worker process died mid-run; finished units are saved and a rerun resumes."""


def load_detector(model: str | None = None) -> Detector:
    """A Detector, loaded once per process and model file: loading takes seconds, and a pipeline
    (or a test session) calls the filter many times."""
    return _cached_detector(model)


@lru_cache(maxsize=2)
def _cached_detector(model: str | None) -> Detector:  # one cache key per model, however called
    return Detector.load(model)


def score_pairs(detector: Detector, pairs: Sequence[tuple[str, Any]],
                for_linking: bool = False) -> list[dict[str, Any]]:
    """Verdict dicts for (id, payload) pairs; payload is bytes, str or an exception. For linking,
    in the saved form of detector/scored.py: full-precision scores and the scored text."""
    if for_linking:
        return [scored.stored(v) for v in detector.iter_scores(pairs)]
    return [v.to_dict() for v in detector.iter_scores(pairs)]


def one_thread() -> Any:
    """Limit native thread pools (OpenMP in the model, BLAS) to one thread per process: parallelism
    comes from processes, and N processes each spinning up N OpenMP threads on N cores run many
    times slower than N single-threaded ones (measured: 7.5 s vs 1.3 s for one prediction on a busy
    2-core machine)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


class Ready:
    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


class LocalScorer:
    """--jobs 1: score in this process; the model is loaded on first use."""

    def __init__(self, model: str | None, for_linking: bool = False):
        self.model = model
        self.for_linking = for_linking
        self.detector: Detector | None = None
        self._limits = None

    def submit(self, pairs) -> Ready:
        if self.detector is None:
            self.detector = load_detector(self.model)
            self._limits = one_thread()  # after loading: the model brings the OpenMP library in
        return Ready(score_pairs(self.detector, pairs, self.for_linking))

    def close(self) -> None:
        if self._limits is not None:
            self._limits.restore_original_limits()


_WORKER: dict[str, Any] = {}


def _worker_init(model: str | None, main_pid: int) -> None:
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    threading.Thread(target=_exit_with_parent, args=(main_pid, os.getppid()), daemon=True).start()
    try:
        _WORKER["detector"] = load_detector(model)
    except ModelError as exc:  # reported with the first task; raising here would break the pool
        _WORKER["error"] = str(exc)
    _WORKER["limits"] = one_thread()  # after loading: the model brings the OpenMP library in


def _exit_with_parent(main_pid: int, parent_pid: int) -> None:
    """If the filter's process dies (kill -9), exit too. A pool worker blocked on its task queue
    would otherwise wait forever: it holds a copy of the queue's write end, so it never sees EOF."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(main_pid, 0)
            alive = os.getppid() == parent_pid  # with forkserver the parent is the server, which
        except ProcessLookupError:  # exits when the filter's process does
            alive = False
        if not alive:
            os._exit(1)


def _worker_score(pairs, for_linking: bool) -> list[dict[str, Any]]:
    if "error" in _WORKER:
        raise ModelError(_WORKER["error"])
    return score_pairs(_WORKER["detector"], pairs, for_linking)


class PoolScorer:
    """--jobs N: N worker processes, each loading the model once."""

    def __init__(self, jobs: int, model: str | None, for_linking: bool = False):
        self.for_linking = for_linking
        methods = multiprocessing.get_all_start_methods()
        # forkserver: workers start from a clean process that has imported detector but never run
        # the model, so they inherit no OpenMP or BLAS thread state (forking a process that has
        # used OpenMP can hang the child). spawn where forkserver does not exist.
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods:
            context.set_forkserver_preload(["detector.api"])
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                        initializer=_worker_init, initargs=(model, os.getpid()))

    def submit(self, pairs) -> Future:
        return self.pool.submit(_worker_score, pairs, self.for_linking)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
