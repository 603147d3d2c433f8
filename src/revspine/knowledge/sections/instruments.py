"""Knowledge-pack section ``instruments``: how each validated questionnaire is scored and read.

An instrument lists its items (allowed item scores; question text only where the licence
allows shipping it), the scoring method, interpretation bands, subscales, the minimal clinically
important difference (MCID) and patient acceptable symptom state (PASS) where published, and its
licence. Every number carries citations; where a figure was not found the entry says so.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..loader import register_section

__all__ = [
    "ItemSpec",
    "Band",
    "Subscale",
    "ChangeThreshold",
    "AcceptableState",
    "ItemAlert",
    "Licence",
    "Instrument",
]

Cited = list[str]
QUESTIONNAIRE_FIELDS = (
    "odi", "ndi", "nrs_back", "nrs_leg", "paindetect", "dn4", "start_back_total", "phq9", "gad7",
)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemSpec(_Entry):
    topic: str = Field(description="A short topic name (our words), never the copyrighted item wording")
    values: list[float] = Field(min_length=2, description="The item scores allowed, as published")
    text: str | None = Field(None, description="Published item wording; only where the licence allows shipping it")


class Band(_Entry):
    """An interpretation band over the total (and, for STarT Back, a subscale). Bounds are inclusive."""

    label: str
    min: float | None = None
    max: float | None = None
    above: float | None = Field(None, description="Exclusive lower bound, for continuous scores between integer bands")
    subscale: str | None = None
    subscale_min: float | None = None
    subscale_max: float | None = None
    meaning: str | None = None

    def contains(self, total: float, subscales: dict[str, float]) -> bool:
        if self.min is not None and total < self.min:
            return False
        if self.above is not None and total <= self.above:
            return False
        if self.max is not None and total > self.max:
            return False
        if self.subscale is not None:
            s = subscales.get(self.subscale)
            if s is None:
                return False
            if (self.subscale_min is not None and s < self.subscale_min) or (
                self.subscale_max is not None and s > self.subscale_max
            ):
                return False
        return True


class Subscale(_Entry):
    id: str
    label: str
    items: list[int] = Field(min_length=1, description="1-based item numbers")
    case_field: str | None = Field(None, description="questionnaires.<field> this subscale fills")


class ChangeThreshold(_Entry):
    """A minimal clinically important improvement: ``points`` on the scale or ``percent`` of baseline."""

    kind: Literal["points", "percent"]
    value: float = Field(gt=0)
    population: str
    citations: Cited = Field(min_length=1)


class AcceptableState(_Entry):
    at_most: float
    definition: str
    citations: Cited = Field(min_length=1)


class ItemAlert(_Entry):
    item: int = Field(ge=1, description="1-based item number")
    above: float
    message: str
    citations: Cited = Field(min_length=1)


class Licence(_Entry):
    holder: str
    text_shipped: bool = Field(description="True only when the licence lets us ship the item wording")
    terms: str
    citations: Cited = Field(min_length=1)


class Instrument(_Entry):
    id: str
    label: str
    purpose: str
    case_field: str | None = Field(None, description="questionnaires.<field> the total fills")
    recall: str | None = None
    stem: str | None = Field(None, description="Instruction above the items, where the licence allows")
    answer_labels: dict[str, str] = Field(default_factory=dict, description="Score -> answer wording, if shippable")
    items: list[ItemSpec] = Field(min_length=1)
    scoring: Literal["sum", "odi_percent", "ndi_raw"]
    scoring_text: str = Field(description="The published rule, in words, shown with every score")
    missing: Literal["not_allowed", "drop_denominator", "mean_of_answered"]
    missing_note: str | None = None
    total_min: float
    total_max: float
    unit: str
    higher_is_worse: bool = True
    bands: list[Band] = Field(min_length=1)
    subscales: list[Subscale] = Field(default_factory=list)
    mcid: list[ChangeThreshold] = Field(default_factory=list)
    mcid_gap: str | None = None
    pass_state: AcceptableState | None = None
    pass_gap: str | None = None
    alerts: list[ItemAlert] = Field(default_factory=list)
    licence: Licence
    worked_example: str | None = None
    citations: Cited = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        if self.case_field is not None and self.case_field not in QUESTIONNAIRE_FIELDS:
            raise ValueError(f"case_field must be one of {', '.join(QUESTIONNAIRE_FIELDS)}")
        if not self.licence.text_shipped and (self.stem or self.answer_labels or any(i.text for i in self.items)):
            raise ValueError("item wording is shipped although the licence does not allow it")
        n = len(self.items)
        for sub in self.subscales:
            if any(not 1 <= i <= n for i in sub.items):
                raise ValueError(f"subscale {sub.id} names an item outside 1..{n}")
        for alert in self.alerts:
            if alert.item > n:
                raise ValueError(f"alert names item {alert.item}, beyond {n}")
        if not self.mcid and not self.mcid_gap:
            raise ValueError("without an MCID, say why in mcid_gap")
        if self.pass_state is None and not self.pass_gap:
            raise ValueError("without a PASS threshold, say why in pass_gap")
        return self


register_section("instruments", Instrument)
