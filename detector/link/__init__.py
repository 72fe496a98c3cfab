"""Derived-article detection across a batch: link each rewrite or translation to its source.

    from detector.link import link_texts, link_verdicts
    verdicts = link_texts(texts, ids=ids)          # score and link
    verdicts = link_verdicts(detector.score_many(texts, ids=ids))   # link verdicts you have

Uses datasketch (a core dependency). Memory: the whole batch is held at once (texts, verdicts,
and ~5 KB of keys and signatures per document); see docs/linking.md.
"""
from __future__ import annotations

from detector.link.batch import link_keys, link_texts, link_verdicts
from detector.link.relate import RELATIONS

__all__ = ["link_keys", "link_texts", "link_verdicts", "RELATIONS"]
