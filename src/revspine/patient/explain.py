"""The patient's own explanation: assessment and plan in plain words, and personalised answers.

Every sentence comes from a pack text (checked for jargon on load, for reading grade in the
tests); the only values filled in are levels, dates, counts and scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .._construct import Template, make
from ..knowledge.pack import KnowledgePack, per_pack
from ..knowledge.sections.patient import PatientAnswer, PatientText
from .models import PatientAnswerResult, PatientExplanation, PatientParagraph, PatientSection

if TYPE_CHECKING:
    from ..case.model import Case
    from ..pipeline import Assessment

__all__ = ["explain_for_patient", "personalised_answers", "PATIENT_INSTRUMENTS"]

PATIENT_INSTRUMENTS = ("odi", "ndi", "nrs_back", "nrs_leg", "phq9", "gad7")
TITLE = "Your back surgery review, in plain words"


class _Texts:
    def __init__(self, pack: KnowledgePack) -> None:
        self.all: Mapping[str, PatientText] = pack.sections.get("patient_texts", {})

    def para(self, tid: str, **values: Any) -> PatientParagraph | None:
        t = self.all.get(tid)
        if t is None:
            return None
        return make(PatientParagraph, text=t.text.format(**values), source=tid, citations=list(t.citations))

    def plain(self, tid: str) -> str | None:
        t = self.all.get(tid)
        return t.text if t else None


def _keep(*paras: PatientParagraph | None) -> list[PatientParagraph]:
    return [p for p in paras if p is not None]


def _found(a: Assessment, t: _Texts) -> list[PatientParagraph]:
    if not a.differential:
        return []
    lead = a.differential[0]
    out = _keep(t.para(f"cause.{lead.cause}"))
    # the next causes of failure only: a mimic supported by age alone would alarm more than inform
    others = [n for c in a.differential[1:3] if (n := t.plain(f"name.{c.cause}"))]
    if others:
        names = others[0] if len(others) == 1 else ", ".join(others[:-1]) + " and " + others[-1]
        out += _keep(t.para("other_causes", cause_name=names))
    return out


def _ready(a: Assessment, t: _Texts) -> list[PatientParagraph]:
    return _keep(*(t.para(f"risk.{r.rule_id}") for r in a.risk_factors))


def _plan(a: Assessment, case: Case, pack: KnowledgePack, t: _Texts) -> list[PatientParagraph]:
    p = a.revision_plan
    if p is None or a.decision.category == "urgent":
        return []
    out = _keep(t.para("plan.intro"))
    out += _keep(t.para("plan.timing_ready" if p.timing.ready else "plan.timing_blocked"))
    if p.levels.levels:
        out += _keep(t.para("plan.levels", levels=", ".join(p.levels.levels)))
    out += _keep(t.para(f"plan.cause.{p.cause}"))
    if p.bone_quality.status == "poor":
        out += _keep(t.para("plan.bone_poor"))
    elif p.bone_quality.status == "unknown":
        out += _keep(t.para("plan.bone_unknown"))
    est = p.by_prior_operations
    table = pack.sections.get("prior_operation_outcomes")
    if est is not None and table is not None:
        first = table.rows[0].pass_percent
        if first is not None:
            out += _keep(t.para("plan.prior_ops_first", pass_first=f"{first:.0f}"))
        if est.prior_operations > 0 and est.odds_ratio_not_pass is not None:
            odds = f"{est.odds_ratio_not_pass:g}"
            out += _keep(t.para("plan.prior_ops_more", odds=odds,
                           earlier=_count(est.prior_operations, "earlier operation")))
        if est.prior_operations > 0 and est.pass_percent is not None:
            out += _keep(t.para("plan.prior_ops_pass_now", pass_now=f"{est.pass_percent:.0f}"))
        out += _keep(t.para("plan.uncertain"))
    return out


def _doing(a: Assessment, t: _Texts) -> list[PatientParagraph]:
    res = a.instruments
    if res is None:
        return []
    out: list[PatientParagraph] = []
    trends = {tr.instrument: tr for tr in res.trends}
    for s in res.scores:
        if s.instrument not in PATIENT_INSTRUMENTS:
            continue
        out += _keep(t.para(f"instrument.{s.instrument}", score=f"{s.total:g}"))
        tr = trends.get(s.instrument)
        if tr is not None and tr.direction != "not_interpretable":
            out += _keep(t.para(f"trend.{tr.direction}"))
    return out


class _Answer(NamedTuple):
    make: Template[PatientAnswerResult]  # answer, personalised, citations
    entry: PatientAnswer
    citations: tuple[str, ...]


@per_pack
def _answers(pack: KnowledgePack) -> tuple[tuple[_Answer, ...], frozenset[str]]:
    """The pack's patient answers, prepared once per pack, and every citation they carry (every answer is
    given to every patient)."""
    answers: Mapping[str, PatientAnswer] = pack.sections.get("patient_answers", {})
    prepared = tuple(
        _Answer(Template(PatientAnswerResult, ("answer", "personalised", "citations"), id=a.id,
                         question=a.question), a, tuple(a.citations))
        for a in answers.values()
    )
    return prepared, frozenset(c for a in prepared for c in a.citations)


def personalised_answers(pack: KnowledgePack, cause: str | None, decision: str | None) -> list[PatientAnswerResult]:
    out = []
    for make_answer, a, citations in _answers(pack)[0]:
        extra = [x for x in (a.by_cause.get(cause or ""), a.by_decision.get(decision or "")) if x]
        out.append(make_answer.build(answer=" ".join([a.answer, *extra]), personalised=bool(extra),
                               citations=list(citations)))
    return out


def explain_for_patient(a: Assessment, case: Case, pack: KnowledgePack) -> PatientExplanation:
    """The patient-facing explanation of an assessment (its ``patient`` field is not read)."""
    t = _Texts(pack)
    sections = [
        make(PatientSection, id="intro", heading="About this page", paragraphs=_keep(t.para("intro"))),
        make(PatientSection, id="found", heading="What your team found", paragraphs=_found(a, t)),
        make(PatientSection,
            id="next", heading="What happens next", paragraphs=_keep(t.para(f"decision.{a.decision.category}"))
        ),
        make(PatientSection, id="ready", heading="Getting ready", paragraphs=_ready(a, t)),
        make(PatientSection, id="plan", heading="If you choose surgery", paragraphs=_plan(a, case, pack, t)),
        make(PatientSection, id="doing", heading="How you are doing", paragraphs=_doing(a, t)),
        make(PatientSection, id="closing", heading="Next steps", paragraphs=_keep(t.para("closing"))),
    ]
    sections = [s for s in sections if s.paragraphs]
    lead = a.differential[0].cause if a.differential else None
    answers = personalised_answers(pack, lead, a.decision.category)
    cited = {c for s in sections for p in s.paragraphs for c in p.citations}.union(_answers(pack)[1])
    return make(PatientExplanation, title=TITLE, sections=sections, answers=answers, citations=sorted(cited))


def _count(n: int, noun: str) -> str:
    """'1 earlier operation', '2 earlier operations': a count with its noun in the right number."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
