"""The bridge to the view layer: stored JSON -> :mod:`revspine.views` objects and the PDF report."""

from __future__ import annotations

from typing import Any

from ..case.model import Case
from ..engine.result import Assessment
from ..knowledge import KnowledgePack
from ..report.pdf import assessment_pdf
from ..views import AssessmentView, ComparisonView, build_assessment_view, compare_assessments
from .contexts import PatientSummary

__all__ = ["assessment_view", "compare_view", "pdf_bytes", "patient_label"]


def patient_label(patient: PatientSummary) -> str:
    parts = [patient.display_name]
    if patient.mrn:
        parts.append(f"MRN {patient.mrn}")
    if patient.birth_date:
        parts.append(f"born {patient.birth_date.isoformat()}")
    return " · ".join(parts)


def assessment_view(result: dict[str, Any], input_case: dict[str, Any], pack: KnowledgePack,
                    patient: PatientSummary | None, assessment_id: int) -> AssessmentView:
    return build_assessment_view(Assessment.model_validate(result), Case.model_validate(input_case),
                                 patient_label(patient) if patient else None, str(assessment_id), pack=pack)


def compare_view(older: tuple[int, dict[str, Any], dict[str, Any]],
                 newer: tuple[int, dict[str, Any], dict[str, Any]]) -> ComparisonView:
    """Each side: (assessment id, assessment JSON, input case JSON)."""
    return compare_assessments(Assessment.model_validate(older[1]), Assessment.model_validate(newer[1]),
                               old_case=older[2], new_case=newer[2], old_id=str(older[0]), new_id=str(newer[0]))


def pdf_bytes(view: AssessmentView) -> bytes:
    return assessment_pdf(view)
