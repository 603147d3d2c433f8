"""What is missing or uncertain in an assessment, said plainly."""

from __future__ import annotations

from collections.abc import Sequence

from ..knowledge.pack import KnowledgePack
from .facts import Facts, no_symptom_present
from .predicates import side_checked_codes, side_discordant
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
    waiting: Sequence[WorkupItem] = (),
    deferral_note: str | None = None,
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
    if no_symptom_present(case) and not case.symptoms.denied:
        out.append("No symptom is recorded, present or denied: the ranking and the decision read the findings alone. "
                   "Findings on imaging without symptoms are not an indication for treatment; record the symptoms "
                   "(or those asked about and denied) and reassess.")
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
    other_side = _other_side(facts, pack)
    if other_side:
        out.append("On the other side from the one-sided symptoms, so not read as confirming or excluding a cause: "
                   + "; ".join(other_side) + ".")
    if not labs:
        out.append("No laboratory results are recorded (ESR and CRP before a revision; albumin and transferrin).")
    if deferred:
        tests = ", ".join(w.label for w in deferred)
        out.append(
            f"{deferral_note} (not listed: {tests})." if deferral_note else
            f"Work-up for persistent pain is deferred while the course is as expected ({tests}); reassess if the "
            "pain persists or a red flag appears."
        )
    if waiting:
        out.append(
            "Elective work-up waits until the urgent problem is dealt with ("
            + ", ".join(w.label for w in waiting)
            + "); reassess then."
        )
    before = [w.label for w in workup if w.before_revision]
    if before:
        out.append("Missing before any revision: " + ", ".join(before) + ".")
    return out


def _other_side(facts: Facts, pack: KnowledgePack) -> list[str]:
    """Blocks, and imaging findings read only on the symptoms' side, on the other side from one-sided symptoms."""
    codes = side_checked_codes(pack)
    out = [f"blocks[{i}]: {b.type.value} block, {b.side.value}" for i, b in enumerate(facts.case.blocks)
           if b.side is not None and side_discordant(facts, b.side)]
    out += [f"imaging[{i}].findings[{j}]: {fnd.code.value}{' at ' + fnd.level if fnd.level else ''}, {fnd.side.value}"
            for i, study in enumerate(facts.case.imaging) for j, fnd in enumerate(study.findings)
            if fnd.side is not None and fnd.code.value in codes and side_discordant(facts, fnd.side)]
    return out
