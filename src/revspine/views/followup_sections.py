"""View models of the follow-up sections: safety alerts, instruments and outcomes, and the
plain-language explanation for the patient.

Values are copied from the Assessment's ``instruments`` and ``patient`` (revspine.instruments
and revspine.patient); the view adds words for codes and draws each trend. Every field
carries a description; docs/views.md is generated from them.
"""

from __future__ import annotations

from datetime import date as Date
from typing import Literal

from pydantic import Field

from .sections import ViewModel, _cites

__all__ = [
    "SafetyAlertView",
    "SubscaleView",
    "InstrumentScoreView",
    "ThresholdView",
    "TrendPointView",
    "TrendView",
    "InstrumentsView",
    "PatientParagraphView",
    "PatientSectionView",
    "PatientAnswerView",
    "PatientView",
]


class SafetyAlertView(ViewModel):
    """An answer on a questionnaire that needs action today (e.g. PHQ-9 item 9 above 0)."""

    instrument: str = Field(description="Id of the instrument, e.g. `phq9`")
    label: str = Field(description="The instrument, in words")
    date: Date | None = Field(description="Date the questionnaire was completed, when recorded")
    item: int | None = Field(description="1-based number of the item that raised the alert, when the pack names it")
    answer: float | None = Field(description="The patient's score on that item, when known")
    message: str = Field(description="What was answered and what to do now")
    citations: list[str] = _cites("the alert")


class SubscaleView(ViewModel):
    name: str = Field(description="Id of the subscale, e.g. `psychosocial`")
    label: str = Field(description="The subscale, in words")
    value: float = Field(description="The subscale score")


class InstrumentScoreView(ViewModel):
    instrument: str = Field(description="Id of the instrument in the knowledge pack")
    label: str = Field(description="The instrument, in words")
    date: Date | None = Field(description="Date it was completed, when recorded")
    source: Literal["items", "total"] = Field(
        description="`items` when scored here from the item scores, `total` when the case gives only the total"
    )
    source_label: str = Field(description="Where the score comes from, in words")
    item_scores: list[float | None] = Field(description="Item scores as given, in order; null = unanswered")
    missing_items: list[int] = Field(description="1-based numbers of unanswered items")
    total: float = Field(description="The score")
    unit: str = Field(description="Unit of the score (`points` or `%`)")
    range_min: float | None = Field(description="Lowest possible score; null when the pack lacks the instrument")
    range_max: float | None = Field(description="Highest possible score; null when the pack lacks the instrument")
    higher_is_worse: bool | None = Field(
        description="True when a higher score means worse symptoms; null when the pack lacks the instrument"
    )
    band: str = Field(description="Interpretation band the score falls in")
    band_meaning: str | None = Field(description="What the band means, when the source says")
    subscales: list[SubscaleView] = Field(description="Subscale scores (e.g. STarT Back psychosocial)")
    scoring_text: str = Field(description="The published scoring rule, in words")
    working: str | None = Field(description="The arithmetic that gave the score, when scored from items")
    alerts: list[str] = Field(description="Item answers that need action now (also shown at the top of the page)")
    warnings: list[str] = Field(description="Caveats about this score (e.g. too many missing items)")
    case_field: str | None = Field(description="`questionnaires.<field>` the score feeds into the assessment")
    citations: list[str] = _cites("the scoring and the bands")


class ThresholdView(ViewModel):
    kind: Literal["points", "percent"] = Field(description="`points` on the scale or `percent` of the baseline")
    threshold: float = Field(description="The minimal clinically important difference (MCID)")
    change: float = Field(description="The patient's improvement in the threshold's unit (positive = better)")
    reached: bool = Field(description="True when the improvement reaches the MCID")
    population: str = Field(description="Whom the MCID was measured in")
    citations: list[str] = _cites("the MCID")


class TrendPointView(ViewModel):
    date: Date = Field(description="Date the questionnaire was completed")
    total: float = Field(description="The score on that date")


class TrendView(ViewModel):
    instrument: str = Field(description="Id of the instrument")
    label: str = Field(description="The instrument, in words")
    unit: str = Field(description="Unit of the score")
    points: list[TrendPointView] = Field(description="Every dated score, oldest first")
    baseline: TrendPointView = Field(description="The first score: the baseline")
    latest: TrendPointView = Field(description="The latest score")
    change_points: float = Field(description="Latest minus baseline (negative = improvement for these instruments)")
    change_percent: float | None = Field(description="Change relative to the baseline; null when the baseline is 0")
    slope_per_month: float | None = Field(description="Least-squares slope over all points, per month")
    direction: Literal["improved", "worsened", "no_important_change", "not_interpretable"] = Field(
        description="`improved` or `worsened` by at least an MCID, `no_important_change`, or `not_interpretable`"
    )
    direction_label: str = Field(description="The direction, in words")
    mcid: list[ThresholdView] = Field(description="Each published MCID and whether the change reaches it")
    mcid_note: str | None = Field(description="Why no MCID is given, when none is published")
    pass_reached: bool | None = Field(
        description="Whether the latest score is in the patient acceptable symptom state (PASS); null when unpublished"
    )
    pass_threshold: float | None = Field(description="The PASS threshold (score at most), when published")
    pass_note: str | None = Field(description="Why no PASS threshold is given, when none is published")
    summary: str = Field(description="The trend, in words")
    svg: str | None = Field(
        description="The trend as inline SVG markup with the MCID and PASS lines, drawn by "
        "revspine.instruments.outcomes; null when the pack lacks the instrument"
    )
    citations: list[str] = _cites("the trend, the MCID and the PASS")



class InstrumentsView(ViewModel):
    """Questionnaire scores with their bands and working, and outcome trends over time."""

    scores: list[InstrumentScoreView] = Field(description="The latest score of each instrument")
    trends: list[TrendView] = Field(description="Instruments completed on two dates or more, over time")
    alerts: list[str] = Field(description="Every item alert, as the engine lists them (shown at the top of the page)")
    citations: list[str] = _cites("the instruments")


class PatientParagraphView(ViewModel):
    text: str = Field(description="One paragraph in plain language (US grade 8 or below)")
    source: str = Field(description="Id of the pack text it came from")
    citations: list[str] = _cites("the paragraph")


class PatientSectionView(ViewModel):
    id: str = Field(description="Id of the section, e.g. `found`")
    heading: str = Field(description="Heading of the section, as the patient reads it")
    paragraphs: list[PatientParagraphView] = Field(description="Its paragraphs")


class PatientAnswerView(ViewModel):
    id: str = Field(description="Id of the answer in the knowledge pack")
    question: str = Field(description="The question, as a patient asks it")
    answer: str = Field(description="The answer in plain language")
    personalised: bool = Field(description="True when a sentence for this patient's cause or decision was added")
    citations: list[str] = _cites("the answer")


class PatientView(ViewModel):
    """What the patient reads: the assessment and plan in plain words, and answers to common questions."""

    title: str = Field(description="Title of the explanation")
    sections: list[PatientSectionView] = Field(description="The explanation, section by section")
    answers: list[PatientAnswerView] = Field(description="Answers to common questions, personalised where marked")
    citations: list[str] = _cites("the explanation")
