"""assess(case, pack) -> Assessment: the whole pure pipeline.

The engine (``revspine.engine.reason``: red flags, ranking, work-up, decision) first, then the plan
(alignment, revision plan, order set), the questionnaires and the explanation for the patient, all over
one case and one pack."""

from __future__ import annotations

from ..case.model import Case
from ..engine.reason import reason
from ..engine.result import Versions, make
from ..knowledge.pack import KnowledgePack
from ..patient.explain import explain_for_patient
from ..plan.alignment import assess_alignment
from ..plan.order_set import build_order_set
from ..plan.revision import revision_plan
from ..version import __version__
from .instruments import instruments_result
from .result import Assessment

__all__ = ["assess"]


def assess(case: Case, pack: KnowledgePack) -> Assessment:
    """Assess one case. Pure: same case and pack, same Assessment."""
    r = reason(case, pack)  # the engine
    top, decision, hits, risks, applies = r.top, r.decision, r.hits, r.risk_factors, r.applies
    alignment = assess_alignment(case, pack)
    plan = (
        revision_plan(case, pack, cause=top.cause, decision_category=decision.category, risk_factors=risks, hits=hits)
        if top is not None and applies
        else None
    )
    orders = build_order_set(case, pack, hits) if plan is not None else None
    scores = instruments_result(case, pack)
    cited: set[str] = set(r.timing.citations) | set(decision.citations)
    for extra in (alignment, plan, orders, scores):
        if extra is not None:
            cited.update(extra.citations)
    for group in (r.red_flags, r.labs, risks, r.options):
        for item in group:
            cited.update(item.citations)
    for c in (*r.differential, *r.mimics):
        cited.update(c.citations)
    for w in (*r.workup, *r.workup_deferred):
        for why in w.reasons:
            cited.update(why.citations)
    refs = pack.citation_refs
    versions = make(
        Versions, engine=__version__, knowledge=pack.version, knowledge_id=pack.info.id,
        knowledge_sources=pack.sources,
    )
    result = make(
        Assessment,
        versions=versions,
        case_id=case.case_id,
        assessment_date=case.assessment_date,
        applicability="applies" if applies else "not_applicable",
        index_surgery=r.index_surgery,
        timing_window=r.timing,
        red_flags=r.red_flags,
        differential=r.differential,
        mimics=r.mimics,
        leading=top.cause if top is not None else None,
        leading_note=r.leading_note,
        not_applicable=r.not_applicable,
        labs=r.labs,
        workup=r.workup,
        workup_deferred=r.workup_deferred,
        risk_factors=risks,
        decision=decision,
        uncertainties=r.uncertainties,
        alignment=alignment,
        revision_plan=plan,
        order_set=orders,
        instruments=scores,
        patient=None,
        unweighed=r.unweighed,
        citations={},
    )
    result.patient = explain_for_patient(result, case, pack)
    cited.update(result.patient.citations)
    result.citations = {cid: refs[cid] for cid in sorted(cited)}
    return result


