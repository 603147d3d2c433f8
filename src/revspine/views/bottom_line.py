"""The bottom line: what a clinician reads in the first minute, on one screen and on page 1 of the chart copy.

In this order: red flags; the decision with the two or three items that block or qualify it; the
top three causes, each with its one strongest finding and the number of its source in the
reference list; modifiable risks with their targets; the next steps. Copied from the Assessment
(never recomputed); the numbers of the sources are positions in the view's citation list.
"""

from __future__ import annotations

from pydantic import Field

from ..pipeline import Assessment
from .sections import ViewModel

__all__ = ["BottomLineView", "TopCauseView", "RiskLineView", "NextStepView", "build_bottom_line", "MAX_QUALIFIERS",
           "MAX_NEXT_STEPS"]

MAX_QUALIFIERS = 3
MAX_NEXT_STEPS = 5
TOP_CAUSES = 3


class TopCauseView(ViewModel):
    rank: int = Field(description="Position in the ranked differential, 1 = first")
    cause: str = Field(description="Id of the cause in the knowledge pack")
    label: str = Field(description="The cause, in words")
    score: float = Field(description="Evidence-weighted score in 0..1 (ranking only; not a probability)")
    tier: str = Field(description="Strength of the evidence behind it (`confirmatory`, `supportive`, `compatible`, "
                                  "`none`), when the engine grades it")
    strongest: str | None = Field(description="Its one strongest supporting finding, in words; null when none")
    refs: list[int] = Field(description="Numbers of the strongest finding's sources in the reference list")
    correctable_by_surgery: str = Field(description="Whether revision surgery can correct it: yes, no or sometimes")


class RiskLineView(ViewModel):
    label: str = Field(description="The modifiable risk factor, in words")
    target: str | None = Field(description="What to reach before revision")
    blocks: bool = Field(description="True when elective revision waits for the target")


class NextStepView(ViewModel):
    label: str = Field(description="The test or action, in words")
    before_revision: bool = Field(description="True when it must be done before any revision")
    why: str = Field(description="The first reason it is needed")


class BottomLineView(ViewModel):
    """The first screen of the assessment and the first half of page 1 of the chart PDF."""

    decision_category: str = Field(description="Decision category code")
    decision_headline: str = Field(description="The decision, in words")
    decision_summary: str = Field(description="One line: what the decision rule concluded")
    qualifiers: list[str] = Field(description="The two or three items that block or qualify the decision")
    leading: str | None = Field(description="Id of the leading cause; null when no cause leads yet")
    leading_note: str = Field(description="Why this cause leads, or why none leads yet and what would separate "
                                          "them (the page shows it when none leads)")
    causes: list[TopCauseView] = Field(description="The top three causes, each with its strongest finding")
    risks: list[RiskLineView] = Field(description="Modifiable risks with their targets, blocking ones first")
    next_steps: list[NextStepView] = Field(description="The next steps: work-up in the order to do it (at most five)")
    more_steps: int = Field(description="How many further work-up items are listed below the bottom line")
    unweighed: list[str] = Field(description="Recorded findings no rule weighs (recorded, not weighed)")


def _qualifiers(a: Assessment) -> list[str]:
    reasons = list(a.decision.reasons)
    if a.decision.category == "urgent":
        return reasons[:1]  # the red flags themselves are listed above the decision
    # the first reason states the rule; the rest name what blocks or qualifies it
    specific = reasons[1:] if len(reasons) > 1 else reasons
    return specific[:MAX_QUALIFIERS]


def build_bottom_line(a: Assessment, numbers: dict[str, int], headline: str) -> BottomLineView:
    """The bottom line of ``a``; ``numbers`` maps citation ids to their numbers in the reference list."""
    causes = []
    for c in a.differential[:TOP_CAUSES]:
        best = c.supporting[0] if c.supporting else None
        causes.append(TopCauseView(
            rank=c.rank, cause=c.cause, label=c.label, score=c.score, tier=c.tier,
            strongest=best.label if best else None,
            refs=sorted({numbers[i] for i in best.citations if i in numbers}) if best else [],
            correctable_by_surgery=c.correctable_by_surgery,
        ))
    risks = sorted((r for r in a.risk_factors if r.modifiable), key=lambda r: not r.blocks_revision_until_met)
    steps = [
        NextStepView(label=w.label, before_revision=w.before_revision, why=w.reasons[0].reason if w.reasons else "")
        for w in a.workup
    ]
    return BottomLineView(
        decision_category=a.decision.category, decision_headline=headline, decision_summary=a.decision.summary,
        qualifiers=_qualifiers(a), leading=a.leading, leading_note=a.leading_note,
        causes=causes,
        risks=[RiskLineView(label=r.label, target=r.target, blocks=r.blocks_revision_until_met) for r in risks],
        next_steps=steps[:MAX_NEXT_STEPS], more_steps=max(0, len(steps) - MAX_NEXT_STEPS),
        unweighed=[_plain(u) for u in a.unweighed],
    )


def _plain(entry: str) -> str:
    """A recorded-not-weighed entry without its JSON path, for the chart ("side: bilateral", "facet arthropathy").

    The engine quotes each entry with its path ("imaging[1].findings[0]: facet_arthropathy",
    "symptoms.side = bilateral"); the trace keeps that form, the bottom line shows the clinical part.
    """
    if ": " in entry:
        text = entry.split(": ", 1)[1]
        return text.replace("_", " ")
    if " = " in entry:
        path, value = entry.split(" = ", 1)
        return f"{path.rsplit('.', 1)[-1].replace('_', ' ')}: {value.replace('_', ' ')}"
    return entry.replace("_", " ")
