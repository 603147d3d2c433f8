"""The case model: what a clinician records about one patient."""

from . import enums
from .levels import adjacent_levels, parse_level
from .model import (
    Alignment,
    Case,
    Culture,
    DiagnosticBlock,
    ElectroStudy,
    Examination,
    ImagingFinding,
    ImagingStudy,
    InstrumentResponse,
    LabResult,
    Patient,
    PriorSurgery,
    Questionnaires,
    RiskFactors,
    SymptomCourse,
)
from .validate import parse_case

__all__ = [
    "Case", "Patient", "PriorSurgery", "SymptomCourse", "Examination", "RiskFactors", "ImagingStudy",
    "ImagingFinding", "LabResult", "DiagnosticBlock", "ElectroStudy", "Questionnaires", "Alignment", "Culture",
    "InstrumentResponse",
    "parse_case", "parse_level", "adjacent_levels", "enums",
]
