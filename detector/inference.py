"""The fitted model's arithmetic in numpy: boosted trees, isotonic calibration, a linear model.

Training fits scikit-learn estimators (training/train.py); the model file holds their numbers
as plain arrays (training/export.py writes them), and scoring computes with this module alone.
Why not unpickle the estimators: importing scikit-learn costs ~2 s, more than scoring a thousand
news documents, and unpickling a file can run code. An .npz of arrays loads in milliseconds and
cannot. tests/test_inference.py checks that these functions give the estimators' own numbers.

The formulas are scikit-learn's (1.4-1.9):
- HistGradientBoostingClassifier.decision_function: baseline + the sum of each class's trees,
  where a node sends a row left when its value is <= the node's threshold, and a missing value
  (NaN) the way the node learnt in training (missing_go_to_left).
- CalibratedClassifierCV(method="isotonic", ensemble=False).predict_proba: each class's raw score
  through its isotonic step function (linear between thresholds, clipped at the ends), then the
  row normalised to sum 1 (uniform if every class got 0).
- SGDClassifier(loss="log_loss").predict_proba: one-vs-rest sigmoids of X @ coef.T + intercept,
  normalised to sum 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class Forest:
    """All trees of a boosted multiclass model as flat node arrays.

    Node i of tree t is at offsets[t] + i. A leaf points left and right to itself, so walking
    every row through every tree for `depth` steps needs no per-row branching.
    """

    feature: np.ndarray        # int64, per node: column tested
    threshold: np.ndarray      # float64, per node: go left when value <= threshold
    missing_left: np.ndarray   # bool, per node: where NaN goes
    left: np.ndarray           # int64, per node: global index of the left child (self for leaves)
    right: np.ndarray          # int64, per node: global index of the right child (self for leaves)
    value: np.ndarray          # float64, per node: leaf value (0 elsewhere)
    roots: np.ndarray          # int64, per tree: global index of its root
    tree_class: np.ndarray     # int64, per tree: the class column it adds to
    baseline: np.ndarray       # float64, per class: the raw score before any tree
    depth: int                 # the deepest leaf's depth: steps needed to reach every leaf

    def decision(self, matrix: np.ndarray) -> np.ndarray:
        """Raw class scores (n rows x classes), as HistGradientBoostingClassifier.decision_function."""
        return self.scores(self.leaves(matrix))

    def leaves(self, matrix: np.ndarray, trees: np.ndarray | None = None) -> np.ndarray:
        """The leaf each row reaches in each tree (n rows x trees; all trees, or those listed).

        Trees are walked deepest first, and step s walks only the trees deeper than s: a leaf
        points to itself, so the steps skipped would leave every node where it is (`depth` is
        the deepest tree's: 19 in a model of 1,600 trees of median depth 10). Nodes are kept
        trees x rows, so the trees still walking are one contiguous block.
        """
        matrix = np.ascontiguousarray(matrix, dtype=np.float64)
        n, width = matrix.shape
        flat = matrix.ravel()
        trees = np.arange(len(self.roots)) if trees is None else np.asarray(trees)
        depths = self._tree_structure[0][trees]
        order = np.argsort(-depths, kind="stable")
        depths = depths[order]
        row_start = (np.arange(n, dtype=np.int64) * width)[None, :]
        node = np.repeat(self.roots[trees[order]][:, None], n, axis=1)
        threshold, missing_left, left_is_next = self._walk_nodes
        for step in range(int(depths[0]) if len(depths) else 0):
            walking = node[: int(np.count_nonzero(depths > step))]
            x = flat[row_start + self.feature[walking]]
            # Left when x <= threshold, or x is NaN and NaN goes left (NaN <= t is False).
            go_left = (x <= threshold[walking]) | (missing_left[walking] & np.isnan(x))
            left = walking + 1 if left_is_next else self.left[walking]
            walking[:] = np.where(go_left, left, self.right[walking])
        out = np.empty((n, len(trees)), dtype=node.dtype)
        out[:, order] = node.T
        return out

    def scores(self, leaves: np.ndarray) -> np.ndarray:
        """Raw class scores from leaves() of all trees: the baseline plus each class's leaves."""
        leaf_values = self.value[leaves]
        out = np.tile(self.baseline, (len(leaves), 1))
        for k in range(len(self.baseline)):
            out[:, k] += leaf_values[:, self.tree_class == k].sum(axis=1)
        return out

    def trees_testing(self, column: int) -> np.ndarray:
        """Indices of the trees with a split on `column`: the only ones whose leaf a row can
        change when that column alone changes (every other tree never reads it)."""
        cache = self._trees_testing_cache
        if column not in cache:
            _, tree_of_node = self._tree_structure
            is_split = self.left != np.arange(len(self.left))  # a leaf points to itself
            cache[column] = np.unique(tree_of_node[is_split & (self.feature == column)])
        return cache[column]

    @cached_property
    def _walk_nodes(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """(threshold, missing_left, left_is_next) as leaves() reads them.

        Every leaf sends every row right, to itself: its threshold is NaN (no value is <= NaN)
        and it sends NaN right. Then, when every split node's left child is the next node (the
        depth-first layout scikit-learn writes), the left child is node + 1 and the walk gathers
        `right` alone: one gather of trees x rows less per step, ~15% of the walk. Any other
        layout reads `left` as before. Same leaves either way (tests/test_fast_paths.py).
        """
        nodes = np.arange(len(self.left))
        is_leaf = self.left == nodes
        threshold = np.where(is_leaf, np.nan, self.threshold)
        missing_left = self.missing_left.astype(bool) & ~is_leaf
        left_is_next = bool(np.array_equal(self.left[~is_leaf], nodes[~is_leaf] + 1))
        return threshold, missing_left, left_is_next

    @cached_property
    def _trees_testing_cache(self) -> dict[int, np.ndarray]:
        return {}

    @cached_property
    def _tree_structure(self) -> tuple[np.ndarray, np.ndarray]:
        """(depth of each tree, tree of each node), from one walk down from the roots level by
        level, computed once per model."""
        depths = np.zeros(len(self.roots), dtype=np.int64)
        owner = np.full(len(self.left), -1, dtype=np.int64)
        frontier, trees = self.roots, np.arange(len(self.roots))
        while len(frontier):
            owner[frontier] = trees
            split = self.left[frontier] != frontier  # leaves point to themselves: stop there
            frontier, trees = frontier[split], trees[split]
            np.add.at(depths, np.unique(trees), 1)
            frontier, trees = (np.concatenate([self.left[frontier], self.right[frontier]]),
                               np.concatenate([trees, trees]))
        return depths, owner


@dataclass(frozen=True)
class Isotonic:
    """One isotonic step function per class, then rows normalised (see the module docstring)."""

    x: tuple[np.ndarray, ...]
    y: tuple[np.ndarray, ...]

    def probabilities(self, decision: np.ndarray) -> np.ndarray:
        proba = np.column_stack([np.interp(decision[:, k], self.x[k], self.y[k])
                                 for k in range(len(self.x))])
        total = proba.sum(axis=1, keepdims=True)
        uniform = np.full_like(proba, 1.0 / proba.shape[1])
        return np.divide(proba, total, out=uniform, where=total != 0)


@dataclass(frozen=True)
class LinearOvR:
    """A one-vs-rest logistic model over sparse rows (the n-gram stage)."""

    coef: np.ndarray       # classes x columns
    intercept: np.ndarray  # classes

    def probabilities(self, decision: np.ndarray) -> np.ndarray:
        prob = 1.0 / (1.0 + np.exp(-decision))
        total = prob.sum(axis=1, keepdims=True)
        prob = np.where(total == 0, 1.0, prob)
        return prob / np.where(total == 0, prob.shape[1], total)

    def predict_proba(self, matrix) -> np.ndarray:
        """Probabilities of a (dense or scipy sparse) matrix's rows."""
        return self.probabilities(np.asarray(matrix @ self.coef.T) + self.intercept)

    def predict_rows(self, rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Probabilities of sparse rows given as (column indices, values) pairs."""
        decision = np.empty((len(rows), len(self.intercept)))
        coef_by_column = self._coef_by_column
        for i, (columns, values) in enumerate(rows):
            # coef_by_column[columns].T holds the numbers of self.coef[:, columns] in the same
            # memory layout (numpy gives that fancy index column-major), so the product is the
            # same to the bit; gathered from rows of one column's 4 weights, not 4 scattered
            # reads per column of an 8 MB array.
            decision[i] = coef_by_column[columns].T @ values
        return self.probabilities(decision + self.intercept)

    @cached_property
    def _coef_by_column(self) -> np.ndarray:
        """coef transposed and contiguous: columns x classes (a copy, 8 MB for 2^18 columns)."""
        return np.ascontiguousarray(self.coef.T)


# --- file form: a flat mapping of names to arrays (np.savez) --------------------------------------
def forest_arrays(forest: Forest, isotonic: Isotonic, prefix: str = "forest") -> dict[str, np.ndarray]:
    out = {f"{prefix}.{name}": getattr(forest, name)
           for name in ("feature", "threshold", "missing_left", "left", "right", "value", "roots",
                        "tree_class", "baseline")}
    out[f"{prefix}.depth"] = np.array(forest.depth)
    for k, (x, y) in enumerate(zip(isotonic.x, isotonic.y)):
        out[f"{prefix}.isotonic.{k}.x"], out[f"{prefix}.isotonic.{k}.y"] = x, y
    return out


def forest_from_arrays(arrays: Mapping[str, np.ndarray], classes: int,
                       prefix: str = "forest") -> tuple[Forest, Isotonic]:
    forest = Forest(**{name: arrays[f"{prefix}.{name}"]
                       for name in ("feature", "threshold", "missing_left", "left", "right", "value",
                                    "roots", "tree_class", "baseline")},
                    depth=int(arrays[f"{prefix}.depth"]))
    isotonic = Isotonic(x=tuple(arrays[f"{prefix}.isotonic.{k}.x"] for k in range(classes)),
                        y=tuple(arrays[f"{prefix}.isotonic.{k}.y"] for k in range(classes)))
    return forest, isotonic


def linear_arrays(model: LinearOvR, prefix: str = "ngram") -> dict[str, np.ndarray]:
    return {f"{prefix}.coef": model.coef, f"{prefix}.intercept": model.intercept}


def linear_from_arrays(arrays: Mapping[str, np.ndarray], prefix: str = "ngram") -> LinearOvR | None:
    if f"{prefix}.coef" not in arrays:
        return None
    return LinearOvR(coef=arrays[f"{prefix}.coef"], intercept=arrays[f"{prefix}.intercept"])
