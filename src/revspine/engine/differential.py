"""Rank the causes of failure and the mimics: prior odds times the evidence present or absent, by tier.

The model (docs/reasoning.md):

* Each cause starts at its prior: its share among patients evaluated for pain after spine surgery in
  one timing window (``prior.window``). Its timing weights move it only in the other windows.
* Every finding present multiplies the odds by its likelihood ratio (published, or the conservative end
  of an expert-assigned ordinal band); every finding looked for and absent multiplies them by its
  negative likelihood ratio (or ordinal band). Findings not recorded change nothing.
* The score is odds / (1 + odds), for each cause on its own: not a share across causes.
* Causes rank by evidence tier first (confirmatory, supportive, compatible, none), then by score:
  a cause with confirmatory evidence outranks any cause supported only by its prior and timing, and a
  cause with no supporting finding never leads while another has one.
* A red flag that names one cause counts as supportive evidence for it (a cluster of findings with that
  one meaning); a flag that names several is a differential to exclude and supports none of them. Within
  a tier a cause a flag points to comes first, and every cause a flag points to is kept in the top three.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Literal, NamedTuple

from .._construct import Template
from ..case.enums import DECOMPRESSION_PROCEDURES, Region
from ..knowledge.pack import KnowledgePack, per_pack
from ..knowledge.schema import Cause, Condition
from .conditions import Hits, Negatives, RuleIndex, check, present_findings
from .facts import Facts, fuses
from .result import CauseResult, EvidenceItem, ExcludedCause, RedFlagResult, TimingResult, make

__all__ = [
    "rank_causes", "score_cause", "TIER_ORDER", "rank_key", "pointed_causes", "specific_causes", "index_family",
    "prior_for",
]

Applicability = Literal["applies", "unknown"]
Tier = Literal["confirmatory", "supportive", "compatible", "none"]
TIER_ORDER: dict[str, int] = {"confirmatory": 0, "supportive": 1, "compatible": 2, "none": 3}
_SUPPORT = ("confirmatory", "supportive", "compatible")
_FIRST = itemgetter(0)


def index_family(facts: Facts) -> Literal["lumbar_fusion", "lumbar_decompression"] | None:
    """The family of the index operation the priors can be read for: a lumbar fusion (or an instrumented
    lumbar operation coded "other"), a lumbar decompression without fusion, or neither."""
    index = facts.index
    if index is None or index.region != Region.lumbar:
        return None
    if fuses(index):
        return "lumbar_fusion"
    if index.procedure in DECOMPRESSION_PROCEDURES:
        return "lumbar_decompression"
    return None


def prior_for(cause: Cause, family: Literal["lumbar_fusion", "lumbar_decompression"] | None
              ) -> tuple[float, str, list[str]]:
    """The cause's prior for this family of index operation: its value, basis and the citations it adds to the
    cause's own (none for the general prior, whose citations ``pack.cause_citations`` already holds)."""
    fam = cause.prior.by_family.get(family) if family is not None else None
    if family is not None and fam is not None:
        return fam.value, f"After a {family.replace('_', ' ')}: {fam.basis}", list(fam.citations)
    return cause.prior.value, cause.prior.basis, []


class _Row(NamedTuple):
    """One evidence entry of a cause, compiled once per pack (``pack.cause_evidence`` with its result templates)."""

    finding: str
    factor: float
    tier: str
    citations: tuple[str, ...]
    confirm_when: Condition | None
    unconfirmed_tier: str
    only_when: Condition | None
    present: Template[EvidenceItem]  # tier, inputs, citations
    absent: tuple[str, float, tuple[str, ...], tuple[str, ...], Template[EvidenceItem], str] | None
    """(finding read as absent, factor, its citations, findings that stop it counting, template: inputs, citations;
    kind)"""
    kind: str


class _CausePlan(NamedTuple):
    cause: Cause
    id: str
    kind: str
    applies_when: Condition | None
    workup: tuple[str, ...]
    rows: tuple[_Row, ...]
    timing: dict[str, tuple[float, tuple[str, ...], Template[EvidenceItem]]]  # window: factor, citations, template
    result: Template[CauseResult]
    priors: dict[str | None, tuple[float, str, tuple[str, ...]]]
    """family of index operation (None: any) -> prior, its basis, the cause's citations with the prior's"""
    codes: tuple[str, ...]
    reads: frozenset[str]
    """The findings its rows weigh when present"""
    reads_absent: frozenset[str]
    """The findings its rows weigh when absent: a cause none of whose ``reads`` is present and none of whose
    ``reads_absent`` is read absent moves by its timing alone (``_timing_only``)"""
    timing_only: dict[tuple[str | None, str | None], tuple[float, float | None, tuple[str, ...]]]
    """(family, window) -> ``_timing_only``, filled in as cases need it"""
    excluded: ExcludedCause
    """The cause set aside when its ``applies_when`` does not hold (immutable: one object for every case)"""
    summaries: dict[tuple[tuple[str, ...], tuple[_Meta, ...]], tuple[tuple[str, ...], tuple[str, ...]]]
    """(base citations, the items' ``_Meta``) -> ``_summary``, filled in as cases need it"""
    bare: dict[tuple[int, float, tuple[float, str, tuple[str, ...]], str, tuple[str, ...], str, bool], CauseResult]
    """The results of this cause without evidence items, by (rank, score, prior, applicability, work-up missing, tier,
    red flag): immutable, shared by the cases that rank it alike (``_result``)"""


@per_pack
def _plans(pack: KnowledgePack) -> dict[str, _CausePlan]:
    """Each cause's evidence rows, timing weights and result, compiled once per pack."""
    return {cid: _plan(cause, pack) for cid, cause in pack.causes.items()}


@per_pack
def _restricted(pack: KnowledgePack) -> RuleIndex[str]:
    """The causes that apply only when a condition holds (``applies_when``), indexed by the findings it needs."""
    return RuleIndex((cid, cause.applies_when) for cid, cause in pack.causes.items() if cause.applies_when is not None)


def _plan(cause: Cause, pack: KnowledgePack) -> _CausePlan:
    rows = []
    for row in pack.cause_evidence[cause.id]:
        absent = None
        if row.absent is not None:
            afid, afactor, astatic, acites, unless = row.absent
            absent = (afid, afactor, acites, unless, Template(EvidenceItem, ("inputs", "citations"), **astatic),
                      astatic["kind"])
        rows.append(_Row(row.finding, row.factor, row.tier, row.citations, row.confirm_when, row.unconfirmed_tier,
                         row.only_when, Template(EvidenceItem, ("tier", "inputs", "citations"), **row.static),
                         absent, row.static["kind"]))
    timing: dict[str, tuple[float, tuple[str, ...], Template[EvidenceItem]]] = {}
    for window, tw in cause.timing.items():
        factor = pack.ordinal_lr[tw.weight]
        timing[window] = (factor, tuple(tw.citations), Template(
            EvidenceItem, ("label", "inputs", "citations"), rule_id=f"{cause.id}.timing.{window}",
            finding=f"timing_{window}", kind="ordinal", lr=None, weight=tw.weight, factor=factor, reason=tw.reason,
            tier="timing", basis=tw.basis or (
                f"Expert-assigned ordinal band relative to the prior's {cause.prior.window} window; "
                "the cited source gives its direction, not its size."
            ),
        ))
    result = Template(
        CauseResult, ("rank", "score", "prior", "prior_basis", "applicability", "supporting", "opposing",
                      "evidence_kinds", "icd10cm", "workup_missing", "citations", "tier", "red_flag"),
        cause=cause.id, label=cause.label, kind=cause.kind, correctable_by_surgery=cause.correctable_by_surgery,
    )
    base = pack.cause_citations[cause.id]
    priors: dict[str | None, tuple[float, str, tuple[str, ...]]] = {}
    for family in (None, *cause.prior.by_family):
        p0, basis, extra = prior_for(cause, family)
        priors[family] = (p0, basis, tuple(sorted(set(base).union(extra))) if extra else base)
    return _CausePlan(cause, cause.id, cause.kind, cause.applies_when, tuple(cause.workup), tuple(rows), timing,
                      result, priors, pack.cause_codes[cause.id], frozenset(r.finding for r in rows),
                      frozenset(r.absent[0] for r in rows if r.absent is not None), {},
                      make(ExcludedCause, cause=cause.id, label=cause.label,
                           reason=cause.applies_reason or "does not apply"), {}, {})


def _timing_only(plan: _CausePlan, family: str | None, window: str | None
                 ) -> tuple[float, float | None, tuple[str, ...]]:
    """A cause moved by its timing alone (no row of it counts): its score (rounded as ranked), its timing factor
    (None: no timing item) and its citations as its result lists them. The same for every such case with this
    family of index operation and window, so worked out once: what ``_score`` and ``_result`` give."""
    key = (family, window)
    got = plan.timing_only.get(key)
    if got is None:
        p0, _, base = plan.priors.get(family) or plan.priors[None]
        odds = p0 / (1 - p0)
        tw = plan.timing.get(window) if window is not None else None
        factor: float | None = None
        cites = base
        if tw is not None:
            factor = tw[0]
            odds *= factor
            cites = tuple(sorted(set(base).union(tw[1])))
        got = plan.timing_only[key] = (round(odds / (1 + odds), 4), factor, cites)
    return got


def _timing_label(timing: TimingResult) -> str:
    if timing.read_at_day in (None, timing.days_after_surgery):
        return f"Onset in the {timing.window} window ({timing.days_after_surgery} days after surgery)"
    return (f"Presenting in the {timing.window} window ({timing.read_at_day} days after surgery; "
            f"symptoms since day {timing.days_after_surgery})")


def score_cause(
    cause: Cause, hits: Hits, timing: TimingResult, pack: KnowledgePack, negatives: Negatives | None = None,
    symptoms_recorded: bool = True, prior: float | None = None,
) -> tuple[float, list[EvidenceItem], Tier]:
    """Score in 0..1 = posterior odds / (1 + odds); the evidence items that moved it; the evidence tier.
    ``prior`` replaces the cause's own prior (a prior by family of index operation, ``prior_for``)."""
    p0 = cause.prior.value if prior is None else prior
    return _score(_plans(pack)[cause.id], p0, hits, _Onset.of(timing), negatives or {}, symptoms_recorded)


def _timing_item(plan: _CausePlan, onset: _Onset) -> EvidenceItem:
    """The evidence item of the cause's timing weight in the onset's window (which it has)."""
    _, citations, item = plan.timing[onset.window]  # type: ignore[index]  # a window, when called
    return item.build(label=onset.label, citations=list(citations), inputs=[onset.input])


class _Onset(NamedTuple):
    """The timing window and how the timing evidence item quotes it: the same for every cause of one case."""

    window: str | None
    label: str
    input: str

    @staticmethod
    def of(timing: TimingResult) -> _Onset:
        if timing.window is None:
            return _Onset(None, "", "")
        return _Onset(timing.window, _timing_label(timing),
                      f"onset {timing.days_after_surgery} days after surgery ({timing.basis})")


_Meta = tuple[float, str, tuple[str, ...]]
"""How one evidence item weighs: its factor, its kind and its citations (known to the plan, not read back)."""


def _score(
    plan: _CausePlan, p0: float, hits: Hits, onset: _Onset, negatives: Negatives, symptoms_recorded: bool,
    meta: list[_Meta] | None = None,
) -> tuple[float, list[EvidenceItem], Tier]:
    """Score, evidence items and tier of one cause; ``meta`` (when given) receives each item's ``_Meta``."""
    odds = p0 / (1 - p0)
    items: list[EvidenceItem] = []
    if meta is None:
        meta = []
    if onset.window is not None and (tw := plan.timing.get(onset.window)) is not None:
        factor, citations, item = tw
        odds *= factor
        items.append(item.build(label=onset.label, citations=list(citations), inputs=[onset.input]))
        meta.append((factor, "ordinal", citations))
    tier: Tier = "none"
    get = hits.get
    for row in plan.rows:
        used = get(row.finding)
        if used:
            if row.only_when is not None and check(row.only_when, hits) is None:
                continue
            factor = row.factor
            odds *= factor
            item_tier = row.tier
            if row.confirm_when is not None and check(row.confirm_when, hits) is None:
                if item_tier == "confirmatory":
                    # symptoms recorded that do not fit; with nothing recorded about the symptoms the fit is unknown
                    item_tier = row.unconfirmed_tier if symptoms_recorded else "supportive"
                else:  # a supportive finding without the company it needs (a lone raised marker): compatible
                    item_tier = row.unconfirmed_tier
            if factor < 1:
                item_tier = "against"
            items.append(row.present.build(tier=item_tier, inputs=list(used), citations=list(row.citations)))
            meta.append((factor, row.kind, row.citations))
            if factor > 1 and item_tier in _SUPPORT and TIER_ORDER[item_tier] < TIER_ORDER[tier]:
                tier = item_tier  # type: ignore[assignment]  # one of _SUPPORT
        elif row.absent is not None:
            afid, factor, citations, unless, absent_item, kind = row.absent
            if get(afid) or not (gone := negatives.get(afid)) or any(get(u) for u in unless):
                continue
            if row.only_when is not None and check(row.only_when, hits) is None:
                continue
            odds *= factor
            items.append(absent_item.build(inputs=list(gone), citations=list(citations)))
            meta.append((factor, kind, citations))
    return odds / (1 + odds), items, tier


def symptoms_recorded(facts: Facts) -> bool:
    """Whether anything about the symptoms or the neurological examination is recorded (present or denied)."""
    sym, exam = facts.case.symptoms, facts.case.exam
    return bool(sym.symptoms or sym.pattern is not None or getattr(sym, "denied", None)
                or exam.motor_deficit is not None or getattr(exam, "motor", None))


def _own_support(c: CauseResult) -> bool:
    """A finding of the cause's own supports it (confirms or supports; not only a red flag that points to it,
    a compatible finding, a risk or timing)."""
    for e in c.supporting:
        if e.status == "present" and (e.tier == "confirmatory" or e.tier == "supportive"):
            return True
    return False


def rank_key(c: CauseResult) -> tuple[int, bool, bool, float, float, str]:
    """Tier first; within a tier a cause with a supporting finding of its own before one lifted only by a red
    flag (a flag names causes to exclude, it does not choose among them); then a cause a red flag points to
    (the urgent problem first); then score, then the higher prior, then the id: the order never depends on
    chance."""
    return (TIER_ORDER[c.tier], not _own_support(c), not c.red_flag, -c.score, -c.prior, c.cause)


def _points(r: RedFlagResult, pack: KnowledgePack | None) -> Sequence[str]:
    points = getattr(r, "points_to", None)
    if not points and pack is not None and r.rule_id in pack.red_flags:
        points = pack.red_flags[r.rule_id].rule_out
    return points or ()


def pointed_causes(red_flags: Sequence[RedFlagResult], pack: KnowledgePack | None = None) -> set[str]:
    """The causes the red flags point to: ``RedFlagResult.points_to``, or else the flag's ``rule_out`` in the pack."""
    return {c for r in red_flags for c in _points(r, pack)}


def specific_causes(red_flags: Sequence[RedFlagResult], pack: KnowledgePack | None = None) -> set[str]:
    """The causes a red flag names alone: the flag's cluster has that one meaning (CSF signs mean a dural tear),
    so it supports the cause. A flag that names several causes is a differential to exclude, not evidence
    for any one of them (a severe weakness says nothing of whether a disc or a stenosis compresses the root)."""
    out: set[str] = set()
    for r in red_flags:
        points = _points(r, pack)
        if len(points) == 1:
            out.update(points)
    return out

def rank_causes(
    facts: Facts, hits: Hits, timing: TimingResult, pack: KnowledgePack, done_tests: set[str],
    red_flags: Sequence[RedFlagResult] = (), negatives: Negatives | None = None,
) -> tuple[list[CauseResult], list[CauseResult], list[ExcludedCause]]:
    """Score every cause that applies; rank causes and mimics separately, best first (see the module).

    Each cause is scored first and its result built once its rank is known (``_Scored``)."""
    flagged = pointed_causes(red_flags, pack)
    specific = specific_causes(red_flags, pack)
    recorded = symptoms_recorded(facts)
    family = index_family(facts)
    excluded: list[ExcludedCause] = []
    causes: list[_Scored] = []
    mimics: list[_Scored] = []
    negatives = negatives or {}
    operated = bool(facts.surgery_count)
    applicability: Applicability = "applies" if operated else "unknown"
    can_apply = set(_restricted(pack).candidates(hits)) if operated else set()
    onset = _Onset.of(timing)
    present = present_findings(hits)
    for plan in _plans(pack).values():
        cid = plan.id
        if operated and plan.applies_when is not None and (
            cid not in can_apply or check(plan.applies_when, hits) is None
        ):
            excluded.append(plan.excluded)
            continue
        prior = plan.priors.get(family) or plan.priors[None]
        meta: list[_Meta] = []
        timed: tuple[float, float | None, tuple[str, ...]] | None = None
        tier: Tier
        if plan.reads.isdisjoint(present) and plan.reads_absent.isdisjoint(negatives):  # timing alone
            timed = _timing_only(plan, family, onset.window)
            score, tier = timed[0], "none"
            items = [] if timed[1] is None else [_timing_item(plan, onset)]
        else:
            score, items, tier = _score(plan, prior[0], hits, onset, negatives, recorded, meta)
            score = round(score, 4)
        own = tier == "confirmatory" or tier == "supportive"  # a finding of its own supports it (``_own_support``)
        if not own and cid in specific:
            tier = "supportive"  # a red flag that names this cause alone is a cluster of findings supporting it
        red_flag = cid in flagged
        scored: _Scored = ((TIER_ORDER[tier], not own, not red_flag, -score, -prior[0], cid), red_flag, plan,
                           score, items, meta, tier, prior, timed)
        (mimics if plan.kind == "mimic" else causes).append(scored)
    results = (
        [_result(s, rank, applicability, done_tests) for rank, s in enumerate(_flagged_in_top(group), 1)]
        for group in (causes, mimics)
    )
    return next(results), next(results), excluded


_Scored = tuple[tuple[int, bool, bool, float, float, str], bool, _CausePlan, float, list[EvidenceItem], list[_Meta],
                Tier, tuple[float, str, tuple[str, ...]], tuple[float, float | None, tuple[str, ...]] | None]
"""One cause scored, before its result is built: (``rank_key`` of the result it will build, red flag, plan, score,
evidence items, their ``_Meta``, tier, prior, ``_timing_only`` when its timing alone moved it). A plain tuple (the
cheapest to build): sorting compares the keys, which differ in the cause id."""


def _flagged_in_top(scored: list[_Scored], top: int = 3) -> list[_Scored]:
    """Rank order, keeping the causes red flags point to in the top three: the best-ranked cause stays first
    (it is the one the evidence leads to, flagged or not), then the causes red flags point to (up to the
    places left) and the best of the others, in rank order; the rest follow in order."""
    ranked = sorted(scored)  # by key: rank_key (the keys differ in the cause id, so nothing else is compared)
    if not ranked:
        return ranked
    first, rest = ranked[0], ranked[1:]
    flagged = [c for c in rest if c[1]][: top - 1]  # red flag
    if any(not any(c is r for r in rest[: top - 1]) for c in flagged):
        others = [c for c in rest if not any(c is f for f in flagged)]
        fill = top - 1 - len(flagged)
        rest = sorted(flagged + others[:fill]) + others[fill:]
    return [first, *rest]


def _result(s: _Scored, rank: int, applicability: Applicability, done_tests: set[str]) -> CauseResult:
    _, red_flag, plan, score, items, meta, tier, prior, timed = s
    p0, basis, base_citations = prior
    workup = plan.workup
    workup_missing = workup if done_tests.isdisjoint(workup) else tuple(t for t in workup if t not in done_tests)
    if not items:  # moved by no item: the same result for every case that ranks it alike (``_bare``)
        key = (rank, score, prior, applicability, workup_missing, tier, red_flag)
        got = plan.bare.get(key)
        if got is None:
            got = plan.result.build(
                rank=rank, score=score, prior=p0, prior_basis=basis, applicability=applicability, supporting=(),
                opposing=(), evidence_kinds=(), icd10cm=plan.codes, workup_missing=workup_missing,
                citations=base_citations, tier=tier, red_flag=red_flag,
            )
            if len(plan.bare) >= _BARE_KEPT:
                plan.bare.clear()
            plan.bare[key] = got
        return got
    if timed is not None:  # the timing item alone (``_timing_only``)
        factor = timed[1]
        return plan.result.build(
            rank=rank, score=score, prior=p0, prior_basis=basis, applicability=applicability,
            supporting=tuple(items) if factor is not None and factor > 1 else (),
            opposing=tuple(items) if factor is not None and factor < 1 else (), evidence_kinds=("ordinal",),
            icd10cm=plan.codes, workup_missing=workup_missing, citations=timed[2], tier=tier,
            red_flag=red_flag,
        )
    supporting: list[tuple[float, EvidenceItem]] = []
    opposing: list[tuple[float, EvidenceItem]] = []
    for e, (factor, _, _) in zip(items, meta, strict=True):
        if factor > 1:
            supporting.append((factor, e))
        elif factor < 1:
            opposing.append((factor, e))
    kinds, citations = _summary(plan, base_citations, meta)
    return plan.result.build(
        rank=rank, score=score, prior=p0, prior_basis=basis, applicability=applicability,
        supporting=_by_factor(supporting, strongest_first=True), opposing=_by_factor(opposing, strongest_first=False),
        evidence_kinds=kinds, icd10cm=plan.codes, workup_missing=workup_missing,
        citations=citations, tier=tier, red_flag=red_flag,
    )


_BARE_KEPT = 256
"""Results without evidence items kept per cause: their keys come from a small set (rank, the prior of a family of
operation and the timing window's score, the work-up done, a red flag), so distinct cases meet the same ones; a full
store starts again"""


_SUMMARIES_KEPT = 512
"""Summaries kept per cause: the combinations of evidence the cases meet (a bound, not a need)"""


def _summary(plan: _CausePlan, base: tuple[str, ...], meta: list[_Meta]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A result's evidence kinds (sorted) and citations (the prior's and every item's, sorted): the same for every
    case whose items weigh alike, so worked out once per combination (``plan.summaries``, bounded)."""
    key = (base, tuple(meta))
    got = plan.summaries.get(key)
    if got is None:
        kinds = tuple(sorted({kind for _, kind, _ in meta}))
        got = (kinds, tuple(sorted(set(base).union(*(cites for _, _, cites in meta)))))
        if len(plan.summaries) < _SUMMARIES_KEPT:
            plan.summaries[key] = got
    return got


def _by_factor(pairs: list[tuple[float, EvidenceItem]], strongest_first: bool) -> tuple[EvidenceItem, ...]:
    """The items of (factor, item) pairs ordered by factor (strongest support or opposition first); the sort is
    stable, so equal factors keep the order they were found in. Most causes have one or none: no sort."""
    if len(pairs) > 1:
        pairs.sort(key=_FIRST, reverse=strongest_first)
    return tuple([e for _, e in pairs]) if pairs else ()
