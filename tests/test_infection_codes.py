"""Implant and surgical-site infection codes (ICD-10-CM T84.6-, T81.4-) reach the engine as findings, from FHIR
and from OMOP rows (which the screen turns into the same FHIR resources)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from revspine.fhir import bundle_to_case
from revspine.pipeline import assess
from revspine.screen.cases import bundle_of

from .conftest import TODAY
from .fhir_samples import ICD, PID, condition, fbss_bundle


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": PID, "gender": "female", "birthDate": "1961-02-03"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:t:{r['id']}", "resource": r} for r in (patient, *resources)]}


@pytest.mark.parametrize(("code", "tag"), [
    ("T84.60XA", "implant_infection"),  # unspecified site
    ("T84.63XA", "implant_infection"),  # spine
    ("T84.69XD", "implant_infection"),  # other site, subsequent encounter
    ("T81.41XA", "surgical_site_infection"),  # superficial incisional
    ("T81.42XA", "surgical_site_infection"),  # deep incisional
    ("T81.43XA", "surgical_site_infection"),  # organ/space
    ("T81.49XA", "surgical_site_infection"),  # other surgical site
])
def test_current_infection_code_is_a_finding(pack, code: str, tag: str) -> None:
    case, report = bundle_to_case(_bundle(condition("dx", ICD, code, onset="2026-10-20")), pack, today=TODAY)
    assert case.risk_factors.recent_bacterial_infection is True
    assert report.has_tag(tag)


def test_resolved_surgical_site_infection_is_not_recent(pack) -> None:
    case, report = bundle_to_case(_bundle(condition("dx", ICD, "T81.41XA", onset="2019-01-10", status="resolved")),
                                  pack, today=TODAY)
    assert case.risk_factors.recent_bacterial_infection is None
    assert report.has_tag("surgical_site_infection")  # still recorded as history


def test_neighbouring_codes_are_not_infections(pack) -> None:
    # T84.5- is a joint-prosthesis infection (not a fixation device), T81.3- a wound disruption, T84.7- other devices
    for code in ("T81.31XA", "T84.84XA"):
        case, _ = bundle_to_case(_bundle(condition("dx", ICD, code, onset="2026-10-20")), pack, today=TODAY)
        assert case.risk_factors.recent_bacterial_infection is None, code


def test_engine_weighs_a_surgical_site_infection_for_the_infection_cause(pack) -> None:
    bundle = fbss_bundle()
    plain, _ = bundle_to_case(bundle, pack, today=TODAY)
    bundle["entry"].append({"fullUrl": "urn:t:ssi",
                            "resource": condition("ssi", ICD, "T81.42XA", onset="2026-10-01")})
    case, _ = bundle_to_case(bundle, pack, today=TODAY)
    assert plain.risk_factors.recent_bacterial_infection is not True
    infection = next(c for c in assess(case, pack).differential if c.cause == "infection")
    before = next(c for c in assess(plain, pack).differential if c.cause == "infection")
    assert "recent_bacterial_infection" in {e.finding for e in infection.supporting}
    assert infection.score > before.score


@pytest.mark.parametrize("row", [
    {"vocab1": "ICD10CM", "code1": "T84.63XA", "name1": "Infection due to internal fixation device of spine"},
    {"source_value": "T8142XA"},  # no vocabulary tables: the source value, dotted by shape
])
def test_omop_condition_rows_reach_the_same_finding(pack, row: dict[str, Any]) -> None:
    rows = [{"kind": "person", "row_id": "7", "birth_year": 1960, "birth_month": 5, "birth_day": 2, "gender": 8532},
            {"kind": "condition", "row_id": "1", "event_date": date(2026, 10, 1), **row}]
    case, _ = bundle_to_case(bundle_of(7, rows, TODAY), pack, today=TODAY)
    assert case.risk_factors.recent_bacterial_infection is True
