"""The command line in-process through detector.cli.main(argv), plus one subprocess smoke test.

Loading the bundled model costs seconds, so in-process runs get the session's detector when
they ask for the default model; any --model path goes through the real loader.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from detector import cli
from detector.api import MAX_EXCERPT_CHARS, Detector
from detector.decoding import decode_bytes
from detector.document import normalise
from detector.verdict import LABELS

from conftest import ROOT, SAMPLES, sample_files

CONTRACT_KEYS = ["id", "label", "scores", "flags", "evidence", "error"]
EVIDENCE_KEYS = ["feature", "start", "end", "excerpt", "toward"]
ENGLISH = ("The city council approved a new cycle lane on Harbour Road on Tuesday, after a debate "
           "that lasted more than three hours. \"It will make the school run safer,\" councillor "
           "Priya Nair said. Work is due to start in April and cost 1.4 million pounds, the "
           "council said in a statement. Shop owners on the road had opposed the plan.")
GERMAN = ("Die Regierung in Berlin hat am Dienstag einen neuen Plan für den Ausbau der Windkraft "
          "vorgestellt. Nach Angaben des Ministeriums sollen bis zum Jahr 2030 doppelt so viele "
          "Anlagen gebaut werden wie bisher, und die Kommunen sollen mehr Geld bekommen.")
UNDECODABLE = b"The report said " + bytes(range(128, 256)) * 3 + b" and nothing more."


@pytest.fixture
def run(monkeypatch, capsys, bundled):
    real_load = Detector.load.__func__

    def load(cls, path=None):
        return bundled if path is None else real_load(cls, path)

    monkeypatch.setattr(Detector, "load", classmethod(load))

    def invoke(*argv: str):
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def _check_shape(record: dict) -> None:
    assert list(record) == CONTRACT_KEYS
    assert isinstance(record["flags"], list)
    if record["error"] is not None:
        assert record["label"] is None and record["scores"] is None
        assert isinstance(record["error"], str) and record["error"]
        return
    assert record["label"] in LABELS
    assert list(record["scores"]) == list(LABELS)
    assert sum(record["scores"].values()) == pytest.approx(1.0, abs=5e-4)  # 4 values rounded to 4 places
    assert record["label"] == max(record["scores"], key=record["scores"].get)
    for item in record["evidence"]:
        assert list(item) == EVIDENCE_KEYS
        assert item["toward"] in (*LABELS, None)


def _check_excerpts(record: dict, raw: bytes) -> None:
    text = normalise(decode_bytes(raw)[0])
    for item in record["evidence"]:
        assert 0 <= item["start"] < item["end"] <= len(text)
        span = text[item["start"]:item["end"]]
        if len(span) > MAX_EXCERPT_CHARS:
            assert item["excerpt"] == span[:MAX_EXCERPT_CHARS - 1] + "…"
        else:
            assert item["excerpt"] == span


# --- scan ----------------------------------------------------------------------------------------
def test_scan_folder_prints_one_contract_line_per_sample_in_order(run, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = run("scan", "samples/")
    records = _lines(out)
    assert [r["id"] for r in records] == [f"samples/{p.name}" for p in sample_files()]
    for record, path in zip(records, sample_files()):
        _check_shape(record)
        assert record["error"] is None
        assert record["evidence"], f"{path.name}: every sample shows evidence (each carries flagged furniture at least)"
        _check_excerpts(record, path.read_bytes())
    assert code == cli.EXIT_OK


def test_mixed_good_and_bad_inputs(run, tmp_path):
    inputs = {
        "good.txt": ENGLISH.encode("utf-8"),
        "empty.txt": b"",
        "blank.txt": b"  \n\n \t\n",
        "image.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100),
        "legacy.txt": UNDECODABLE,
        "german.txt": GERMAN.encode("utf-8"),
        "bom16.txt": b"\xff\xfe" + ENGLISH.encode("utf-16-le"),
    }
    for name, data in inputs.items():
        (tmp_path / name).write_bytes(data)
    order = ["good.txt", "empty.txt", "missing.txt", "image.png", "blank.txt", "legacy.txt",
             "german.txt", "bom16.txt"]
    paths = [str(tmp_path / name) for name in order]
    code, out, _ = run("scan", *paths)
    records = _lines(out)
    assert [r["id"] for r in records] == paths
    for record in records:
        _check_shape(record)
    errors = {name: r["error"] for name, r in zip(order, records)}
    assert errors == {
        "good.txt": None,
        "empty.txt": "empty document",
        "missing.txt": "no such file",
        "image.png": "binary data, not text",
        "blank.txt": "empty document",
        "legacy.txt": "not valid UTF-8 or any detected encoding",
        "german.txt": "not English (detected: de)",
        "bom16.txt": None,
    }
    assert records[0]["scores"] == records[-1]["scores"], "UTF-16 and UTF-8 of one text score alike"
    assert code == cli.EXIT_SOME_ERRORS


def test_all_good_inputs_exit_zero_and_errors_exit_one(run, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(ENGLISH, encoding="utf-8")
    assert run("scan", str(good))[0] == cli.EXIT_OK
    assert run("scan", str(good), str(tmp_path / "missing.txt"))[0] == cli.EXIT_SOME_ERRORS


def _jsonl_lines() -> list[bytes]:
    return [
        json.dumps({"id": "a", "text": ENGLISH}).encode(),
        b"{not json",
        b"",
        json.dumps({"id": "b", "text": GERMAN}).encode(),
        json.dumps({"text": ENGLISH}).encode(),
        json.dumps({"id": 7, "body": ENGLISH}).encode(),
        json.dumps(["a", "list"]).encode(),
    ]


def _check_jsonl(records: list[dict], name: str) -> None:
    for record in records:
        _check_shape(record)
    assert [(r["id"], r["error"]) for r in records] == [
        ("a", None),
        (f"{name}:2", "line 2 is not valid JSON"),
        ("b", "not English (detected: de)"),
        (f"{name}:5", None),
        ("7", 'record has no "text" string'),
        (f"{name}:7", "line 7 is not a JSON object"),
    ]
    assert records[0]["scores"] == records[3]["scores"]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_scan_jsonl_file(run, tmp_path, suffix):
    path = tmp_path / f"docs{suffix}"
    data = b"\n".join(_jsonl_lines()) + b"\n"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    code, out, _ = run("scan", "--jsonl", str(path))
    _check_jsonl(_lines(out), str(path))
    assert code == cli.EXIT_SOME_ERRORS


def test_scan_stdin_through_main(run, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ENGLISH.encode("utf-8"))))
    code, out, _ = run("scan", "-")
    [record] = _lines(out)
    _check_shape(record)
    assert record["id"] == "-" and record["error"] is None
    _check_excerpts(record, ENGLISH.encode("utf-8"))
    assert code == cli.EXIT_OK


def test_scan_jsonl_from_stdin_through_scan(bundled):
    out = io.StringIO()
    stdin = io.BytesIO(b"\n".join(_jsonl_lines()))
    code = cli.scan(bundled, ["-"], jsonl=True, out=out, stdin=stdin)
    _check_jsonl(_lines(out.getvalue()), "-")
    assert code == cli.EXIT_SOME_ERRORS


# --- explain -------------------------------------------------------------------------------------
def test_explain_shows_verdict_scores_and_evidence(run):
    path = str(sample_files()[0])
    _, out, _ = run("scan", path)
    [record] = _lines(out)
    code, report, _ = run("explain", "--color", "never", path)
    assert code == cli.EXIT_OK
    assert "\033[" not in report
    assert f"verdict: {record['label']} ({record['scores'][record['label']]:.2f})" in report
    for label in LABELS:
        assert label in report
    for n, item in enumerate(record["evidence"], 1):
        assert f"[{n}] {item['feature']}" in report
        assert item["excerpt"] in report
        assert f"[{n} " in report  # the mark in the text


def test_explain_colour_on_request(run):
    _, report, _ = run("explain", "--color", "always", str(sample_files()[0]))
    assert "\033[" in report


def test_explain_unreadable_file(run, tmp_path):
    code, report, _ = run("explain", str(tmp_path / "missing.txt"))
    assert "error: no such file" in report
    assert code == cli.EXIT_SOME_ERRORS


# --- usage ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [["--help"], ["scan", "--help"], ["explain", "--help"]])
def test_help_exits_zero(run, argv):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 0


def test_help_describes_the_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    assert "scan" in text and "explain" in text and "--jsonl" in text


@pytest.mark.parametrize("argv", [[], ["scan"], ["frobnicate"], ["scan", "--no-such-option", "x"]])
def test_bad_usage_exits_two(run, argv):
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    assert code == cli.EXIT_USAGE


def test_bad_model_path_exits_two(run, tmp_path):
    code, out, err = run("scan", "--model", str(tmp_path / "none.npz"), str(sample_files()[0]))
    assert code == cli.EXIT_USAGE
    assert out == ""
    assert "cannot load the model" in err and "not found" in err


def test_altered_model_exits_two(run, tiny_model, tmp_path):
    import shutil

    from detector.model import card_path_for

    path = tmp_path / "m.npz"
    shutil.copy(tiny_model[0], path)
    shutil.copy(card_path_for(tiny_model[0]), card_path_for(path))
    with open(path, "ab") as handle:
        handle.write(b"\0")
    code, out, err = run("explain", "--model", str(path), str(sample_files()[0]))
    assert code == cli.EXIT_USAGE
    assert "checksum mismatch" in err


def test_model_option_uses_that_model(run, tiny_model, tiny_detector):
    path = str(sample_files()[0])
    _, out, _ = run("scan", "--model", str(tiny_model[0]), path)
    [record] = _lines(out)
    expected = tiny_detector.score_file(path).to_dict()
    assert record["scores"] == expected["scores"]


# --- the installed console script ----------------------------------------------------------------
def test_console_script_smoke():
    script = Path(sys.executable).with_name("detector")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "detector.cli"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command + ["scan", str(SAMPLES)], capture_output=True, text=True,
                          timeout=180, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    records = _lines(done.stdout)
    assert [r["id"] for r in records] == [str(p) for p in sample_files()]
    assert all(r["error"] is None and r["label"] in LABELS for r in records)
