"""Routing: from a verdict to a decision (accepted / rejected / error) and a stable reason slug.

One policy, used by every filter front end (`detector filter`, `detector.ingest.filter_texts`,
the datatrove step), so a document gets the same decision wherever it is filtered.

Reasons are stable slugs, as datatrove's filters name theirs (`gopher_short_doc`): pipelines count
and grep them, so they change only on purpose. The rules are applied in this order and the first
that fires names the reason:

1. the verdict has an error: `not_english` is a *rejection* when the policy rejects that flag
   (the detector read the text and judged it); every other error is decision `error`, with a
   reason slug naming the kind of failure (ERROR_REASONS);
2. a rejecting flag is raised: the reason is the flag itself (`too_short`, `boilerplate_only`, ...);
3. the label is not one the policy keeps: `label_<label>` (`label_ai_generated`);
4. the winning label's score is below the minimum: `low_score`;
5. otherwise accepted, reason null.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from detector.flags import FLAG_DESCRIPTIONS
from detector.verdict import LABELS

ACCEPTED, REJECTED, ERROR = "accepted", "rejected", "error"
DECISIONS: tuple[str, ...] = (ACCEPTED, REJECTED, ERROR)

# Flags a policy may reject on: the quality flags plus not_english, which the scoring path raises
# on the verdict of a text it refuses to label.
NOT_ENGLISH = "not_english"
KNOWN_FLAGS: tuple[str, ...] = (NOT_ENGLISH, *FLAG_DESCRIPTIONS)

# Defaults, chosen for "keep human-written English news":
# - keep `original` only: the other three labels are what a pre-ingest filter is asked to catch;
# - a minimum score of 0.5: with four labels the winning one can hold as little as 0.26; below
#   0.5 the model thinks "not original" is likelier than "original", too unsure to ingest;
# - reject not_english, too_short (under 50 words the verdict is a guess) and boilerplate_only
#   (page furniture, no article). Other flags (markdown, html_remnant...) are kept but recorded.
DEFAULT_KEEP_LABELS: tuple[str, ...] = ("original",)
DEFAULT_MIN_SCORE = 0.5
DEFAULT_REJECT_FLAGS: tuple[str, ...] = (NOT_ENGLISH, "too_short", "boilerplate_only")

# Error message prefix (as written by detector.api.prepare and detector.ingest's readers) -> slug.
# First match wins; order from most to least specific. tests/test_routing.py feeds each real
# failure through the pipeline, so a reworded message shows up as a failing test, not a silent
# `unscorable`.
ERROR_REASONS: tuple[tuple[str, str], ...] = (
    ("no such file", "no_such_file"),
    ("permission denied", "permission_denied"),
    ("is a directory", "is_a_directory"),
    ("symlink loop", "symlink_loop"),
    ("symlink to a folder", "symlinked_folder"),
    ("not a regular file", "not_a_regular_file"),
    ("cannot list folder", "unlistable_folder"),
    ("cannot read", "read_failed"),
    ("cannot copy", "copy_failed"),
    ("document too large", "too_large"),
    ("binary data", "binary"),
    ("not valid", "undecodable"),  # "not valid UTF-8 or any detected encoding", "not valid utf-16: ..."
    ("empty document", "empty"),
    ("no words", "no_words"),
    ("not english", NOT_ENGLISH),
    ("line ", "invalid_json"),  # "line 7 is not valid JSON" / "line 7 is not a JSON object"
    ('record has no "text"', "no_text"),
)
FALLBACK_ERROR_REASON = "unscorable"


def error_reason(message: str) -> str:
    """The stable slug for an error message."""
    lower = message.lower()
    for prefix, slug in ERROR_REASONS:
        if lower.startswith(prefix):
            return slug
    return FALLBACK_ERROR_REASON


@dataclass(frozen=True)
class Policy:
    """What to keep. Labels must be among LABELS, flags among KNOWN_FLAGS."""

    keep_labels: tuple[str, ...] = DEFAULT_KEEP_LABELS
    min_score: float = DEFAULT_MIN_SCORE
    reject_flags: tuple[str, ...] = field(default=DEFAULT_REJECT_FLAGS)

    def __post_init__(self):
        # Accept lists from callers but store tuples, so a Policy is hashable and comparable.
        object.__setattr__(self, "keep_labels", tuple(self.keep_labels))
        object.__setattr__(self, "reject_flags", tuple(self.reject_flags))
        unknown = [label for label in self.keep_labels if label not in LABELS]
        if unknown:
            raise ValueError(f"unknown label(s) {', '.join(unknown)}; choose from {', '.join(LABELS)}")
        if not self.keep_labels:
            raise ValueError("keep at least one label")
        unknown = [flag for flag in self.reject_flags if flag not in KNOWN_FLAGS]
        if unknown:
            raise ValueError(f"unknown flag(s) {', '.join(unknown)}; choose from {', '.join(KNOWN_FLAGS)}")
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score must be between 0 and 1, got {self.min_score}")

    def to_dict(self) -> dict[str, Any]:
        return {"keep_labels": list(self.keep_labels), "min_score": self.min_score,
                "reject_flags": list(self.reject_flags)}


@dataclass(frozen=True)
class Decision:
    decision: str  # one of DECISIONS
    reason: str | None  # a stable slug; None when accepted


def route(verdict: Mapping[str, Any], policy: Policy) -> Decision:
    """Decide one document from its verdict dict (Verdict.to_dict() shape)."""
    flags = verdict.get("flags") or []
    if verdict.get("error"):
        if NOT_ENGLISH in flags and NOT_ENGLISH in policy.reject_flags:
            return Decision(REJECTED, NOT_ENGLISH)
        return Decision(ERROR, error_reason(verdict["error"]))
    for flag in policy.reject_flags:
        if flag in flags:
            return Decision(REJECTED, flag)
    label = verdict["label"]
    if label not in policy.keep_labels:
        return Decision(REJECTED, f"label_{label}")
    if verdict["scores"][label] < policy.min_score:
        return Decision(REJECTED, "low_score")
    return Decision(ACCEPTED, None)
