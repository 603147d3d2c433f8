"""The missing work-up: which tests to do next, in order, and why."""

from __future__ import annotations

from ..knowledge.pack import KnowledgePack
from .conditions import Hits, check
from .facts import Facts
from .result import CauseResult, WorkupItem, WorkupReason, make

__all__ = ["done_tests", "missing_workup"]


def done_tests(facts: Facts, hits: Hits, pack: KnowledgePack) -> set[str]:
    """Tests whose result is already in the case."""
    case = facts.case
    modalities = {s.modality.value for s in case.imaging if not s.limited_by_artefact}
    labs = {lab.test.value for lab in case.labs}
    blocks = {b.type.value for b in case.blocks}
    done: set[str] = set()
    for tid, test in pack.workup_tests.items():
        sat = test.satisfied_by
        checks: list[bool] = []
        if "modalities" in sat:
            checks.append(bool(modalities & set(sat["modalities"])))
        if "labs_all" in sat:
            checks.append(set(sat["labs_all"]) <= labs)
        if "labs_any" in sat:
            checks.append(bool(labs & set(sat["labs_any"])))
        if "blocks" in sat:
            checks.append(bool(blocks & set(sat["blocks"])))
        if sat.get("electrodiagnostics"):
            checks.append(bool(case.electrodiagnostics))
        if sat.get("cultures"):
            checks.append(any(c.result != "pending" for c in case.cultures))
        ok = bool(checks) and all(checks)
        if test.done_when is not None and check(test.done_when, hits) is not None:
            ok = True
        if ok:
            done.add(tid)
    return done


def missing_workup(
    hits: Hits, lead: list[CauseResult], done: set[str], pack: KnowledgePack
) -> list[WorkupItem]:
    top = {c.cause for c in lead}
    items: dict[str, WorkupItem] = {}
    order: dict[str, int] = {}
    for n, rule in enumerate(pack.workup_rules.values()):
        if rule.test in done:
            continue
        if rule.when_causes_in_top and not (top & set(rule.when_causes_in_top)):
            continue
        if rule.when is not None and check(rule.when, hits) is None:
            continue
        reason = make(WorkupReason, rule_id=rule.id, reason=rule.reason, citations=list(rule.citations))
        item = items.get(rule.test)
        if item is None:
            test = pack.workup_tests[rule.test]
            items[rule.test] = make(
                WorkupItem, test=rule.test, label=test.label, priority=rule.priority,
                before_revision=rule.before_revision, reasons=[reason],
            )
            order[rule.test] = n
        else:
            item.priority = min(item.priority, rule.priority)
            item.before_revision = item.before_revision or rule.before_revision
            item.reasons.append(reason)
    _merge_covered(items, pack)
    return sorted(items.values(), key=lambda i: (i.priority, order[i.test]))


def _merge_covered(items: dict[str, WorkupItem], pack: KnowledgePack) -> None:
    """Fold a test into another listed one that would also satisfy it and is not later in the order.

    Contrast MRI satisfies "MRI", so asking for both is one request: the contrast MRI, with
    both reasons. A CT myelogram (priority 3) does not absorb a fine-cut CT (priority 1).
    """
    modalities = {t: set(pack.workup_tests[t].satisfied_by.get("modalities", ())) for t in items}
    for covered in list(items):
        for cover in list(items):
            if cover == covered or covered not in items or cover not in items:
                continue
            small, big = modalities[cover], modalities[covered]
            if small and small < big and items[cover].priority <= items[covered].priority:
                absorbed = items.pop(covered)
                items[cover].before_revision = items[cover].before_revision or absorbed.before_revision
                items[cover].reasons.extend(absorbed.reasons)
                break
