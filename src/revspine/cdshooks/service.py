"""The revspine CDS services: discovery entries, and what each hook call does.

- ``revspine-patient-view`` (patient-view): a summary card when the record shows a prior
  spine operation and pain after it; otherwise no cards.
- ``revspine-order-select`` and ``revspine-order-sign`` (one id per hook: clients such as the
  CDS Hooks Sandbox key services by id, and kept only one of two entries sharing an id): when a
  draft ServiceRequest is a spine operation or spine imaging (value sets in the pack) for a
  patient with a prior spine operation, cards for red flags, missing work-up (with suggestions
  that create the orders), unoptimised risks and a summary. ``revspine-order``, the id both
  hooks shared before, still answers either hook (an alias, not listed in discovery).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from ..errors import InputError, Problem
from ..fhir import bundle_to_case
from ..fhir.codes import code_index
from ..fhir.report import MappingReport
from ..knowledge.pack import KnowledgePack
from ..workflow import assess_case
from .cards import CardContext, order_cards, summary_card
from .models import CdsRequest
from .prefetch import REQUIRED, gather_patient_data, prefetch_templates
from .settings import CdsSettings
from .store import SaveAssessment

__all__ = ["PATIENT_VIEW", "ORDER", "ORDER_SELECT", "ORDER_SIGN", "ORDER_SERVICES", "HOOKS", "discovery",
           "BadRequest", "run_service", "spine_orders"]

PATIENT_VIEW = "revspine-patient-view"
ORDER_SELECT = "revspine-order-select"
ORDER_SIGN = "revspine-order-sign"
ORDER = "revspine-order"  # the alias both order hooks shared before they had an id each
ORDER_SERVICES = frozenset({ORDER_SELECT, ORDER_SIGN, ORDER})
HOOKS = {PATIENT_VIEW: ("patient-view",), ORDER_SELECT: ("order-select",), ORDER_SIGN: ("order-sign",),
         ORDER: ("order-select", "order-sign")}


class BadRequest(Exception):
    def __init__(self, message: str, expression: str | None = None):
        super().__init__(message)
        self.message = message
        self.expression = expression


def discovery(pack: KnowledgePack) -> dict[str, Any]:
    prefetch = prefetch_templates(pack)
    usage = (f"Needs the prefetch keys {', '.join(REQUIRED)} or a fhirServer with fhirAuthorization "
             "(user/ or patient/ read scopes on Patient, Condition, Procedure, Observation, MedicationRequest, "
             "AllergyIntolerance, ImagingStudy, DiagnosticReport). Answers 412 when the data cannot be obtained.")
    return {"services": [
        {"hook": "patient-view", "id": PATIENT_VIEW, "title": "revspine: failed spine surgery summary",
         "description": "For a patient with a prior spine operation and persistent pain: red flags, the leading "
                        "causes of failure, missing work-up and risks to optimise, with a link to the full "
                        "assessment.", "prefetch": prefetch, "usageRequirements": usage},
        {"hook": "order-select", "id": ORDER_SELECT,
         "title": "revspine: before revision spine surgery or spine imaging",
         "description": "When a spine operation or spine imaging is being ordered for a patient after spine "
                        "surgery: red flags, missing work-up (with orders to add), unoptimised risks.",
         "prefetch": prefetch, "usageRequirements": usage},
        {"hook": "order-sign", "id": ORDER_SIGN, "title": "revspine: before revision spine surgery or spine imaging",
         "description": "Before signing a spine operation or spine imaging order for a patient after spine "
                        "surgery: red flags, missing work-up (with orders to add), unoptimised risks.",
         "prefetch": prefetch, "usageRequirements": usage},
    ]}


def spine_orders(req: CdsRequest, pack: KnowledgePack) -> tuple[str | None, set[str]]:
    """('spine_surgery'|'spine_imaging'|None, work-up test ids the ordered imaging covers)."""
    draft = req.context.get("draftOrders")
    if not isinstance(draft, dict) or draft.get("resourceType") != "Bundle":
        raise BadRequest("context.draftOrders must be a FHIR Bundle", "context.draftOrders")
    selections = req.context.get("selections")
    if req.hook == "order-select":
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            raise BadRequest("context.selections must be an array of references", "context.selections")
    idx = code_index(pack)
    kind: str | None = None
    covered: set[str] = set()
    for entry in draft.get("entry") or []:
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict) or res.get("resourceType") != "ServiceRequest":
            continue
        if req.hook == "order-select" and f"ServiceRequest/{res.get('id')}" not in (selections or []):
            continue
        code: dict[str, Any] = res["code"] if isinstance(res.get("code"), dict) else {}
        codings = [c for c in code.get("coding") or [] if isinstance(c, dict)]
        text = code.get("text") if isinstance(code.get("text"), str) else None
        if idx.match("procedure", codings, text):
            kind = "spine_surgery"
        for m in idx.match("imaging_procedure", codings, text):
            if m.maps_to.get("order") != "spine_imaging":
                continue
            kind = kind or "spine_imaging"
            for tid, test in pack.workup_tests.items():
                if m.maps_to["modality"] in test.satisfied_by.get("modalities", []) or any(
                        c.get("code") in test.cpt for c in codings):
                    covered.add(tid)
    return kind, covered


def _after_surgery_pain(report: MappingReport, surgeries: list[Any], has_symptoms: bool) -> bool:
    last = max((s.date.isoformat() for s in surgeries), default=None)
    for f in report.context:
        if f.tag in ("pain", "fbss") and f.current and (f.tag == "fbss" or last is None or f.date is None
                                                          or f.date >= last):
            return True
    return has_symptoms


@dataclass
class Deps:
    pack: KnowledgePack
    settings: CdsSettings
    save_assessment: SaveAssessment
    transport: httpx.AsyncBaseTransport | None = None
    templates: dict[str, str] = field(init=False)  # the prefetch templates, worked out once per pack

    def __post_init__(self) -> None:
        self.templates = prefetch_templates(self.pack)


async def run_service(service_id: str, req: CdsRequest, deps: Deps, *, app_base: str,
                      client: dict[str, Any]) -> dict[str, Any]:
    """The response body of one hook call. Raises BadRequest, Unavailable (412) or InputError."""
    if req.hook not in HOOKS[service_id]:
        raise BadRequest(f"service {service_id} answers {', '.join(HOOKS[service_id])}, not {req.hook}", "hook")
    patient_id = req.context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id:
        raise BadRequest("context.patientId is required", "context.patientId")
    if not isinstance(req.context.get("userId"), str):
        raise BadRequest("context.userId is required", "context.userId")
    order_kind: str | None = None
    covered: set[str] = set()
    if service_id in ORDER_SERVICES:
        order_kind, covered = spine_orders(req, deps.pack)
        if order_kind is None:
            return {"cards": []}
    data = await gather_patient_data(req, deps.templates, deps.settings, deps.transport)
    try:
        case, report = bundle_to_case(data.as_bundle(), deps.pack, today=date.today(), patient_id=patient_id)
    except InputError as exc:
        raise InputError("the prefetched FHIR data is malformed",
                         [Problem(f"prefetch: {p.path}", p.message) for p in exc.problems]) from None
    prior = bool(case.surgeries) or report.has_tag("spine_surgery_history")
    if not prior or (service_id == PATIENT_VIEW and not _after_surgery_pain(report, case.surgeries,
                                                                            bool(case.symptoms.symptoms))):
        return {"cards": []}
    a = assess_case(case, deps.pack)
    source = {"hook": req.hook, "hookInstance": req.hookInstance, "service": service_id, "patientId": patient_id,
              **client}
    path = await deps.save_assessment(case, a, source)
    base = (deps.settings.app_url or app_base).rstrip("/")
    ctx = CardContext(a, report, deps.pack, patient_id, req.context.get("encounterId") if isinstance(
        req.context.get("encounterId"), str) else None, f"{base}{path}" if path.startswith("/") else path,
                      deps.settings.source_url, data.missing, data.incomplete)
    cards = [summary_card(ctx)] if service_id == PATIENT_VIEW else order_cards(ctx, str(order_kind), covered)
    return {"cards": cards}
