"""The bridge to the view layer: stored JSON -> :mod:`revspine.views` objects and the PDF report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..case.model import Case
from ..knowledge import KnowledgePack
from ..pipeline import Assessment
from ..views import AssessmentView, ComparisonView, build_assessment_view, compare_assessments
from ..views.chart import ChartHeaderView
from .contexts import PatientSummary

__all__ = ["assessment_view", "compare_view", "chart_header", "patient_label"]


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
                 newer: tuple[int, dict[str, Any], dict[str, Any]], pack: KnowledgePack,
                 history: list[dict[str, Any]]) -> ComparisonView:
    """Each side: (assessment id, assessment JSON, input case JSON); ``history``: the patient's assessment
    JSONs, oldest first, up to the newer one (for the questionnaire trends)."""
    return compare_assessments(Assessment.model_validate(older[1]), Assessment.model_validate(newer[1]),
                               old_case=older[2], new_case=newer[2], old_id=str(older[0]), new_id=str(newer[0]),
                               pack=pack, history=[Assessment.model_validate(h) for h in history])



def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def chart_header(view: AssessmentView, patient: PatientSummary, input_case: dict[str, Any], clinician: str,
                 clinic: str = "", printed_at: datetime | None = None) -> ChartHeaderView:
    """The chart copy's header: the patient record's identifiers, age and sex from the case assessed."""
    recorded = input_case.get("patient") or {}
    age = recorded.get("age")
    return ChartHeaderView(
        patient_name=patient.display_name, age=age if isinstance(age, int) else _age(patient.birth_date,
                                                                                       view.assessment_date),
        sex=recorded.get("sex"), mrn=patient.mrn, birth_date=patient.birth_date, clinician=clinician,
        clinic=clinic or None, assessment_date=view.assessment_date,
        printed_at=printed_at or datetime.now().astimezone(), engine=view.versions.engine,
        knowledge=f"{view.versions.knowledge_id} {view.versions.knowledge}",
    )

