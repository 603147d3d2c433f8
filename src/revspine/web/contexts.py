"""The documented context of every page. The HTML template renders it; the ``.json`` twin returns it.

One model per page; every field says what it holds. The assessment and compare pages embed the
view models of :mod:`revspine.views`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from ..views import AssessmentView, ComparisonView
from ..views.patient import QuestionAnswerView

__all__ = ["UserRef", "PatientSummary", "PatientRowSummary", "PatientListContext", "CaseVersionSummary", "CaseSummary",
           "AssessmentSummary", "PatientLinkSummary", "PatientLinkCreatedContext", "PatientContext",
           "AssessmentRecord", "AssessmentPageContext", "CompareContext",
           "CaseVersionContext", "UsersContext", "TokenSummary", "SessionSummary", "AccountContext", "AuditEntry",
           "AuditContext", "WorklistRow", "WorklistContext",
           "Page", "AskContext", "RecordId", "RecordIdQuery", "FormField", "FormProblem", "CaseFormContext"]


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserRef(Page):
    id: int = Field(description="User id")
    username: str = Field(description="Login name")
    role: str = Field(description="`clinician` or `admin`")
    active: bool = Field(True, description="False once an administrator has disabled the account")


class PatientSummary(Page):
    id: int = Field(description="Patient id (in URLs: `/patients/{id}`)")
    display_name: str = Field(description="Name as shown to clinicians")
    mrn: str | None = Field(description="Medical record number, if recorded")
    birth_date: date | None = Field(description="Date of birth, if recorded")
    updated_at: datetime = Field(description="Last change to the patient record")


class PatientRowSummary(PatientSummary):
    age: int | None = Field(None, description="Age in years (from the birth date, else the latest case)")
    sex: str | None = Field(None, description="Sex recorded in the latest case")
    assessment_id: int | None = Field(None, description="The latest assessment, if any")
    decision: str | None = Field(None, description="Decision category of the latest assessment")
    headline: str | None = Field(None, description="That decision, in words")
    red_flags: int = Field(0, description="Red flags raised by the latest assessment")
    next_step: str | None = Field(None, description="The first missing work-up item of the latest assessment")


class PatientListContext(Page):
    q: str = Field(description="The search text (name or MRN contains it)")
    total: int = Field(description="Patients matching the search and the filters")
    page: int = Field(description="Page number, from 1")
    page_size: int = Field(description="Patients per page")
    sort: str = Field("changed", description="Sort key: changed, name, age, sex, decision or red_flags")
    decision: str = Field("", description="Only patients whose latest decision is this category (empty: all)")
    flags: str = Field("", description="`yes`: only patients with a red flag; `no`: only without; empty: all")
    sex: str = Field("", description="Only patients of this sex (empty: all)")
    decisions: dict[str, str] = Field(default_factory=dict, description="Decision categories and their words")
    patients: list[PatientRowSummary] = Field(description="This page of matching patients, in the chosen order")


class CaseVersionSummary(Page):
    id: int = Field(description="Case version id")
    case_id: int = Field(description="Case the version belongs to")
    version: int = Field(description="Version number within the case, from 1")
    source: str = Field(description="How it was entered: `form`, `import` or `api`")
    created_at: datetime = Field(description="When it was saved")
    created_by: str = Field(description="Who saved it (username)")


class CaseSummary(Page):
    id: int = Field(description="Case id")
    title: str = Field(description="Short title of the evaluation")
    created_at: datetime = Field(description="When the case was opened")
    versions: list[CaseVersionSummary] = Field(description="Every saved version, oldest first")


class AssessmentSummary(Page):
    id: int = Field(description="Assessment id (in URLs: `/assessments/{id}`)")
    case_id: int = Field(description="Case assessed")
    case_version: int = Field(description="Version of the case assessed")
    created_at: datetime = Field(description="When the assessment was made")
    created_by: str = Field(description="Who made it (username)")
    decision: str = Field(description="Decision category code")
    headline: str = Field(description="Decision in words")
    leading_cause: str | None = Field(description="Label of the top-ranked cause, if any")
    red_flags: int = Field(description="Number of red flags raised")
    engine_version: str = Field(description="revspine engine version used")
    knowledge_version: str = Field(description="Knowledge pack version used")


class PatientLinkSummary(Page):
    id: int = Field(description="Link id (the token itself is never stored nor shown again)")
    assessment_id: int = Field(description="The assessment whose handout the link shows")
    created_at: datetime = Field(description="When the link was made")
    created_by: str = Field(description="Who made it (username)")
    expires_at: datetime = Field(description="When it stops working")
    revoked_at: datetime | None = Field(description="When it was revoked, if it was")
    state: str = Field(description="`live`, `expired` or `revoked`")
    uses: int = Field(description="How many times the patient opened it (from the audit log)")
    last_used_at: datetime | None = Field(description="When it was last opened, if ever")


class PatientContext(Page):
    patient: PatientSummary = Field(description="The patient")
    cases: list[CaseSummary] = Field(description="The patient's cases with their versions")
    assessments: list[AssessmentSummary] = Field(description="Stored assessments, newest first")
    links: list[PatientLinkSummary] = Field(default_factory=list, description="Links given to the patient for "
                                                                               "their handout, newest first")
    link_days: int = Field(30, description="Days a new patient link stays valid (setting `patient_link_days`)")


class PatientLinkCreatedContext(Page):
    patient: PatientSummary = Field(description="The patient")
    link: PatientLinkSummary = Field(description="The new link")
    url: str = Field(description="The address to give the patient; shown this once (only its digest is stored)")


class AssessmentRecord(Page):
    id: int = Field(description="Assessment id")
    patient_id: int = Field(description="Patient assessed")
    case_id: int = Field(description="Case assessed")
    case_version: int = Field(description="Version of the case assessed")
    case_version_id: int = Field(description="Id of that case version")
    created_at: datetime = Field(description="When the assessment was made")
    created_by: str = Field(description="Who made it (username)")
    engine_version: str = Field(description="Engine version recorded with the assessment")
    knowledge_id: str = Field(description="Knowledge pack id recorded with the assessment")
    knowledge_version: str = Field(description="Knowledge pack version recorded with the assessment")


class AssessmentPageContext(Page):
    patient: PatientSummary = Field(description="The patient")
    record: AssessmentRecord = Field(description="Who made the assessment, when, with which versions")
    assessment: dict[str, Any] = Field(description="The Assessment exactly as the engine produced it "
                                                   "(`revspine assess --format json` prints the same object)")
    input_case: dict[str, Any] = Field(description="The case the engine read (canonical units)")
    view: AssessmentView = Field(description="The page view of the assessment (`revspine.views`)")
    history: list[AssessmentSummary] = Field(description="All assessments of this patient, newest first")


class AskContext(Page):
    patient: PatientSummary = Field(description="The patient")
    assessment_id: int = Field(description="The assessment whose personalised answers are used")
    found: QuestionAnswerView = Field(description="The best answers to the question, found offline (BM25)")


class CompareContext(Page):
    patient: PatientSummary = Field(description="The patient")
    older: AssessmentRecord = Field(description="The earlier assessment")
    newer: AssessmentRecord = Field(description="The later assessment")
    diff: ComparisonView = Field(description="What changed and which findings moved it (`revspine.views`)")
    history: list[AssessmentSummary] = Field(description="All assessments of this patient, newest first")


class FormField(Page):
    path: str = Field(description="Form field name = the case JSON path without row numbers (`surgeries.date`)")
    section: str = Field(description="Section of the form (clinic-note order)")
    label: str = Field(description="Label shown beside the field")
    widget: str = Field(description="select, tristate (yes/no/not recorded), checkbox, number, date, text, textarea, "
                                    "multicheck or list (comma-separated)")
    options: list[str] = Field(description="Allowed codes, for select and multicheck")
    repeatable: bool = Field(description="True inside a repeatable row (surgeries, imaging, labs...)")


class FormProblem(Page):
    path: str = Field(description="Form field name of the problem (the case JSON path as entered)")
    label: str = Field(description="The field in words, e.g. `Surgery 1 › Region`")
    message: str = Field(description="What is wrong")


class CaseFormContext(Page):
    patient: PatientSummary = Field(description="The patient")
    case: CaseSummary | None = Field(description="The case being edited (a new version), or null for a new case")
    action: str = Field(description="Where the form posts")
    title: str = Field(description="Title of the evaluation")
    values: dict[str, str | list[str]] = Field(description="Field values by form field name (pre-filled or as entered)")
    problems: list[FormProblem] = Field(description="Validation problems, each beside its field on the page")
    import_error: dict[str, Any] | None = Field(None, description="The error of a failed JSON import, if any")
    fields: list[FormField] = Field(description="Every field of the form, in order")
    lab_units: dict[str, list[str]] = Field(description="Units the knowledge pack accepts for each lab test "
                                                        "(the unit select), canonical unit first")
    confirm: list[str] = Field(default_factory=list, description="Fields holding an unusual value the clinician "
                                                                 "must confirm before the case is saved")
    confirmed: list[str] = Field(default_factory=list, description="Of those, the ones already confirmed")


class CaseVersionContext(Page):
    patient: PatientSummary = Field(description="The patient")
    case: CaseSummary = Field(description="The case and its versions")
    version: CaseVersionSummary = Field(description="The version shown")
    data: dict[str, Any] = Field(description="The case data of this version, as entered")


class UsersContext(Page):
    users: list[UserRef] = Field(description="Every account")


class TokenSummary(Page):
    id: int = Field(description="Token id")
    name: str = Field(description="What the token is for")
    prefix: str = Field(description="First characters of the token, to recognise it")
    created_at: datetime = Field(description="When it was made")
    revoked: bool = Field(description="True once revoked")


class SessionSummary(Page):
    id: int = Field(description="Session id")
    created_at: datetime = Field(description="When the user signed in")
    expires_at: datetime = Field(description="When the session ends unless revoked first")
    client: str | None = Field(description="The address the login came from")
    user_agent: str | None = Field(description="The browser that signed in")
    current: bool = Field(description="True for the session making this request")


class AccountContext(Page):
    user: UserRef = Field(description="The signed-in user")
    tokens: list[TokenSummary] = Field(description="The user's API tokens")
    sessions: list[SessionSummary] = Field(default_factory=list,
                                           description="The user's signed-in sessions (any browser, any worker)")
    new_token: str | None = Field(None, description="A token just created: shown once, never stored in plain text")


class AuditEntry(Page):
    id: int = Field(description="Audit row id")
    at: datetime = Field(description="When")
    user: str | None = Field(description="Who (username), if known")
    action: str = Field(description="view, create, change, export, revoke, refused, login, login_failed, "
                                                "logout or feedback")
    object_type: str = Field(description="What kind of record")
    object_id: int | None = Field(description="Which record")
    detail: dict[str, Any] = Field(description="Ids and codes only")


class AuditContext(Page):
    entries: list[AuditEntry] = Field(description="The newest audit rows, newest first")


#: A record id in a URL: a positive 32-bit integer (the id columns' range on every database).
RecordId = Annotated[int, PathParam(ge=1, le=2_147_483_647, description="Record id")]
#: A record id in a query string.
RecordIdQuery = Annotated[int, Query(ge=1, le=2_147_483_647, description="Record id")]


class WorklistRow(Page):
    rank: int = Field(description="Place on the screen's worklist (red-flag fast lane first, then priority)")
    person_id: int = Field(description="OMOP person_id")
    priority: int = Field(description="Priority score (the sum of its terms)")
    priority_terms: str = Field(description="Every term of the priority score, 'evidence +points'")
    fast_lane: bool = Field(description="A red flag put the person in the fast lane")
    red_flags: str = Field(description="The screen's red flags")
    index_operation_code: str | None = Field(None, description="Code of the index spine operation")
    index_date: str | None = Field(None, description="Date of the index spine operation")
    days_since_surgery: int = Field(description="Days from the index operation to the screen date")
    evidence: str = Field(description="Evidence flags with the day after surgery each was first found")
    excluded_by: str = Field(description="Screen rules the person did not pass (listed for a red flag only)")
    last_pain_score: float | None = Field(None, description="Latest pain score after surgery")
    opioid_days: int = Field(0, description="Opioid days' supply after surgery")
    suggested_next_step: str = Field(description="The screen's suggested next step")
    engine_lead: str | None = Field(None, description="The engine's leading cause (assessed persons only)")
    engine_lead_label: str | None = Field(None, description="That cause, in words")
    engine_decision: str | None = Field(None, description="The engine's decision category")
    engine_red_flags: str | None = Field(None, description="The engine's red flags")
    case_missing: str | None = Field(None, description="Case fields the OMOP data did not fill")
    engine_error: str | None = Field(None, description="Why the engine could not assess this person")
    can_assess: bool = Field(description="The screen kept this person's case: it can be opened in revspine")
    patient_id: int | None = Field(None, description="The revspine patient made from this person, once opened")
    assessment_id: int | None = Field(None, description="That patient's latest assessment")


class WorklistContext(Page):
    configured: bool = Field(description="A screen output folder is configured (setting screen_dir)")
    problem: str | None = Field(None, description="Why the worklist cannot be shown, if it cannot")
    screen: str | None = Field(None, description="Screen definition and version")
    as_of: str | None = Field(None, description="Screen date (the last day of the data)")
    engine: str | None = Field(None, description="Engine that ran the screen")
    knowledge_version: str | None = Field(None, description="Knowledge pack version of the screen run")
    persons: int = Field(0, description="Persons on the whole worklist")
    total: int = Field(0, description="Persons matching the filters")
    page: int = Field(1, description="Page number, from 1")
    page_size: int = Field(50, description="Rows per page")
    sort: str = Field("rank", description="Sort key: rank, priority, days, decision or red_flags")
    flags: str = Field("", description="`yes`: only the red-flag fast lane; `no`: only without; empty: all")
    decision: str = Field("", description="Only rows whose engine decision is this category (empty: all)")
    min_days: int | None = Field(None, description="Only rows at least this many days since surgery")
    max_days: int | None = Field(None, description="Only rows at most this many days since surgery")
    decisions: dict[str, str] = Field(default_factory=dict, description="Decision categories and their words")
    rows: list[WorklistRow] = Field(default_factory=list, description="This page of the worklist")
