"""The screening worklist: the output of ``revspine screen run --out DIR`` (setting ``screen_dir``), shown to a
signed-in clinician with filters and sorting; each assessed row opens as a revspine patient and assessment.

Opening a row maps the FHIR bundle the screen built from the person's OMOP rows (``cases/<person_id>.json``)
with the same FHIR reader, as of the screen date, so the page shows the answer the worklist showed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...errors import InputError, NotFound, Problem
from ...storage import audit, records
from ...storage.tables import PatientRow
from ...views.labels import DECISION_HEADLINES
from ..auth import CsrfChecked, CurrentUser, client_address
from ..contexts import RecordId, WorklistContext, WorklistRow
from ..state import app_state
from ..twins import twin_page

__all__ = ["router", "MRN_PREFIX"]

router = APIRouter()
#: The MRN of a revspine patient opened from the worklist: the OMOP person_id behind this prefix.
MRN_PREFIX = "OMOP-"
_SORTS = ("rank", "priority", "days", "decision", "red_flags")
_DECISION_ORDER = {"urgent": 0, "workup_first": 1, "revision_after_optimisation": 2, "revision": 3,
                   "non_surgical": 4, "not_applicable": 5}


def _folder(request: Request) -> Path | None:
    text = app_state(request).settings.screen_dir
    return Path(text) if text else None


def _load(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The manifest and worklist rows of a screen output folder; a clear error when they are not there."""
    manifest_path, table = folder / "manifest.json", folder / "worklist.parquet"
    missing = [p.name for p in (manifest_path, table) if not p.is_file()]
    if missing:
        raise InputError("the screen output folder is incomplete",
                         [Problem("screen_dir", f"no {', '.join(missing)} (run: revspine screen run SOURCE --out "
                                                "DIR, then set REVSPINE_SCREEN_DIR=DIR)")])
    import pyarrow.parquet as pq

    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return manifest, pq.read_table(table).to_pylist()


def _opened(s: Session, person_ids: list[int]) -> dict[int, tuple[int, int | None]]:
    """person_id -> (revspine patient id, latest assessment id) for the rows already opened."""
    if not person_ids:
        return {}
    mrns = {f"{MRN_PREFIX}{p}": p for p in person_ids}
    out: dict[int, tuple[int, int | None]] = {}
    for pid, mrn in s.execute(select(PatientRow.id, PatientRow.mrn).where(PatientRow.mrn.in_(list(mrns)))):
        latest = records.list_assessments(s, pid)
        out[mrns[str(mrn)]] = (int(pid), int(latest[0].id) if latest else None)
    return out


def _sort_key(sort: str) -> Any:
    keys = {
        "priority": lambda r: (-int(r["priority"]), int(r["rank"])),
        "days": lambda r: (int(r["days_since_surgery"]), int(r["rank"])),
        "decision": lambda r: (_DECISION_ORDER.get(r.get("engine_decision") or "", 9), int(r["rank"])),
        "red_flags": lambda r: (not r["fast_lane"], int(r["rank"])),
    }
    return keys.get(sort, lambda r: (int(r["rank"]),))


@twin_page(router, "/worklist", "worklist.html", WorklistContext,
           summary="The screening worklist (OMOP CDM screen), with filters and sorting")
def worklist_page(request: Request, user: CurrentUser,
                  page: Annotated[int, Query(ge=1, le=100000)] = 1,
                  sort: Annotated[str, Query(max_length=20, description="rank, priority, days, decision or "
                                                                         "red_flags")] = "rank",
                  flags: Annotated[str, Query(max_length=3, description="`yes` or `no`: in the red-flag fast lane")]
                  = "",
                  decision: Annotated[str, Query(max_length=40, description="Engine decision category")] = "",
                  min_days: Annotated[int | None, Query(ge=0, le=100000, description="At least this many days "
                                                                                     "since surgery")] = None,
                  max_days: Annotated[int | None, Query(ge=0, le=100000, description="At most this many days "
                                                                                     "since surgery")] = None,
                  ) -> WorklistContext:
    """The persons the screen put on the worklist, red-flag fast lane first, with the engine's lead, decision and
    red flags for the assessed top; filtered by red flag, decision and days since surgery."""
    state = app_state(request)
    sort = sort if sort in _SORTS else "rank"
    base = WorklistContext(configured=False, sort=sort, flags=flags, decision=decision, min_days=min_days,
                           max_days=max_days, decisions=dict(DECISION_HEADLINES), page=page,
                           page_size=state.settings.page_size)
    folder = _folder(request)
    if folder is None:
        audit.write(state.db, user.id, "view", "worklist", None, {"rows": 0}, client_address(request))
        return base
    try:
        manifest, rows = _load(folder)
    except InputError as exc:
        audit.write(state.db, user.id, "view", "worklist", None, {"rows": 0}, client_address(request))
        return base.model_copy(update={"configured": True, "problem": str(exc)})
    persons = len(rows)
    if flags in ("yes", "no"):
        rows = [r for r in rows if bool(r["fast_lane"]) == (flags == "yes")]
    if decision:
        rows = [r for r in rows if r.get("engine_decision") == decision]
    if min_days is not None:
        rows = [r for r in rows if int(r["days_since_surgery"]) >= min_days]
    if max_days is not None:
        rows = [r for r in rows if int(r["days_since_surgery"]) <= max_days]
    rows.sort(key=_sort_key(sort))
    size = state.settings.page_size
    shown = rows[(page - 1) * size: page * size]
    cases = folder / "cases"
    with state.db.read() as s:
        opened = _opened(s, [int(r["person_id"]) for r in shown])
    audit.write(state.db, user.id, "view", "worklist", None, {"rows": len(shown)}, client_address(request))
    fields = set(WorklistRow.model_fields) - {"can_assess", "patient_id", "assessment_id"}
    out = []
    for r in shown:
        pid = int(r["person_id"])
        patient_id, assessment_id = opened.get(pid, (None, None))
        out.append(WorklistRow(**{k: r.get(k) for k in fields if r.get(k) is not None},
                               can_assess=(cases / f"{pid}.json").is_file(), patient_id=patient_id,
                               assessment_id=assessment_id))
    screen = manifest.get("screen") or {}
    return base.model_copy(update={
        "configured": True, "screen": f"{screen.get('id')} {screen.get('version')}", "as_of": manifest.get("as_of"),
        "engine": manifest.get("engine"), "knowledge_version": (manifest.get("knowledge") or {}).get("version"),
        "persons": persons, "total": len(rows), "rows": out})


@router.post("/worklist/{person_id}/assess", include_in_schema=False, dependencies=[CsrfChecked])
def assess_from_worklist(request: Request, user: CurrentUser, person_id: RecordId) -> Response:
    """Open a worklist person in revspine: a patient (MRN ``OMOP-<person_id>``) with the case the screen built
    from the OMOP rows, assessed as of the screen date; then show the assessment."""
    state = app_state(request)
    folder = _folder(request)
    if folder is None:
        raise NotFound("no screening worklist is configured", [Problem("screen_dir", "not set")])
    manifest, _ = _load(folder)
    path = folder / "cases" / f"{person_id}.json"
    if not path.is_file():
        raise NotFound(f"person {person_id} has no case in this screen",
                       [Problem("person_id", "not among the persons the screen assessed (re-run it with a larger "
                                             "--top)")])
    from ...fhir import bundle_to_case

    as_of = date.fromisoformat(str(manifest["as_of"])[:10])
    case, _ = bundle_to_case(json.loads(path.read_text(encoding="utf-8")), state.pack, today=as_of)
    case = case.model_copy(update={"assessment_date": as_of})  # as the screen assessed it
    data = case.model_dump(mode="json", exclude_none=True)
    mrn = f"{MRN_PREFIX}{person_id}"
    client = client_address(request)
    def patient(s: Session) -> int:
        found = s.execute(select(PatientRow.id).where(PatientRow.mrn == mrn)).scalar_one_or_none()
        if found is not None:
            return int(found)
        row = records.create_patient(s, user.id, f"OMOP person {person_id}", mrn=mrn)
        audit.record(s, user.id, "create", "patient", row.id, {"source": "screen"}, client)
        return int(row.id)
    patient_id = state.db.write(patient)
    screen = manifest.get("screen") or {}
    title = f"Screen {screen.get('id', '')} {screen.get('version', '')} as of {as_of.isoformat()}"
    assessment, _ = state.workflow.save_and_assess(user.id, patient_id, data, source="screen", title=title,
                                                   client=client)
    return RedirectResponse(f"/assessments/{assessment.id}", status_code=303)
