"""Leave-one-source-out for every ablation row, at screening cost.

    python -m training.ablation_loso                  # writes training/reports/ablation_loso.md

training.evaluate runs leave-one-source-out for the model row only: each of its fits is the
shipped recipe (400 boosting rounds, calibrated on 3 folds), and eight sources for each of eight
ablation rows would take hours. Feature choices should follow what holds up on sources the
model has never seen (issue #3), so this screens every row on the same splits (the test split
and each source left out) with two savings:

- the n-gram stage's stacked columns are fitted once per split and shared by every row (they do
  not depend on the hand-built columns);
- the final stage is one uncalibrated booster of SCREEN_ROUNDS rounds (train.make_booster with
  SCREEN_OVERRIDES).

The figures rank variants against each other; the shipped model's own figures are
training.evaluate's.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from detector.verdict import LABELS
from training import dataset, evaluate, measures, train

SCREEN_OVERRIDES = {"max_iter": 200, "learning_rate": 0.1}
DEFAULT_OUT = evaluate.DEFAULT_OUT


def splits(data: evaluate.Data) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The test split, then every source left out: name -> (fit rows, scored rows)."""
    out = {"test split": (data.train, data.test)}
    for source in sorted(set(data.sources.tolist())):
        out[source] = (np.flatnonzero(data.sources != source), np.flatnonzero(data.sources == source))
    return out


def stacked_columns(data: evaluate.Data, grams, fit_rows: np.ndarray, scored_rows: np.ndarray):
    """Sample weights, and the n-gram stage's columns for the fit rows (out of fold, as in
    fit_pipeline) and for the scored rows (the stage refitted on all fit rows)."""
    from sklearn.model_selection import GroupKFold

    labels = data.labels[fit_rows]
    stories = np.array([data.records[i].story for i in fit_rows])
    weights = train.sample_weights(labels, data.sources[fit_rows], data.kinds[fit_rows],
                                   translation_balance=train.TRANSLATION_BALANCE)
    folds = list(GroupKFold(n_splits=3).split(fit_rows, labels, groups=stories))
    model, out_of_fold = train.fit_ngram_stage(grams[fit_rows], labels, weights, folds)
    return weights, out_of_fold, train.ngram_probabilities(model, grams[scored_rows])


def screen(data: evaluate.Data, variant: evaluate.Variant, fit_rows, scored_rows, weights,
           fit_stacked, scored_stacked) -> np.ndarray:
    """Probabilities (LABELS order) of one variant's screening booster on the scored rows."""
    options = dict(variant.options)
    fit_x, scored_x = variant.hand(data.hand[fit_rows]), variant.hand(data.hand[scored_rows])
    if options.get(evaluate.LEARNED_FLAG, True):
        fit_x, scored_x = np.hstack([fit_x, fit_stacked]), np.hstack([scored_x, scored_stacked])
    booster = train.make_booster(**SCREEN_OVERRIDES).fit(fit_x, data.labels[fit_rows],
                                                         sample_weight=weights)
    classes = list(booster.classes_)
    return booster.predict_proba(scored_x)[:, [classes.index(label) for label in LABELS]]


def run(data: evaluate.Data, grams, log=print) -> dict:
    variants = evaluate.ablation_variants()
    rows = {v.name: {"variant": v.name, "features": len(v.columns) if v.columns is not None
                     else data.hand.shape[1], "sources": {}} for v in variants}
    for name, (fit_rows, scored_rows) in splits(data).items():
        started = time.time()
        stacked = stacked_columns(data, grams, fit_rows, scored_rows)
        truth = data.labels[scored_rows]
        for variant in variants:
            predicted = evaluate.label_of(screen(data, variant, fit_rows, scored_rows, *stacked))
            row = rows[variant.name]
            if name == "test split":
                row["test_macro_f1"] = train.metrics(truth, predicted)["macro_f1"]
                human = data.kinds[scored_rows] == "human_translated"
                row["human_called_mt"] = (round(float((predicted[human] == "machine_translated").mean()), 4)
                                          if human.any() else None)
            elif len(set(truth.tolist())) >= 2:
                row["sources"][name] = round(measures.present_label_scores(truth, predicted)["macro_f1"], 4)
        log(f"  {name}: {len(variants)} variants in {time.time() - started:.0f}s")
    for row in rows.values():
        judged = list(row["sources"].values())
        row["loso_mean_macro_f1"] = round(float(np.mean(judged)), 4) if judged else None
    return {"screen": SCREEN_OVERRIDES, "documents": len(data.records), "rows": list(rows.values())}


def markdown(result: dict) -> str:
    rows = result["rows"]
    sources = sorted({s for row in rows for s in row["sources"]})
    model = rows[0]
    out = ["# Ablation with every source left out (screening)", "",
           "Generated by `python -m training.ablation_loso`; the figures are in ablation_loso.json too.", "",
           f"Each row is fitted on the same splits as `training.evaluate` ({result['documents']} documents: "
           "the test split, then each source left out), with the n-gram stage fitted once per split and "
           f"an uncalibrated booster ({', '.join(f'{k}={v}' for k, v in result['screen'].items())}) as "
           "the final stage. The rows rank variants against each other; the shipped model's figures "
           "are in report.md. Δ is against the first row. LOSO: macro-F1 over the labels the left-out "
           "source has, for sources with at least two labels.", "",
           "| variant | hand features | test macro-F1 | Δ | LOSO mean | Δ | human translations called MT | "
           + " | ".join(sources) + " |",
           "|---|---|---|---|---|---|---|" + "---|" * len(sources)]
    for row in rows:
        def delta(key):
            return f"{row[key] - model[key]:+.3f}" if row.get(key) is not None and model.get(key) is not None else "–"
        loso = row["loso_mean_macro_f1"]
        human = row.get("human_called_mt")
        out.append(f"| {row['variant']} | {row['features']} | {row.get('test_macro_f1', float('nan')):.3f} | "
                   f"{delta('test_macro_f1')} | {'–' if loso is None else f'{loso:.3f}'} | {delta('loso_mean_macro_f1')} | "
                   f"{'–' if human is None else f'{human:.1%}'} | "
                   + " | ".join(f"{row['sources'][s]:.3f}" if s in row["sources"] else "–" for s in sources) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.ablation_loso", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=dataset.DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--jobs", type=int, default=None, help="processes for feature extraction")
    args = parser.parse_args(argv)
    started = time.time()
    data = evaluate.load_data(args.corpus, None, args.jobs)
    grams = dataset.cached_ngrams("corpus", [r.text for r in data.records], jobs=args.jobs)
    print(f"{len(data.records)} documents, features and n-grams in {time.time() - started:.0f}s",
          file=sys.stderr)
    result = run(data, grams, log=lambda m: print(m, file=sys.stderr))
    result["seconds"] = round(time.time() - started)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ablation_loso.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    (args.out / "ablation_loso.md").write_text(markdown(result), encoding="utf-8")
    print(f"wrote {args.out / 'ablation_loso.md'} in {result['seconds']}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
