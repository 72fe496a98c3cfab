"""Evaluate batch linking (detector.link) on the corpus test split, news documents.

    python -m training.evaluate_linking --corpus ../shared/corpus [--split train] [--limit N]

The batch is every news document of the split (all sources, all labels, ai_generated included,
so that precision faces same-topic distractors). Each is scored by the bundled model (cached
under training/cache/, keyed by model and texts), the batch is linked once, and this prints:

- recall: of the (source, derivative) pairs the corpus defines, the share where the
  derivative's derived_from chain reaches the source. Pairs (docs/linking.md):
    A. original -> paraphrased / machine_translated of the same story (detectrl, llmfake,
       sheepdog, mixset: the human text and its model rewrites or round-trip translations);
    B. wmt human_translated -> machine_translated of the same story: two English renderings of
       one foreign article whose own source is not in the batch. The human translation stands
       in for the source (it is `original` by contract). wmt `original` documents are English
       sources of English->X pairs: no document of the corpus derives from them.
- precision: of all derived_from links made, the share joining documents of one story;
- label accuracy of derivatives whose source is in the batch, before and after linking, and what
  linking did to everything else (documents relabelled that are not derivatives).
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import pickle
import sys
import time
from pathlib import Path

from training import dataset

DERIVED_KINDS = ("paraphrased", "machine_translated")


def scored(records, jobs: int) -> list:
    """Verdicts of the records' texts, cached on disk by model file and texts."""
    from detector.api import Detector
    from detector.model import sha256_of

    det = Detector.load()
    digest = hashlib.sha256()
    for r in records:
        digest.update(hashlib.sha1(r.text.encode("utf-8")).digest())
    from detector.model import default_model_path

    model_file = default_model_path()
    key = f"link-verdicts-{sha256_of(model_file)[:12]}-{digest.hexdigest()[:12]}.pkl"
    path = dataset.CACHE_DIR / key
    if path.exists():
        with open(path, "rb") as handle:
            return pickle.load(handle)
    t0 = time.time()
    verdicts = det.score_many([r.text for r in records], ids=[r.id for r in records])
    print(f"scored {len(records)} documents in {time.time() - t0:.0f} s", file=sys.stderr)
    dataset.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        pickle.dump(verdicts, handle)
    return verdicts


def truth_pairs(records) -> dict[str, list[tuple[int, int]]]:
    """(source index, derivative index) pairs the corpus defines, by family (A / B above)."""
    by_story = collections.defaultdict(list)
    for i, r in enumerate(records):
        by_story[r.story].append(i)
    pairs = {"A original->derivative": [], "B wmt human->machine translation": []}
    for members in by_story.values():
        for s in members:
            rs = records[s]
            for d in members:
                rd = records[d]
                if rs.kind == "original" and rd.kind in DERIVED_KINDS:
                    pairs["A original->derivative"].append((s, d))
                elif rs.kind == "human_translated" and rd.kind == "machine_translated":
                    pairs["B wmt human->machine translation"].append((s, d))
    return pairs


def chain(verdicts, i: int, limit: int = 20) -> list[int]:
    out = []
    while limit and verdicts[i].derived_from is not None:
        i = verdicts[i].derived_from.index
        out.append(i)
        limit -= 1
    return out


def _unrecorded(a, b) -> bool:
    if a.source == b.source == "detectrl" and a.kind == b.kind == "ai_generated":
        return True
    return {a.source, b.source} == {"sheepdog", "llmfake"}


def _groups(verdicts, relations=None) -> list[int]:
    """Union-find over derived_from links (either direction), optionally only those of the given
    relations: the group id of each document."""
    parent = list(range(len(verdicts)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, v in enumerate(verdicts):
        if v.derived_from is not None and (relations is None or v.derived_from.relation in relations):
            parent[find(i)] = find(v.derived_from.index)
    return [find(i) for i in range(len(verdicts))]


def components(verdicts) -> list[int]:
    """Link group of each document: documents joined by derived_from in either direction."""
    return _groups(verdicts)


def near_copy_classes(verdicts) -> list[int]:
    """Class of each document under near_copy links (either direction): one text, several copies.

    llmfake stores many originals cut at 4,000 characters and, among their "paraphrases", the
    same article whole and word for word (docs/linking.md); rewrites of the story then link to
    the whole copy, whose own verdict is as original as the cut one. A chain that reaches a near
    copy of the original has reached the original's text: shown apart from the strict recall.
    """
    return _groups(verdicts, relations={"near_copy"})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=dataset.DEFAULT_CORPUS)
    ap.add_argument("--split", choices=("test", "train"), default="test")
    ap.add_argument("--limit", type=int, default=0, help="about N news documents, whole stories in a fixed random order (a quick check)")
    ap.add_argument("--show", type=int, default=5, help="examples of errors to print")
    ap.add_argument("--ceiling", action="store_true",
                    help="also check every pair of each story: how high recall A could go")
    args = ap.parse_args(argv)

    from detector.link import link_verdicts

    want_test = args.split == "test"
    records = [r for r in dataset.read_corpus(args.corpus)
               if r.domain == "news" and dataset.is_test_story(r.story) == want_test]
    if args.limit:  # whole stories, in a fixed shuffled order, until the limit
        import random

        stories = sorted({r.story for r in records})
        random.Random(0).shuffle(stories)
        keep, total = set(), 0
        sizes = collections.Counter(r.story for r in records)
        for story in stories:
            if total >= args.limit:
                break
            keep.add(story)
            total += sizes[story]
        records = [r for r in records if r.story in keep]
    print(f"batch: {len(records)} news documents ({args.split} split), "
          f"{len({r.story for r in records})} stories")
    verdicts = scored(records, jobs=1)
    t0 = time.time()
    linked = link_verdicts(verdicts)
    print(f"linked in {time.time() - t0:.1f} s")

    # --- recall ------------------------------------------------------------------------------
    pairs = truth_pairs(records)
    comp = components(linked)
    copies = near_copy_classes(linked)
    for family, items in pairs.items():
        hit = direct = either = via_copy = via_other_story = 0
        by_source = collections.Counter()
        hit_by_source = collections.Counter()
        for s, d in items:
            key = f"{records[d].source}:{records[d].kind}"
            by_source[key] += 1
            up = chain(linked, d)
            if s in up:
                hit += 1
                hit_by_source[key] += 1
                direct += up[0] == s
            if s in up or d in chain(linked, s):
                either += 1
            if s not in up:
                reached = [x for x in up if copies[x] == copies[s]]
                if reached:
                    via_copy += 1
                    via_other_story += records[reached[0]].story != records[s].story
        n = len(items) or 1
        print(f"\nrecall {family}: {hit}/{len(items)} = {hit / n:.3f} "
              f"(direct link {direct / n:.3f}; linked in either direction {either / n:.3f}; "
              f"same link group {sum(comp[s] == comp[d] for s, d in items) / n:.3f})")
        for key in sorted(by_source):
            print(f"  {key:<34} {hit_by_source[key]:>5}/{by_source[key]:<5} {hit_by_source[key] / by_source[key]:.3f}")
        print(f"  chain reaches the original or a near copy of it: {(hit + via_copy) / n:.3f} "
              f"({via_copy} via a near copy, {via_other_story} of them under another story id)")

    # --- precision ---------------------------------------------------------------------------
    edges = [(i, v.derived_from.index) for i, v in enumerate(linked) if v.derived_from is not None]
    wrong = [(d, s) for d, s in edges if records[d].story != records[s].story]
    print(f"\nprecision: {len(edges) - len(wrong)}/{len(edges)} links join one story = "
          f"{(len(edges) - len(wrong)) / max(1, len(edges)):.3f}")
    # Derivations the story ids do not record (docs/linking.md): detectrl generations polished or
    # round-tripped from another generation (each has its own story id), and PolitiFact articles
    # that sheepdog and llmfake both carry under different story ids. Counted wrong above; shown
    # apart here so a reader can weigh them (the excerpts printed below show what they are).
    unrecorded = [(d, s) for d, s in wrong if _unrecorded(records[d], records[s])]
    print(f"  of the {len(wrong)} cross-story links, {len(unrecorded)} join detectrl generations or the "
          f"same PolitiFact article in sheepdog and llmfake; without them precision = "
          f"{(len(edges) - len(wrong)) / max(1, len(edges) - len(unrecorded)):.3f}")
    kinds_wrong = collections.Counter(f"{records[d].source}:{records[d].kind} -> {records[s].source}:{records[s].kind}"
                                      for d, s in wrong)
    for key, c in kinds_wrong.most_common(6):
        print(f"  wrong links {key}: {c}")
    rel = collections.Counter((linked[d].derived_from.relation, records[d].kind) for d, _ in edges)
    print("  links by relation and true kind of the derived document:")
    for (relation, kind), c in sorted(rel.items()):
        print(f"    {relation:<12} {kind:<20} {c}")
    for d, s in wrong[: args.show]:
        print(f"  wrong link: {records[d].id} ({records[d].kind}) -> {records[s].id} ({records[s].kind})"
              f" sim {linked[d].derived_from.similarity:.2f}")
        print(f"     {linked[d].derived_from.derived_excerpt.text[:120]!r}")
        print(f"     {linked[d].derived_from.source_excerpt.text[:120]!r}")

    # --- labels ------------------------------------------------------------------------------
    has_source = set()
    for items in pairs.values():
        has_source.update(d for _s, d in items)
    before = sum(verdicts[d].label == records[d].label for d in has_source)
    after = sum(linked[d].label == records[d].label for d in has_source)
    n = len(has_source) or 1
    print(f"\nlabel accuracy, derivatives whose source is in the batch ({len(has_source)}): "
          f"before linking {before / n:.3f}, after {after / n:.3f}")
    per = collections.defaultdict(lambda: [0, 0, 0])
    for d in has_source:
        key = f"{records[d].source}:{records[d].kind}"
        per[key][0] += 1
        per[key][1] += verdicts[d].label == records[d].label
        per[key][2] += linked[d].label == records[d].label
    for key in sorted(per):
        t, b, a = per[key]
        print(f"  {key:<34} n={t:<5} before {b / t:.3f} after {a / t:.3f}")
    # Orientation: a wrong derivative label whose true source is linked as derived *from it* (the
    # source was relabelled instead of the derivative: direction comes from the model's scores).
    true_sources = collections.defaultdict(set)
    for items in pairs.values():
        for s, d in items:
            true_sources[d].add(s)
    wrong_labels = [d for d in has_source if linked[d].label != records[d].label]
    flipped = [d for d in wrong_labels
               if any(linked[s].derived_from is not None and linked[s].derived_from.index == d
                      for s in true_sources[d])]
    print(f"  wrong after linking: {len(wrong_labels)}; of them, {len(flipped)} have their source "
          f"linked as derived from them (direction flipped): "
          + ", ".join(f"{k} {c}" for k, c in collections.Counter(
              f"{records[d].source}:{linked[s].derived_from.relation}" for d in flipped
              for s in true_sources[d] if linked[s].derived_from is not None
              and linked[s].derived_from.index == d).most_common()))
    others = [i for i in range(len(records)) if i not in has_source and linked[i].error is None]
    changed = [i for i in others if linked[i].label != verdicts[i].label]
    ob = sum(verdicts[i].label == records[i].label for i in others)
    oa = sum(linked[i].label == records[i].label for i in others)
    print(f"other documents ({len(others)}): relabelled by linking {len(changed)}; "
          f"accuracy before {ob / max(1, len(others)):.3f}, after {oa / max(1, len(others)):.3f}")
    kinds = collections.Counter(f"{records[i].source}:{records[i].kind}" for i in changed)
    for key, c in kinds.most_common(8):
        print(f"    relabelled {key}: {c}")
    allb = sum(v.label == r.label for v, r in zip(verdicts, records))
    alla = sum(v.label == r.label for v, r in zip(linked, records))
    print(f"all documents: accuracy before {allb / len(records):.3f}, after {alla / len(records):.3f}")
    if args.ceiling:
        print_ceiling(records, verdicts, pairs["A original->derivative"])
    return 0


def verifies(texts, keysets, profiles, d: int, s: int) -> bool:
    """Would the linker's own checks (pre-filter, alignment) call d derived from s?"""
    from detector.link import relate
    from detector.link.evidence import Profile, compare
    from detector.link.fingerprint import containment

    if not texts[d] or not texts[s]:
        return False
    contained = containment(keysets[d], keysets[s])
    if contained < relate.PREFILTER_CONTAINMENT:
        return False
    for i in (d, s):
        if i not in profiles:
            profiles[i] = Profile(texts[i])
    return relate.is_derived(compare(profiles[d], profiles[s]), contained)


def print_ceiling(records, verdicts, pairs) -> None:
    """How high recall A could go: every pair of each story checked, directions perfect.

    - direct: the (original, derivative) pairs that pass the linker's verification when paired;
    - through the story: the derivatives joined to their original by a path of verified pairs
      inside their story, which a linker that knew every story and never got a direction wrong
      could turn into a chain.
    """
    import numpy as np

    from detector.link import link_keys
    from detector.link.candidates import iter_groups

    keys = [link_keys(v) for v in verdicts]  # None: a verdict linking leaves out
    texts = [v.text if k is not None else None for v, k in zip(verdicts, keys)]
    keysets = [np.unique(k) if k is not None else np.empty(0, dtype=np.uint32) for k in keys]
    profiles: dict = {}
    checked: dict[tuple[int, int], bool] = {}  # (d, s) -> verified: each pair aligned once

    def verified(d: int, s: int) -> bool:
        if (d, s) not in checked:
            checked[d, s] = verifies(texts, keysets, profiles, d, s)
        return checked[d, s]

    direct = sum(verified(d, s) for s, d in pairs)
    by_story = collections.defaultdict(list)
    for i, r in enumerate(records):
        by_story[r.story].append(i)
    edges = [(a, b) for members in by_story.values()
             if any(records[i].kind == "original" for i in members)
             for x, a in enumerate(members) for b in members[x + 1:]
             if verified(a, b) or verified(b, a)]
    group = {i: g for g, members in enumerate(iter_groups(len(records), edges)) for i in members}
    reached = sum(1 for s, d in pairs if s in group and group.get(d) == group[s])
    n = max(1, len(pairs))
    print(f"\nceiling of recall A (every pair of each story checked, directions perfect): "
          f"verified directly {direct}/{len(pairs)} = {direct / n:.3f}; "
          f"joined through verified pairs of the story {reached}/{len(pairs)} = {reached / n:.3f}")


if __name__ == "__main__":
    raise SystemExit(main())
