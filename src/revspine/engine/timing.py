"""Place the symptom onset in the early / intermediate / late window."""

from __future__ import annotations

from typing import Literal

from ..knowledge.pack import KnowledgePack
from .facts import Facts
from .result import TimingResult, make

__all__ = ["timing_window"]


def timing_window(facts: Facts, pack: KnowledgePack) -> TimingResult:
    t = pack.timing
    cites = list(t.citations)
    days = facts.onset_days
    basis: Literal["symptom_onset"] = "symptom_onset"
    note = ""
    if days is None and facts.index is not None and facts.case.symptoms.pain_free_interval is False:
        days, note = 0, "No pain-free interval: symptoms counted from the day of surgery. "
    if facts.index is None:
        return TimingResult(
            window=None, label="No prior surgery recorded", days_after_surgery=None, basis="none",
            boundary=False, note="Timing cannot be placed without the date of the operation.", citations=cites,
        )
    if days is None:
        return TimingResult(
            window=None, label="Onset not recorded", days_after_surgery=None, basis="none", boundary=False,
            note="Give symptoms.onset_date or onset_days_after_surgery to place the onset in a window.",
            citations=cites,
        )
    for w in t.windows:
        if days >= w.start_day and (w.end_day is None or days <= w.end_day):
            boundary = days in t.boundary_days
            return make(
                TimingResult, window=w.id, label=w.label, days_after_surgery=days, basis=basis, boundary=boundary,
                note=(note + (t.boundary_note if boundary else "")).strip(),
                citations=sorted(set(cites + w.citations)),
            )
    raise AssertionError("timing windows cover every day")  # guaranteed by the schema
