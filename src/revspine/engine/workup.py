"""The missing work-up: which tests to do next, in order, why, and which candidate causes each separates."""

from __future__ import annotations

from typing import Any, NamedTuple

from .._construct import Template
from ..knowledge.pack import KnowledgePack, per_pack
from ..knowledge.schema import Condition, WorkupRule, WorkupTest
from ..knowledge.textmatch import lower_first
from .conditions import Hits, RuleIndex, check
from .facts import Facts
from .result import CauseResult, WorkupItem, WorkupReason, make

__all__ = ["done_tests", "missing_workup", "lead_pathway", "elective_waits"]


def _modalities_done(facts: Facts) -> set[str]:
    return {s.modality._value_ for s in facts.case.imaging if not s.limited_by_artefact}


class _Satisfied(NamedTuple):
    """What in the case counts as a test done (``WorkupTest.satisfied_by``), as sets; None: not named."""

    test: str
    modalities: frozenset[str] | None
    labs_all: frozenset[str] | None
    labs_any: frozenset[str] | None
    blocks: frozenset[str] | None
    electrodiagnostics: bool
    cultures: bool
    done_when: Condition | None
    named: bool
    """Some part of the case is named (a test whose ``satisfied_by`` names nothing is done only by ``done_when``)"""


def _named(sat: dict[str, Any], key: str) -> frozenset[str] | None:
    return frozenset(sat[key]) if key in sat else None


@per_pack
def _tests(pack: KnowledgePack) -> tuple[_Satisfied, ...]:
    """What counts as each work-up test done, prepared once per pack."""
    out = []
    for tid, t in pack.workup_tests.items():
        sat = t.satisfied_by
        parts = (_named(sat, "modalities"), _named(sat, "labs_all"), _named(sat, "labs_any"), _named(sat, "blocks"),
                 bool(sat.get("electrodiagnostics")), bool(sat.get("cultures")))
        out.append(_Satisfied(tid, *parts, t.done_when, any(p is not None and p is not False for p in parts)))
    return tuple(out)


def done_tests(facts: Facts, hits: Hits, pack: KnowledgePack) -> set[str]:
    """Tests whose result is already in the case."""
    case = facts.case
    modalities = _modalities_done(facts)
    labs = {lab.test._value_ for lab in case.labs}
    blocks = {b.type._value_ for b in case.blocks}
    done: set[str] = set()
    for t in _tests(pack):
        if (  # every part the test names is in the case (and it names one)
            t.named
            and (t.modalities is None or not t.modalities.isdisjoint(modalities))
            and (t.labs_all is None or t.labs_all <= labs)
            and (t.labs_any is None or not t.labs_any.isdisjoint(labs))
            and (t.blocks is None or not t.blocks.isdisjoint(blocks))
            and (not t.electrodiagnostics or bool(case.electrodiagnostics))
            and (not t.cultures or any(c.result != "pending" for c in case.cultures))
        ) or (t.done_when is not None and check(t.done_when, hits) is not None):
            done.add(t.test)
    return done


def lead_pathway(top: CauseResult | None, pack: KnowledgePack) -> str:
    """The care pathway of the leading cause: ``spinal`` unless the pack routes it elsewhere (an SI-joint or
    non-spinal lead); a mimic without a pathway of its own is non-spinal."""
    if top is None:
        return "spinal"
    cause = pack.causes.get(top.cause)
    if top.kind == "mimic" and (cause is None or cause.pathway == "spinal"):
        return "non_spinal"
    return cause.pathway if cause is not None else "spinal"


def _partial_label(test: WorkupTest, labs: set[str]) -> str | None:
    """For a combined lab test with some parts already in the case, exactly the parts still missing."""
    sat, names = test.satisfied_by, test.part_labels
    if not names:
        return None
    all_parts = [p for p in sat.get("labs_all", ()) if isinstance(p, str)]
    any_parts = [p for p in sat.get("labs_any", ()) if isinstance(p, str)]
    present = labs & {*all_parts, *any_parts}
    if not present:
        return None
    missing = [names.get(p, p) for p in all_parts if p not in labs]
    if any_parts and not (labs & set(any_parts)):
        group = [names.get(p, p) for p in any_parts]
        missing.append(group[0] if len(group) == 1 else ", ".join(group[:-1]) + " or " + lower_first(group[-1]))
    if not missing:
        return None
    return " and ".join(missing)


_Prepared = tuple[int, WorkupRule, frozenset[str], Template[WorkupReason]]


@per_pack
def _rules(pack: KnowledgePack) -> RuleIndex[_Prepared]:
    """Each work-up rule with its place in the pack, the causes it names and its reason, prepared once per pack
    and indexed by the findings its condition needs."""
    return RuleIndex(
        ((n, rule, frozenset(rule.when_causes_in_top),
          Template(WorkupReason, ("citations",), rule_id=rule.id, reason=rule.reason)), rule.when)
        for n, rule in enumerate(pack.workup_rules.values())
    )


def missing_workup(
    hits: Hits,
    lead: list[CauseResult],
    done: set[str],
    pack: KnowledgePack,
    facts: Facts | None = None,
    top: CauseResult | None = None,
) -> list[WorkupItem]:
    """The work-up still missing, best first.

    ``lead`` are the leading candidates (the causes with a supporting finding, or the top candidates
    while none has one): a rule that names causes fires only when one of them is among these. Each
    item says which of them it ``separates``. ``top`` is the leading cause: when it goes to another
    pathway (SI joint, non-spinal) the spinal-revision tests are suggested only for a spinal cause with a
    supporting finding of its own (not one a shared pattern merely fits).
    """
    lead_ids = [c.cause for c in lead]
    top_ids = set(lead_ids)
    spinal = lead_pathway(top, pack) == "spinal"
    supported_ids = {c.cause for c in lead if c.tier in ("confirmatory", "supportive")}
    labs = {lab.test._value_ for lab in facts.case.labs} if facts is not None else set()
    modalities = _modalities_done(facts) if facts is not None else set()
    items: dict[str, WorkupItem] = {}
    order: dict[str, int] = {}
    cause_workup = _cause_workup(pack)
    for n, rule, named, make_reason in _rules(pack).candidates(hits):  # the rules whose condition can hold
        if rule.test in done:
            continue
        if named and top_ids.isdisjoint(named):
            continue
        if rule.spinal_revision and not spinal and (not named or supported_ids.isdisjoint(named)):
            continue  # another pathway leads: spinal-revision tests only for a spinal cause with support of its own
        if rule.requires_done and not all(_is_done(t, done, modalities, pack) for t in rule.requires_done):
            continue
        if check(rule.when, hits) is None or check(rule.also, hits) is None:
            continue
        reason = make_reason.build(citations=list(rule.citations))
        separates = [c for c in lead_ids if c in named or rule.test in cause_workup[c]]
        item = items.get(rule.test)
        if item is None:
            test = pack.workup_tests[rule.test]
            items[rule.test] = make(
                WorkupItem, test=rule.test, label=_partial_label(test, labs) or test.label, priority=rule.priority,
                before_revision=rule.before_revision, reasons=[reason], separates=separates,
                before_revision_reason=rule.before_revision_reason,
            )
            order[rule.test] = n
        else:
            item.priority = min(item.priority, rule.priority)
            item.before_revision = item.before_revision or rule.before_revision
            item.before_revision_reason = item.before_revision_reason or rule.before_revision_reason
            item.reasons.append(reason)
            item.separates += [c for c in separates if c not in item.separates]
    if len(items) > 1:
        _merge_covered(items, pack)
    return sorted(items.values(), key=lambda i: (i.priority, order[i.test]))


def _is_done(test_id: str, done: set[str], modalities: set[str], pack: KnowledgePack) -> bool:
    """A test is in the case (used for work-up that reads an existing study, e.g. Hounsfield units on a CT)."""
    if test_id in done:
        return True
    return not modalities.isdisjoint(_test_modalities(pack).get(test_id, ()))


@per_pack
def _cause_workup(pack: KnowledgePack) -> dict[str, frozenset[str]]:
    """The work-up tests each cause names."""
    return {cid: frozenset(c.workup) for cid, c in pack.causes.items()}


@per_pack
def _test_modalities(pack: KnowledgePack) -> dict[str, frozenset[str]]:
    """The imaging modalities that satisfy each work-up test (empty: none named)."""
    return {tid: frozenset(t.satisfied_by.get("modalities", ())) for tid, t in pack.workup_tests.items()}


def _merge_covered(items: dict[str, WorkupItem], pack: KnowledgePack) -> None:
    """Fold a test into another listed one that would also satisfy it and is not later in the order.

    Contrast MRI satisfies "MRI", so asking for both is one request: the contrast MRI. The folded
    test's reasons stay with it by name (``for_test``): flexion-extension films do not take over the
    reason of plain radiographs, they say they also cover them. A CT myelogram (priority 3) does not
    absorb a fine-cut CT (priority 1).
    """
    modalities = _test_modalities(pack)
    imaging = [t for t in items if modalities[t]]  # only a test that names modalities covers (or is covered by) another
    if len(imaging) < 2:
        return
    for covered in imaging:
        for cover in imaging:
            if cover == covered or covered not in items or cover not in items:
                continue
            small, big = modalities[cover], modalities[covered]
            if small and small < big and items[cover].priority <= items[covered].priority:
                absorbed = items.pop(covered)
                host = items[cover]
                host.before_revision = host.before_revision or absorbed.before_revision
                host.before_revision_reason = host.before_revision_reason or absorbed.before_revision_reason
                for r in absorbed.reasons:
                    host.reasons.append(
                        make(
                            WorkupReason, rule_id=r.rule_id, citations=r.citations, for_test=absorbed.test,
                            reason=f"Also covers {lower_first(absorbed.label)}: {r.reason}",
                        )
                    )
                host.separates += [c for c in absorbed.separates if c not in host.separates]
                break


@per_pack
def _elective(pack: KnowledgePack) -> frozenset[str]:
    return frozenset(t for t, test in pack.workup_tests.items() if test.elective)


def elective_waits(workup: list[WorkupItem], pack: KnowledgePack) -> tuple[list[WorkupItem], list[WorkupItem]]:
    """With an urgent decision: (the work-up kept, the elective tests that wait until the urgent problem is dealt
    with), each in order."""
    elective = _elective(pack)
    return [w for w in workup if w.test not in elective], [w for w in workup if w.test in elective]
