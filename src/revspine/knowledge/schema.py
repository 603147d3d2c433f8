"""Schema of the knowledge pack: one pydantic model per kind of entry.

Every model forbids unknown keys; every entry that carries clinical content names
one or more citations from the registry. The loader checks the cross-references
(citations, findings, tests, causes) once the whole pack is read.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .units import unit_key

__all__ = [
    "COPY_SITES",
    "EVIDENCE_TYPE_LABELS",
    "EvidenceType",
    "Citation",
    "PackInfo",
    "Finding",
    "Condition",
    "Evidence",
    "Absence",
    "TimingWeight",
    "Prior",
    "Code",
    "Cause",
    "TimingWindow",
    "Timing",
    "OrdinalBand",
    "Scoring",
    "RedFlag",
    "UnitConversion",
    "Kinetics",
    "AgeSexLimit",
    "LabTestRule",
    "WorkupTest",
    "WorkupRule",
    "RiskCaveat",
    "RiskFactorRule",
    "DecisionRule",
    "NonSurgicalOption",
    "ValueSet",
]

Quality = Literal["primary", "secondary"]
EvidenceKind = Literal["likelihood_ratio", "ordinal"]
Window = Literal["early", "intermediate", "late"]
EvidenceTier = Literal["confirmatory", "supportive", "compatible", "risk"]

# The closed list of evidence types a citation may carry. The last one is for what is not
# clinical evidence at all (code systems, technical standards, reference databases, licence
# statements); it can never be the support of a clinical number or rule.
EvidenceType = Literal[
    "clinical_practice_guideline",
    "systematic_review",  # systematic review or meta-analysis
    "randomised_trial",
    "cohort",  # cohort or other observational study (cross-sectional, case-control, registry, survey)
    "case_series",  # case series or case report
    "diagnostic_accuracy",  # diagnostic accuracy study
    "expert_opinion",  # expert opinion, consensus statement or narrative review
    "textbook",
    "patient_information",  # a page written for patients or a practice's information page
    "standard",  # code system, technical standard, reference database or licence statement
]
EVIDENCE_TYPE_LABELS: dict[str, str] = {
    "clinical_practice_guideline": "Clinical practice guideline",
    "systematic_review": "Systematic review or meta-analysis",
    "randomised_trial": "Randomised trial",
    "cohort": "Cohort or other observational study",
    "case_series": "Case series or case report",
    "diagnostic_accuracy": "Diagnostic accuracy study",
    "expert_opinion": "Expert opinion, consensus or narrative review",
    "textbook": "Textbook",
    "patient_information": "Patient-information page",
    "standard": "Standard, code system or reference (not clinical evidence)",
}
# Every citation needs authors (or the issuing body) and an evidence type: a pack (a hospital's local pack
# included) that lacks them is refused at load. (False only while issue 11 completed the registry.)
REQUIRE_COMPLETE_CITATIONS = True
_PMID = re.compile(r"^[1-9][0-9]{0,8}$")
_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")
_URL = re.compile(r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$")
# Sites that copy papers without being their publisher: cite the original publication instead.
COPY_SITES = (
    "docslib.org",
    "scilit.com",
    "wheelessonline.com",
    "clinicalgate.com",
    "documentine.com",
    "scribd.com",
    "discovery.researcher.life",
    "read.qxmd.com",
    "themednet.org",
)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _expert_assigned() -> Any:
    return Field(None, description="Set when no primary study or guideline supports this: who set it and why")



class Citation(_Entry):
    """One entry of the citations registry.

    Required: authors (or the issuing body), title, source (journal, publisher or organisation),
    year, an identifier (pmid, doi or a stable url; each checked for form) and an evidence type
    from the closed list. ``unconfirmed`` says what could not be checked at the source, rather
    than guessing.
    """

    id: str
    authors: str | None = Field(None, min_length=2, description="Authors, or the issuing body of a guideline or page")
    title: str = Field(min_length=2)
    source: str = Field(min_length=2, description="Journal (with volume and pages), publisher or organisation")
    year: int = Field(ge=1900, le=2100)
    url: str | None = None
    doi: str | None = None
    pmid: str | None = None
    evidence_type: EvidenceType | None = Field(None, description="One of: " + ", ".join(EVIDENCE_TYPE_LABELS))
    quality: Quality = Field(
        "primary",
        description="primary = the original publication was read; "
        "secondary = cited through a review, summary or copy of it",
    )
    unconfirmed: str | None = Field(None, description="What could not be confirmed at the source, and why")
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _explain_missing(cls, data: Any) -> Any:
        # A clearer message than pydantic's "Field required" for the registry's required keys.
        if isinstance(data, dict):
            required = ("authors", "year", "evidence_type") if REQUIRE_COMPLETE_CITATIONS else ("year",)
            missing = [k for k in required if data.get(k) in (None, "")]
            if missing:
                raise ValueError(
                    f"citation {data.get('id', '?')} lacks {', '.join(missing)}: every citation needs authors "
                    "(or the issuing body), title, source, year, a pmid/doi/url and an evidence_type "
                    f"(one of {', '.join(EVIDENCE_TYPE_LABELS)})"
                )
        return data

    @model_validator(mode="after")
    def _identifiers(self) -> Citation:
        own = "shared/seeds" in self.source or (self.authors or "").startswith("revspine project")
        if not (self.pmid or self.doi or self.url) and not own:
            # only the project's own documents and expert-assigned decisions have no address
            raise ValueError(f"citation {self.id} needs a pmid, doi or stable url")
        if self.pmid is not None and not _PMID.match(self.pmid):
            raise ValueError(f"citation {self.id}: pmid '{self.pmid}' is not a PubMed id (digits only)")
        if self.doi is not None and not _DOI.match(self.doi):
            raise ValueError(f"citation {self.id}: doi '{self.doi}' is not of the form 10.NNNN/suffix")
        if self.url is not None:
            if not _URL.match(self.url):
                raise ValueError(f"citation {self.id}: url '{self.url}' is not an http(s) address")
            if "%25" in self.url:
                raise ValueError(f"citation {self.id}: url '{self.url}' is double-encoded (%25)")
            copy = next((site for site in COPY_SITES if site in self.url), None)
            if copy:
                raise ValueError(f"citation {self.id}: {copy} copies papers; cite the original publication")
        return self


class PackInfo(_Entry):
    id: str
    name: str
    version: str
    released: str
    description: str
    based_on: str | None = Field(None, description="For a local pack: the pack id it extends")


class Finding(_Entry):
    """A named fact about the case, computed by a named predicate with parameters."""

    id: str
    label: str
    predicate: str
    params: dict[str, Any] = Field(default_factory=dict)
    citations: list[str] = Field(min_length=1)
    inputs: list[str] = Field(default_factory=list, description="Case fields this finding reads")
    note: str | None = None
    expert_assigned: str | None = _expert_assigned()


class Condition(_Entry):
    """Boolean combination of finding ids."""

    all: list[str] = Field(default_factory=list)
    any: list[str] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not (self.all or self.any or self.none):
            raise ValueError("a condition needs at least one of all / any / none")
        return self

    def finding_ids(self) -> list[str]:
        return [*self.all, *self.any, *self.none]


def _check_kind(kind: str, lr: float | None, weight: int | None) -> None:
    if kind == "likelihood_ratio" and (lr is None or weight is not None):
        raise ValueError("kind likelihood_ratio needs `lr` and no `weight`")
    if kind == "ordinal" and (weight is None or lr is not None):
        raise ValueError("kind ordinal needs `weight` and no `lr`")
    if weight == 0:
        raise ValueError("an ordinal weight of 0 carries no evidence; remove the entry")


class Absence(_Entry):
    """How the cause's odds move when the finding was looked for and is absent (examined, asked or imaged).

    ``lr`` is the published negative likelihood ratio, (1 - sensitivity) / specificity; otherwise an
    ordinal ``weight`` (a decrease) whose ``basis`` names who set it and the source of its direction.
    """

    finding: str | None = Field(
        None, description="The finding whose absence counts, when not the entry's own (e.g. the same lesion on MRI)"
    )
    kind: EvidenceKind
    lr: float | None = Field(None, gt=0, lt=1, description="Negative likelihood ratio, (1 - sens) / spec")
    weight: int | None = Field(None, ge=-3, le=-1, description="Ordinal band of the decrease, see scoring.yaml")
    citations: list[str] = Field(min_length=1)
    reason: str
    basis: str | None = Field(None, description="For an ordinal band: who set it and which source gives its direction")
    unless: list[str] = Field(
        default_factory=list, description="Findings whose presence means the absence is not read (another sign of it)"
    )

    @model_validator(mode="after")
    def _kind_matches(self) -> Absence:
        _check_kind(self.kind, self.lr, self.weight)
        if self.kind == "ordinal" and not self.basis:
            raise ValueError("an ordinal band needs its `basis` (who set it, and the source of its direction)")
        return self


class Evidence(_Entry):
    """How one finding moves one cause: a published likelihood ratio or an ordinal band.

    ``tier`` says what kind of support the finding is when present: ``confirmatory`` objective
    evidence of the lesion itself, ``supportive`` evidence, ``compatible`` only (a pattern many
    causes share), or ``risk`` (a risk factor: it adjusts the prior, it is not a finding of the
    cause). A confirmatory finding with ``confirm_when`` is confirmatory only when those findings
    are present too (e.g. a compressive lesion and symptoms at that level); otherwise supportive.
    A supportive finding with ``confirm_when`` is supportive only with them (e.g. one raised marker
    with a second marker, a trend or a clinical sign); otherwise compatible.
    """

    finding: str
    kind: EvidenceKind
    lr: float | None = Field(None, gt=0, description="Likelihood ratio when the finding is present")
    weight: int | None = Field(None, ge=-3, le=3, description="Ordinal band, see scoring.yaml")
    citations: list[str] = Field(min_length=1)
    reason: str = Field(description="One line: why this finding bears on this cause")
    basis: str | None = Field(None, description="For an ordinal band: who set it and which source gives its direction")
    tier: EvidenceTier = "supportive"
    confirm_when: Condition | None = None
    unconfirmed_tier: Literal["supportive", "compatible"] = Field(
        "supportive",
        description="The tier of a confirmatory finding whose confirm_when does not hold (e.g. a lesion on imaging "
        "without symptoms that fit: compatible, since such lesions are common without symptoms)",
    )
    absent: Absence | None = Field(None, description="How the odds move when the finding was looked for and is absent")
    only_when: Condition | None = Field(
        None, description="The entry counts only when these findings hold (e.g. a fever after post-operative day 2)"
    )
    expert_assigned: str | None = _expert_assigned()

    @model_validator(mode="after")
    def _kind_matches(self) -> Evidence:
        _check_kind(self.kind, self.lr, self.weight)
        if self.confirm_when is not None and self.tier not in ("confirmatory", "supportive"):
            raise ValueError("confirm_when only applies to a confirmatory or supportive finding")
        if self.confirm_when is not None and self.tier == "supportive" and self.unconfirmed_tier != "compatible":
            raise ValueError("a supportive finding with confirm_when needs unconfirmed_tier: compatible")
        return self


class TimingWeight(_Entry):
    weight: int = Field(ge=-3, le=3)
    citations: list[str] = Field(min_length=1)
    reason: str
    basis: str | None = Field(None, description="Who set the band and which source gives its direction")
    expert_assigned: str | None = _expert_assigned()


class FamilyPrior(_Entry):
    """The cause's share after one family of index operation, on the same denominator and window as its prior."""

    value: float = Field(gt=0, lt=1)
    basis: str = Field(description="The population and figure, after this family of operation")
    citations: list[str] = Field(min_length=1)


class Prior(_Entry):
    """The cause's share among patients evaluated for pain after spine surgery, in one timing window.

    ``window`` is the window whose patients the figure describes (the late window for cohorts of
    persistent pain after surgery; the early window for per-operation incidences converted through
    the share of operated patients who present in the first weeks). A cause's timing weights move it
    only in the other windows, so the window its prior already describes is never counted twice.
    """

    value: float = Field(gt=0, lt=1)
    published: bool = Field(True, description="False when no published share exists and the value is expert-assigned")
    window: Window = Field("late", description="The timing window whose patients the figure describes")
    basis: str = Field(description="The population and figure the prior comes from, and any conversion")
    citations: list[str] = Field(min_length=1)
    expert_assigned: str | None = _expert_assigned()
    by_family: dict[Literal["lumbar_fusion", "lumbar_decompression"], FamilyPrior] = Field(
        default_factory=dict,
        description="Where a source gives the share after one family of index operation (a lumbar fusion; a "
        "lumbar decompression without fusion), it replaces the value for patients whose index operation is of "
        "that family",
    )


class Code(_Entry):
    code: str
    display: str


class Cause(_Entry):
    id: str
    label: str
    kind: Literal["cause", "mimic"]
    category: str
    description: str
    icd10cm: list[Code] = Field(min_length=1)
    snomed: list[Code] = Field(default_factory=list)
    applies_when: Condition | None = None
    applies_reason: str | None = None
    prior: Prior
    timing: dict[Window, TimingWeight] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)
    correctable_by_surgery: Literal["yes", "no", "sometimes"]
    pathway: Literal["spinal", "si_joint", "non_spinal"] = Field(
        "spinal", description="The care pathway a lead of this cause goes to (spinal revision work-up or its own)"
    )
    never_deferred: bool = Field(
        False, description="Once confirmed, revision is not deferred for optimisation (which runs alongside)"
    )
    never_deferred_when: Condition | None = Field(
        None, description="Not deferred for optimisation when these findings are present (e.g. neural compromise)"
    )
    surgical_note: str | None = None
    workup: list[str] = Field(default_factory=list, description="Test ids that confirm or exclude it")
    citations: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_double_timing(self) -> Cause:
        if self.prior.window in self.timing:
            raise ValueError(
                f"timing.{self.prior.window}: the prior already describes the {self.prior.window} window; "
                "a weight there would count that window twice"
            )
        return self


class TimingWindow(_Entry):
    id: Literal["early", "intermediate", "late"]
    label: str
    start_day: int = Field(ge=0)
    end_day: int | None = Field(None, description="Inclusive; None = open-ended")
    citations: list[str] = Field(min_length=1)
    causes_named_by_source: list[str] = Field(default_factory=list)
    expert_assigned: str | None = _expert_assigned()


class Timing(_Entry):
    windows: list[TimingWindow]
    boundary_days: list[int] = Field(
        default_factory=list, description="Days the sources leave between windows; flagged as uncertain"
    )
    boundary_note: str
    citations: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Timing:
        ids = [w.id for w in self.windows]
        if ids != ["early", "intermediate", "late"]:
            raise ValueError("windows must be early, intermediate, late in that order")
        for a, b in zip(self.windows, self.windows[1:], strict=False):
            if a.end_day is None or b.start_day != a.end_day + 1:
                raise ValueError(f"window {b.id} must start the day after {a.id} ends")
        if self.windows[-1].end_day is not None:
            raise ValueError("the late window is open-ended")
        return self


class OrdinalBand(_Entry):
    weight: int = Field(ge=-3, le=3)
    label: str
    lr_equivalent: float = Field(gt=0)
    basis: str | None = Field(None, description="Who set the band's odds factor, and from what")


class Scoring(_Entry):
    description: str
    top_n: int = Field(3, ge=1, le=10, description="How many leading causes the work-up and decision consider")
    ordinal_bands: list[OrdinalBand]
    citations: list[str] = Field(min_length=1)
    caveat: str


class RedFlag(_Entry):
    id: str
    label: str
    when: Condition
    urgency: Literal["emergency", "urgent"]
    action: str
    rule_out: list[str] = Field(default_factory=list, description="Cause ids this flag concerns")
    citations: list[str] = Field(min_length=1)
    expert_assigned: str | None = _expert_assigned()


class UnitConversion(_Entry):
    unit: str
    scale: float = Field(gt=0)
    offset: float = 0.0
    citations: list[str] = Field(default_factory=list)


class Kinetics(_Entry):
    """How long a marker is expected to stay raised after an uncomplicated operation.

    Up to ``expected_raised_until_day`` a raised value is the expected course. From then to
    ``tail_until_day`` (when the source shows a minority still raised) one value cannot be read
    alone: it is ``raised_indeterminate`` unless a value before it shows the trend (still falling:
    expected; not falling: ``second_rise``). Later, a raised value is beyond the expected course.
    From ``peak_day`` on, a value not lower than the one before it is a second rise (or a failure
    to fall), whatever the day.
    """

    applies_to: Literal["instrumented_fusion", "any"]
    expected_raised_until_day: int = Field(ge=0)
    tail_until_day: int | None = Field(None, ge=0)
    peak_day: int | None = None
    citations: list[str] = Field(min_length=1)
    reason: str
    expert_assigned: str | None = _expert_assigned()

    @model_validator(mode="after")
    def _tail_after(self) -> Kinetics:
        if self.tail_until_day is not None and self.tail_until_day <= self.expected_raised_until_day:
            raise ValueError("tail_until_day must be after expected_raised_until_day")
        return self


class AgeSexLimit(_Entry):
    """An upper limit of normal that depends on age and sex: (age + offset) / divisor."""

    divisor: float = Field(gt=0)
    male_offset: float
    female_offset: float
    citations: list[str] = Field(min_length=1)
    note: str


class LabTestRule(_Entry):
    test: str
    label: str
    loinc: list[str] = Field(default_factory=list)
    canonical_unit: str
    conversions: list[UnitConversion] = Field(default_factory=list)
    plausible_min: float
    plausible_max: float
    plausible_note: str = "Data-entry guard: values outside this range are rejected as implausible"
    upper_threshold: float | None = None
    lower_threshold: float | None = None
    threshold_meaning: str
    threshold_citations: list[str] = Field(default_factory=list)
    kinetics: list[Kinetics] = Field(default_factory=list)
    age_sex_limit: AgeSexLimit | None = Field(
        None,
        description=(
            "When age and sex are known, the threshold is the higher of upper_threshold and this limit "
            "(a value within the age-and-sex limit of normal is never read as raised)"
        ),
    )
    normal_caveat: str | None = None
    normal_caveat_citations: list[str] = Field(default_factory=list)

    def to_canonical(self, value: float, unit: str) -> float | None:
        """The value in ``canonical_unit``, the unit however it is commonly written (``units.unit_key``); None
        when the unit is neither the canonical unit nor one of the ``conversions``."""
        written = unit_key(unit)
        if written == unit_key(self.canonical_unit):
            return value
        conv = next((c for c in self.conversions if unit_key(c.unit) == written), None)
        return None if conv is None else value * conv.scale + conv.offset

    def accepted_units(self) -> list[str]:
        return [self.canonical_unit, *(c.unit for c in self.conversions)]

    @model_validator(mode="after")
    def _cited(self) -> LabTestRule:
        if (self.upper_threshold is not None or self.lower_threshold is not None) and not self.threshold_citations:
            raise ValueError("a threshold needs threshold_citations")
        if self.normal_caveat and not self.normal_caveat_citations:
            raise ValueError("normal_caveat needs normal_caveat_citations")
        if self.plausible_min >= self.plausible_max:
            raise ValueError("plausible_min must be below plausible_max")
        return self


class WorkupTest(_Entry):
    id: str
    label: str
    part_labels: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Short names of the lab parts of a combined test (e.g. esr: ESR); when some parts are in the case, "
            "the item names exactly the parts still missing"
        ),
    )
    done_when: Condition | None = None
    satisfied_by: dict[str, Any] = Field(
        default_factory=dict, description="What in the case counts as done: modalities, labs, blocks, emg"
    )
    loinc: list[str] = Field(default_factory=list)
    cpt: list[str] = Field(default_factory=list)
    snomed: list[str] = Field(default_factory=list)
    elective: bool = Field(
        False,
        description="Waits while a red flag makes the decision urgent (a diagnostic block looks for a pain generator; "
        "alignment films, Hounsfield units, vitamin D and nicotine tests plan an elective operation; the urgent "
        "problem comes first); the assessment names what waits",
    )


class WorkupRule(_Entry):
    """When a test is missing work-up, and why.

    ``when`` and ``also`` must both hold (each a Condition over findings), so a rule can say
    "a marker raised beyond its course AND a compatible clinical picture". ``when_causes_in_top``
    needs one of these causes among the leading ones (the causes with a supporting finding, or the
    top candidates while none has one); the item then says which of them it ``separates``.
    ``before_revision`` marks a test to have before any revision; the decision lists these as a
    pre-operative checklist once a lesion is confirmed instead of gating on them, with
    ``before_revision_reason`` saying why. ``spinal_revision`` marks a test that belongs to the
    work-up for a spinal revision: it is not suggested when the lead goes to another pathway (a
    confirmed SI-joint or non-spinal lead).
    """

    id: str
    test: str
    priority: int = Field(ge=1, le=5, description="1 = do first")
    when: Condition | None = None
    also: Condition | None = None
    when_causes_in_top: list[str] = Field(default_factory=list, description="Cause ids among the leading ones")
    reason: str
    citations: list[str] = Field(min_length=1)
    before_revision: bool = False
    before_revision_reason: str | None = None
    spinal_revision: bool = False
    requires_done: list[str] = Field(
        default_factory=list,
        description="Tests already in the case that this one reads (e.g. Hounsfield units on a CT)",
    )
    note: str | None = None
    expert_assigned: str | None = _expert_assigned()

    @model_validator(mode="after")
    def _before_revision_says_why(self) -> WorkupRule:
        if self.before_revision and not self.before_revision_reason:
            raise ValueError("a before_revision rule needs before_revision_reason (why it comes before a revision)")
        if self.before_revision_reason and not self.before_revision:
            raise ValueError("before_revision_reason without before_revision")
        return self


class RiskCaveat(_Entry):
    """A condition under which the risk factor's test or target reads differently, and what to do."""

    when: Condition
    text: str
    citations: list[str] = Field(min_length=1)


class RiskFactorRule(_Entry):
    """A risk factor, its effect, and the target where it can be changed.

    ``advisory_when_never_deferred``: when the lead is a cause that is never deferred for
    optimisation (``Cause.never_deferred``: infection, a progressive deficit, instability with
    neural compromise), this risk is optimised alongside the treatment and is advisory only: it
    never delays the revision, even when ``blocks_revision_until_met`` is set for elective cases.
    The decision reads this flag; ``advisory_note`` says what to do instead (e.g. albumin is low
    partly because of the infection). ``target_alternatives`` are other ways to show the target is
    met (e.g. a negative urine anabasine when cotinine cannot be read on nicotine replacement).
    """

    id: str
    label: str
    when: Condition
    modifiable: bool
    target: str | None = None
    effect: str
    blocks_revision_until_met: bool = False
    blocks_only_for: list[str] = Field(default_factory=list, description=(
        "Cause ids: the risk holds an elective revision only when one of these leads (poor bone quality holds "
        "a re-instrumentation, not a re-discectomy); empty: whatever leads"))
    advisory_when_never_deferred: bool = False
    advisory_note: str | None = None
    caveats: list[RiskCaveat] = Field(default_factory=list)
    citations: list[str] = Field(min_length=1)
    expert_assigned: str | None = _expert_assigned()


class NonSurgicalOption(_Entry):
    id: str
    label: str
    when: Condition | None = None
    when_causes_in_top: list[str] = Field(default_factory=list)
    reason: str
    citations: list[str] = Field(min_length=1)
    expert_assigned: str | None = _expert_assigned()


class DecisionRule(_Entry):
    id: str
    predicate: Literal[
        "red_flag",
        "no_prior_spine_operation",
        "expected_postoperative_course",
        "leading_is_mimic",
        "leading_own_pathway",
        "improving_not_deferred",
        "leading_not_correctable",
        "confirmed_not_correctable",
        "asymptomatic",
        "no_imaging",
        "no_supported_lead",
        "leading_unconfirmed",
        "before_revision_workup_missing",
        "confirmed_not_deferrable",
        "modifiable_risk_blocks",
        "confirmed_correctable",
        "otherwise",
    ]
    category: Literal[
        "urgent", "revision", "revision_after_optimisation", "non_surgical", "workup_first", "not_applicable"
    ]
    order: int = Field(description="Rules are tried in this order; the first that matches decides")
    when: Condition | None = Field(None, description="Findings that must also be present for the rule to apply")
    defers_workup: bool = Field(
        False, description="When this rule decides, the work-up for persistent pain is not listed (only noted)"
    )
    deferral_note: str | None = Field(
        None, description="What the output says of the deferred work-up (default: deferred while the course is as "
        "expected); the deferred tests are named after it"
    )
    description: str
    reason: str
    citations: list[str] = Field(min_length=1)
    expert_assigned: str | None = _expert_assigned()


class ValueSet(_Entry):
    """Codes of one code system that mean one thing to revspine, and what they map to.

    ``match: prefix`` lets an ICD-10-CM category (``M51.36``) stand for its children
    (``M51.360``...), so data coded before or after a code split matches alike.
    ``text_match`` names words (matched whole, case-insensitive) that identify the
    concept in a coding's display or a CodeableConcept's text when the code itself is
    not listed (RxNorm products are many; their ingredient names are few);
    ``text_exclude`` words veto such a match (for example topical dose forms).
    """

    id: str
    label: str
    system: str = Field(description="Code-system URI, e.g. http://snomed.info/sct")
    codes: list[Code] = Field(default_factory=list)
    match: Literal["exact", "prefix"] = "exact"
    text_match: list[str] = Field(default_factory=list)
    text_exclude: list[str] = Field(default_factory=list)
    maps_to: dict[str, Any] = Field(default_factory=dict)
    citations: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_codes(self) -> ValueSet:
        if not self.codes and not self.text_match:
            raise ValueError("a value set needs codes or text_match")
        return self
