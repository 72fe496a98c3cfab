"""Score labelled documents from outside the corpus and say how the bundled model does on them.

    python -m training.evaluate_external FILE.jsonl [FILE.jsonl ...] [--link] [--show N] [--model PATH]

Each line of each file is a JSON object with `text` and `label` (one of the four labels), and
optionally `id` and `source_id`: the `id` of the document (in any of the files) it was rewritten
or translated from. Text the model has never seen, from generators, rewriters or writers the
corpus does not hold, is the honest test of whether a feature generalises (the corpus's own
leave-one-source-out is the other); training/probe/ holds such a set.

Prints, per true label, how many documents were called each label (a confusion table), and
the macro-F1 over the labels present. With --link, the documents are linked as one batch
(detector.link) and, for documents with a `source_id`, it prints the share whose derived_from
chain reaches that source, the relations found, and labels before and after linking.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np

from detector.verdict import LABELS
from training import measures
from training.evaluate_linking import chain


def read_records(paths: list[Path]) -> list[dict]:
    """Every record of the files, in order; a line without text or a known label is an error."""
    records = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                record = json.loads(line)
                if not isinstance(record.get("text"), str) or record.get("label") not in LABELS:
                    raise SystemExit(f"{path}:{number}: needs a text and a label in {LABELS}")
                record.setdefault("id", f"{path.name}:{number}")
                records.append(record)
    return records


def macro_f1(truths: list[str], predictions: list[str]) -> float:
    """Mean F1 over the labels that occur as truths (a label nobody has cannot be recalled)."""
    present, f1 = measures.present_label_f1(truths, predictions)
    return float(np.mean(f1)) if present else float("nan")


def render_confusion(predicted_as: dict[str, dict[str, int]]) -> list[str]:
    """measures.present_label_scores' `predicted_as` as a markdown table, shares beside counts."""
    lines = ["| true \\ called | n | " + " | ".join(LABELS) + " |",
             "|---|---:|" + "---:|" * len(LABELS)]
    for truth, row in predicted_as.items():
        n = sum(row.values())
        cells = " | ".join(f"{row[label]} ({row[label] / n:.0%})" for label in LABELS)
        lines.append(f"| {truth} | {n} | {cells} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--link", action="store_true", help="link the documents as one batch")
    parser.add_argument("--show", type=int, default=0, help="misclassified documents to print")
    parser.add_argument("--model", type=Path, default=None, help="a model file (default: the bundled one)")
    args = parser.parse_args(argv)

    from detector.api import Detector

    records = read_records(args.files)
    detector = Detector.load(args.model)
    verdicts = detector.score_many([r["text"] for r in records], ids=[r["id"] for r in records])
    failed = [(r, v) for r, v in zip(records, verdicts) if v.error]
    for record, verdict in failed:
        print(f"error on {record['id']}: {verdict.error}", file=sys.stderr)
    scored = [(r, v) for r, v in zip(records, verdicts) if not v.error]
    truths = [r["label"] for r, _ in scored]
    predictions = [v.label for _, v in scored]
    print(f"{len(records)} documents from {', '.join(str(p) for p in args.files)}; "
          f"{len(failed)} could not be scored")
    print()
    scores = measures.present_label_scores(truths, predictions)
    print("\n".join(render_confusion(scores["predicted_as"])))
    print()
    print(f"accuracy {scores['accuracy']:.3f}; "
          f"macro-F1 over the {len(scores['labels'])} labels present {macro_f1(truths, predictions):.3f}")

    shown = 0
    for (record, verdict), truth, predicted in zip(scored, truths, predictions):
        if shown >= args.show or truth == predicted:
            continue
        shown += 1
        own_scores = ", ".join(f"{k} {v:.2f}" for k, v in verdict.scores.items())
        print(f"\n{record['id']}: {truth} called {predicted} ({own_scores})")
        print("   ", record["text"][:300].replace("\n", " "))

    if args.link:
        from detector.link import link_verdicts

        linked = link_verdicts(verdicts)
        by_id = {v.id: v for v in linked}
        index_of = {v.id: i for i, v in enumerate(linked)}
        derived = [(r, by_id[r["id"]]) for r in records if r.get("source_id") in by_id]
        reached = sum(index_of[r["source_id"]] in chain(linked, index_of[r["id"]]) for r, _ in derived)
        relations = collections.Counter(
            v.derived_from.relation if v.derived_from else "none" for _, v in derived)
        own = {v.id: v for v in verdicts}
        before = sum(own[r["id"]].label == r["label"] for r, _ in derived)
        after = sum(v.label == r["label"] for r, v in derived)
        others = [(r, by_id[r["id"]]) for r in records if r.get("source_id") not in by_id]
        wrongly = sum(v.derived_from is not None for _, v in others)
        print()
        print(f"linking: {reached} of {len(derived)} derived documents' chains reach their source "
              f"({reached / max(len(derived), 1):.3f}); relations {dict(relations)}")
        print(f"labels of those derived documents right: {before} before linking, {after} after")
        print(f"documents without a source in the batch linked to something: {wrongly} of {len(others)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
