"""FHIR R4 adapters around the pure engine: read a Bundle or bulk NDJSON into a Case, write an
Assessment back as a FHIR Bundle. Value sets live in the knowledge pack."""

from .reader import BulkResult, PatientCase, bundle_to_case, ndjson_to_cases
from .report import ContextFact, MappingNote, MappingReport
from .writer import assessment_to_bundle

__all__ = [
    "bundle_to_case", "ndjson_to_cases", "assessment_to_bundle", "BulkResult", "PatientCase", "MappingReport",
    "MappingNote", "ContextFact",
]
