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

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import orjson
from pydantic import ValidationError

from ..errors import InputError, Problem
from ..fhir import bundle_to_case
from ..fhir.codes import code_index
from ..fhir.report import MappingReport
from ..knowledge.pack import KnowledgePack
from ..workflow import Worked, assess_case, worked_from
from .cards import CardContext, order_cards, summary_card
from .models import CdsRequest
from .prefetch import REQUIRED, PatientData, gather_patient_data, prefetch_templates, prefetched_data
from .settings import CdsSettings
from .store import SaveAssessment

if TYPE_CHECKING:
    from ..assesspool import AssessPool

T = TypeVar("T")

__all__ = ["PATIENT_VIEW", "ORDER", "ORDER_SELECT", "ORDER_SIGN", "ORDER_SERVICES", "HOOKS", "discovery",
           "BadRequest", "run_service", "spine_orders", "Call", "Answer", "parse_request", "answer_body",
           "answer_request", "validation_message"]

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

    def __reduce__(self) -> tuple[type[BadRequest], tuple[str, str | None]]:  # raised in a worker process too
        return BadRequest, (self.message, self.expression)


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


def validation_message(exc: ValidationError) -> str:
    """A request body's validation errors, as the OperationOutcome's diagnostics say them."""
    errs = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)]
    return "; ".join(errs)[:2000]


def parse_request(body: bytes) -> CdsRequest:
    """A hook call's body, parsed and validated; raises BadRequest (400)."""
    try:
        return CdsRequest.model_validate(orjson.loads(body))
    except orjson.JSONDecodeError:
        raise BadRequest("the body is not valid JSON") from None
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from None


@dataclass(frozen=True)
class Call:
    """What a hook call's computation needs besides the pack (small and picklable: it goes to a worker)."""

    service_id: str
    base: str                     # the app's URL (no trailing slash): the card link's base
    source_url: str | None        # settings.source_url
    allow_http_fhir_server: bool  # settings.allow_http_fhir_server
    client: dict[str, Any]        # the verified client (iss, tenant, jti), kept with the assessment


NO_CARDS = orjson.dumps({"cards": []})


@dataclass(frozen=True)
class Answer:
    """A hook call worked out: the response JSON, and the assessment to store when there are cards.

    Until the assessment is stored the card link is ``link`` (a placeholder under the app's base, made
    of a random token); :func:`run_service` stores the assessment and puts its page's URL there."""

    body: bytes                     # the response JSON
    cards: list[dict[str, Any]]     # each card's uuid, summary and indicator (for feedback records)
    worked: Worked | None = None    # the case and assessment to store (None: no cards)
    source: dict[str, Any] = field(default_factory=dict)  # the call (hook, hookInstance, service, patientId, client)
    link: str = ""


_TEMPLATES: dict[int, tuple[KnowledgePack, dict[str, str]]] = {}


def _templates(pack: KnowledgePack) -> dict[str, str]:
    known = _TEMPLATES.get(id(pack))
    if known is None or known[0] is not pack:
        known = _TEMPLATES[id(pack)] = (pack, prefetch_templates(pack))
    return known[1]


def answer_body(pack: KnowledgePack, body: bytes, call: Call) -> Answer | None:
    """:func:`answer_request` for the body as it came (parsed here: in a worker process, the serving
    process hands over the bytes)."""
    return answer_request(pack, parse_request(body), call)


def answer_request(pack: KnowledgePack, req: CdsRequest, call: Call, data: PatientData | None = None
                   ) -> Answer | None:
    """One hook call as pure computation (no network, no database: it runs in an assessment worker):
    check the request, read the patient's data from ``data`` or else the prefetch, map it to a case,
    assess, build the cards. None when data must first be fetched from the client's FHIR server
    (:func:`revspine.cdshooks.prefetch.gather_patient_data`, on the serving process). Raises BadRequest,
    Unavailable (412) or InputError."""
    service_id = call.service_id
    if req.hook not in HOOKS[service_id]:
        raise BadRequest(f"service {service_id} answers {', '.join(HOOKS[service_id])}, not {req.hook}", "hook")
    patient_id = req.context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id:
        raise BadRequest("context.patientId is required", "context.patientId")
    if not isinstance(req.context.get("userId"), str):
        raise BadRequest("context.userId is required", "context.userId")
    source = {"hook": req.hook, "hookInstance": req.hookInstance, "service": service_id, "patientId": patient_id,
              **call.client}
    order_kind: str | None = None
    covered: set[str] = set()
    if service_id in ORDER_SERVICES:
        order_kind, covered = spine_orders(req, pack)
        if order_kind is None:
            return Answer(NO_CARDS, [], source=source)
    if data is None:
        data = prefetched_data(req, _templates(pack), call.allow_http_fhir_server)
        if data is None:
            return None
    try:
        case, report = bundle_to_case(data.as_bundle(), pack, today=date.today(), patient_id=patient_id)
    except InputError as exc:
        raise InputError("the prefetched FHIR data is malformed",
                         [Problem(f"prefetch: {p.path}", p.message) for p in exc.problems]) from None
    prior = bool(case.surgeries) or report.has_tag("spine_surgery_history")
    if not prior or (service_id == PATIENT_VIEW and not _after_surgery_pain(report, case.surgeries,
                                                                            bool(case.symptoms.symptoms))):
        return Answer(NO_CARDS, [], source=source)
    a = assess_case(case, pack)
    link = f"{call.base}/assessments/{secrets.token_hex(16)}"  # the stored assessment's page, once stored
    ctx = CardContext(a, report, pack, patient_id, req.context.get("encounterId") if isinstance(
        req.context.get("encounterId"), str) else None, link, call.source_url, data.missing, data.incomplete)
    cards = [summary_card(ctx)] if service_id == PATIENT_VIEW else order_cards(ctx, str(order_kind), covered)
    return Answer(orjson.dumps({"cards": cards}),
                  [{"uuid": c["uuid"], "summary": c["summary"], "indicator": c["indicator"]} for c in cards],
                  worked_from(case, a), source, link)


@dataclass
class Deps:
    pack: KnowledgePack
    settings: CdsSettings
    save_assessment: SaveAssessment
    transport: httpx.AsyncBaseTransport | None = None
    pool: AssessPool | None = None  # assessment workers (None: the work runs on the event loop)
    templates: dict[str, str] = field(init=False)  # the prefetch templates, worked out once per pack

    def __post_init__(self) -> None:
        self.templates = _templates(self.pack)

    async def compute(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(pack, *args)``: in an assessment worker (which holds the same pack), else here."""
        if self.pool is not None:
            return await self.pool.with_pack(fn, *args)
        return fn(self.pack, *args)


def _json_text(value: str) -> bytes:
    return orjson.dumps(value)[1:-1]


async def run_service(service_id: str, body: bytes, deps: Deps, *, app_base: str,
                      client: dict[str, Any]) -> Answer:
    """One hook call, from the request body as it came to the response JSON (``Answer.body``).

    The computation (parse, map the prefetch, assess, cards) runs in an assessment worker when ``deps``
    has a pool; data the prefetch lacks is fetched from the client's FHIR server here (network), then
    handed to a worker; the assessment is stored here (``deps.save_assessment``: the process's writer),
    and the card link set to its page. Raises BadRequest, Unavailable (412) or InputError."""
    call = Call(service_id, (deps.settings.app_url or app_base).rstrip("/"), deps.settings.source_url,
                deps.settings.allow_http_fhir_server, client)
    answer = await deps.compute(answer_body, body, call)
    if answer is None:  # some of the data is on the client's FHIR server
        req = parse_request(body)
        data = await gather_patient_data(req, deps.templates, deps.settings, deps.transport)
        answer = await deps.compute(answer_request, req, call, data)
        assert answer is not None
    if answer.worked is None:
        return answer
    path = await deps.save_assessment(answer.worked, answer.source)
    url = f"{call.base}{path}" if path.startswith("/") else path
    return replace(answer, body=answer.body.replace(_json_text(answer.link), _json_text(url)), link=url)
