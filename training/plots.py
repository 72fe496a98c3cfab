"""The report's figures: confusion matrix, reliability diagram, per-source bars.

PNG files are written without a creation date or software version in their metadata, so a
rerun on the same results gives byte-identical files that git sees as unchanged.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

# Same size and resolution for every figure: readable on a GitHub page, ~30-60 kB each.
DPI = 100
TARGET_LOSO_F1 = 0.80


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display; must be chosen before pyplot is imported
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(fig)
    return path


def confusion(matrix: list[list[int]], labels: list[str], path: Path, title: str) -> Path:
    """Rows: true label; columns: predicted. Colour is the row share, text the count."""
    plt = _pyplot()
    counts = np.asarray(matrix, dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.2, 5.2))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            colour = "white" if shares[i, j] > 0.6 else "black"
            ax.text(j, i, f"{int(counts[i, j])}\n{shares[i, j]:.0%}", ha="center", va="center",
                    color=colour, fontsize=9)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true label")
    return _save(fig, path)


def reliability(bins: list[dict], ece: float, path: Path, title: str) -> Path:
    """Accuracy against mean confidence per bin (the diagonal is perfect calibration), with
    the number of documents per bin underneath."""
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(5.6, 6.2), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})
    centres = [(b["low"] + b["high"]) / 2 for b in bins]
    width = bins[0]["high"] - bins[0]["low"]
    filled = [b for b in bins if b["documents"]]
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    top.bar([(b["low"] + b["high"]) / 2 for b in filled], [b["accuracy"] for b in filled],
            width=width * 0.9, color="#4c72b0", alpha=0.8, label="accuracy in bin")
    top.plot([b["confidence"] for b in filled], [b["accuracy"] for b in filled], "o-",
             color="#c44e52", label="(mean confidence, accuracy)")
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy")
    top.set_title(f"{title}\nexpected calibration error {ece:.3f}")
    top.legend(loc="upper left", fontsize=8)
    bottom.bar(centres, [b["documents"] for b in bins], width=width * 0.9, color="#8c8c8c")
    bottom.set_xlim(0, 1)
    bottom.set_xlabel("probability of the winning label")
    bottom.set_ylabel("documents")
    return _save(fig, path)


def per_source(sources: list[str], series: dict[str, list[float | None]], path: Path,
               title: str, target: float | None = TARGET_LOSO_F1) -> Path:
    """Grouped bars, one group per source, one bar per series (missing values left out)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    names = list(series)
    width = 0.8 / max(len(names), 1)
    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52"]
    x = np.arange(len(sources))
    for k, name in enumerate(names):
        values = series[name]
        xs = [x[i] + (k - (len(names) - 1) / 2) * width for i, v in enumerate(values) if v is not None]
        ys = [v for v in values if v is not None]
        bars = ax.bar(xs, ys, width=width * 0.95, label=name, color=colours[k % len(colours)])
        for bar, value in zip(bars, ys):
            ax.text(bar.get_x() + bar.get_width() / 2, value + 0.01, f"{value:.2f}",
                    ha="center", va="bottom", fontsize=7, rotation=90)
    if target is not None:
        ax.axhline(target, color="grey", linestyle="--", linewidth=1, label=f"target {target:.2f}")
    ax.set_xticks(x, sources, rotation=20, ha="right")
    ax.set_ylim(0, 1.12)
    ax.set_title(title)
    # Below the axes: inside, the legend would hide the low bars that matter most.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=min(len(names) + 1, 3),
              frameon=False)
    return _save(fig, path)
