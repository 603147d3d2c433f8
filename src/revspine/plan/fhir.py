"""FHIR R4 export of an order set: a RequestGroup (status draft, intent proposal) as a plain dict.

One action per category, one sub-action per order line; alternatives (``choose_one_of``) become a
sub-group with selectionBehavior ``exactly-one``. With a patient reference, each medication line
also becomes a contained MedicationRequest that the action points to (MedicationRequest needs a
subject, so without one the medication is described in the action only).
"""

from __future__ import annotations

from typing import Any

from .models import OrderLine, OrderSet
from .order_set import ORDER_CATEGORY_LABELS
from .order_set import line_text as _text

__all__ = ["order_set_to_fhir", "RXNORM", "UCUM"]

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"


def _medication_code(line: OrderLine) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": line.medication}
    if line.rxnorm:
        concept["coding"] = [{"system": RXNORM, "code": line.rxnorm, "display": line.medication}]
    return concept


def _medication_request(line: OrderLine, rid: str, patient: str) -> dict[str, Any]:
    dosage: dict[str, Any] = {"text": _text(line)}
    if line.route:
        dosage["route"] = {"text": line.route}
    if line.dose_amount is not None and line.dose_unit:
        quantity = {"value": line.dose_amount, "unit": line.dose_unit, "system": UCUM, "code": line.dose_unit}
        dosage["doseAndRate"] = [{"doseQuantity": quantity}]
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "proposal",
        "medicationCodeableConcept": _medication_code(line),
        "subject": {"reference": patient},
        "dosageInstruction": [dosage],
        "note": [{"text": line.evidence}],
    }


def _action(line: OrderLine, contained: list[dict[str, Any]], patient: str | None) -> dict[str, Any]:
    action: dict[str, Any] = {
        "id": line.item,
        "title": line.title,
        "description": _text(line),
        "textEquivalent": line.evidence,
        "documentation": [{"type": "citation", "label": c} for c in line.citations],
    }
    if line.medication:
        action["code"] = [_medication_code(line)]
        if patient:
            rid = f"med-{line.item}".replace("_", "-")
            contained.append(_medication_request(line, rid, patient))
            action["resource"] = {"reference": f"#{rid}"}
    return action


def order_set_to_fhir(order_set: OrderSet, *, patient_reference: str | None = None) -> dict[str, Any]:
    """A FHIR R4 RequestGroup for the order set. ``patient_reference`` is e.g. ``"Patient/123"``."""
    contained: list[dict[str, Any]] = []
    groups: dict[str, list[OrderLine]] = {}
    for line in order_set.lines:
        groups.setdefault(line.category, []).append(line)
    actions = []
    for category, lines in groups.items():
        sub: list[dict[str, Any]] = []
        alternatives: dict[str, list[dict[str, Any]]] = {}
        for line in lines:
            a = _action(line, contained, patient_reference)
            if line.choose_one_of:
                if line.choose_one_of not in alternatives:
                    alternatives[line.choose_one_of] = []
                    sub.append({"id": line.choose_one_of, "title": "Choose one", "selectionBehavior": "exactly-one",
                                "action": alternatives[line.choose_one_of]})
                alternatives[line.choose_one_of].append(a)
            else:
                sub.append(a)
        actions.append({"id": category, "title": ORDER_CATEGORY_LABELS.get(category, category), "action": sub})
    group: dict[str, Any] = {
        "resourceType": "RequestGroup",
        "status": "draft",
        "intent": "proposal",
        "code": {"text": order_set.label},
        "note": [{"text": order_set.local_note}, *({"text": w} for w in order_set.warnings)],
        "action": actions,
    }
    if patient_reference:
        group["subject"] = {"reference": patient_reference}
    if contained:
        group["contained"] = contained
    return group
