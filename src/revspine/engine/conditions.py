"""Evaluate all findings once and combine them in conditions."""

from __future__ import annotations

from ..knowledge.pack import KnowledgePack
from ..knowledge.schema import Condition
from .facts import Facts
from .inputs import recorded
from .predicates import Hit, compiled

__all__ = ["evaluate_findings", "evaluate_negatives", "check", "Hits", "Negatives"]

Hits = dict[str, Hit]
Negatives = dict[str, list[str]]
"""Finding id -> the inputs that show it was looked for and is absent. Findings not in Hits (present)
nor in Negatives are unknown: not recorded, and they never count."""


def evaluate_findings(facts: Facts, pack: KnowledgePack) -> Hits:
    """Every finding of the pack: the inputs that make it present, or None. Only the findings that read an
    input the case records are evaluated (``inputs``): the others cannot be present."""
    c = compiled(pack)
    todo = set(c.always)
    for key in recorded(facts, c.fields):
        todo.update(c.by_input.get(key, ()))
    hits: Hits = dict.fromkeys(c.order)
    present = c.present
    for fid in todo:
        fn, params = present[fid]
        hits[fid] = fn(facts, params)
    return hits


def evaluate_negatives(facts: Facts, pack: KnowledgePack, hits: Hits) -> Negatives:
    """Read as absent the findings some cause weighs when absent (and only those), when not present."""
    out: Negatives = {}
    for fid, (fn, params) in compiled(pack).absent.items():
        if hits.get(fid):
            continue
        used = fn(facts, params)
        if used:
            out[fid] = used
    return out


def check(cond: Condition | None, hits: Hits) -> list[str] | None:
    """Inputs that satisfy the condition, or None. An absent condition is satisfied."""
    if cond is None:
        return []
    used: list[str] = []
    for fid in cond.all:
        h = hits.get(fid)
        if not h:
            return None
        used += h
    if cond.any:
        anyhits = [h for fid in cond.any if (h := hits.get(fid))]
        if not anyhits:
            return None
        for h in anyhits:
            used += h
    for fid in cond.none:
        if hits.get(fid):
            return None
    return used
