"""Gather every instrument a case carries: latest score per instrument, and trends over time."""

from __future__ import annotations

from datetime import date

from .._construct import make
from ..case.model import Case
from ..errors import InputError
from ..instruments.models import InstrumentScore, InstrumentsResult, OutcomeTrend
from ..instruments.outcomes import track
from ..instruments.scoring import instruments, read_total, score_items
from ..knowledge.pack import KnowledgePack

__all__ = ["instruments_result"]


def _scored(case: Case, pack: KnowledgePack) -> list[InstrumentScore]:
    """Every response scored (parse_case has already validated them)."""
    out = []
    for r in case.instrument_responses:
        if r.items is not None:
            out.append(score_items(r.instrument, r.items, pack, when=r.date))
        elif r.total is not None:
            out.append(read_total(r.instrument, r.total, pack, when=r.date))
    return out


def _from_totals(
    case: Case, pack: KnowledgePack, covered: set[tuple[str, date | None, float]]
) -> list[InstrumentScore]:
    """The questionnaire totals not already produced by an instrument response."""
    q = case.questionnaires
    out = []
    for inst in instruments(pack).values():
        if inst.case_field is None:
            continue
        value = getattr(q, inst.case_field, None)
        if value is None or any(i == inst.id and t == float(value) for i, _, t in covered):
            continue
        subs = {s.id: float(v) for s in inst.subscales if s.case_field and (v := getattr(q, s.case_field)) is not None}
        try:
            out.append(read_total(inst.id, float(value), pack, subscales=subs, when=q.date))
        except InputError:  # a local pack with narrower bounds; the case model already bounds the value
            continue
    return out


def instruments_result(case: Case, pack: KnowledgePack) -> InstrumentsResult | None:
    """None when the case carries no questionnaire at all."""
    scored = _scored(case, pack)
    covered = {(s.instrument, s.date, s.total) for s in scored}
    every = scored + _from_totals(case, pack, covered)
    if not every:
        return None
    latest: dict[str, InstrumentScore] = {}
    for s in every:
        prev = latest.get(s.instrument)
        if prev is None or (s.date or date.min) >= (prev.date or date.min):
            latest[s.instrument] = s
    trends: list[OutcomeTrend] = []
    for inst_id in latest:
        series = {s.date: s.total for s in every if s.instrument == inst_id and s.date is not None}
        if len(series) >= 2:
            trends.append(track(inst_id, sorted(series.items()), pack))
    scores = sorted(latest.values(), key=lambda s: s.instrument)
    alerts = [a for s in scores for a in s.alerts]
    cited = {c for s in scores for c in s.citations} | {c for t in trends for c in t.citations}
    return make(InstrumentsResult, scores=scores, trends=trends, alerts=alerts, citations=sorted(cited))
