"""What is missing or uncertain in an assessment, said plainly."""

from __future__ import annotations

from collections.abc import Sequence

from ..knowledge.pack import KnowledgePack
from .facts import Facts
from .result import CauseResult, LabReading, TimingResult, WorkupItem

__all__ = ["uncertainties"]


def uncertainties(
    facts: Facts,
    timing: TimingResult,
    causes: list[CauseResult],
    labs: list[LabReading],
    workup: list[WorkupItem],
    pack: KnowledgePack,
    deferred: Sequence[WorkupItem] = (),
) -> list[str]:
    out = [pack.scoring.caveat]
    case = facts.case
    if not case.surgeries:
        out.append("No prior operation is recorded; causes that depend on the operation cannot be checked.")
    if timing.window is None:
        out.append(f"Timing unknown: {timing.note}")
    elif timing.boundary:
        out.append(f"Timing on a boundary: {timing.note}")
    if not case.imaging:
        out.append("No imaging is recorded since the operation.")
    if causes:
        lead = causes[0]
        if "ordinal" in lead.evidence_kinds:
            out.append(
                f"Part of the evidence for {lead.label} is an ordinal weight, not a published likelihood ratio."
            )
        if len(causes) > 1 and causes[1].score > 0 and lead.score - causes[1].score < 0.05:
            out.append(f"{lead.label} and {causes[1].label} score almost the same; the ranking between them is weak.")
        if lead.tier not in ("confirmatory", "supportive"):
            out.append("No finding supports any cause over the others: there is no leading cause yet, and the "
                       "order of the differential rests on the priors, timing and compatible patterns only.")
        elif lead.tier == "supportive":
            out.append(f"{lead.label} leads on supportive evidence; no objective finding confirms it yet.")
        opposing = [e for e in lead.opposing if e.status == "absent"]
        if opposing:
            out.append(f"Findings looked for and not found count against {lead.label}: "
                       + "; ".join(e.label for e in opposing) + ".")
    if not labs:
        out.append("No laboratory results are recorded (ESR and CRP before a revision; albumin and transferrin).")
    if deferred:
        out.append(
            "Work-up for persistent pain is deferred while the course is as expected ("
            + ", ".join(w.label for w in deferred)
            + "); reassess if the pain persists or a red flag appears."
        )
    before = [w.label for w in workup if w.before_revision]
    if before:
        out.append("Missing before any revision: " + ", ".join(before) + ".")
    return out
