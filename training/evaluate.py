"""Evaluate the training pipeline where a model that learned sources and topics would fail.

    python -m training.evaluate                 # full run; writes training/reports/
    python -m training.evaluate --quick         # a subsample, for development (training/reports/quick/)

Every run measures, with fixed seeds (a rerun gives the same figures):
  - the corpus's test split (story hash): accuracy, macro-F1, per-label F1, confusion, per source;
  - leave-one-source-out: train on seven sources, test on the eighth;
  - machine vs human translation of the same stories (P(machine_translated) AUROC);
  - layout invariance (paragraph and line breaks put back) and short documents (first 500
    characters), with features recomputed for a sample of test documents;
  - the samples/ folder through the bundled model, and the bundled model against its card;
  - an ablation table (feature families removed), feature firing rates, calibration.

Only fit_pipeline(records, hand) and TrainedPipeline.predict_proba(records, hand) are used, so
whatever model train.py fits is the model evaluated here.
"""
from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from detector.features import FAMILIES, FAMILY_OF, FEATURE_NAMES
from detector.verdict import LABELS
from training import dataset, measures, perturb, train

SEED = train.SEED
REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "training" / "reports"
SAMPLES = REPO / "samples"

# Targets from the issue (#3).
TARGET_LOSO_F1 = 0.80  # on every left-out source with at least two labels
TARGET_LAYOUT_AGREEMENT = 0.99
TARGET_HT_AS_MT = 0.05
# Test documents whose features are recomputed for the layout and length checks. Feature
# extraction runs at ~270 documents a second per core, so 1,000 documents and three variants
# cost well under a minute; the agreement target (99%) is resolved to 10 documents.
PERTURB_SAMPLE = 1000
# --quick: documents kept from the corpus, and the perturbation sample.
QUICK_DOCUMENTS = 8000
QUICK_PERTURB_SAMPLE = 200
# A feature "never fires" when it is non-zero in under this share of every label's training
# documents (0.5% of ~2,000 documents per source and label is ~10 documents).
RARE_FIRING = 0.005

# Hook for learned features (e.g. n-grams inside TrainedPipeline): the keyword argument of
# train.fit_pipeline that switches them on (True) or off (False). While fit_pipeline has no such
# parameter the ablation table says so and "hand-built only" is the model itself.
LEARNED_FLAG = "learned"

MT = LABELS.index("machine_translated")


@dataclass
class Data:
    """The corpus records, their hand-feature rows, and the test split's indices."""

    records: list[dataset.Record]
    hand: np.ndarray
    train: np.ndarray
    test: np.ndarray
    labels: np.ndarray = field(init=False)
    kinds: np.ndarray = field(init=False)
    sources: np.ndarray = field(init=False)

    def __post_init__(self):
        self.labels = np.array([r.label for r in self.records])
        self.kinds = np.array([r.kind for r in self.records])
        self.sources = np.array([r.source for r in self.records])

    def take(self, idx) -> list[dataset.Record]:
        return [self.records[i] for i in idx]


@dataclass(frozen=True)
class Variant:
    """One model configuration: a subset of hand-feature columns and fit_pipeline options."""

    name: str
    columns: tuple[int, ...] | None = None  # None: every hand-built feature
    options: tuple[tuple[str, object], ...] = ()

    def hand(self, matrix: np.ndarray) -> np.ndarray:
        return matrix if self.columns is None else matrix[:, list(self.columns)]


def load_data(corpus: Path, limit: int | None, jobs: int | None) -> Data:
    records = dataset.read_corpus(corpus)
    hand = dataset.cached_features("corpus", [r.text for r in records], jobs=jobs)
    if limit and limit < len(records):
        keep = np.sort(np.random.default_rng(SEED).choice(len(records), size=limit, replace=False))
        records, hand = [records[i] for i in keep], hand[keep]
    train_idx, test_idx = dataset.split(records)
    return Data(records, hand, np.array(train_idx), np.array(test_idx))


def learned_supported() -> bool:
    return LEARNED_FLAG in inspect.signature(train.fit_pipeline).parameters


def fit(data: Data, idx: np.ndarray, variant: Variant) -> train.TrainedPipeline:
    return train.fit_pipeline(data.take(idx), variant.hand(data.hand[idx]), **dict(variant.options))


def predict(pipeline: train.TrainedPipeline, records: list[dataset.Record], hand: np.ndarray,
            variant: Variant) -> np.ndarray:
    return pipeline.predict_proba(records, variant.hand(hand))


def label_of(probabilities: np.ndarray) -> np.ndarray:
    return np.asarray(LABELS)[probabilities.argmax(axis=1)]


# --- sections ---------------------------------------------------------------------------------
def test_split(data: Data, probs: np.ndarray) -> dict:
    """Figures of the model fitted on the train split, on the test split."""
    y, pred = data.labels[data.test], label_of(probs)
    out = train.metrics(y, pred)
    out["per_source"] = measures.by_group(data.sources[data.test], y, pred)
    out["per_kind"] = measures.by_group(data.kinds[data.test], y, pred)
    out["calibration"] = measures.reliability(probs, y)
    return out


def translation_check(kinds: np.ndarray, stories: np.ndarray, sources: np.ndarray,
                      probs: np.ndarray) -> dict:
    """Does P(machine_translated) separate machine from human translation of the same stories?

    Human translations share stories (topics, names, places) with the machine translations, so
    this is the check that translation features see machine artefacts, not foreign topics.
    """
    p_mt = probs[:, MT]
    pred = label_of(probs)
    mt, ht, orig = kinds == "machine_translated", kinds == "human_translated", kinds == "original"
    both = set(stories[mt]) & set(stories[ht])
    same_story = np.array([s in both for s in stories]) & (mt | ht)
    out = {
        "stories_with_both": len(both),
        "mt_vs_ht_same_stories_auroc": measures.auroc(p_mt[same_story], mt[same_story]),
        "mt_vs_ht_same_stories_documents": {"machine_translated": int((same_story & mt).sum()),
                                            "human_translated": int((same_story & ht).sum())},
        "mt_vs_original_auroc": measures.auroc(p_mt[mt | orig], mt[mt | orig]),
        "human_translated_documents": int(ht.sum()),
        "human_translated_as": {label: round(float((pred[ht] == label).mean()), 4) if ht.any() else None
                                for label in LABELS},
        "per_source": {},
    }
    for source in sorted(set(sources[mt].tolist())):
        mine = sources == source
        row = {"mt_vs_original_auroc": measures.auroc(p_mt[mine & (mt | orig)], mt[mine & (mt | orig)])}
        if (mine & ht).any():
            row["mt_vs_ht_auroc"] = measures.auroc(p_mt[mine & (mt | ht)], mt[mine & (mt | ht)])
            row["human_translated_as_mt"] = round(float((pred[mine & ht] == "machine_translated").mean()), 4)
        out["per_source"][source] = row
    return out


def held_out_probe(pipeline: train.TrainedPipeline, variant: Variant,
                   jobs: int | None = None) -> dict:
    """The test-split model on training/probe/ (text from outside the corpus, never trained
    on): where each group's documents went. A group is a probe file and generator, so the
    translation probe's literal and natural translations are shown apart."""
    records = dataset.read_probe()
    if not records:
        return {"groups": {}}
    hand = dataset.feature_matrix([r.text for r in records], jobs=jobs)
    called = label_of(predict(pipeline, records, hand, variant))
    members: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        members.setdefault(f"{record.source.removeprefix('probe:')}: {record.generator}", []).append(i)
    groups = {}
    for name, idx in sorted(members.items()):
        label = records[idx[0]].label
        scores = measures.present_label_scores([records[i].label for i in idx], called[idx])
        groups[name] = {"label": label, "documents": len(idx),
                        "called": scores["predicted_as"][label], "right": scores["recall"][label]}
    return {"groups": groups}


def leave_one_source_out(data: Data, variant: Variant, log=print, partial=None) -> dict:
    """Train on every document of all sources but one, test on every document of that one.

    `partial(result so far)` is called after each source (a checkpoint for long runs)."""
    out, pooled_probs, pooled_idx = {}, [], []
    all_sources = sorted(set(data.sources.tolist()))
    for source in all_sources:
        held = np.flatnonzero(data.sources == source)
        rest = np.flatnonzero(data.sources != source)
        started = time.time()
        pipeline = fit(data, rest, variant)
        probs = predict(pipeline, data.take(held), data.hand[held], variant)
        scores = measures.present_label_scores(data.labels[held], label_of(probs))
        scores["seconds"] = round(time.time() - started, 1)
        out[source] = scores
        pooled_probs.append(probs)
        pooled_idx.append(held)
        log(f"  left out {source}: macro-F1 {scores['macro_f1']:.3f} ({scores['seconds']:.0f}s)")
        result = {"sources": dict(out), "probabilities": np.vstack(pooled_probs),
                  "index": np.concatenate(pooled_idx), "complete": len(out) == len(all_sources)}
        if partial and not result["complete"]:
            partial(result)
    return result


def loso_summary(loso: dict, data: Data) -> dict:
    sources = loso["sources"]
    judged = {s: v for s, v in sources.items() if len(v["labels"]) >= 2}
    probs, idx = loso["probabilities"], loso["index"]
    y = data.labels[idx]
    stories = np.array([data.records[i].story for i in idx])
    return {
        "sources": sources,
        "complete": loso["complete"],
        "mean_macro_f1": round(float(np.mean([v["macro_f1"] for v in judged.values()])), 4) if judged else None,
        "min_macro_f1": round(float(min(v["macro_f1"] for v in judged.values())), 4) if judged else None,
        "below_target": sorted(s for s, v in judged.items() if v["macro_f1"] < TARGET_LOSO_F1),
        "single_label_sources": sorted(s for s, v in sources.items() if len(v["labels"]) < 2),
        "pooled": train.metrics(y, label_of(probs)),
        "calibration": measures.reliability(probs, y),
        "translation": translation_check(data.kinds[idx], stories, data.sources[idx], probs),
    }


def perturbation_sample(data: Data, size: int) -> np.ndarray:
    """A fixed random sample of test documents (same seed, same sample)."""
    size = min(size, len(data.test))
    return np.sort(np.random.default_rng(SEED + 1).choice(data.test, size=size, replace=False))


def _recomputed(name: str, records: list[dataset.Record], texts: list[str], jobs: int | None):
    """Records carrying the changed texts (a learned model reads the text) and their features."""
    changed = [dataclasses.replace(r, text=t) for r, t in zip(records, texts)]
    return changed, dataset.cached_features(name, texts, jobs=jobs)


def layout_invariance(data: Data, pipeline, idx: np.ndarray, jobs: int | None) -> dict:
    """Labels of the normalised text vs the same text with paragraph or line breaks inserted."""
    records = data.take(idx)
    base_texts = [perturb.normalised(r.text) for r in records]
    base_records, base_hand = _recomputed("layout-none", records, base_texts, jobs)
    base_probs = pipeline.predict_proba(base_records, base_hand)
    base_pred = label_of(base_probs)
    out = {"documents": len(idx)}
    variants = {
        f"paragraph break every {perturb.SENTENCES_PER_PARAGRAPH} sentences":
            ("layout-paragraphs", lambda t: perturb.with_breaks(t)),
        "line break after every sentence":
            ("layout-lines", lambda t: perturb.with_breaks(t, every=1, separator="\n")),
    }
    for name, (key, change) in variants.items():
        texts = [change(t) for t in base_texts]
        changed_records, hand = _recomputed(key, records, texts, jobs)
        probs = pipeline.predict_proba(changed_records, hand)
        pred = label_of(probs)
        moved = ~np.isclose(hand, base_hand, equal_nan=True, rtol=1e-9, atol=1e-9)
        flips: dict[str, int] = {}
        for a, b in zip(base_pred, pred):
            if a != b:
                flips[f"{a} -> {b}"] = flips.get(f"{a} -> {b}", 0) + 1
        out[name] = {
            "changed_texts": int(sum(t != b for t, b in zip(texts, base_texts))),
            "agreement": measures.agreement(base_pred, pred),
            "flips": dict(sorted(flips.items(), key=lambda kv: -kv[1])),
            "mean_abs_probability_change": round(float(np.abs(probs - base_probs).mean()), 5),
            "features_changed": {FEATURE_NAMES[f]: round(float(moved[:, f].mean()), 4)
                                 for f in np.flatnonzero(moved.any(axis=0))},
        }
    return out


def short_documents(data: Data, pipeline, idx: np.ndarray, full_probs: np.ndarray,
                    jobs: int | None) -> dict:
    """The same sample cut to its first SHORT_CHARS characters; the full texts' figures beside."""
    records = data.take(idx)
    texts = [perturb.first_chars(r.text) for r in records]
    changed_records, hand = _recomputed(f"short{perturb.SHORT_CHARS}", records, texts, jobs)
    probs = pipeline.predict_proba(changed_records, hand)
    y = data.labels[idx]
    short = train.metrics(y, label_of(probs))
    short["recall"] = measures.present_label_scores(y, label_of(probs))["recall"]
    full = train.metrics(y, label_of(full_probs))
    return {"documents": len(idx), "chars": perturb.SHORT_CHARS,
            "cut_documents": int(sum(len(t) < len(r.text) for t, r in zip(texts, records))),
            "short": short, "full": {k: full[k] for k in ("accuracy", "macro_f1", "f1")},
            "agreement_with_full": measures.agreement(label_of(full_probs), label_of(probs))}


def samples_check(folder: Path = SAMPLES) -> list[dict]:
    """Each file of samples/labels.tsv through the bundled model (detector.Detector.load())."""
    from detector import Detector

    detector = Detector.load()
    rows = []
    lines = (folder / "labels.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    for line in lines[1:]:
        if not line.strip():
            continue
        row = dict(zip(header, line.split("\t")))
        verdict = detector.score_file(folder / row["file"])
        acceptable = {row["label"]} | {a.strip() for a in row.get("also_acceptable", "").split(",") if a.strip()}
        rows.append({"file": row["file"], "expected": row["label"],
                     "also_acceptable": sorted(acceptable - {row["label"]}),
                     "got": verdict.label, "ok": verdict.label in acceptable,
                     "scores": {k: round(v, 3) for k, v in (verdict.scores or {}).items()},
                     "evidence_features": sorted({e.feature for e in verdict.evidence}),
                     "error": verdict.error})
    return rows


def ablation_variants() -> list[Variant]:
    """The model as fit_pipeline fits it, hand-built features only, and each family removed."""
    variants = [Variant("model (fit_pipeline defaults)")]
    if learned_supported():
        variants.append(Variant("hand-built features only", options=((LEARNED_FLAG, False),)))
    for family in FAMILIES:
        keep = tuple(i for i, name in enumerate(FEATURE_NAMES) if FAMILY_OF[name] != family)
        variants.append(Variant(f"without {family}", columns=keep))
    return variants


def ablation(data: Data, model_probs: np.ndarray, model_loso: dict | None, with_loso: bool,
             log=print, partial=None) -> list[dict]:
    rows = []
    y = data.labels[data.test]
    for variant in ablation_variants():
        started = time.time()
        if variant.columns is None and not variant.options:
            probs, loso = model_probs, model_loso  # the test-split model: already measured
            if loso and not loso.get("complete"):
                loso = None
        else:
            pipeline = fit(data, data.train, variant)
            probs = predict(pipeline, data.take(data.test), data.hand[data.test], variant)
            loso = loso_summary(leave_one_source_out(data, variant, log), data) if with_loso else None
        metrics = train.metrics(y, label_of(probs))
        rows.append({"variant": variant.name,
                     "features": len(variant.columns) if variant.columns is not None else len(FEATURE_NAMES),
                     "test_macro_f1": metrics["macro_f1"], "test_f1": metrics["f1"],
                     "loso_mean_macro_f1": loso["mean_macro_f1"] if loso else None,
                     "seconds": round(time.time() - started, 1)})
        log(f"  {variant.name}: test macro-F1 {metrics['macro_f1']:.3f}")
        if partial:
            partial(list(rows))
    return rows


def span_bearing_features(texts: list[str]) -> set[str]:
    """Features that returned evidence spans on any of these texts."""
    from detector.document import Document
    from detector.features import extract

    found = set()
    for text in texts:
        for name, finding in zip(FEATURE_NAMES, extract(Document.from_text(text))):
            if finding.spans:
                found.add(name)
    return found


def firing(data: Data, probe: list[str]) -> dict:
    """Share of training documents per label where each feature is non-zero, and which
    features the corpus cannot teach (design.md)."""
    from detector.model import priors

    rates = train.firing_rates(data.hand[data.train], data.labels[data.train])
    spans = span_bearing_features(probe)
    prior_of = {}
    for prior in priors():
        prior_of.setdefault(prior.feature, []).append(f"{prior.label} {prior.log_odds:+g}")
    rows = []
    for name in FEATURE_NAMES:
        rate = rates[name]
        rows.append({"feature": name, "family": FAMILY_OF[name], "rates": rate,
                     "spans": name in spans, "rare": max(rate.values()) < RARE_FIRING,
                     "priors": prior_of.get(name, [])})
    return {"features": rows, "probe_documents": len(probe)}


# --- the run ----------------------------------------------------------------------------------
def run(args: argparse.Namespace, log=print, checkpoint=lambda results: None) -> dict:
    """Every section in turn, cheapest first; `checkpoint(results)` after each one (and after
    each slow fit), so a run cut short still leaves a report of what it finished."""
    started = clock = time.time()
    timings: dict[str, float] = {}
    results: dict = {"errors": {}}

    def guarded(name: str, compute) -> None:
        """Run one section; a failure is recorded in the report and the run goes on, so one
        bug late in a long run does not cost the sections before and after it."""
        try:
            compute()
        except Exception:  # noqa: BLE001 - reported in full, and main() exits non-zero
            import traceback

            results["errors"][name] = traceback.format_exc()
            log(results["errors"][name])

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.time() - clock, 1)
        results["run"]["seconds"] = timings
        results["run"]["total_seconds"] = round(time.time() - started, 1)
        log(f"[{name}] {timings[name]:.0f}s")
        checkpoint(results)
        clock = time.time()

    data = load_data(args.corpus, args.limit, args.jobs)
    results["run"] = {"quick": args.quick, "documents": len(data.records),
                      "train": int(len(data.train)), "test": int(len(data.test)),
                      "seed": SEED, "learned_flag_supported": learned_supported(), "complete": False}
    timings["load"] = round(time.time() - clock, 1)
    clock = time.time()
    model = Variant("model")
    pipeline = fit(data, data.train, model)
    test_probs = predict(pipeline, data.take(data.test), data.hand[data.test], model)
    results["test_split"] = test_split(data, test_probs)
    stories = np.array([r.story for r in data.records])
    results["translation"] = translation_check(data.kinds[data.test], stories[data.test],
                                               data.sources[data.test], test_probs)
    lap("test split")

    def perturbed() -> None:
        sample = perturbation_sample(data, args.sample)
        position = {i: k for k, i in enumerate(data.test)}
        sample_probs = test_probs[[position[i] for i in sample]]
        results["layout"] = layout_invariance(data, pipeline, sample, args.jobs)
        results["short"] = short_documents(data, pipeline, sample, sample_probs, args.jobs)

    guarded("layout and short documents", perturbed)
    lap("layout and short documents")

    def probe() -> None:
        results["probe"] = held_out_probe(pipeline, model, args.jobs)

    guarded("held-out probe", probe)
    lap("held-out probe")

    def samples_bundled() -> None:
        results["samples"] = samples_check(args.samples)
        if not args.limit:  # the card's figures are for the whole test split
            from training import bundled

            results["bundled"] = bundled.test_split_check(data.take(data.test), data.hand[data.test])

    def firing_rates() -> None:
        probe_idx = np.random.default_rng(SEED + 2).choice(data.train, size=min(300, len(data.train)),
                                                           replace=False)
        probe = [data.records[i].text for i in np.sort(probe_idx)]
        probe += [p.read_text(encoding="utf-8") for p in sorted(args.samples.glob("*.txt"))]
        results["firing"] = firing(data, probe)

    guarded("samples and bundled model", samples_bundled)
    guarded("firing rates", firing_rates)
    lap("samples, bundled model, firing rates")

    def partial(done: dict) -> None:
        results["loso"] = loso_summary(done, data)
        checkpoint(results)

    def loso() -> None:
        results["loso"] = loso_summary(leave_one_source_out(data, model, log, partial), data)

    if not args.no_loso:
        guarded("leave-one-source-out", loso)
        lap("leave-one-source-out")

    def rows_so_far(rows: list[dict]) -> None:
        results["ablation"] = rows
        checkpoint(results)

    def ablations() -> None:
        results["ablation"] = ablation(data, test_probs, results.get("loso"), args.ablation_loso,
                                       log, rows_so_far)

    if not args.no_ablation:
        results["ablation_loso"] = bool(args.ablation_loso)
        guarded("ablation", ablations)
        lap("ablation")
    results["run"]["complete"] = True
    checkpoint(results)
    return results


def json_ready(results: dict) -> dict:
    out = {k: v for k, v in results.items() if k != "loso"}
    if "loso" in results:
        out["loso"] = {k: v for k, v in results["loso"].items() if k not in ("probabilities", "index")}
    return out


def write(results: dict, out: Path) -> list[Path]:
    """evaluation.json, the PNG figures and report.md, into `out` (the JSON first: whatever
    fails later, the figures are kept and `--render-only` can redo the rest)."""
    from training import plots, report

    out.mkdir(parents=True, exist_ok=True)
    figures = json_ready(results)
    (out / "evaluation.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    written = []
    test = figures.get("test_split")
    if test:
        written += [
            plots.confusion(test["confusion"]["matrix"], test["confusion"]["labels"],
                            out / "confusion.png", "Test split: confusion matrix"),
            plots.reliability(test["calibration"]["bins"], test["calibration"]["ece"],
                              out / "reliability.png", "Test split: winning label's probability"),
        ]
        sources = sorted(test["per_source"])
        series = {"test split accuracy": [test["per_source"][s]["accuracy"] for s in sources],
                  "test split macro-F1": [test["per_source"][s]["macro_f1"] for s in sources]}
        if "loso" in figures:
            loso = figures["loso"]["sources"]
            series["left out: macro-F1"] = [loso[s]["macro_f1"] if s in loso and len(loso[s]["labels"]) >= 2
                                            else None for s in sources]
            series["left out: accuracy"] = [loso[s]["accuracy"] if s in loso else None for s in sources]
            pooled = figures["loso"]["pooled"]["confusion"]
            written.append(plots.confusion(pooled["matrix"], pooled["labels"], out / "confusion_loso.png",
                                           "Left-out sources, pooled: confusion matrix"))
        written.append(plots.per_source(sources, series, out / "per_source.png",
                                        "Per source: test split and left out (macro-F1 over labels present)"))
    (out / "report.md").write_text(report.render(figures, [p.name for p in written]), encoding="utf-8")
    return [out / "evaluation.json"] + written + [out / "report.md"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=dataset.DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=None,
                        help=f"report folder (default {DEFAULT_OUT.relative_to(REPO)}, "
                             "or its quick/ subfolder with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help=f"development run: {QUICK_DOCUMENTS} documents, "
                             f"{QUICK_PERTURB_SAMPLE} perturbed ones")
    parser.add_argument("--limit", type=int, default=None, help="use at most this many documents")
    parser.add_argument("--sample", type=int, default=None,
                        help=f"test documents re-extracted for layout/length (default {PERTURB_SAMPLE})")
    parser.add_argument("--no-loso", action="store_true", help="skip leave-one-source-out")
    parser.add_argument("--no-ablation", action="store_true", help="skip the ablation table")
    parser.add_argument("--ablation-loso", action="store_true",
                        help="also run leave-one-source-out for every ablation row (8 fits each)")
    parser.add_argument("--samples", type=Path, default=SAMPLES)
    parser.add_argument("--render-only", action="store_true",
                        help="redo report.md and the figures from the folder's evaluation.json")
    parser.add_argument("--jobs", type=int, default=None, help="processes for feature extraction")
    args = parser.parse_args(argv)
    if args.quick:
        args.limit = args.limit or QUICK_DOCUMENTS
        args.sample = args.sample or QUICK_PERTURB_SAMPLE
    args.sample = args.sample or PERTURB_SAMPLE
    out = args.out or (DEFAULT_OUT / "quick" if args.quick else DEFAULT_OUT)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.render_only:
        write(json.loads((out / "evaluation.json").read_text(encoding="utf-8")), out)
        return 0

    def checkpoint(results: dict) -> None:
        try:
            write(results, out)
        except Exception:  # noqa: BLE001 - a report bug must not stop a long run; JSON is kept
            import traceback

            log(traceback.format_exc())

    results = run(args, log, checkpoint)
    log(f"wrote {out}/report.md, evaluation.json and figures")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
