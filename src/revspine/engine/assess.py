"""assess(case, pack) -> Assessment: the whole pure pipeline."""

from __future__ import annotations

from ..case.model import Case
from ..errors import InputError, Problem
from ..knowledge.pack import KnowledgePack
from ..version import __version__
from .conditions import evaluate_findings
from .decision import decide
from .differential import rank_causes
from .facts import derive_facts
from .labs import read_labs
from .result import Assessment, IndexSurgery, LabReading, Versions
from .rules import leading, non_surgical_options, red_flags, risk_factors
from .timing import timing_window
from .uncertainty import uncertainties
from .workup import done_tests, missing_workup

__all__ = ["assess"]


def assess(case: Case, pack: KnowledgePack) -> Assessment:
    """Assess one case. Pure: same case and pack, same Assessment."""
    if case.assessment_date is None:
        raise InputError(
            "the case has no assessment date",
            [Problem("assessment_date", "required; parse_case fills in today's date when it is absent")],
        )
    facts = derive_facts(case)
    facts.lab_reads = read_labs(facts, pack)
    hits = evaluate_findings(facts, pack)
    timing = timing_window(facts, pack)
    done = done_tests(facts, hits, pack)
    causes, mimics, excluded = rank_causes(facts, hits, timing, pack, done)
    lead = leading(causes, mimics, pack)
    flags = red_flags(hits, pack)
    workup = missing_workup(hits, lead, done, pack)
    risks = risk_factors(hits, pack)
    options = non_surgical_options(hits, lead, pack)
    top = max(causes[:1] + [m for m in mimics[:1] if m.supporting], key=lambda c: c.score, default=None)
    decision = decide(pack, flags, top, workup, risks, bool(case.imaging), options, hits, [*causes, *mimics])
    labs = [
        LabReading.model_construct(
            rule_id=f"labs.{r.test}.{r.status}", test=r.test, value=r.value, unit=r.unit, date=r.date,
            day_after_surgery=r.day_after_surgery, status=r.status, reading=r.reading, threshold=r.threshold,
            input=r.path, citations=r.citations,
        )
        for reads in facts.lab_reads.values()
        for r in reads
    ]
    labs.sort(key=lambda r: (r.date, r.test))
    index = None
    if facts.index is not None and facts.index_position is not None and facts.days_since_index is not None:
        s = facts.index
        index = IndexSurgery.model_construct(
            position=facts.index_position, procedure=s.procedure.value, region=s.region.value,
            levels=list(s.levels), date=s.date, days_since=facts.days_since_index,
        )
    cited: set[str] = set(timing.citations) | set(decision.citations)
    for group in (flags, labs, risks, options):
        for item in group:
            cited.update(item.citations)
    for c in (*causes, *mimics):
        cited.update(c.citations)
    for w in workup:
        for r in w.reasons:
            cited.update(r.citations)
    refs = pack.citation_refs
    return Assessment.model_construct(
        versions=Versions.model_construct(
            engine=__version__, knowledge=pack.version, knowledge_id=pack.info.id, knowledge_sources=pack.sources
        ),
        case_id=case.case_id,
        assessment_date=case.assessment_date,
        index_surgery=index,
        timing_window=timing,
        red_flags=flags,
        differential=causes,
        mimics=mimics,
        not_applicable=excluded,
        labs=labs,
        workup=workup,
        risk_factors=risks,
        decision=decision,
        uncertainties=uncertainties(facts, timing, causes, labs, workup, pack),
        citations={cid: refs[cid] for cid in sorted(cited)},
    )


