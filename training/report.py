"""The evaluation report as markdown, rendered from evaluate.py's results (the JSON-ready dict).

Rendering only: every number here was computed in evaluate.py / measures.py, so the report and
evaluation.json never disagree.
"""
from __future__ import annotations

from detector.verdict import LABELS

TARGET_LOSO_F1 = 0.80
TARGET_LAYOUT_AGREEMENT = 0.99
TARGET_HT_AS_MT = 0.05
# Card check: the bundled model may not fall more than this below its card's macro-F1.
CARD_TOLERANCE = 0.01
SHORT = {"original": "orig", "paraphrased": "para", "machine_translated": "MT", "ai_generated": "AI"}


def _f(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _met(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out + [""]


def _confusion(confusion: dict) -> list[str]:
    labels = confusion["labels"]
    rows = [[f"**{t}**"] + [str(c) for c in row] for t, row in zip(labels, confusion["matrix"])]
    return _table(["true \\ predicted"] + labels, rows)


def _largest_confusions(confusion: dict, n: int = 4) -> list[str]:
    labels, matrix = confusion["labels"], confusion["matrix"]
    cells = []
    for i, row in enumerate(matrix):
        total = sum(row) or 1
        for j, count in enumerate(row):
            if i != j and count:
                cells.append((count / total, count, labels[i], labels[j]))
    cells.sort(reverse=True)
    return [f"- {true} called {pred}: {count} documents ({share:.1%} of {true})"
            for share, count, true, pred in cells[:n]] or ["- none"]


def summary(results: dict) -> list[str]:
    test = results["test_split"]
    rows = [["test split macro-F1 (accuracy)", f"{_f(test['macro_f1'])} ({_f(test['accuracy'])})", "", "–"]]
    if "loso" in results:
        loso = results["loso"]
        judged = [(v["macro_f1"], s) for s, v in loso["sources"].items() if len(v["labels"]) >= 2]
        worst = min(judged) if judged else (None, "none")
        done = "" if loso["complete"] else f" ({len(loso['sources'])} sources so far)"
        rows.append([f"left-out source macro-F1: mean; worst{done}", f"{_f(loso['mean_macro_f1'])}; "
                     f"{_f(worst[0])} ({worst[1]})", f">= {TARGET_LOSO_F1:.2f} on every source",
                     _met(not loso["below_target"]) if loso["complete"] else "–"])
    tr = results["translation"]
    ht_as_mt = tr["human_translated_as"]["machine_translated"]
    rows.append(["human translations called machine_translated (test split)", _pct(ht_as_mt),
                 f"<= {TARGET_HT_AS_MT:.0%}", _met(None if ht_as_mt is None else ht_as_mt <= TARGET_HT_AS_MT)])
    rows.append(["P(MT) AUROC, machine vs human translation, same stories",
                 _f(tr["mt_vs_ht_same_stories_auroc"]), "", "–"])
    rows.append(["P(MT) AUROC, machine translation vs original", _f(tr["mt_vs_original_auroc"]), "", "–"])
    for name, value in results.get("layout", {}).items():
        if isinstance(value, dict):
            ok = value["agreement"] >= TARGET_LAYOUT_AGREEMENT
            rows.append([f"layout: {name}, label kept", _pct(value["agreement"]),
                         f">= {TARGET_LAYOUT_AGREEMENT:.0%}", _met(ok)])
    short = results.get("short")
    if short:
        rows.append([f"first {short['chars']} characters: macro-F1 (full text on the same sample)",
                     f"{_f(short['short']['macro_f1'])} ({_f(short['full']['macro_f1'])})", "", "–"])
    samples = results.get("samples")
    if samples is not None:
        ok = sum(s["ok"] for s in samples)
        rows.append(["samples/ labelled as in labels.tsv (bundled model)", f"{ok} of {len(samples)}",
                     "all", _met(ok == len(samples))])
    rows.append(["expected calibration error, winning label (test split)",
                 _f(test["calibration"]["ece"]), "", "–"])
    if "bundled" in results and results["bundled"].get("card"):
        card, now = results["bundled"]["card"], results["bundled"]["recomputed"]
        # The card's figure is for the corpus's whole test split; on another corpus it says nothing.
        comparable = card["documents"] == now["documents"]
        rows.append(["bundled model file: test macro-F1 recomputed (card)",
                     f"{_f(now['macro_f1'])} ({_f(card['macro_f1'])})",
                     f">= card − {CARD_TOLERANCE}" if comparable else "not comparable (other test documents)",
                     _met(now["macro_f1"] >= card["macro_f1"] - CARD_TOLERANCE) if comparable else "–"])
    return _table(["check", "figure", "target", ""], rows)


def test_split_section(results: dict) -> list[str]:
    test = results["test_split"]
    out = ["## Test split", "",
           f"{test['documents']} documents of the stories the README's hash puts in the test split; "
           f"the model is fitted on the other {results['run']['train']} (fit_pipeline, seed "
           f"{results['run']['seed']}).", ""]
    out += _table(["accuracy", "macro-F1"] + [f"F1 {label}" for label in LABELS],
                  [[_f(test["accuracy"]), _f(test["macro_f1"])] + [_f(test["f1"][l]) for l in LABELS]])
    out += ["![confusion matrix](confusion.png)", ""] + _confusion(test["confusion"])
    out += ["Largest confusions:", ""] + _largest_confusions(test["confusion"]) + [""]
    out += ["### Per source", "", "Macro-F1 over the labels the source has; recall per label "
            "(where the documents of each label went: orig/para/MT/AI).", ""]
    rows = []
    for source, v in test["per_source"].items():
        recalls = []
        for label in v["labels"]:
            went = "/".join(str(v["predicted_as"][label][l]) for l in LABELS)
            recalls.append(f"{SHORT[label]} {_f(v['recall'][label], 2)} ({went})")
        rows.append([source, v["documents"], _f(v["accuracy"]), _f(v["macro_f1"]), "; ".join(recalls)])
    out += _table(["source", "documents", "accuracy", "macro-F1", "recall per label (orig/para/MT/AI)"], rows)
    kinds = test["per_kind"]
    if "human_translated" in kinds:
        ht = kinds["human_translated"]
        went = ht["predicted_as"]["original"]
        out += [f"human_translated documents (label original): {ht['documents']}, called "
                + ", ".join(f"{l} {went[l]}" for l in LABELS) + ".", ""]
    return out


def loso_section(results: dict) -> list[str]:
    if "loso" not in results:
        return ["## Leave one source out", "", "Not run (--no-loso, or the run stopped before it).", ""]
    loso = results["loso"]
    out = ["## Leave one source out", "",
           "Train on every document of all sources but one, test on every document of the one left out. "
           f"Macro-F1 over the labels the left-out source has; target >= {TARGET_LOSO_F1:.2f} on every "
           "source with at least two labels. A source with one label is reported by its recall only.", ""]
    rows = []
    for source, v in loso["sources"].items():
        recalls = []
        for label in v["labels"]:
            went = "/".join(str(v["predicted_as"][label][l]) for l in LABELS)
            recalls.append(f"{SHORT[label]} {_f(v['recall'][label], 2)} ({went})")
        judged = len(v["labels"]) >= 2
        rows.append([source, v["documents"], _f(v["accuracy"]), _f(v["macro_f1"]) if judged else "(one label)",
                     _met(v["macro_f1"] >= TARGET_LOSO_F1) if judged else "–", "; ".join(recalls)])
    out += _table(["left out", "documents", "accuracy", "macro-F1", "target", "recall per label (orig/para/MT/AI)"], rows)
    if not loso["complete"]:
        out += ["**Incomplete: the run stopped (or is still running) before every source was left out.**", ""]
    out += [f"Mean macro-F1 over sources with two or more labels: {_f(loso['mean_macro_f1'])}; "
            f"below target: {', '.join(loso['below_target']) or 'none'}.", "",
            "![per source](per_source.png)", "",
            "All left-out predictions pooled (each document predicted by the model that never saw its source):",
            "", "![left-out confusion](confusion_loso.png)", ""]
    out += _confusion(loso["pooled"]["confusion"])
    out += ["Largest confusions when the source is unseen:", ""] + _largest_confusions(loso["pooled"]["confusion"]) + [""]
    out += [f"Calibration of the left-out predictions: expected calibration error "
            f"{_f(loso['calibration']['ece'])} (mean confidence {_f(loso['calibration']['mean_confidence'])}, "
            f"accuracy {_f(loso['calibration']['accuracy'])}).", ""]
    return out


def translation_section(results: dict) -> list[str]:
    if "translation" not in results:
        return []
    tr = results["translation"]
    docs = tr["mt_vs_ht_same_stories_documents"]
    out = ["## Machine vs human translation", "",
           "Human translations share their stories (topics, names, places) with the machine "
           "translations, so P(machine_translated) separating the two is the check that the model sees "
           "machine artefacts, not foreign topics. Test split.", ""]
    rows = [["machine vs human translation, same stories", _f(tr["mt_vs_ht_same_stories_auroc"]),
             f"{tr['stories_with_both']} stories: {docs['machine_translated']} MT, {docs['human_translated']} human"],
            ["machine translation vs original (all sources)", _f(tr["mt_vs_original_auroc"]), ""]]
    for source, v in tr["per_source"].items():
        rows.append([f"{source}: MT vs original", _f(v["mt_vs_original_auroc"]), ""])
        if "mt_vs_ht_auroc" in v:
            rows.append([f"{source}: MT vs human translation", _f(v["mt_vs_ht_auroc"]),
                         f"human translations called MT: {_pct(v['human_translated_as_mt'])}"])
    out += _table(["P(machine_translated) AUROC", "value", "documents"], rows)
    went = tr["human_translated_as"]
    out += [f"The {tr['human_translated_documents']} human translations were called: "
            + ", ".join(f"{l} {_pct(went[l])}" for l in LABELS)
            + f" (target: machine_translated <= {TARGET_HT_AS_MT:.0%}).", ""]
    if "loso" in results:
        lt = results["loso"]["translation"]
        out += ["With the source left out (wmt21 predicted by a model trained without wmt21, etc.):", ""]
        rows = []
        for source, v in lt["per_source"].items():
            rows.append([source, _f(v["mt_vs_original_auroc"]), _f(v.get("mt_vs_ht_auroc")),
                         _pct(v.get("human_translated_as_mt"))])
        out += _table(["left out", "MT vs original AUROC", "MT vs human AUROC", "human called MT"], rows)
    return out


def probe_section(results: dict) -> list[str]:
    groups = results.get("probe", {}).get("groups")
    if not groups:
        return []
    out = ["## Held-out probe (training/probe/)", "",
           "Text from outside the corpus that no model is trained on (training/probe/README.md), "
           "through the model fitted on the train split. Where each group's documents went; "
           "`right` is the share called by their own label.", ""]
    rows = [[name, g["label"], str(g["documents"]), _pct(g["right"])]
            + [str(g["called"][l]) for l in LABELS] for name, g in groups.items()]
    out += _table(["file: generator", "label", "documents", "right"] + list(LABELS), rows)
    return out


def layout_section(results: dict) -> list[str]:
    if "layout" not in results:
        return []
    layout = results["layout"]
    out = ["## Layout invariance", "",
           f"{layout['documents']} test documents, features recomputed for the normalised text and for "
           "the same text with breaks put back at the detector's own sentence boundaries. The label must "
           f"stay the same for >= {TARGET_LAYOUT_AGREEMENT:.0%} of documents.", ""]
    rows = []
    for name, v in layout.items():
        if not isinstance(v, dict):
            continue
        changed = ", ".join(f"{f} {_pct(s)}" for f, s in sorted(v["features_changed"].items(), key=lambda kv: -kv[1]))
        flips = ", ".join(f"{k}: {c}" for k, c in v["flips"].items())
        rows.append([name, v["changed_texts"], _pct(v["agreement"]), _met(v["agreement"] >= TARGET_LAYOUT_AGREEMENT),
                     _f(v["mean_abs_probability_change"], 4), flips or "none", changed or "none"])
    out += _table(["variant", "texts changed", "label kept", "target", "mean |Δp|", "label changes",
                   "features whose value moved (share of documents)"], rows)
    return out


def short_section(results: dict) -> list[str]:
    if "short" not in results:
        return []
    short = results["short"]
    s, full = short["short"], short["full"]
    out = ["## Short documents", "",
           f"The same {short['documents']} test documents cut to their first {short['chars']} characters "
           f"(back to the last space; {short['cut_documents']} were longer), features recomputed, "
           "the model trained on full documents.", ""]
    rows = [["first %d characters" % short["chars"], _f(s["accuracy"]), _f(s["macro_f1"])] + [_f(s["f1"][l]) for l in LABELS],
            ["full text (same documents)", _f(full["accuracy"]), _f(full["macro_f1"])] + [_f(full["f1"][l]) for l in LABELS]]
    out += _table(["", "accuracy", "macro-F1"] + [f"F1 {l}" for l in LABELS], rows)
    out += _confusion(s["confusion"])
    out += [f"Label unchanged from the full text for {_pct(short['agreement_with_full'])} of documents.", ""]
    return out


def samples_section(results: dict) -> list[str]:
    if "samples" not in results:
        return []
    out = ["## samples/ (bundled model)", ""]
    rows = []
    for s in results["samples"]:
        expected = s["expected"] + (f" (or {', '.join(s['also_acceptable'])})" if s["also_acceptable"] else "")
        scores = " ".join(f"{SHORT[l]} {s['scores'][l]:.2f}" for l in LABELS if l in s["scores"])
        rows.append([s["file"], expected, s["got"] or f"error: {s['error']}", "yes" if s["ok"] else "**no**",
                     scores, ", ".join(s["evidence_features"])])
    out += _table(["file", "expected", "got", "ok", "scores", "evidence features"], rows)
    if "bundled" in results:
        b = results["bundled"]
        rows = []
        for name in ("card", "recomputed", "with_priors"):
            m = b.get(name)
            if m:
                rows.append([name, _f(m["accuracy"]), _f(m["macro_f1"])] + [_f(m["f1"][l]) for l in LABELS])
        out += ["The bundled model file on the test split: its card, the figures recomputed from the file, "
                "and with the documented priors applied as `detector scan` does.", ""]
        out += _table(["", "accuracy", "macro-F1"] + [f"F1 {l}" for l in LABELS], rows)
    return out


def ablation_section(results: dict) -> list[str]:
    if "ablation" not in results:
        return ["## Ablation", "", "Not run (--no-ablation, or the run stopped before it).", ""]
    out = ["## Ablation", "",
           "Each row refits the pipeline on the train split with some hand-built feature columns removed."]
    if not results["ablation_loso"]:
        out += ["Leave-one-source-out is run for the model row only (eight fits per row would make a full "
                "run several times longer); `--ablation-loso` runs it for every row, and "
                "`python -m training.ablation_loso` screens every row on every left-out source at a "
                "fraction of the cost ([ablation_loso.md](ablation_loso.md))."]
    if not results["run"]["learned_flag_supported"]:
        out += ["fit_pipeline has no switch for learned features yet (hook: `LEARNED_FLAG` in "
                "training/evaluate.py), so the model row *is* the hand-built features alone."]
    out += [""]
    rows = []
    model = results["ablation"][0]["test_macro_f1"]
    for r in results["ablation"]:
        delta = r["test_macro_f1"] - model
        rows.append([r["variant"], r["features"], _f(r["test_macro_f1"]), f"{delta:+.3f}",
                     _f(r["loso_mean_macro_f1"])] + [_f(r["test_f1"][l]) for l in LABELS])
    out += _table(["variant", "hand features", "test macro-F1", "Δ", "LOSO mean macro-F1"]
                  + [f"F1 {l}" for l in LABELS], rows)
    return out


def firing_section(results: dict) -> list[str]:
    if "firing" not in results:
        return []
    firing = results["firing"]
    out = ["## Feature firing rates (train split)", "",
           "Share of training documents of each label where the feature is non-zero. A feature that "
           "(almost) never fires gets no weight from the classifier (design.md, \"Signals the corpus "
           f"cannot teach\"): rows marked *rare* fire in under 0.5% of every label. 'spans seen' marks "
           f"features that returned evidence spans on a probe of {firing['probe_documents']} documents "
           "(training documents and samples/; a rare feature may bear spans without any probe "
           "document showing one); 'prior' lists the documented priors (priors.tsv).", ""]
    rows = []
    for r in firing["features"]:
        rows.append([r["feature"], r["family"]] + [_pct(r["rates"][l]) for l in LABELS]
                    + ["yes" if r["spans"] else "", "*rare*" if r["rare"] else "", "; ".join(r["priors"])])
    out += _table(["feature", "family"] + [SHORT[l] for l in LABELS] + ["spans seen", "", "prior"], rows)
    rare = [r["feature"] for r in firing["features"] if r["rare"]]
    unprotected = [r["feature"] for r in firing["features"] if r["rare"] and not r["priors"]]
    out += [f"Rare in the corpus: {', '.join(rare) or 'none'}.", "",
            f"Of these, without a documented prior (only the few corpus documents where they fire give "
            f"them any weight): {', '.join(unprotected) or 'none'}.", ""]
    return out


def calibration_section(results: dict) -> list[str]:
    cal = results["test_split"]["calibration"]
    out = ["## Calibration", "",
           f"Probability of the winning label against how often it is right, test split. Expected "
           f"calibration error {_f(cal['ece'])} (mean confidence {_f(cal['mean_confidence'])}, "
           f"accuracy {_f(cal['accuracy'])}).", "", "![reliability diagram](reliability.png)", ""]
    rows = [[f"{b['low']:.1f}–{b['high']:.1f}", b["documents"], _f(b["confidence"]), _f(b["accuracy"])]
            for b in cal["bins"] if b["documents"]]
    out += _table(["winning probability", "documents", "mean confidence", "accuracy"], rows)
    return out


def run_section(results: dict) -> list[str]:
    run = results["run"]
    laps = ", ".join(f"{k} {v:.0f}s" for k, v in run["seconds"].items())
    mode = "quick (subsample)" if run["quick"] else "full"
    if not run["complete"]:
        mode += ", **incomplete** (stopped or still running)"
    return ["## Run", "",
            f"{mode}: {run['documents']} documents ({run['train']} train, {run['test']} test), seed {run['seed']}. "
            f"Wall time {run['total_seconds'] / 60:.1f} min ({laps}).",
            "Regenerate with `python -m training.evaluate` (see docs/evaluation.md).", ""]


def render(results: dict, figures: list[str]) -> str:
    lines = ["# Evaluation report", "",
             "Generated by `python -m training.evaluate`; the figures are in evaluation.json too.", ""]
    if results["run"]["quick"]:
        lines += ["**Quick run on a subsample: figures are indicative only.**", ""]
    lines += summary(results)
    for section in (test_split_section, loso_section, translation_section, probe_section,
                    layout_section, short_section,
                    samples_section, ablation_section, firing_section, calibration_section, run_section):
        lines += section(results)
    for name, trace in results.get("errors", {}).items():
        lines += [f"## Error in section: {name}", "", "```", trace.rstrip(), "```", ""]
    if "loso" not in results:
        lines = [l for l in lines if "confusion_loso.png" not in l]
    return "\n".join(lines).rstrip() + "\n"
