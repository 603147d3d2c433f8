"""Evaluate all findings once and combine them in conditions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, KeysView
from collections.abc import Set as AbstractSet
from typing import Generic, TypeVar

from ..knowledge.pack import KnowledgePack
from ..knowledge.schema import Condition
from .facts import Facts
from .inputs import recorded
from .predicates import Hit, compiled

__all__ = ["evaluate_findings", "evaluate_negatives", "check", "Hits", "Negatives", "RuleIndex", "present_findings"]

R = TypeVar("R")
Hits = dict[str, Hit]
Negatives = dict[str, list[str]]
"""Finding id -> the inputs that show it was looked for and is absent. Findings not in Hits (present)
nor in Negatives are unknown: not recorded, and they never count."""


def evaluate_findings(facts: Facts, pack: KnowledgePack) -> Hits:
    """Every finding of the pack: the inputs that make it present, or None. Only the findings that read an
    input the case records are evaluated (``inputs``): the others cannot be present."""
    c = compiled(pack)
    todo = set(c.always)
    by_input = c.by_input
    for key in by_input.keys() & recorded(facts, c.fields):  # the inputs some finding reads
        todo.update(by_input[key])
    hits = _Hits(c.unknown)
    compiled_present = c.present
    present = set()
    for fid in todo:
        fn, params = compiled_present[fid]
        if h := fn(facts, params):
            present.add(fid)
        hits[fid] = h
    hits.present = present
    return hits


class _Hits(dict[str, Hit]):
    """Hits that also hold the set of findings present (``present_findings``), as ``evaluate_findings`` found
    them."""

    __slots__ = ("present",)
    present: set[str]


def present_findings(hits: Hits) -> AbstractSet[str]:
    """The findings present in ``hits`` (a set: ask it, do not change it)."""
    if isinstance(hits, _Hits):
        return hits.present
    return {fid for fid, h in hits.items() if h}


class RuleIndex(Generic[R]):
    """Rules indexed by the findings their condition needs present, so that a case checks only the rules that
    can hold (``candidates``), in their own order.

    A condition that needs all of some findings can hold only when the first is present; one that needs any
    of some, only when one of them is; a rule without a condition, or whose condition needs no finding
    present (only ``none``), is always a candidate. ``check`` still decides each candidate.
    """

    __slots__ = ("rules", "by_finding", "always", "keys")

    def __init__(self, rules: Iterable[tuple[R, Condition | None]]) -> None:
        self.rules: tuple[R, ...] = ()
        self.by_finding: dict[str, list[int]] = {}
        always: list[int] = []
        kept: list[R] = []
        for i, (rule, cond) in enumerate(rules):
            kept.append(rule)
            needs: list[str] = [] if cond is None else cond.all[:1] if cond.all else cond.any
            if not needs:
                always.append(i)
            for fid in needs:
                self.by_finding.setdefault(fid, []).append(i)
        self.rules = tuple(kept)
        self.always = tuple(always)
        self.keys: KeysView[str] = self.by_finding.keys()  # a set view: met with the findings present in one step

    def candidates(self, hits: Hits) -> list[R]:
        """The rules whose condition can hold with these hits, in rule order."""
        found = set(self.always)
        by_finding = self.by_finding
        for fid in self.keys & present_findings(hits):
            found.update(by_finding[fid])
        rules_ = self.rules
        return [rules_[i] for i in sorted(found)]


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


Checker = Callable[[Hits], "list[str] | None"]
_CHECKERS: dict[int, tuple[Condition, Checker]] = {}
_CHECKERS_KEPT = 20_000


def check(cond: Condition | None, hits: Hits) -> list[str] | None:
    """Inputs that satisfy the condition, or None. An absent condition is satisfied.

    Each condition is prepared once (``_checker``; kept by identity, with the condition itself so that its id is
    not reused while kept)."""
    if cond is None:
        return []
    got = _CHECKERS.get(id(cond))
    if got is None:
        if len(_CHECKERS) >= _CHECKERS_KEPT:
            _CHECKERS.clear()
        got = _CHECKERS[id(cond)] = (cond, _checker(cond))
    return got[1](hits)


def _checker(cond: Condition) -> Checker:
    """``check`` of one condition: its ids as tuples; a long ``any`` list first met with the findings present in one
    set operation (most cases have none of them); a lone finding read directly."""
    none, all_, any_ = tuple(cond.none), tuple(cond.all), tuple(cond.any)
    if not none and not all_ and len(any_) == 1:
        (only,) = any_

        def one(hits: Hits) -> list[str] | None:
            h = hits.get(only)
            return [*h] if h else None

        return one
    wide = frozenset(any_) if len(any_) > 2 else None

    def checker(hits: Hits) -> list[str] | None:
        get = hits.get
        for fid in none:
            if get(fid):
                return None
        used: list[str] = []
        for fid in all_:
            h = get(fid)
            if not h:
                return None
            used += h
        if any_:
            if wide is not None and wide.isdisjoint(present_findings(hits)):
                return None
            found = False
            for fid in any_:
                if h := get(fid):
                    used += h
                    found = True
            if not found:
                return None
        return used

    return checker
