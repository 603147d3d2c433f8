"""Prefetch templates, and getting the patient's data: from prefetch, else from the FHIR server.

CDS Hooks 2.0 semantics: a key the client did not send must be fetched by the service
(with ``fhirServer`` + ``fhirAuthorization``); ``null`` means "no data"; an
OperationOutcome means the client failed to get it (the service fetches it itself when
it can); a searchset may be paginated (``next`` links are followed on the same server
only). When required data cannot be had the service answers 412.
The access token is sent to ``fhirServer`` only, over https, and never logged.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from ..knowledge.pack import KnowledgePack
from .models import CdsRequest
from .settings import CdsSettings

__all__ = ["prefetch_templates", "REQUIRED", "PatientData", "Unavailable", "gather_patient_data", "prefetched_data",
           "fhir_server_usable"]

log = logging.getLogger("revspine.cdshooks.prefetch")
REQUIRED = ("patient", "conditions", "procedures", "observations", "medications")


def prefetch_templates(pack: KnowledgePack) -> dict[str, str]:
    """The prefetch templates of every service (FHIR queries in the spec's recommended subset)."""
    observed = {c.code for vs in pack.value_sets.values() if vs.maps_to.get("domain") == "observation"
                and vs.system == "http://loinc.org" for c in vs.codes}
    loinc = sorted({c for rule in pack.labs.values() for c in rule.loinc} | observed)
    codes = ",".join(f"http://loinc.org|{c}" for c in loinc)
    pid = "{{context.patientId}}"
    return {
        "patient": f"Patient/{pid}",
        "conditions": f"Condition?patient={pid}",
        "procedures": f"Procedure?patient={pid}",
        "observations": f"Observation?patient={pid}&code={codes}",
        "medications": f"MedicationRequest?patient={pid}&status=active",
        "allergies": f"AllergyIntolerance?patient={pid}",
        "imaging": f"ImagingStudy?patient={pid}",
        "reports": f"DiagnosticReport?patient={pid}",
    }


class Unavailable(Exception):
    """Required data could not be obtained (answer 412)."""

    def __init__(self, keys: list[str], reason: str):
        super().__init__(reason)
        self.keys = keys
        self.reason = reason

    def __reduce__(self) -> tuple[type[Unavailable], tuple[list[str], str]]:  # raised in a worker process too
        return Unavailable, (self.keys, self.reason)


@dataclass
class PatientData:
    resources: dict[str, Any] = field(default_factory=dict)  # key -> resource / Bundle / None
    fetched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # optional keys not available
    incomplete: list[str] = field(default_factory=list)  # searchsets with unread pages

    def as_bundle(self) -> dict[str, Any]:
        entries = [{"resource": v} for v in self.resources.values() if isinstance(v, dict)]
        return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _is_outcome(v: Any) -> bool:
    return isinstance(v, dict) and v.get("resourceType") == "OperationOutcome"


def _next_link(bundle: dict[str, Any]) -> str | None:
    for link in bundle.get("link", []) if isinstance(bundle.get("link"), list) else []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


class _Fetcher:
    def __init__(self, req: CdsRequest, settings: CdsSettings, transport: httpx.AsyncBaseTransport | None):
        self.settings = settings
        self.transport = transport
        auth = req.fhirAuthorization
        self.base = (req.fhirServer or "").rstrip("/")
        self.token = auth.access_token if auth else None
        self.usable = fhir_server_usable(req, settings.allow_http_fhir_server)
        if self.base and self.token and not self.usable:
            log.warning("cds-hooks: not sending the FHIR access token to a non-https fhirServer")

    def _same_server(self, url: str) -> bool:
        return url.startswith(self.base + "/") or url == self.base

    async def get(self, client: httpx.AsyncClient, url: str) -> Any:
        if not self._same_server(url):
            raise ValueError("link points outside fhirServer")
        r = await client.get(url)
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()

    async def search(self, client: httpx.AsyncClient, query: str) -> tuple[Any, bool]:
        """(resource or searchset with all pages merged, complete?)."""
        data = await self.get(client, f"{self.base}/{query}")
        if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
            return data, True
        return await self.more_pages(client, data)

    async def more_pages(self, client: httpx.AsyncClient, bundle: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        entries = list(bundle.get("entry") or [])
        url, pages = _next_link(bundle), 1
        while url and pages < self.settings.fhir_max_pages:
            page = await self.get(client, url)
            if not isinstance(page, dict):
                break
            entries += page.get("entry") or []
            url, pages = _next_link(page), pages + 1
        merged = {k: v for k, v in bundle.items() if k != "link"}
        merged["entry"] = entries
        return merged, url is None

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.transport, timeout=self.settings.fhir_timeout_seconds, follow_redirects=False,
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/fhir+json"},
        )


def fhir_server_usable(req: CdsRequest, allow_http: bool) -> bool:
    """Whether the service may fetch from the request's ``fhirServer``: one is named, with an access token,
    over https (or http where the settings allow it)."""
    scheme = urlsplit((req.fhirServer or "").rstrip("/")).scheme
    return bool(req.fhirServer and req.fhirAuthorization) and (scheme == "https" or (scheme == "http" and allow_http))


def _from_prefetch(req: CdsRequest, templates: dict[str, str]
                   ) -> tuple[PatientData, dict[str, str], dict[str, dict[str, Any]]]:
    """(the prefetched data, the queries of the keys still to fetch, the searchsets with more pages)."""
    patient_id = req.context.get("patientId")
    out = PatientData()
    prefetch = req.prefetch or {}
    todo: dict[str, str] = {}
    pages: dict[str, dict[str, Any]] = {}
    for key, template in templates.items():
        if key in prefetch and not _is_outcome(prefetch[key]):
            value = prefetch[key]
            out.resources[key] = value
            if isinstance(value, dict) and value.get("resourceType") == "Bundle" and _next_link(value):
                pages[key] = value
        else:
            todo[key] = template.replace("{{context.patientId}}", quote(str(patient_id), safe=""))
    return out, todo, pages


def _finish(out: PatientData, todo: dict[str, str], usable: bool) -> PatientData:
    lacking = [k for k in todo if k in REQUIRED]
    if lacking:
        why = ("no prefetch for them and no usable fhirServer/fhirAuthorization" if not usable
               else "the FHIR server did not return them")
        raise Unavailable(lacking, why)
    out.missing = [k for k in todo]
    return out


def prefetched_data(req: CdsRequest, templates: dict[str, str], allow_http: bool) -> PatientData | None:
    """The patient's data when the prefetch is all there is to read (pure: no network, so it runs in a
    worker process), or None when some of it is to be fetched from the FHIR server first
    (:func:`gather_patient_data`). Raises Unavailable (412)."""
    out, todo, pages = _from_prefetch(req, templates)
    usable = fhir_server_usable(req, allow_http)
    if (todo or pages) and usable:
        return None
    out.incomplete += list(pages)
    return _finish(out, todo, usable)


async def gather_patient_data(req: CdsRequest, templates: dict[str, str], settings: CdsSettings,
                              transport: httpx.AsyncBaseTransport | None = None) -> PatientData:
    """Prefetched data, completed from the FHIR server where needed; raises Unavailable (412)."""
    out, todo, pages = _from_prefetch(req, templates)
    fetcher = _Fetcher(req, settings, transport)
    if (todo or pages) and fetcher.usable:
        async with fetcher.client() as client:
            keys = list(todo) + list(pages)
            calls = [fetcher.search(client, todo[k]) for k in todo] + [fetcher.more_pages(client, pages[k])
                                                                       for k in pages]
            results = await asyncio.gather(*calls, return_exceptions=True)
        for key, res in zip(keys, results, strict=True):
            if isinstance(res, BaseException):
                log.warning("cds-hooks: FHIR fetch of %s failed (%s)", key, type(res).__name__)
                if key in pages:
                    out.incomplete.append(key)
                continue
            value, complete = res
            out.resources[key] = value
            if key in todo:
                out.fetched.append(key)
                todo.pop(key)
            if not complete:
                out.incomplete.append(key)
    else:
        out.incomplete += list(pages)
    return _finish(out, todo, fetcher.usable)
