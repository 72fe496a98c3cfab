"""The pre-ingest filter end to end, with the bundled model on a few short generated documents.

Runs use the defaults (linking on) unless a test is about the path without linking (link=False,
--no-link), which routes each document as soon as it is scored; test_filter_link.py tests what
linking adds and how a linking run resumes."""
from __future__ import annotations

import errno
import gzip
import io
import json
import os
import sys
from pathlib import Path

import pytest

from detector import cli, manifest, sources
from detector.ingest import filter_texts, run_filter, settings_for
from detector.routing import LABELS, Policy
from detector.sources import UsageError
from ingest_docs import english_text, kill_once, make_tree, manifest_lines, tree_digest, write_jsonl

KEEP_ALL = Policy(keep_labels=LABELS, min_score=0.0)
REPO = Path(__file__).resolve().parents[1]


def by_id(out: Path) -> dict[str, dict]:
    return {line["id"]: line for line in manifest_lines(out)}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One complete run over the generated tree, shared by the tests that only read it."""
    base = tmp_path_factory.mktemp("finished")
    root = make_tree(base / "in")
    before = tree_digest(root)
    summary = run_filter([str(root)], base / "out", KEEP_ALL, jobs=1)
    return root, base / "out", summary, before


def test_every_document_once_with_decision_and_reason(finished):
    root, out, summary, _ = finished
    lines = manifest_lines(out)
    ids = [line["id"] for line in lines]
    assert len(ids) == len(set(ids)) == 19 == summary.documents
    got = by_id(out)
    assert got["in/news/german.txt"]["decision"] == "rejected"
    assert got["in/news/german.txt"]["reason"] == "not_english"
    assert got["in/empty.txt"]["decision"] == "error" and got["in/empty.txt"]["reason"] == "empty"
    assert got["in/empty.txt"]["error"] == "empty document"
    assert got["no-text"]["reason"] == "no_text" and got["no-text"]["line"] == 9
    assert got["in/shards/part-0.jsonl:10"]["reason"] == "invalid_json"
    # a record without id, and the second record claiming id r0, get their shard:line
    assert got["in/shards/part-0.jsonl:7"]["decision"] == "accepted"
    assert got["in/shards/part-0.jsonl:8"]["source"] == "in/shards/part-0.jsonl"
    assert got["r0"]["line"] == 1
    accepted = [line for line in lines if line["decision"] == "accepted"]
    assert len(accepted) == 4 + 8 + 3
    for line in accepted:
        assert line["label"] in LABELS and abs(sum(line["scores"].values()) - 1) < 1e-3
        assert line["reason"] is None and line["error"] is None
    assert summary.exit_status == 1 and summary.decisions["error"] == 3


def test_inputs_untouched_and_outputs_in_the_inputs_form(finished):
    root, out, _, before = finished
    assert tree_digest(root) == before
    for i in range(4):
        assert (out / "accepted/in/news" / f"doc{i}.txt").read_bytes() == (root / "news" / f"doc{i}.txt").read_bytes()
    assert (out / "rejected/in/news/german.txt").read_bytes() == (root / "news/german.txt").read_bytes()
    assert not (out / "accepted/in/empty.txt").exists() and not (out / "rejected/in/empty.txt").exists()
    shard = [json.loads(line) for line in (out / "accepted/in/shards/part-0.jsonl").read_text().splitlines()]
    assert [r.get("id") for r in shard] == ["r0", "r1", "r2", "r3", "r4", "r5", None, "r0"]
    assert shard[0]["url"] == "https://example.org/0" and shard[6]["meta"] == {"k": 1}
    assert shard[7]["detector"]["id"] == "in/shards/part-0.jsonl:8"
    assert shard[0]["detector"]["decision"] == "accepted" and shard[0]["detector"]["label"] in LABELS
    gz = [json.loads(line) for line in gzip.decompress((out / "accepted/in/shards/part-1.jsonl.gz").read_bytes()).splitlines()]
    assert [r["id"] for r in gz] == ["g0", "g1", "g2"]
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".detector-tmp")]
    assert leftovers == []


def test_rerun_of_a_finished_run_does_nothing(finished, tmp_path):
    root, out, _, _ = finished
    manifest = (out / "manifest.jsonl").read_bytes()
    again = run_filter([str(root)], out, KEEP_ALL, jobs=1)
    assert again.scored == 0 and again.skipped == 19
    assert (out / "manifest.jsonl").read_bytes() == manifest


def test_resume_from_a_crash_state(finished, tmp_path):
    """What SIGKILL can leave: a torn manifest line, units recorded but not marked done, a stale
    temp file, a shard whose outputs were never renamed into place."""
    root, full_out, _, _ = finished
    out = tmp_path / "out"
    run_filter([str(root)], out, KEEP_ALL, jobs=1)
    lines = (out / "manifest.jsonl").read_bytes().splitlines(keepends=True)
    (out / "manifest.jsonl").write_bytes(b"".join(lines[:4]) + lines[4][:20])
    done = (out / ".detector-filter/done.txt").read_bytes().splitlines(keepends=True)
    (out / ".detector-filter/done.txt").write_bytes(b"".join(done[:2]) + b"in/news/do")
    for path in (out / "accepted/in/shards").iterdir():
        path.unlink()
    (out / "accepted/in/shards/.part-0.jsonl.detector-tmp").write_bytes(b'{"half": ')
    resumed = run_filter([str(root)], out, KEEP_ALL, jobs=1)
    assert resumed.duplicates == 0 and resumed.documents == 19
    assert by_id(out) == by_id(full_out)
    for name in ("part-0.jsonl", "part-1.jsonl.gz"):
        assert (out / "accepted/in/shards" / name).read_bytes() == (full_out / "accepted/in/shards" / name).read_bytes()
    assert not any(p.name.endswith(".detector-tmp") for p in out.rglob("*"))


def test_a_different_command_cannot_reuse_the_folder(finished, tmp_path):
    root, out, _, _ = finished
    with pytest.raises(UsageError, match="differs in: policy"):
        run_filter([str(root)], out, Policy(), jobs=1)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        run_filter([str(root)], tmp_path / "busy", KEEP_ALL, jobs=1)
    with pytest.raises(UsageError, match="inside the input"):
        run_filter([str(root)], root / "filtered", KEEP_ALL, jobs=1)
    assert not (root / "filtered").exists()
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        run_filter([str(root)], tmp_path / "a-file", KEEP_ALL, jobs=1)


def test_unreadable_file_is_an_error_line_not_a_stop(tmp_path, monkeypatch):
    """Tests run as root, where chmod 000 does not stop reading: simulate the PermissionError."""
    root = tmp_path / "in"
    root.mkdir()
    for i in range(3):
        (root / f"d{i}.txt").write_text(english_text(i))
    real = sources.read_document

    def read(path):
        if str(path).endswith("d1.txt"):
            return PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(sources, "read_document", read)
    summary = run_filter([str(root)], tmp_path / "out", KEEP_ALL, jobs=1)
    got = by_id(tmp_path / "out")
    assert got["in/d1.txt"]["decision"] == "error" and got["in/d1.txt"]["reason"] == "permission_denied"
    assert got["in/d1.txt"]["error"] == "permission denied"
    assert got["in/d0.txt"]["decision"] == got["in/d2.txt"]["decision"] == "accepted"
    assert summary.exit_status == 1


@pytest.mark.parametrize("link", [True, False])
def test_stdin_text_and_jsonl(tmp_path, link):
    text = english_text(5).encode()
    run_filter(["-"], tmp_path / "a", KEEP_ALL, jobs=1, stdin=io.BytesIO(text), link=link)
    assert (tmp_path / "a/accepted/stdin").read_bytes() == text
    lines = b"".join(json.dumps({"id": f"s{i}", "text": english_text(i)}).encode() + b"\n" for i in range(2))
    run_filter(["-"], tmp_path / "b", KEEP_ALL, jobs=1, jsonl=True, stdin=io.BytesIO(lines), link=link)
    assert sorted(by_id(tmp_path / "b")) == ["s0", "s1"]
    assert (tmp_path / "b/accepted/stdin.jsonl").exists()


def test_cli_filter_exit_status_and_summary(tmp_path, capsys):
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_text(english_text(1))
    status = cli.main(["filter", str(root), "--out", str(tmp_path / "out"), "--jobs", "1",
                       "--keep", ",".join(LABELS), "--min-score", "0"])
    err = capsys.readouterr().err
    assert status == 0
    assert "1 documents" in err and "accepted" in err
    (root / "b.txt").write_bytes(b"")
    status = cli.main(["filter", str(root), "--out", str(tmp_path / "out2"), "--jobs", "1"])
    assert status == 1
    assert "error: in/b.txt: empty document" in capsys.readouterr().err
    assert cli.main(["filter", str(root), "--out", str(tmp_path / "o3"), "--keep", "human"]) == 2
    assert "unknown label" in capsys.readouterr().err
    assert cli.main(["filter", str(root), "--out", str(root / "o")]) == 2


def test_filter_texts_library_function():
    results = list(filter_texts([("a", english_text(1)), ("b", ""), ("c", english_text(2, sentences=2))]))
    assert [r.id for r in results] == ["a", "b", "c"]
    assert results[1].decision == "error" and results[1].reason == "empty"
    assert results[2].decision == "rejected" and results[2].reason == "too_short"
    assert results[0].verdict["label"] in LABELS


@pytest.mark.parametrize("link", [True, False])
def test_jobs_2_writes_exactly_what_jobs_1_writes(finished, tmp_path, link):
    root, out1, _, _ = finished
    if not link:
        out1 = tmp_path / "out1"
        run_filter([str(root)], out1, KEEP_ALL, jobs=1, link=False)
    out2 = tmp_path / "out2"
    run_filter([str(root)], out2, KEEP_ALL, jobs=2, link=link)
    files1 = {p.relative_to(out1): p.read_bytes() for p in out1.rglob("*") if p.is_file()}
    files2 = {p.relative_to(out2): p.read_bytes() for p in out2.rglob("*") if p.is_file()}
    assert files1 == files2


def test_sigkill_mid_run_then_rerun_gives_the_uninterrupted_manifest(tmp_path):
    """Without linking, manifest lines are written while scoring goes on: kill once one is.
    (test_filter_link.py kills a linking run while it scores, before any line is written.)"""
    root = tmp_path / "in"
    for i in range(24):
        (root / "files").mkdir(parents=True, exist_ok=True)
        (root / "files" / f"f{i:02}.txt").write_text(english_text(1000 + i))
    write_jsonl(root / "shard.jsonl", [{"id": f"k{i}", "text": english_text(2000 + i)} for i in range(16)])
    total = 40
    reference = tmp_path / "reference"
    run_filter([str(root)], reference, jobs=1, link=False)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "detector.cli", "filter", str(root), "--out", str(out), "--jobs", "1",
           "--no-link"]
    manifest = out / "manifest.jsonl"
    recorded = kill_once(cmd, REPO, lambda: manifest.read_bytes().count(b"\n") if manifest.exists() else 0)
    assert 0 < recorded < total
    resumed = run_filter([str(root)], out, jobs=1, link=False)
    assert resumed.skipped > 0 and resumed.scored < total
    lines = manifest_lines(out)
    assert len(lines) == len({line["id"] for line in lines}) == total
    assert {(l["id"], l["decision"]) for l in lines} == {(l["id"], l["decision"]) for l in manifest_lines(reference)}


def test_input_vanishing_before_its_copy_is_an_error_line(tmp_path, monkeypatch):
    root = tmp_path / "in"
    root.mkdir()
    for i in range(2):
        (root / f"d{i}.txt").write_text(english_text(i))
    real = sources.read_document

    def read_then_vanish(path):  # our own generated file: removed after reading, before copying
        data = real(path)
        if str(path).endswith("d0.txt"):
            os.remove(path)
        return data

    monkeypatch.setattr(sources, "read_document", read_then_vanish)
    run_filter([str(root)], tmp_path / "out", KEEP_ALL, jobs=1)
    got = by_id(tmp_path / "out")
    assert got["in/d0.txt"]["decision"] == "error" and got["in/d0.txt"]["reason"] == "copy_failed"
    assert got["in/d1.txt"]["decision"] == "accepted"


def test_a_failing_output_write_stops_the_run_and_a_rerun_completes_it(finished, tmp_path, monkeypatch):
    """Disk full must not be recorded as document errors (a rerun would skip those documents)."""
    root, full_out, _, _ = finished
    out = tmp_path / "out"
    real_commit = manifest.AtomicFile.commit
    calls = {"n": 0}

    def commit(self):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_commit(self)

    monkeypatch.setattr(manifest.AtomicFile, "commit", commit)
    with pytest.raises(OSError):
        run_filter([str(root)], out, KEEP_ALL, jobs=1)
    monkeypatch.setattr(manifest.AtomicFile, "commit", real_commit)
    assert all(line["decision"] != "error" or line["reason"] != "copy_failed" for line in manifest_lines(out))
    run_filter([str(root)], out, KEEP_ALL, jobs=1)
    assert by_id(out) == by_id(full_out)


def test_two_runs_cannot_write_one_folder_at_once(finished, tmp_path):
    root, _, _, _ = finished
    out = tmp_path / "out"
    state = manifest.RunState(out, settings_for([str(root)], KEEP_ALL, False, None))
    try:
        with pytest.raises(UsageError, match="another detector filter"):
            run_filter([str(root)], out, KEEP_ALL, jobs=1)
    finally:
        state.close()
    assert run_filter([str(root)], out, KEEP_ALL, jobs=1).documents == 19
