"""FHIR R4 -> Case: every shared bundle and NDJSON file maps; nothing is dropped silently."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
import pytest

from revspine.errors import InputError
from revspine.fhir import bundle_to_case, ndjson_to_cases
from revspine.fhir.walk import iter_entries

from .conftest import TODAY

SYNTHEA_SMALL = "Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json"


def _load(path: Path) -> dict:
    return orjson.loads(path.read_bytes())


def _accounted(bundle: dict, report) -> list[str]:
    """Resources neither used in the case nor named in a note (must be none)."""
    from revspine.fhir.report import MappingReport
    from revspine.fhir.walk import Problems

    entries = list(iter_entries(bundle, MappingReport("x"), Problems()))
    noted = {f"{n.resource_type}/{n.resource_id}" for n in report.notes} | {n.path for n in report.notes}
    missing = []
    for e in entries:
        if e.ref in report.used or e.ref in noted or e.path in noted:
            continue
        if any(n.path.startswith(e.path) for n in report.notes):
            continue
        missing.append(e.ref)
    return missing


def _bundle_files(shared: Path) -> list[Path]:
    files = sorted((shared / "synthea-r4" / "bundles").glob("*.json"))
    files += sorted((shared / "hl7-fhir-r4-examples" / "bundles").glob("*.json"))
    return files


def test_every_shared_bundle_yields_a_case_and_report(shared_data, pack):
    files = _bundle_files(shared_data)
    assert len(files) >= 70
    for path in files:
        bundle = _load(path)
        case, report = bundle_to_case(bundle, pack, today=TODAY)
        assert case.assessment_date == TODAY, path.name
        assert report.notes or report.used, path.name
        assert _accounted(bundle, report) == [], path.name


def test_every_hl7_example_resource_maps_inside_a_collection(shared_data, pack):
    files = sorted((shared_data / "hl7-fhir-r4-examples" / "resources").glob("*.json"))
    assert len(files) > 200
    for path in files:
        res = _load(path)
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": res}]}
        case, report = bundle_to_case(bundle, pack, today=TODAY)
        assert _accounted(bundle, report) == [], path.name


def test_bulk_ndjson_groups_by_patient(shared_data, pack):
    folder = shared_data / "synthea-bulk-ndjson-10"
    result = ndjson_to_cases([folder], pack, today=TODAY)
    patients = [line for line in (folder / "Patient.000.ndjson").read_bytes().splitlines() if line.strip()]
    assert len(result.cases) == len(patients) == 13
    assert all(pc.case.assessment_date == TODAY for pc in result.cases)
    # the export log and organisations/practitioners name no patient
    assert result.unassigned.notes
    # two patients have chronic low back pain (SNOMED 278860009) in this export
    back = [pc for pc in result.cases if "back_pain" in {s.value for s in pc.case.symptoms.symptoms}]
    assert len(back) == 2
    assert all(pc.report.has_tag("pain") for pc in back)


def test_synthea_bundle_maps_demographics_vitals_labs(shared_data, pack):
    bundle = _load(shared_data / "synthea-r4" / "bundles" / SYNTHEA_SMALL)
    case, report = bundle_to_case(bundle, pack, today=TODAY)
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    y, m, d = (int(x) for x in patient["birthDate"].split("-"))
    assert case.patient.age == TODAY.year - y - ((TODAY.month, TODAY.day) < (m, d))
    assert case.patient.sex.value == patient["gender"]
    assert case.patient.bmi is not None and 10 < case.patient.bmi < 100
    assert case.risk_factors.smoking is not None
    assert case.case_id == f"Patient/{patient['id']}"
    assert report.patient == case.case_id


def test_multi_patient_bundle_takes_the_requested_patient(shared_data, pack):
    path = shared_data / "hl7-fhir-r4-examples" / "bundles" / "Bundle-b248b1b2-1686-4b94-9936-37d7a5f94b51.json"
    bundle = _load(path)
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    _, report = bundle_to_case(bundle, pack, today=TODAY)
    assert report.patient == f"Patient/{ids[0]}"
    assert len([n for n in report.notes if "another patient" in n.reason]) == len(ids) - 1
    _, report = bundle_to_case(bundle, pack, today=TODAY, patient_id=ids[3])
    assert report.patient == f"Patient/{ids[3]}"


def test_batch_response_entries_without_resource_are_noted(shared_data, pack):
    bundle = _load(shared_data / "hl7-fhir-r4-examples" / "bundles" / "Bundle-bundle-response.json")
    _, report = bundle_to_case(bundle, pack, today=TODAY)
    empty = [n for n in report.notes if n.resource_type == "Bundle.entry"]
    assert len(empty) == sum(1 for e in bundle["entry"] if "resource" not in e) == 7


def test_searchset_operation_outcome_is_a_warning(shared_data, pack):
    bundle = _load(shared_data / "hl7-fhir-r4-examples" / "bundles" / "Bundle-bundle-search-warning.json")
    _, report = bundle_to_case(bundle, pack, today=TODAY)
    assert any(n.status == "warning" and n.resource_type == "OperationOutcome" for n in report.notes)


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda b: b.update(entry={"a": 1}), "Bundle.entry"),
        (lambda b: b["entry"].__setitem__(0, "text"), "Bundle.entry[0]"),
        (lambda b: b["entry"][0].__setitem__("resource", []), "Bundle.entry[0].resource"),
        (lambda b: b["entry"][0]["resource"].pop("resourceType"), "resourceType"),
        (lambda b: b["entry"][1]["resource"].__setitem__("code", "M96.1"), "Condition.code"),
        (lambda b: b["entry"][1]["resource"]["code"].__setitem__("coding", [7]), "Condition.code.coding[0]"),
        (lambda b: b["entry"][2]["resource"]["valueQuantity"].__setitem__("value", "high"),
         "Observation.valueQuantity.value"),
    ],
)
def test_malformed_bundle_names_resource_and_path(pack, mutate, fragment):
    bundle = {
        "resourceType": "Bundle", "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"}},
            {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                          "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M96.1"}]}}},
            {"resource": {"resourceType": "Observation", "id": "o1", "status": "final",
                          "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-01-01",
                          "code": {"coding": [{"system": "http://loinc.org", "code": "1988-5"}]},
                          "valueQuantity": {"value": 12, "unit": "mg/L", "system": "http://unitsofmeasure.org",
                                            "code": "mg/L"}}},
        ],
    }
    bundle_to_case(copy.deepcopy(bundle), pack, today=TODAY)  # the intact bundle maps
    mutate(bundle)
    with pytest.raises(InputError) as exc:
        bundle_to_case(bundle, pack, today=TODAY)
    text = str(exc.value)
    assert fragment in text


def test_not_a_bundle(pack):
    with pytest.raises(InputError) as exc:
        bundle_to_case({"resourceType": "Patient"}, pack, today=TODAY)
    assert exc.value.problems[0].path == "resourceType"
    with pytest.raises(InputError):
        bundle_to_case(b"{not json", pack, today=TODAY)


def test_ndjson_bad_line_names_file_and_line(pack):
    with pytest.raises(InputError) as exc:
        ndjson_to_cases([b'{"resourceType":"Patient","id":"a"}\n{oops\n'], pack, today=TODAY)
    assert exc.value.problems[0].path == "(bytes):2"


def test_cds_hooks_prefetch_examples_map(shared_data, pack):
    """The spec's prefetch examples: data prefetches map to a case; template strings are not data."""
    folder = shared_data / "cds-hooks" / "spec-examples"
    index = orjson.loads((folder / "index.json").read_bytes())
    files = [folder / Path(i["file"]).name for i in index if i.get("kind") in ("prefetch", "request")
             and i["file"].endswith(".json")]
    with_data = 0
    for path in files:
        doc = orjson.loads(path.read_bytes())
        prefetch = doc.get("prefetch") or {}
        resources = [v for v in prefetch.values() if isinstance(v, dict) and "resourceType" in v]
        for v in prefetch.values():
            if isinstance(v, dict) and "resource" in v:  # a DSTU2-era {response, resource} wrapper
                resources.append(v["resource"])
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
        case, report = bundle_to_case(bundle, pack, today=TODAY)
        assert _accounted(bundle, report) == [], path.name
        with_data += bool(resources)
    assert with_data >= 5
    # the spec's HbA1c prefetch (4548-4) is recognised; its value was snipped, so it is skipped, with the reason
    doc = orjson.loads((folder / "hl7-spec__16__prefetch.json").read_bytes())
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": v} for v in doc["prefetch"].values() if isinstance(v, dict)]}
    case, report = bundle_to_case(bundle, pack, today=TODAY)
    assert case.labs == [] and case.patient.sex.value == "male"
    assert any(n.status == "skipped" and "Hemoglobin A1c" in n.reason for n in report.notes)


@pytest.mark.parametrize("unit", ["10*9/L", "10^9/L", "x10^9/L", "K/uL"])
def test_a_lab_unit_reads_the_same_through_fhir_as_in_a_case_file(pack, unit):
    # One unit lookup (LabTestRule.to_canonical) for both paths: a white cell count written as a lab report writes
    # it maps, not skipped, and to the value the JSON case parser gives.
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"}},
        {"resource": {"resourceType": "Observation", "id": "o1", "status": "final",
                      "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-01-01",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "6690-2"}]},
                      "valueQuantity": {"value": 17, "unit": unit}}}]}
    case, _ = bundle_to_case(bundle, pack, today=TODAY)
    assert [(lab.test.value, lab.value, lab.unit) for lab in case.labs] == [("wbc", 17, "10*9/L")]
