"""Routing: every rule, and every real failure message mapped to its reason slug."""
from __future__ import annotations

import pytest

from detector.api import MAX_DOCUMENT_BYTES, prepare
from detector.routing import FALLBACK_ERROR_REASON, Policy, error_reason, route
from detector.sources import InputError
from detector.verdict import Verdict


def verdict(label="original", p=0.9, flags=(), error=None):
    if error:
        return {"label": None, "scores": None, "flags": list(flags), "error": error}
    rest = (1 - p) / 3
    scores = {k: (p if k == label else rest) for k in ("original", "paraphrased", "machine_translated", "ai_generated")}
    return {"label": label, "scores": scores, "flags": list(flags), "error": None}


def test_default_policy_keeps_confident_original_only():
    policy = Policy()
    assert route(verdict("original", 0.9), policy).decision == "accepted"
    assert route(verdict("original", 0.9), policy).reason is None
    assert route(verdict("ai_generated", 0.9), policy).reason == "label_ai_generated"
    assert route(verdict("original", 0.4), policy).reason == "low_score"


def test_rules_apply_in_documented_order():
    policy = Policy()
    # a rejecting flag beats the label, the label beats the score
    assert route(verdict("ai_generated", 0.3, flags=["too_short"]), policy).reason == "too_short"
    assert route(verdict("ai_generated", 0.3), policy).reason == "label_ai_generated"
    # flags not in the policy are recorded but do not reject
    assert route(verdict("original", 0.9, flags=["markdown"]), policy).decision == "accepted"


def test_not_english_is_a_rejection_only_when_the_policy_says_so():
    failed = verdict(error="not English (detected: de)", flags=["not_english"])
    assert route(failed, Policy()).decision == "rejected"
    assert route(failed, Policy()).reason == "not_english"
    lenient = Policy(reject_flags=())
    assert route(failed, lenient).decision == "error"
    assert route(failed, lenient).reason == "not_english"


def test_policy_options():
    policy = Policy(keep_labels=["original", "paraphrased"], min_score=0.0, reject_flags=[])
    assert route(verdict("paraphrased", 0.3, flags=["too_short"]), policy).decision == "accepted"
    with pytest.raises(ValueError, match="unknown label"):
        Policy(keep_labels=("human",))
    with pytest.raises(ValueError, match="unknown flag"):
        Policy(reject_flags=("shouty",))
    with pytest.raises(ValueError, match="between 0 and 1"):
        Policy(min_score=1.5)


def _message(payload) -> str:
    result = prepare(payload)
    assert isinstance(result, Verdict) and result.error, payload
    return result.error


@pytest.mark.parametrize("payload, slug", [
    (b"", "empty"),
    (b"   \n ", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "binary"),
    (b"\xef\xbb\xbf\xff\xfe abc", "undecodable"),  # a UTF-8 BOM, then bytes UTF-8 forbids
    (b"\xff\xfe" + "hello world".encode("utf-16-le") + b"\x00", "undecodable"),  # torn UTF-16
    (b"a" * (MAX_DOCUMENT_BYTES + 1), "too_large"),
    ("Die Stadtverwaltung hat am Dienstag einen neuen Plan für den Umbau der alten Brücke "
     "vorgestellt und die Arbeiten sollen im Frühjahr beginnen und neun Monate dauern.", "not_english"),
    (InputError("symlink loop"), "symlink_loop"),
    (InputError("not a regular file (fifo)"), "not_a_regular_file"),
    (InputError("permission denied"), "permission_denied"),
    (InputError("no such file"), "no_such_file"),
    (InputError("symlink to a folder, not followed"), "symlinked_folder"),
    (InputError("cannot list folder: permission denied"), "unlistable_folder"),
    (InputError("line 3 is not valid JSON"), "invalid_json"),
    (InputError('record has no "text" string'), "no_text"),
])
def test_real_failures_get_specific_reasons(payload, slug):
    assert error_reason(_message(payload)) == slug


def test_unknown_message_falls_back():
    assert error_reason("the moon is in the wrong phase") == FALLBACK_ERROR_REASON
