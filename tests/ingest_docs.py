"""Small generated documents and folders for the filter tests (no corpus needed)."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
from pathlib import Path

_SUBJECTS = ["The city council", "A local charity", "The regional hospital", "Police officers",
             "The school board", "Farmers in the valley", "The transport authority", "Residents"]
_VERBS = ["approved", "criticised", "announced", "postponed", "discussed", "welcomed", "rejected"]
_OBJECTS = ["a plan to rebuild the old bridge", "new rules for parking near the market",
            "a budget for the coming year", "the closure of two branch libraries",
            "a proposal to extend the bus route", "changes to the recycling collection"]
_TAILS = ["on Tuesday evening.", "after a long debate.", "despite some objections.",
          "according to a statement.", "at a meeting last week.", "for the second time this year."]
_QUOTES = ['"We listened to people and we acted," said the chair, who has served for six years.',
           '"It is not what we hoped for," one resident told reporters outside the hall.',
           "Officials said the work would begin in the spring and take about nine months."]


def english_text(seed: int, sentences: int = 9) -> str:
    """A plain, news-like English text of roughly 12 words a sentence."""
    rng = random.Random(seed)
    out = []
    for i in range(sentences):
        if i % 3 == 2:
            out.append(rng.choice(_QUOTES))
        else:
            out.append(f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}")
    return " ".join(out)


GERMAN = ("Die Stadtverwaltung hat am Dienstag einen neuen Plan für den Umbau der alten Brücke "
          "vorgestellt. Nach Angaben der Behörde sollen die Arbeiten im Frühjahr beginnen und etwa "
          "neun Monate dauern. Die Anwohner sind nicht mit allen Punkten einverstanden, aber die "
          "meisten begrüßen die Entscheidung. Der Bürgermeister sagte, man habe lange darüber "
          "gesprochen und werde die Bürger weiter informieren.")


def write_jsonl(path: Path, records: list[dict], gz: bool = False) -> None:
    data = "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)


def make_tree(root: Path, n_files: int = 4, n_records: int = 6) -> Path:
    """A folder of text files, a JSONL shard (with one bad line, one record without text, one
    without id and one duplicate id), a gzipped shard, a German page and an empty file."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n_files):
        (root / "news" / f"doc{i}.txt").parent.mkdir(parents=True, exist_ok=True)
        (root / "news" / f"doc{i}.txt").write_text(english_text(i), encoding="utf-8")
    (root / "news" / "german.txt").write_text(GERMAN, encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / ".hidden.txt").write_text("not read", encoding="utf-8")
    records = [{"id": f"r{i}", "text": english_text(100 + i), "url": f"https://example.org/{i}"}
               for i in range(n_records)]
    records.append({"text": english_text(200), "meta": {"k": 1}})  # no id: shard:line
    records.append({"id": "r0", "text": english_text(201)})  # duplicate id
    records.append({"id": "no-text"})
    write_jsonl(root / "shards" / "part-0.jsonl", records)
    with open(root / "shards" / "part-0.jsonl", "ab") as handle:
        handle.write(b"{not json\n")
    write_jsonl(root / "shards" / "part-1.jsonl.gz",
                [{"id": f"g{i}", "text": english_text(300 + i)} for i in range(3)], gz=True)
    return root


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under root (symlinks by target name), to prove inputs are untouched."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            if path.is_symlink():
                out[str(path)] = "link:" + os.readlink(path)
            else:
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def manifest_lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text("utf-8").splitlines()]


def kill_once(cmd: list[str], cwd: Path, progress, timeout: float = 120.0) -> int:
    """Start `cmd`, SIGKILL it as soon as `progress()` (a count of finished work) is at least 1,
    and return that count. Fails if the command finished before it could be killed."""
    import signal
    import subprocess
    import time

    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        done = progress()
        if done >= 1:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    return done
