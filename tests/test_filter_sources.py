"""Inputs of the filter: naming, walking, reading. No model needed."""
from __future__ import annotations

import os

import pytest

from detector.sources import BROKEN, FILE, SHARD, InputError, UsageError, input_tags, plan, read_file, records
from ingest_docs import make_tree


def test_tags_are_short_and_distinct(tmp_path):
    a, b = tmp_path / "2023" / "part-0.jsonl", tmp_path / "2024" / "part-0.jsonl"
    c = tmp_path / "news"
    assert input_tags([str(c)]) == ["news"]
    assert input_tags([str(a), str(b), str(c)]) == ["2023/part-0.jsonl", "2024/part-0.jsonl", "news"]
    assert input_tags(["-"]) == ["stdin"] and input_tags(["-"], jsonl=True) == ["stdin.jsonl"]


def test_repeated_or_nested_inputs_are_refused(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    with pytest.raises(UsageError, match="twice"):
        input_tags([str(tmp_path / "a"), str(tmp_path / "a") + "/"])
    with pytest.raises(UsageError, match="inside"):
        input_tags([str(tmp_path / "a"), str(tmp_path / "a" / "b")])


def test_plan_walks_sorted_skips_hidden_and_reports_odd_entries(tmp_path):
    root = make_tree(tmp_path / "in")
    (root / "loop.txt").symlink_to("loop.txt")  # a symlink to itself
    (root / "news" / "up").symlink_to("..")  # a symlinked folder: a loop if followed
    os.mkfifo(root / "pipe")
    units = {u.name: u for u in plan([str(root)])}
    assert list(units) == sorted(units)
    assert "in/.hidden.txt" not in units
    assert units["in/shards/part-0.jsonl"].kind == SHARD
    assert units["in/shards/part-1.jsonl.gz"].kind == SHARD
    assert units["in/news/doc0.txt"].kind == FILE
    assert units["in/news/up"].kind == BROKEN and "not followed" in units["in/news/up"].error
    assert str(read_file(units["in/loop.txt"].path)) == "symlink loop"
    # a FIFO is refused without being opened (opening one would block)
    assert str(read_file(units["in/pipe"].path)) == "not a regular file (fifo)"
    assert str(read_file(str(root / "missing.txt"))) == "no such file"


def test_shard_records_keep_fields_and_say_what_is_wrong(tmp_path):
    root = make_tree(tmp_path / "in")
    unit = next(u for u in plan([str(root)]) if u.name.endswith("part-0.jsonl"))
    recs = list(records(unit))
    assert [r.line for r in recs] == list(range(1, 11))
    assert recs[0].wanted_id == "r0" and recs[0].record["url"] == "https://example.org/0"
    no_id = recs[6]
    assert no_id.wanted_id == no_id.fallback_id == "in/shards/part-0.jsonl:7"
    assert str(recs[8].payload) == 'record has no "text" string'
    assert isinstance(recs[9].payload, InputError) and "not valid JSON" in str(recs[9].payload)


def test_truncated_gzip_shard_reports_an_error_after_its_good_lines(tmp_path):
    root = make_tree(tmp_path / "in")
    shard = root / "shards" / "part-1.jsonl.gz"
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) - 12])  # cut the gzip trailer and some data
    unit = next(u for u in plan([str(shard)]))
    recs = list(records(unit))
    assert isinstance(recs[-1].payload, InputError)
    assert all(not isinstance(r.payload, InputError) for r in recs[:-1])
