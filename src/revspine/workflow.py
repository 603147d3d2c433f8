"""The clinical workflow under every adapter: validate a case, assess it, store it with its input and
versions, audit it.

The web pages and REST API, the CLI (its ``assess`` command and the demo loader), FHIR ``$assess``,
CDS Hooks and the population screen all assess through :func:`assess_case`, and everything stored
goes through :class:`Workflow`, so a case is assessed and stored the same way whichever door it came
in by. Validation and the pipeline run before any write; the writes of one action (case version,
assessment, audit rows) share one transaction on the process's writer (storage/writer.py), so a
failure leaves nothing partly saved.

    >>> flow = Workflow(db, load_pack())
    >>> row, result = flow.save_and_assess(user_id, patient_id, case_json, source="api")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.orm import Session

from .case.model import Case
from .case.validate import parse_case, problems_from_validation
from .errors import InputError, NotFound, Problem
from .knowledge.pack import KnowledgePack
from .pipeline import Assessment
from .pipeline.assess import assess
from .storage import Database, audit, records
from .storage.tables import AssessmentRow, CaseVersionRow

__all__ = ["Workflow", "Worked", "AssessmentJson", "assess_case", "prepare_case", "stored_input", "store_worked",
           "work_out", "work_out_body", "worked_from"]


def assess_case(case: Case, pack: KnowledgePack) -> Assessment:
    """The one way an adapter assesses a parsed case (pure: same case and pack, same Assessment)."""
    return assess(case, pack)


def stored_input(case: Case) -> tuple[dict[str, Any], Case]:
    """(the case as stored in a case version, the case the pipeline reads and the assessment row keeps).

    A date of birth is a patient identifier: the patient record holds it, so it is left out of both.
    The pipeline does not read it, so the assessment is the same with or without it."""
    case = case.model_copy(update={"patient": case.patient.model_copy(update={"birth_date": None})})
    return case.model_dump(mode="json", exclude_none=True), case


def prepare_case(raw: Any, pack: KnowledgePack, today: date | None = None) -> tuple[dict[str, Any], Case]:
    """Validate ``raw`` (case JSON); return (the data to store as entered, the parsed case to assess)."""
    if not isinstance(raw, dict):
        raise InputError("the case is not valid", [Problem("(case)", "expected a JSON object")])
    case = parse_case(raw, pack, today=today)
    try:
        entered = Case.model_validate(raw).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:  # pragma: no cover - parse_case validated the same data
        raise InputError("the case is not valid", problems_from_validation(exc)) from None
    entered.get("patient", {}).pop("birth_date", None)
    case.patient.birth_date = None
    return entered, case


@dataclass(frozen=True)
class AssessmentJson:
    """An Assessment serialised once: the JSON the API answers and the database stores (orjson bytes of
    ``Assessment.model_dump(mode="json")``), with the fields the assessment row indexes. Small to pickle,
    so a worker process can hand it back (revspine/assesspool.py)."""

    json: bytes
    decision: str                 # decision.category
    versions: dict[str, Any]      # engine and knowledge versions

    @classmethod
    def of(cls, assessment: Assessment) -> AssessmentJson:
        data = assessment.model_dump(mode="json")
        return cls(orjson.dumps(data), data["decision"]["category"], data["versions"])

    def data(self) -> dict[str, Any]:
        """The Assessment JSON as a dict."""
        parsed: dict[str, Any] = orjson.loads(self.json)
        return parsed


@dataclass(frozen=True)
class Worked:
    """A validated case and (when asked for) its assessment, worked out before anything is stored.

    Everything is already serialised (orjson bytes), as the rows store it: a worker process hands back
    three byte strings (cheap to pickle), and the serving process stores them as they are, without
    serialising or validating them again (revspine/assesspool.py)."""

    entered_json: bytes               # the case as entered, as stored (no date of birth)
    input_json: bytes                 # the parsed case the pipeline read, as the assessment row keeps it
    result: AssessmentJson | None     # the assessment, or None when not assessed

    @classmethod
    def of(cls, entered: dict[str, Any], input_case: dict[str, Any], result: AssessmentJson | None) -> Worked:
        return cls(orjson.dumps(entered), orjson.dumps(input_case), result)

    @property
    def entered(self) -> dict[str, Any]:
        """The case as entered, as a dict."""
        parsed: dict[str, Any] = orjson.loads(self.entered_json)
        return parsed

    @property
    def input_case(self) -> dict[str, Any]:
        """The parsed case the pipeline read, as a dict."""
        parsed: dict[str, Any] = orjson.loads(self.input_json)
        return parsed


def worked_from(case: Case, assessment: Assessment) -> Worked:
    """A case an adapter parsed itself (FHIR, CDS Hooks) and its assessment, ready to store: pure, so a
    worker process can make it (revspine/assesspool.py)."""
    entered, kept = stored_input(case)
    return Worked.of(entered, kept.model_dump(mode="json"), AssessmentJson.of(assessment))


def work_out_body(body: bytes, pack: KnowledgePack, *, today: date | None = None) -> Worked:
    """:func:`work_out` for a request body (case JSON as bytes): parsed here, so that the serving process
    hands the bytes to a worker process as they came (revspine/assesspool.py)."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InputError("the request is not valid", [Problem("(body)", f"not valid JSON: {exc}")]) from None
    return work_out(raw, pack, today=today)


def work_out(raw: Any, pack: KnowledgePack, *, assess_it: bool = True, today: date | None = None) -> Worked:
    """Validate ``raw`` (case JSON) and assess it: pure computation (no database), in this process or in
    a worker process (revspine/assesspool.py)."""
    entered, case = prepare_case(raw, pack, today)
    result = AssessmentJson.of(assess_case(case, pack)) if assess_it else None
    return Worked.of(entered, case.model_dump(mode="json"), result)


def store_worked(s: Session, *, user_id: int, patient_id: int, worked: Worked, source: str,
                 case_id: int | None = None, title: str = "", client: str | None = None,
                 detail: dict[str, Any] | None = None) -> tuple[CaseVersionRow, AssessmentRow | None]:
    """:meth:`Workflow.store`'s transaction (a writer job)."""
    entered = orjson.Fragment(worked.entered_json)  # stored as it is (records: JSON columns take a Fragment)
    if case_id is None:
        case_row, version = records.create_case(s, patient_id, user_id, title, entered, source)
        audit.record(s, user_id, "create", "case", case_row.id, {"patient_id": patient_id}, client)
    else:
        case_row = records.get_case(s, case_id)
        if case_row.patient_id != patient_id:
            raise NotFound(f"case {case_id} not found for patient {patient_id}",
                           [Problem("case_id", "no such case")])
        records.touch_patient(s, patient_id)
        version = records.add_case_version(s, case_id, user_id, entered, source)
        audit.record(s, user_id, "change", "case", case_id,
                     {"patient_id": patient_id, "version": version.version}, client)
    row = None
    if worked.result is not None:
        result = worked.result
        row = records.add_assessment(s, patient_id, version, user_id, orjson.Fragment(worked.input_json),
                                     {"decision": {"category": result.decision}, "versions": result.versions},
                                     result_json=result.json)
        audit.record(s, user_id, "create", "assessment", row.id,
                     {"patient_id": patient_id, "case_version_id": version.id, **(detail or {})}, client)
    return version, row


@dataclass(frozen=True)
class Workflow:
    """Save, assess, store and audit, over one database and one knowledge pack."""

    db: Database
    pack: KnowledgePack

    def work_out(self, raw: Any, *, assess_it: bool = True, today: date | None = None) -> Worked:
        """Validate ``raw`` and assess it: pure computation (no database)."""
        return work_out(raw, self.pack, assess_it=assess_it, today=today)

    def assessed(self, case: Case, assessment: Assessment) -> Worked:
        """A case an adapter parsed itself (FHIR, CDS Hooks) and its assessment, ready to store."""
        return worked_from(case, assessment)

    def store(self, user_id: int, patient_id: int, worked: Worked, *, source: str, case_id: int | None = None,
              title: str = "", client: str | None = None, detail: dict[str, Any] | None = None
              ) -> tuple[CaseVersionRow, AssessmentRow | None]:
        """Store a worked-out case as a new case (or a new version of ``case_id``) with its assessment, if
        any; all or nothing, with the audit rows in the same transaction (on the writer: storage/writer.py).
        ``detail`` is added to the assessment's audit row (e.g. which adapter stored it)."""
        return self.db.write(partial(store_worked, user_id=user_id, patient_id=patient_id, worked=worked,
                                     source=source, case_id=case_id, title=title, client=client, detail=detail))

    async def astore(self, user_id: int, patient_id: int, worked: Worked, *, source: str,
                     case_id: int | None = None, title: str = "", client: str | None = None,
                     detail: dict[str, Any] | None = None) -> tuple[CaseVersionRow, AssessmentRow | None]:
        """:meth:`store` for async handlers (the event loop awaits the writer)."""
        return await self.db.awrite(partial(store_worked, user_id=user_id, patient_id=patient_id, worked=worked,
                                            source=source, case_id=case_id, title=title, client=client,
                                            detail=detail))

    def save(self, user_id: int, patient_id: int, raw: Any, *, source: str, case_id: int | None = None,
             title: str = "", client: str | None = None, assess_it: bool = False
             ) -> tuple[CaseVersionRow, AssessmentRow | None, AssessmentJson | None]:
        """Store a new case (or a new version of ``case_id``), and its assessment when ``assess_it``."""
        worked = self.work_out(raw, assess_it=assess_it)
        version, row = self.store(user_id, patient_id, worked, source=source, case_id=case_id, title=title,
                                  client=client)
        return version, row, worked.result

    def save_and_assess(self, user_id: int, patient_id: int, raw: Any, *, source: str, case_id: int | None = None,
                        title: str = "", client: str | None = None) -> tuple[AssessmentRow, AssessmentJson]:
        """Store a new case (or a new version of ``case_id``) and its assessment; both or neither."""
        _, row, result = self.save(user_id, patient_id, raw, source=source, case_id=case_id, title=title,
                                   client=client, assess_it=True)
        assert row is not None and result is not None
        return row, result

    def reassess_latest(self, user_id: int, case_id: int, client: str | None = None
                        ) -> tuple[AssessmentRow, AssessmentJson]:
        """Assess the latest version of a case again (e.g. after the knowledge pack changed)."""
        with self.db.read() as s:
            case_row = records.get_case(s, case_id)
            version = records.latest_version(s, case_id)
        _, case = prepare_case(version.data, self.pack)
        result = AssessmentJson.of(assess_case(case, self.pack))
        def add(s: Session) -> AssessmentRow:
            row = records.add_assessment(s, case_row.patient_id, version, user_id, case.model_dump(mode="json"),
                                         {"decision": {"category": result.decision}, "versions": result.versions},
                                         result_json=result.json)
            audit.record(s, user_id, "create", "assessment", row.id,
                         {"patient_id": case_row.patient_id, "case_version_id": version.id}, client)
            return row
        return self.db.write(add), result
