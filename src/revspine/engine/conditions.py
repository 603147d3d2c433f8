"""Evaluate all findings once and combine them in conditions."""

from __future__ import annotations

from ..knowledge.pack import KnowledgePack
from ..knowledge.schema import Condition
from .facts import Facts
from .predicates import Hit

__all__ = ["evaluate_findings", "check", "Hits"]

Hits = dict[str, Hit]


def evaluate_findings(facts: Facts, pack: KnowledgePack) -> Hits:
    return {fid: fn(facts, params) for fid, (fn, params) in pack.compiled.items()}


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
