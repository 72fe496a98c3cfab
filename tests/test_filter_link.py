"""`detector filter` links documents across the input (the default): what the manifest and outputs
say, that it is what `detector.link` says, and that resuming, stdin and --jobs keep their promises.

The generated documents of ingest_docs share their sentences, so the linker ties most of them to
one of them (in/news/doc1.txt): links cross files and shards, and a resumed run must reproduce
them. The samples give the real case: 001 is a rewrite of 002.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from detector import cli, ingest, scored
from detector.ingest import InputChanged, run_filter
from detector.manifest import STATE_DIR
from detector.routing import LABELS, Policy
from detector.sources import FILE, Unit, UsageError
from ingest_docs import english_text, kill_once, make_tree, manifest_lines, write_jsonl

KEEP_ALL = Policy(keep_labels=LABELS, min_score=0.0)
REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
MANIFEST_KEYS = ["id", "source", "line", "decision", "label", "scores", "flags", "reason", "error"]


def by_id(out: Path) -> dict[str, dict]:
    return {line["id"]: line for line in manifest_lines(out)}


def scored_files(out: Path) -> list[Path]:
    return sorted((out / STATE_DIR / scored.SCORED_DIR).rglob("*.jsonl.gz"))


def copy_samples(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for path in sorted(SAMPLES.glob("*.txt")):
        shutil.copyfile(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted linking run over the generated tree: what every resumed run must equal."""
    base = tmp_path_factory.mktemp("reference")
    root = make_tree(base / "in")
    run_filter([str(root)], base / "out", KEEP_ALL, jobs=1)
    return root, base / "out"


# --- what linking adds -------------------------------------------------------------------------
def test_samples_rewrite_is_linked_to_its_source_in_the_manifest(tmp_path):
    folder = copy_samples(tmp_path / "samples")
    summary = run_filter([str(folder)], tmp_path / "out", KEEP_ALL, jobs=1)
    lines = manifest_lines(tmp_path / "out")
    got = {line["id"][len("samples/"):][:3]: line for line in lines}
    rewrite = got["001"]
    assert rewrite["derived_from"]["id"] == "samples/002_26e7bf5f00cf51fe.txt"
    assert rewrite["derived_from"]["index"] == 2  # the source's line in the manifest, from 0
    assert rewrite["derived_from"]["relation"] == "paraphrase"
    assert rewrite["label"] == "paraphrased" and rewrite["scores"]["paraphrased"] > 0.84
    for name in ("002", "003", "004"):
        assert got[name]["derived_from"] is None
    # The manifest's keys are unchanged; derived_from comes last, on every line.
    assert all(list(line) == MANIFEST_KEYS + ["derived_from"] for line in lines)
    assert summary.linked and summary.derived["paraphrase"] >= 1
    assert "derived from another document of the input" in summary.render()
    settings = json.loads((tmp_path / "out" / STATE_DIR / "settings.json").read_text())
    assert settings["link"] is True


def test_the_filter_links_exactly_as_the_library_does(tmp_path):
    """Label, scores, flags and derived_from in the manifest are link_texts' verdicts, key for key
    (derived_from.index included): the filter adds routing, not another linker."""
    from detector.link import link_texts

    folder = copy_samples(tmp_path / "samples")
    run_filter([str(folder)], tmp_path / "out", KEEP_ALL, jobs=1)
    lines = manifest_lines(tmp_path / "out")
    files = sorted(folder.iterdir())
    expected = link_texts([f.read_bytes() for f in files], ids=[f"samples/{f.name}" for f in files])
    for line, verdict in zip(lines, expected):
        want = verdict.to_dict()
        assert line["id"] == want["id"]
        assert {k: line[k] for k in ("label", "scores", "flags", "error", "derived_from")} == \
            {k: want[k] for k in ("label", "scores", "flags", "error", "derived_from")}


def test_without_linking_the_output_is_as_before(tmp_path):
    folder = copy_samples(tmp_path / "samples")
    linked = run_filter([str(folder)], tmp_path / "linked", KEEP_ALL, jobs=1)
    plain = run_filter([str(folder)], tmp_path / "plain", KEEP_ALL, jobs=1, link=False)
    lines = manifest_lines(tmp_path / "plain")
    assert all(list(line) == MANIFEST_KEYS for line in lines)
    assert not plain.linked and "derived from" not in plain.render()
    assert not (tmp_path / "plain" / STATE_DIR / scored.SCORED_DIR).exists()
    assert "link" not in json.loads((tmp_path / "plain" / STATE_DIR / "settings.json").read_text())
    # The link is what moved 001: without it, its own scores stand.
    rewrite_plain = next(l for l in lines if "/001_" in l["id"])
    rewrite_linked = next(l for l in manifest_lines(tmp_path / "linked") if "/001_" in l["id"])
    assert rewrite_linked["scores"]["paraphrased"] > rewrite_plain["scores"]["paraphrased"]
    # Sources and unlinked documents get the same verdict either way.
    for a, b in zip(lines, manifest_lines(tmp_path / "linked")):
        if b["derived_from"] is None:
            assert {k: a[k] for k in MANIFEST_KEYS} == {k: b[k] for k in MANIFEST_KEYS}
    assert linked.documents == plain.documents == 5


def test_a_run_with_linking_and_one_without_are_different_commands(tmp_path):
    folder = copy_samples(tmp_path / "samples")
    run_filter([str(folder)], tmp_path / "plain", KEEP_ALL, jobs=1, link=False)
    with pytest.raises(UsageError, match="differs in: link.*--no-link"):
        run_filter([str(folder)], tmp_path / "plain", KEEP_ALL, jobs=1)
    assert run_filter([str(folder)], tmp_path / "plain", KEEP_ALL, jobs=1, link=False).skipped == 5


def test_shard_records_carry_derived_from_in_their_detector_field(tmp_path):
    records = [{"id": p.name[:3], "text": p.read_text(encoding="utf-8"), "url": f"https://example.org/{p.name}"}
               for p in sorted(SAMPLES.glob("*.txt"))]
    write_jsonl(tmp_path / "in" / "samples.jsonl.gz", records, gz=True)
    run_filter([str(tmp_path / "in" / "samples.jsonl.gz")], tmp_path / "out",
               Policy(keep_labels=("original", "paraphrased"), min_score=0.0), jobs=1)
    accepted = [json.loads(line) for line in
                gzip.decompress((tmp_path / "out/accepted/samples.jsonl.gz").read_bytes()).splitlines()]
    rewrite = next(r for r in accepted if r["id"] == "001")
    assert rewrite["url"].endswith("001_db3c9d3333044c0a.txt")  # every field kept
    assert list(rewrite["detector"])[-1] == "derived_from"
    assert rewrite["detector"]["derived_from"]["id"] == "002"
    assert rewrite["detector"]["label"] == "paraphrased"
    assert by_id(tmp_path / "out")["001"]["derived_from"] == rewrite["detector"]["derived_from"]


# --- resuming ----------------------------------------------------------------------------------
def test_crash_between_scoring_and_linking_resumes_without_scoring_again(reference, tmp_path, monkeypatch):
    root, ref_out = reference
    out = tmp_path / "out"
    import detector.link

    def crash(verdicts, stats=None, keys=None):
        raise KeyboardInterrupt  # as if killed after the last unit's scores were saved

    monkeypatch.setattr(detector.link, "link_verdicts", crash)
    with pytest.raises(KeyboardInterrupt):
        run_filter([str(root)], out, KEEP_ALL, jobs=1)
    monkeypatch.undo()
    assert not (out / "manifest.jsonl").read_bytes()  # nothing routed yet
    assert len(scored_files(out)) == 8  # every unit: 5 files in news/, empty.txt, 2 shards
    resumed = run_filter([str(root)], out, KEEP_ALL, jobs=1)
    assert resumed.scored == 0 and resumed.reused == 19 and resumed.skipped == 0
    assert (out / "manifest.jsonl").read_bytes() == (ref_out / "manifest.jsonl").read_bytes()
    for part in ("accepted/in/shards/part-0.jsonl", "accepted/in/shards/part-1.jsonl.gz"):
        assert (out / part).read_bytes() == (ref_out / part).read_bytes()


def test_crash_while_routing_resumes_to_the_uninterrupted_manifest(reference, tmp_path, monkeypatch):
    """Units routed before the crash are linked again (a later unit may derive from them) but
    not routed again; the rest are routed with the same links."""
    root, ref_out = reference
    out = tmp_path / "out"
    real_record = ingest._UnitOutput.record
    finished = []

    def record_then_crash(self):
        if len(finished) == 4:  # later units' outputs may be written already, on routing threads
            raise KeyboardInterrupt
        real_record(self)
        finished.append(self.unit.name)

    monkeypatch.setattr(ingest._UnitOutput, "record", record_then_crash)
    with pytest.raises(KeyboardInterrupt):
        run_filter([str(root)], out, KEEP_ALL, jobs=1)
    monkeypatch.undo()
    assert 0 < len(manifest_lines(out)) < 19
    resumed = run_filter([str(root)], out, KEEP_ALL, jobs=1)
    assert resumed.skipped == 4 and resumed.scored == 0 and resumed.reused == 15
    assert (out / "manifest.jsonl").read_bytes() == (ref_out / "manifest.jsonl").read_bytes()
    assert not any(p.name.endswith(".detector-tmp") for p in out.rglob("*"))


def test_damaged_or_missing_saved_scores_are_scored_again(reference, tmp_path):
    root, ref_out = reference
    out = tmp_path / "out"
    shutil.copytree(ref_out, out)
    (out / "manifest.jsonl").write_bytes(b"")  # nothing routed: every unit is to do again
    (out / STATE_DIR / "done.txt").write_bytes(b"")
    shard = scored.path_for(out, "in/shards/part-0.jsonl")
    shard.write_bytes(shard.read_bytes()[:-30])  # cut short: fails the gzip check
    scored.path_for(out, "in/news/doc1.txt").unlink()  # the source of most links
    german = scored.path_for(out, "in/news/german.txt")
    german.write_bytes(gzip.compress(gzip.decompress(german.read_bytes()).rsplit(b"\n", 2)[0] + b"\n"))  # no end line
    resumed = run_filter([str(root)], out, KEEP_ALL, jobs=1)
    assert resumed.scored == 10 + 1 + 1  # the shard's 10 records, doc1, german.txt
    assert (out / "manifest.jsonl").read_bytes() == (ref_out / "manifest.jsonl").read_bytes()


def test_an_input_edited_between_kill_and_rerun_is_scored_again(reference, tmp_path, monkeypatch):
    root, _ = reference
    tree = tmp_path / "in"
    shutil.copytree(root, tree)
    out = tmp_path / "out"
    import detector.link

    monkeypatch.setattr(detector.link, "link_verdicts", lambda verdicts, stats=None, keys=None: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        run_filter([str(tree)], out, KEEP_ALL, jobs=1)
    monkeypatch.undo()
    # Same size, and the old mtime put back (as cp -p or rsync -t would): still seen as changed.
    path = tree / "news" / "doc3.txt"
    before = path.stat()
    old = path.read_text(encoding="utf-8")
    path.write_text(old.replace("The ", "Our ", 1) if "The " in old else "x" + old[1:], encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    resumed = run_filter([str(tree)], out, KEEP_ALL, jobs=1)
    assert resumed.scored == 1 and resumed.reused == 18
    fresh = tmp_path / "fresh"
    run_filter([str(tree)], fresh, KEEP_ALL, jobs=1)
    assert (out / "manifest.jsonl").read_bytes() == (fresh / "manifest.jsonl").read_bytes()


def test_an_input_edited_between_scoring_and_routing_stops_the_run_and_a_rerun_resumes(tmp_path, monkeypatch):
    tree = make_tree(tmp_path / "in")
    out = tmp_path / "out"
    import detector.link

    real = detector.link.link_verdicts

    def edit_then_link(verdicts, stats=None, keys=None):
        with open(tree / "shards" / "part-0.jsonl", "ab") as handle:  # our own generated input
            handle.write(json.dumps({"id": "late", "text": english_text(77)}).encode() + b"\n")
        return real(verdicts, keys=keys)

    monkeypatch.setattr(detector.link, "link_verdicts", edit_then_link)
    with pytest.raises(InputChanged, match="in/shards/part-0.jsonl changed"):
        run_filter([str(tree)], out, KEEP_ALL, jobs=1)
    monkeypatch.undo()
    assert "late" not in by_id(out)
    resumed = run_filter([str(tree)], out, KEEP_ALL, jobs=1)
    assert resumed.scored == 11  # the edited shard only, with its new record
    lines = manifest_lines(out)
    assert len(lines) == len({l["id"] for l in lines}) == 20 and "late" in by_id(out)


def test_sigkill_while_scoring_then_rerun_gives_the_uninterrupted_manifest(tmp_path):
    root = tmp_path / "in"
    (root / "files").mkdir(parents=True)
    for i in range(80):
        (root / "files" / f"f{i:02}.txt").write_text(english_text(1000 + i))
    write_jsonl(root / "shard.jsonl", [{"id": f"k{i}", "text": english_text(2000 + i)} for i in range(16)])
    total = 96
    reference_out = tmp_path / "reference"
    run_filter([str(root)], reference_out, jobs=1)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "detector.cli", "filter", str(root), "--out", str(out), "--jobs", "1"]
    saved = kill_once(cmd, REPO, lambda: len(scored_files(out)) if (out / STATE_DIR).exists() else 0)
    assert 0 < saved < 81 and not (out / "manifest.jsonl").read_bytes()
    resumed = run_filter([str(root)], out, jobs=1)
    assert resumed.reused > 0 and resumed.scored < total
    assert resumed.scored + resumed.reused == total
    lines = manifest_lines(out)
    assert len(lines) == len({line["id"] for line in lines}) == total
    assert (out / "manifest.jsonl").read_bytes() == (reference_out / "manifest.jsonl").read_bytes()


# --- stdin, jobs, command line -----------------------------------------------------------------
def test_stdin_is_copied_once_and_linked(tmp_path, monkeypatch):
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))}
    lines = b"".join(json.dumps({"id": k, "text": v}).encode() + b"\n" for k, v in texts.items())
    out = tmp_path / "out"
    import detector.link

    monkeypatch.setattr(detector.link, "link_verdicts", lambda verdicts, stats=None, keys=None: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        run_filter(["-"], out, KEEP_ALL, jobs=1, jsonl=True, stdin=io.BytesIO(lines))
    monkeypatch.undo()
    assert (out / STATE_DIR / "stdin").read_bytes() == lines
    # The rerun reads the copy, not stdin (which a pipe cannot give twice).
    resumed = run_filter(["-"], out, KEEP_ALL, jobs=1, jsonl=True, stdin=io.BytesIO(b""))
    assert resumed.documents == 5 and resumed.scored == 0
    got = by_id(out)
    assert got["001"]["derived_from"]["id"] == "002" and got["001"]["source"] == "stdin.jsonl"
    assert [json.loads(l)["id"] for l in (out / "accepted/stdin.jsonl").read_bytes().splitlines()] == list(texts)


def test_stdin_text_with_linking(tmp_path):
    text = english_text(5).encode()
    summary = run_filter(["-"], tmp_path / "a", KEEP_ALL, jobs=1, stdin=io.BytesIO(text))
    assert (tmp_path / "a/accepted/stdin").read_bytes() == text
    assert summary.documents == 1 and by_id(tmp_path / "a")["stdin"]["derived_from"] is None


def test_jobs_2_writes_exactly_what_jobs_1_writes_with_linking(reference, tmp_path):
    root, out1 = reference
    out2 = tmp_path / "out2"
    run_filter([str(root)], out2, KEEP_ALL, jobs=2)
    files1 = {p.relative_to(out1): p.read_bytes() for p in out1.rglob("*") if p.is_file()}
    files2 = {p.relative_to(out2): p.read_bytes() for p in out2.rglob("*") if p.is_file()}
    assert files1 == files2  # manifest, outputs and the saved scores
    assert sum(1 for line in manifest_lines(out2) if line["derived_from"]) > 0


def test_cli_no_link_and_summary(tmp_path, capsys):
    folder = copy_samples(tmp_path / "samples")
    assert cli.main(["filter", str(folder), "--out", str(tmp_path / "a"), "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert "derived from another document of the input:" in err and "paraphrase 1" in err
    assert cli.main(["filter", str(folder), "--out", str(tmp_path / "b"), "--jobs", "1", "--no-link"]) == 0
    assert "derived from" not in capsys.readouterr().err
    assert "derived_from" not in manifest_lines(tmp_path / "b")[0]
    # The folder of a run without linking is resumed only without linking.
    assert cli.main(["filter", str(folder), "--out", str(tmp_path / "b"), "--jobs", "1"]) == 2
    assert "--no-link" in capsys.readouterr().err


# --- the saved scores --------------------------------------------------------------------------
def test_saved_scores_round_trip_and_refuse_stale_or_damaged_files(tmp_path, bundled):
    source = tmp_path / "doc.txt"
    source.write_text(english_text(3))
    unit = Unit("in/doc.txt", FILE, str(source))
    verdict = bundled.score(source.read_bytes(), id="ignored")
    stat = scored.input_stat(unit)
    writer = scored.Writer(tmp_path, unit, stat)
    writer.add(None, "in/doc.txt", "in/doc.txt", scored.stored(verdict))
    assert scored.load(tmp_path, unit, stat) is None  # not committed: no file under its name
    writer.commit()
    [entry] = scored.load(tmp_path, unit, stat)
    assert entry.verdict.scores == verdict.scores  # full precision, not the rounded JSON
    assert entry.verdict.text == verdict.text
    from dataclasses import replace

    assert replace(entry.verdict, id="x").to_dict() == replace(verdict, id="x").to_dict()
    assert scored.load(tmp_path, Unit("in/other.txt", FILE, str(source)), stat) is None
    assert scored.load(tmp_path, unit, [stat[0] + 1, *stat[1:]]) is None  # the input changed
    path = scored.path_for(tmp_path, unit.name)
    path.write_bytes(path.read_bytes()[:-5])
    assert scored.load(tmp_path, unit, stat) is None
    path.write_bytes(b"")
    assert scored.load(tmp_path, unit, stat) is None
