"""The patient case: everything the engine reads, as one validated pydantic model.

Structural rules (types, ranges, date order, level syntax) live here. Rules that
need the knowledge pack (lab units and plausibility) live in
:mod:`revspine.case.validate`.
"""

from __future__ import annotations

import re
from datetime import date as Date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .enums import (
    Approach,
    BetaLactamAllergySeverity,
    BlockType,
    EmgResult,
    ImagingCode,
    LabTest,
    Modality,
    MotorDeficit,
    PainPattern,
    Procedure,
    Reflex,
    Region,
    SensoryDistribution,
    Sex,
    Side,
    Smoking,
    Symptom,
    TestResult,
    Trend,
    WoundState,
)
from .levels import VERTEBRAE, canonical_level, parse_level, region_of_level

__all__ = [
    "Case",
    "Patient",
    "PriorSurgery",
    "SymptomCourse",
    "Examination",
    "RiskFactors",
    "ImagingStudy",
    "ImagingFinding",
    "LabResult",
    "DiagnosticBlock",
    "ElectroStudy",
    "Questionnaires",
    "Alignment",
    "Culture",
    "InstrumentResponse",
    "MotorGrade",
    "SensoryFinding",
    "MEASURED_IMAGING_CODES",
    "MEASURED_IMAGING_UNITS",
]

# Imaging codes that carry a measurement, with the unit the engine reads them in (``value`` of an
# ImagingFinding). parse_case refuses any other unit naming the finding, and converts a length given in cm.
MEASURED_IMAGING_UNITS: dict[ImagingCode, Literal["mm", "deg"]] = {
    ImagingCode.peri_screw_lucency: "mm",
    ImagingCode.pedicle_breach: "mm",
    ImagingCode.translation: "mm",
    ImagingCode.angular_motion: "deg",
    ImagingCode.sva: "mm",
    ImagingCode.pelvic_tilt: "deg",
    ImagingCode.pi_ll_mismatch: "deg",
    ImagingCode.prevertebral_soft_tissue_swelling: "mm",
}
MEASURED_IMAGING_CODES = frozenset(MEASURED_IMAGING_UNITS)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, use_enum_values=False)


def _check_level(v: str) -> str:
    return canonical_level(v)  # L4-5, L4/5 and L4/L5 are L4-L5; raises ValueError with a clear message


Level = Annotated[str, AfterValidator(_check_level), Field(examples=["L4-L5", "L5-S1", "C5-C6"])]


class Patient(_Model):
    age: int | None = Field(None, ge=0, le=120, description="Age in years at the assessment")
    birth_date: Date | None = None
    sex: Sex = Sex.unknown
    height_cm: float | None = Field(None, gt=50, lt=250)
    weight_kg: float | None = Field(None, gt=20, lt=400)
    bmi: float | None = Field(None, gt=10, lt=100, description="kg/m²; computed from height and weight when absent")

    @model_validator(mode="after")
    def _bmi(self) -> Patient:
        if self.height_cm and self.weight_kg:
            computed = round(self.weight_kg / (self.height_cm / 100) ** 2, 1)
            if self.bmi is None:
                self.bmi = computed
            elif abs(self.bmi - computed) > 1.0:
                raise ValueError(
                    f"bmi {self.bmi} does not match height {self.height_cm} cm and weight "
                    f"{self.weight_kg} kg (which give {computed}); correct one of them"
                )
        return self


class PriorSurgery(_Model):
    procedure: Procedure
    region: Region
    levels: list[Level] = Field(default_factory=list, description="Motion segments, e.g. ['L4-L5']")
    date: Date
    instrumented: bool | None = None
    approach: Approach | None = None
    implants: list[str] = Field(default_factory=list, description="e.g. 'pedicle screws', 'PEEK cage'")
    indication: str | None = None
    incidental_durotomy: bool | None = Field(
        None, description="An incidental durotomy (dural tear) at this operation; null when not known"
    )

    @model_validator(mode="after")
    def _levels_in_region(self) -> PriorSurgery:
        """Levels lie in the surgery's region, or continue a block of its levels across a junction.

        A T10-L2 or C3-T2 construct is one operation: the levels beyond the cervicothoracic or thoracolumbar junction
        are accepted when they join, without a gap, a level in the named region. A level elsewhere is a mistake."""
        region = self.region.value
        spans = sorted(parse_level(lv) + (lv,) for lv in self.levels)
        blocks: list[list[tuple[int, int, str]]] = []
        for span in spans:
            if blocks and span[0] <= blocks[-1][-1][1]:
                blocks[-1].append(span)
            else:
                blocks.append([span])
        for block in blocks:
            regions = [_regions_of(i, j) for i, j, _ in block]
            anchored = any(region in r for r in regions)
            for (_, _, lv), r in zip(block, regions, strict=True):
                if region not in r and not (anchored and any(frozenset((x, region)) in _NEIGHBOUR_REGIONS for x in r)):
                    raise ValueError(f"level {lv} is not in the {region} region")
        return self


def _regions_of(upper: int, lower: int) -> set[str]:
    """The regions of a segment's two vertebrae: a junction segment (C7-T1, T12-L1) belongs to both."""
    return {region_of_level(VERTEBRAE[upper]), region_of_level(VERTEBRAE[lower])}


_NEIGHBOUR_REGIONS = frozenset({frozenset(("cervical", "thoracic")), frozenset(("thoracic", "lumbar"))})


class SymptomCourse(_Model):
    symptoms: list[Symptom] = Field(default_factory=list, description="Symptoms the patient has")
    denied: list[Symptom] = Field(
        default_factory=list, description="Symptoms asked about and absent (a code may not be in both lists)"
    )
    onset_date: Date | None = None
    onset_days_after_surgery: int | None = Field(None, ge=0, le=36500)
    follows_surgery: int | None = Field(
        None, ge=0, description="Index in `surgeries` of the operation the symptoms follow; default the latest"
    )
    pain_free_interval: bool | None = Field(None, description="Was there a pain-free interval after surgery?")
    pain_free_interval_days: int | None = Field(None, ge=0)
    pattern: PainPattern | None = None
    side: Side | None = None
    trend: Trend | None = None
    leg_pain_predominant: bool | None = None
    same_as_preoperative_pain: bool | None = None


_MYOTOME = r"^[CTLS]\d{1,2}$"


class MotorGrade(_Model):
    """Strength of one myotome on one side, MRC 0-5."""

    myotome: str = Field(..., pattern=_MYOTOME, max_length=3, description="Root, e.g. 'L5', 'C5'")
    side: Side
    mrc: int = Field(..., ge=0, le=5, description="MRC grade: 5 normal, 4 against resistance, 3 against gravity")
    new_since_surgery: bool | None = Field(None, description="Not present before the operation")
    progressive: bool | None = Field(None, description="Getting weaker since it was first noticed")


class SensoryFinding(_Model):
    distribution: SensoryDistribution
    root: str | None = Field(None, pattern=_MYOTOME, max_length=3, description="Dermatome, e.g. 'L5'")
    side: Side | None = None
    new_since_surgery: bool | None = Field(None, description="Not present before the operation")


class Examination(_Model):
    straight_leg_raise: TestResult = TestResult.not_done
    straight_leg_raise_side: Side | None = None
    femoral_stretch: TestResult = Field(TestResult.not_done, description="Femoral nerve stretch test (prone knee "
                                        "bend): tension on the L2-L4 roots")
    femoral_stretch_side: Side | None = None
    reflexes: Reflex | None = None
    motor_deficit: MotorDeficit | None = None
    motor_deficit_progressive: bool | None = None
    saddle_anaesthesia: bool | None = None
    bladder_bowel_dysfunction: bool | None = None
    si_provocation_positive: int | None = Field(None, ge=0, le=6, description="Number of positive SI provocation tests")
    hip_exam_abnormal: bool | None = Field(None, description="Groin pain or reduced, painful hip internal rotation")
    shoulder_exam_abnormal: bool | None = Field(
        None, description="Painful arc, positive impingement signs (Neer, Hawkins-Kennedy) or painful, restricted "
        "shoulder movement"
    )
    distal_pulses: Literal["normal", "reduced", "absent"] | None = None
    ankle_brachial_index: float | None = Field(None, ge=0, le=2.0, description="Resting ankle-brachial index")
    temperature_c: float | None = Field(None, ge=30, le=44)
    wound: WoundState | None = None
    paraspinal_tenderness: bool | None = None
    sensory_loss_dermatomal: bool | None = None
    stocking_sensory_loss: bool | None = None
    widespread_tenderness: bool | None = None
    fortin_finger_test: bool | None = Field(None, description="Patient points within 1 cm of the PSIS")
    allodynia: bool | None = Field(None, description="Pain from light touch (e.g. a brush) on examination")
    incisional_tenderness: bool | None = None
    hoffmann_sign: bool | None = None
    hyperreflexia: bool | None = None
    gait_ataxia: bool | None = None
    mjoa: int | None = Field(None, ge=0, le=18, description="Modified Japanese Orthopaedic Association score, 0-18")
    neck_swelling: bool | None = None
    stridor: bool | None = None
    oxygen_saturation: float | None = Field(None, ge=50, le=100, description="SpO2, % (pulse oximetry)")
    meningism: bool | None = Field(None, description="Neck stiffness or other meningeal signs")
    motor: list[MotorGrade] = Field(default_factory=list, description="MRC grades by myotome and side")
    sensory: list[SensoryFinding] = Field(default_factory=list)


class RiskFactors(_Model):
    smoking: Smoking | None = None
    pack_years: float | None = Field(None, ge=0, le=300)
    diabetes: bool | None = None
    immunosuppression: bool | None = None
    chronic_steroids: bool | None = None
    ckd_stage: int | None = Field(None, ge=1, le=5)
    dialysis: bool | None = None
    osteoporosis: bool | None = None
    dexa_t_score: float | None = Field(None, ge=-7, le=5)
    ct_hounsfield_l1: float | None = Field(None, ge=-200, le=1000)
    bone_anabolic_treatment: bool | None = Field(
        None, description="On anabolic bone treatment (teriparatide, abaloparatide or romosozumab)")
    cancer_history: bool | None = None
    workers_compensation: bool | None = None
    litigation: bool | None = None
    opioid_mme_per_day: float | None = Field(None, ge=0, le=5000)
    depression: bool | None = None
    anxiety: bool | None = None
    iv_drug_use: bool | None = None
    recent_bacterial_infection: bool | None = None
    prior_spine_infection: bool | None = None
    mrsa_colonised: bool | None = None
    beta_lactam_allergy: bool | None = None
    beta_lactam_allergy_severity: BetaLactamAllergySeverity | None = Field(
        None,
        description="The reaction behind a beta-lactam allergy label: low_risk (benign rash, GI upset, family "
        "history, vague reaction long ago), severe_immediate (anaphylaxis, angioedema, bronchospasm, hypotension), "
        "severe_delayed (SJS/TEN, DRESS, AGEP, organ involvement) or cefazolin_reaction; null when not graded",
    )
    anticoagulant_use: bool | None = None
    fibromyalgia: bool | None = None
    nicotine_replacement: bool | None = Field(None, description="Uses nicotine replacement (patch, gum, vape)")
    anticoagulant_restarted_day: int | None = Field(
        None, ge=0, le=3650, description="Post-operative day the anticoagulant was restarted"
    )
    antiplatelet_use: bool | None = None
    thrombophilia: bool | None = None
    prior_vte: bool | None = Field(None, description="Previous deep-vein thrombosis or pulmonary embolism")

    @model_validator(mode="after")
    def _allergy_consistent(self) -> RiskFactors:
        if self.beta_lactam_allergy is False and self.beta_lactam_allergy_severity is not None:
            raise ValueError(
                "beta_lactam_allergy_severity is given but beta_lactam_allergy is false: "
                "record the allergy, or drop its severity"
            )
        return self

    @property
    def beta_lactam_allergy_grade(self) -> str | None:
        """low_risk (cefazolin still given), severe (cefazolin not given), ungraded (allergy recorded, reaction
        not), or None (no allergy recorded). Derived, not stored: the order set's allergy rules read it."""
        sev = self.beta_lactam_allergy_severity
        if sev is None:
            return "ungraded" if self.beta_lactam_allergy else None
        return "low_risk" if sev is BetaLactamAllergySeverity.low_risk else "severe"


class ImagingFinding(_Model):
    code: ImagingCode
    level: Level | None = None
    side: Side | None = None
    value: float | None = Field(None, description="Quantity for measured findings (mm or degrees)")
    unit: Literal["mm", "deg", "cm"] | None = None
    comparator: Literal["=", ">", ">=", "<", "<="] = Field(
        "=", description="How the value was reported: '>' with value 1 means 'more than 1 mm'"
    )
    severity: Literal["mild", "moderate", "severe"] | None = None
    direction: Literal["medial", "lateral", "superior", "inferior", "anterior", "posterior"] | None = None

    @model_validator(mode="after")
    def _unit_with_value(self) -> ImagingFinding:
        if (self.value is None) != (self.unit is None):
            raise ValueError("value and unit go together: give both or neither")
        if self.value is not None and self.value < 0:
            raise ValueError("value cannot be negative")
        if self.comparator != "=" and self.value is None:
            raise ValueError(f"comparator '{self.comparator}' needs a value and unit")
        return self


class ImagingStudy(_Model):
    modality: Modality
    date: Date
    findings: list[ImagingFinding] = Field(default_factory=list)
    limited_by_artefact: bool = False


_REPORTED_BOUND = re.compile(r"^\s*(<=|>=|<|>|\u2264|\u2265)\s*([0-9]+(?:\.[0-9]+)?)\s*$")
_SIGNS = {"\u2264": "<=", "\u2265": ">="}


class LabResult(_Model):
    test: LabTest
    value: float
    unit: str
    date: Date
    comparator: Literal["=", ">", ">=", "<", "<="] = Field(
        "=", description="How the laboratory reported the value: '<' with value 5 means 'below 5' (below the "
        "assay's limit); a value so reported is read only where the comparison is certain"
    )

    @model_validator(mode="before")
    @classmethod
    def _reported_bound(cls, data: Any) -> Any:
        """A value written as the laboratory reports it ("<5", "> 200") is the number and its comparator."""
        if isinstance(data, dict) and isinstance(data.get("value"), str):
            m = _REPORTED_BOUND.match(data["value"])
            if m is not None:
                sign = _SIGNS.get(m.group(1), m.group(1))
                given = data.get("comparator")
                if given not in (None, "=", sign):
                    raise ValueError(f"value {data['value']!r} says '{sign}' but comparator says {given!r}")
                return {**data, "value": m.group(2), "comparator": sign}
        return data


class DiagnosticBlock(_Model):
    type: BlockType
    level: Level | None = None
    side: Side | None = None
    relief_percent: float = Field(..., ge=0, le=100)
    paradigm: Literal["single", "comparative", "placebo_controlled"] = "single"
    date: Date


class ElectroStudy(_Model):
    date: Date
    result: EmgResult
    level: Level | None = None
    side: Side | None = None


class Questionnaires(_Model):
    odi: float | None = Field(None, ge=0, le=100, description="Oswestry Disability Index, %")
    ndi: float | None = Field(None, ge=0, le=50, description="Neck Disability Index, raw 0-50")
    nrs_back: float | None = Field(None, ge=0, le=10)
    nrs_leg: float | None = Field(None, ge=0, le=10)
    paindetect: int | None = Field(None, ge=-1, le=38)
    dn4: int | None = Field(None, ge=0, le=10)
    start_back_total: int | None = Field(None, ge=0, le=9)
    start_back_psychosocial: int | None = Field(None, ge=0, le=5)
    phq9: int | None = Field(None, ge=0, le=27)
    gad7: int | None = Field(None, ge=0, le=21)
    fibromyalgia_wpi: int | None = Field(None, ge=0, le=19)
    fibromyalgia_sss: int | None = Field(None, ge=0, le=12)
    date: Date | None = None

    @model_validator(mode="after")
    def _subscale(self) -> Questionnaires:
        t, s = self.start_back_total, self.start_back_psychosocial
        if t is not None and s is not None and s > t:
            raise ValueError("start_back_psychosocial cannot exceed start_back_total")
        return self


class InstrumentResponse(_Model):
    """One completed questionnaire: its item scores (scored by parse_case), or a total recorded elsewhere."""

    instrument: str = Field(..., max_length=40, description="Instrument id from the knowledge pack, e.g. 'odi', 'phq9'")
    date: Date
    items: list[float | None] | None = Field(
        None, max_length=50, description="Item scores in questionnaire order; null for an unanswered item"
    )
    total: float | None = Field(None, description="The total, when the item scores are not available")

    @model_validator(mode="after")
    def _items_or_total(self) -> InstrumentResponse:
        if (self.items is None) == (self.total is None):
            raise ValueError("give either items or total")
        return self


class Alignment(_Model):
    """Spinopelvic parameters from a standing full-length radiograph (degrees; SVA in mm)."""

    pi: float | None = Field(None, ge=0, le=120, description="Pelvic incidence")
    ll: float | None = Field(None, ge=-60, le=120, description="Lumbar lordosis L1-S1")
    pt: float | None = Field(None, ge=-30, le=80, description="Pelvic tilt")
    ss: float | None = Field(None, ge=-20, le=100, description="Sacral slope")
    sva_mm: float | None = Field(None, ge=-300, le=500, description="Sagittal vertical axis")
    tk: float | None = Field(None, ge=-40, le=120, description="Thoracic kyphosis T4-T12")
    date: Date | None = None

    @property
    def pi_minus_ll(self) -> float | None:
        """PI - LL mismatch in degrees, when both are measured."""
        if self.pi is None or self.ll is None:
            return None
        return self.pi - self.ll


class Culture(_Model):
    """A microbiology result: biopsy, intra-operative tissue, sonication, wound or blood."""

    date: Date
    specimen: Literal["biopsy", "tissue", "sonication", "wound", "blood"]
    result: Literal["positive", "negative", "pending"]
    organism: str | None = Field(None, max_length=200)
    samples_positive: int | None = Field(None, ge=0, le=50, description="Samples that grew the organism")
    samples_total: int | None = Field(None, ge=1, le=50, description="Samples sent")
    organism_virulence: Literal["high", "low"] | None = Field(
        None, description="low: e.g. C. acnes, coagulase-negative staphylococci"
    )

    @model_validator(mode="after")
    def _samples(self) -> Culture:
        if self.samples_positive is not None and self.samples_total is not None:
            if self.samples_positive > self.samples_total:
                raise ValueError("samples_positive cannot exceed samples_total")
        if self.result == "negative" and self.samples_positive:
            raise ValueError("a negative culture cannot have positive samples")
        return self


class Case(_Model):
    """One patient with persistent or recurrent symptoms after spine surgery."""

    schema_version: Literal["1", "2"] = Field(
        "2", description="Case schema version; version 1 cases (without the version-2 fields) stay valid"
    )
    case_id: str | None = Field(None, max_length=200, description="Your reference; not a name")
    assessment_date: Date | None = Field(
        None, description="Date the case is assessed; the adapters fill in today's date when absent"
    )
    patient: Patient = Field(default_factory=Patient)
    surgeries: list[PriorSurgery] = Field(default_factory=list)
    symptoms: SymptomCourse = Field(default_factory=SymptomCourse)
    exam: Examination = Field(default_factory=Examination)
    risk_factors: RiskFactors = Field(default_factory=RiskFactors)
    imaging: list[ImagingStudy] = Field(default_factory=list)
    labs: list[LabResult] = Field(default_factory=list)
    blocks: list[DiagnosticBlock] = Field(default_factory=list)
    electrodiagnostics: list[ElectroStudy] = Field(default_factory=list)
    cultures: list[Culture] = Field(default_factory=list)
    questionnaires: Questionnaires = Field(default_factory=Questionnaires)
    alignment: Alignment | None = None
    instrument_responses: list[InstrumentResponse] = Field(
        default_factory=list,
        description="Dated questionnaire responses; parse_case scores them and fills `questionnaires` from the latest",
    )
    notes: str | None = Field(None, max_length=5000)

    def index_surgery_position(self) -> int | None:
        """Index of the operation the current symptoms follow (default: the latest)."""
        if not self.surgeries:
            return None
        if self.symptoms.follows_surgery is not None:
            return self.symptoms.follows_surgery
        return max(range(len(self.surgeries)), key=lambda i: self.surgeries[i].date)
