"""The header of the chart copy: who the patient is, who assessed, when it was printed, which versions.

The assessment view does not hold identifiers beyond a label; the caller (the web app, the CLI)
supplies them here, so the two-page chart PDF can carry what a chart document needs.
"""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime

from pydantic import Field

from .sections import ViewModel

__all__ = ["ChartHeaderView"]


class ChartHeaderView(ViewModel):
    """Identifiers and provenance printed at the top of the chart PDF."""

    patient_name: str | None = Field(description="The patient's name, as the clinic records it")
    age: int | None = Field(description="Age in years at the assessment")
    sex: str | None = Field(description="Sex, as recorded in the case")
    mrn: str | None = Field(description="Medical record number")
    birth_date: Date | None = Field(description="Date of birth")
    clinician: str | None = Field(description="Who made the assessment")
    clinic: str | None = Field(None, description="The clinic's name, from the settings")
    assessment_date: Date = Field(description="Date the case was assessed")
    printed_at: datetime = Field(description="When this copy was printed")
    engine: str = Field(description="revspine engine version")
    knowledge: str = Field(description="Knowledge pack id and version")
