"""Result models for instruments: one scored questionnaire, and an outcome series over time."""

from __future__ import annotations

from datetime import date as Date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["InstrumentScore", "ThresholdCheck", "SeriesPoint", "OutcomeTrend", "InstrumentsResult"]


class _R(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstrumentScore(_R):
    instrument: str
    label: str
    date: Date | None = None
    source: Literal["items", "total"] = Field(description="Scored here from item scores, or a total given in the case")
    items: list[float | None] = Field(default_factory=list, description="Item scores as given; None = unanswered")
    missing_items: list[int] = Field(default_factory=list, description="1-based numbers of unanswered items")
    total: float
    unit: str
    band: str
    band_meaning: str | None = None
    subscales: dict[str, float] = Field(default_factory=dict)
    scoring_text: str
    working: str | None = Field(None, description="The arithmetic, e.g. '16 / (5 x 9) x 100 = 35.56'")
    alerts: list[str] = Field(default_factory=list, description="Item answers that need action now")
    warnings: list[str] = Field(default_factory=list)
    case_field: str | None = None
    citations: list[str]


class ThresholdCheck(_R):
    kind: Literal["points", "percent"]
    threshold: float
    change: float = Field(description="Improvement in the threshold's unit (positive = better)")
    reached: bool
    population: str
    citations: list[str]


class SeriesPoint(_R):
    date: Date
    total: float


class OutcomeTrend(_R):
    instrument: str
    label: str
    unit: str
    points: list[SeriesPoint]
    baseline: SeriesPoint
    latest: SeriesPoint
    change_points: float = Field(description="Latest minus baseline (negative = improvement for these instruments)")
    change_percent: float | None = Field(None, description="Relative to baseline; None when baseline is 0")
    slope_per_month: float | None = Field(None, description="Least-squares slope over all points, per 30.44 days")
    direction: Literal["improved", "worsened", "no_important_change", "not_interpretable"]
    mcid: list[ThresholdCheck]
    mcid_note: str | None = None
    pass_reached: bool | None = Field(None, description="None when no PASS threshold is published")
    pass_threshold: float | None = None
    pass_note: str | None = None
    summary: str
    citations: list[str]


class InstrumentsResult(_R):
    """Every instrument the case carries: the latest score of each, and trends where there are two dates or more."""

    scores: list[InstrumentScore]
    trends: list[OutcomeTrend]
    alerts: list[str]
    citations: list[str]
