"""The detector as a datatrove pipeline step: `pip install "detector[datatrove]"`.

datatrove runs the same pipeline on one machine (LocalPipelineExecutor), on Slurm
(SlurmPipelineExecutor) or on Ray (RayPipelineExecutor); this step scales with it:

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from detector.datatrove_filter import DetectorFilter

    LocalPipelineExecutor(pipeline=[
        JsonlReader("shards/"),
        DetectorFilter(keep_labels=("original",), exclusion_writer=JsonlWriter("out/rejected")),
        JsonlWriter("out/accepted"),
    ], tasks=4, workers=4, logging_dir="out/logs").run()

Following datatrove's filter conventions: a BaseFilter subclass; thresholds are named constructor
arguments; `filter` returns True to keep or (False, reason) to drop; reasons are stable slugs with
the filter family as prefix, as in `gopher_short_doc`: here `detector_` + the routing reason
(`detector_label_ai_generated`, `detector_too_short`, `detector_not_english`, `detector_low_score`,
`detector_error_binary`...). The drop counts appear in datatrove's stats as `dropped_<reason>`.

Every document, kept or dropped, gets `metadata["detector"]`: the decision, reason, label, scores,
flags and error (the manifest line's shape), so a dropped document written by the exclusion
writer says why, and with `annotate_only=True` nothing is dropped and a later step can decide.

The model is loaded on first use inside the worker, not in __init__: executors pickle the
pipeline to ship it to Slurm or Ray workers, and a loaded model should not travel that way.
"""
from __future__ import annotations

from typing import Any, Sequence

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from detector.routing import (ACCEPTED, DEFAULT_KEEP_LABELS, DEFAULT_MIN_SCORE, DEFAULT_REJECT_FLAGS,
                              ERROR, Policy, route)

REASON_PREFIX = "detector_"
# Documents scored per model call: the model's per-call overhead is paid once per batch.
DEFAULT_BATCH_SIZE = 64


def reason_slug(decision: str, reason: str | None) -> str | None:
    """detector_<reason>; errors say so (detector_error_binary), since datatrove has no error state."""
    if reason is None:
        return None
    return f"{REASON_PREFIX}{'error_' if decision == ERROR else ''}{reason}"


class DetectorFilter(BaseFilter):
    """Keep documents the detector labels as kept labels (default: original); drop the rest with a
    stable reason, or only annotate them (annotate_only=True)."""

    name = "🔎 Detector"

    def __init__(self, keep_labels: Sequence[str] = DEFAULT_KEEP_LABELS,
                 min_score: float = DEFAULT_MIN_SCORE,
                 reject_flags: Sequence[str] = DEFAULT_REJECT_FLAGS,
                 annotate_only: bool = False, model_path: str | None = None,
                 exclusion_writer: DiskWriter | None = None, batch_size: int = DEFAULT_BATCH_SIZE):
        """
        Args:
            keep_labels: labels to keep (original, paraphrased, machine_translated, ai_generated)
            min_score: the kept label's score must be at least this
            reject_flags: quality flags that drop a document whatever its label
            annotate_only: add metadata["detector"] to every document and drop none
            model_path: a model file (default: the bundled model); load only files you trust
            exclusion_writer: where dropped documents go, with metadata["filter_reason"]
            batch_size: documents scored per model call
        """
        super().__init__(exclusion_writer, batch_size=batch_size)
        self.policy = Policy(keep_labels=tuple(keep_labels), min_score=min_score,
                             reject_flags=tuple(reject_flags))
        self.annotate_only = annotate_only
        self.model_path = model_path
        self._detector = None
        self._limits = None

    @property
    def detector(self):
        if self._detector is None:
            from detector.workers import load_detector, one_thread

            # datatrove parallelises with tasks, one process each: one native thread per process
            # keeps N tasks on N cores from oversubscribing them (see workers.one_thread).
            self._detector = load_detector(self.model_path)  # once per process, not per task
            self._limits = one_thread()
        return self._detector

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_detector"] = state["_limits"] = None  # each worker process loads its own
        return state

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        verdicts = self.detector.score_many([doc.text for doc in batch], ids=[doc.id for doc in batch])
        results: list[bool | tuple[bool, str]] = []
        for doc, verdict in zip(batch, verdicts):
            data = verdict.to_dict()
            decision = route(data, self.policy)
            doc.metadata["detector"] = {
                "decision": decision.decision, "reason": decision.reason, "label": data["label"],
                "scores": data["scores"], "flags": data["flags"], "error": data["error"]}
            if decision.decision == ACCEPTED or self.annotate_only:
                results.append(True)
            else:
                results.append((False, reason_slug(decision.decision, decision.reason)))
        return results
