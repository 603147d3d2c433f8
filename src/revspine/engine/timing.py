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
    early_end = t.windows[0].end_day or 0
    since = facts.days_since_index
    never_resolved = days == 0 or facts.case.symptoms.pain_free_interval is False
    if never_resolved and since is not None and since > early_end:
        # Pain present since the operation (onset day 0, no pain-free interval) and still there months later:
        # every operation hurts on day 0, so that onset says nothing of an early complication; the patient
        # presents in the window of the assessment. (An onset on, say, day 18 after a pain-free spell stays
        # early: it dates a new event.)
        note += (
            f"Pain present since the operation (onset day {days}) and persisting; read in the window of the "
            f"assessment, {since} days after surgery. "
        )
        read_at: int = since
    else:
        read_at = days
    for w in t.windows:
        if read_at >= w.start_day and (w.end_day is None or read_at <= w.end_day):
            boundary = read_at in t.boundary_days
            return make(
                TimingResult, window=w.id, label=w.label, days_after_surgery=days, basis=basis, boundary=boundary,
                read_at_day=read_at,
                note=(note + (t.boundary_note if boundary else "")).strip(),
                citations=sorted(set(cites + w.citations)),
            )
    raise AssertionError("timing windows cover every day")  # guaranteed by the schema
