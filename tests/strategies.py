"""Hypothesis strategies that build schema-valid case JSON.

Cases are plain dicts, as a client would send them: random operations with levels in
their region, symptoms, an examination, risk factors, dated imaging with coded (and,
where the code is quantitative, measured) findings, labs in canonical units within the
pack's plausible range, blocks, EMG, cultures, questionnaires and alignment. Dates are
consistent with the assessment date unless ``consistent_dates=False``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from revspine.case import enums
from revspine.case.levels import VERTEBRAE
from revspine.knowledge import KnowledgePack

__all__ = ["ASSESSED", "cases", "REGION_LEVELS", "QUANTITATIVE"]

ASSESSED = date(2026, 11, 1)

REGION_LEVELS = {
    region: [f"{VERTEBRAE[i]}-{VERTEBRAE[i + 1]}" for i in range(len(VERTEBRAE) - 1) if VERTEBRAE[i][0] == letter]
    for region, letter in (("cervical", "C"), ("thoracic", "T"), ("lumbar", "L"))
}
ALL_LEVELS = [lv for levels in REGION_LEVELS.values() for lv in levels]
QUANTITATIVE = {  # code -> (unit, max value)
    "peri_screw_lucency": ("mm", 10.0), "pedicle_breach": ("mm", 10.0), "translation": ("mm", 20.0),
    "angular_motion": ("deg", 30.0), "sva": ("mm", 250.0), "pelvic_tilt": ("deg", 60.0),
    "pi_ll_mismatch": ("deg", 60.0), "prevertebral_soft_tissue_swelling": ("mm", 30.0),
}
MYOTOMES = ["C5", "C6", "C7", "C8", "T1", "L2", "L3", "L4", "L5", "S1"]


def values(enum: type) -> list[str]:
    return [e.value for e in enum]


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def iso(d: date) -> str:
    return d.isoformat()


def dates_between(lo: date, hi: date) -> st.SearchStrategy[str]:
    return st.dates(min_value=lo, max_value=max(lo, hi)).map(iso)


@st.composite
def surgery(draw: st.DrawFn, earliest: date) -> dict[str, Any]:
    region = draw(st.sampled_from(list(REGION_LEVELS)))
    levels = draw(st.lists(st.sampled_from(REGION_LEVELS[region]), min_size=0, max_size=3, unique=True))
    out: dict[str, Any] = {
        "procedure": draw(st.sampled_from(values(enums.Procedure))),
        "region": region,
        "levels": levels,
        "date": draw(dates_between(earliest, ASSESSED)),
    }
    if draw(st.booleans()):
        out["instrumented"] = draw(st.booleans())
    if draw(st.booleans()):
        out["approach"] = draw(st.sampled_from(values(enums.Approach)))
    if draw(st.booleans()):
        out["incidental_durotomy"] = draw(st.booleans())
    return out


@st.composite
def imaging_finding(draw: st.DrawFn) -> dict[str, Any]:
    code = draw(st.sampled_from(values(enums.ImagingCode)))
    out: dict[str, Any] = {"code": code}
    level = draw(maybe(st.sampled_from(ALL_LEVELS)))
    if level:
        out["level"] = level
    side = draw(maybe(st.sampled_from(values(enums.Side))))
    if side:
        out["side"] = side
    if code in QUANTITATIVE and draw(st.integers(0, 4)):  # now and then reported without a measurement
        unit, top = QUANTITATIVE[code]
        out["value"] = draw(st.floats(min_value=0, max_value=top, allow_nan=False).map(lambda v: round(v, 1)))
        out["unit"] = unit
        out["comparator"] = draw(st.sampled_from(["=", "=", ">", ">=", "<", "<="]))
    severity = draw(maybe(st.sampled_from(["mild", "moderate", "severe"])))
    if severity:
        out["severity"] = severity
    direction = draw(maybe(st.sampled_from(["medial", "lateral", "superior", "inferior", "anterior", "posterior"])))
    if direction:
        out["direction"] = direction
    return out


def lab(pack: KnowledgePack, earliest: date) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        rule = pack.labs[draw(st.sampled_from(sorted(pack.labs)))]
        value = draw(st.floats(min_value=rule.plausible_min, max_value=rule.plausible_max, allow_nan=False))
        return {"test": rule.test, "value": round(value, 2) if value > 1 else value, "unit": rule.canonical_unit,
                "date": draw(dates_between(earliest, ASSESSED))}

    return build()


@st.composite
def exam(draw: st.DrawFn) -> dict[str, Any]:
    fields = {
        "straight_leg_raise": st.sampled_from(values(enums.TestResult)),
        "reflexes": st.sampled_from(values(enums.Reflex)),
        "motor_deficit": st.sampled_from(values(enums.MotorDeficit)),
        "motor_deficit_progressive": st.booleans(),
        "saddle_anaesthesia": st.booleans(),
        "bladder_bowel_dysfunction": st.booleans(),
        "si_provocation_positive": st.integers(0, 6),
        "hip_exam_abnormal": st.booleans(),
        "distal_pulses": st.sampled_from(["normal", "reduced", "absent"]),
        "ankle_brachial_index": st.floats(0.3, 1.4).map(lambda v: round(v, 2)),
        "temperature_c": st.floats(35.0, 41.0).map(lambda v: round(v, 1)),
        "wound": st.sampled_from(values(enums.WoundState)),
        "paraspinal_tenderness": st.booleans(),
        "sensory_loss_dermatomal": st.booleans(),
        "stocking_sensory_loss": st.booleans(),
        "widespread_tenderness": st.booleans(),
        "fortin_finger_test": st.booleans(),
        "allodynia": st.booleans(),
        "incisional_tenderness": st.booleans(),
        "hoffmann_sign": st.booleans(),
        "hyperreflexia": st.booleans(),
        "gait_ataxia": st.booleans(),
        "mjoa": st.integers(0, 18),
        "neck_swelling": st.booleans(),
        "stridor": st.booleans(),
        "oxygen_saturation": st.floats(80, 100).map(lambda v: round(v)),
        "meningism": st.booleans(),
        "motor": st.lists(st.fixed_dictionaries(
            {"myotome": st.sampled_from(MYOTOMES), "side": st.sampled_from(["left", "right"]),
             "mrc": st.integers(0, 5)},
            optional={"new_since_surgery": st.booleans(), "progressive": st.booleans()}),
            max_size=3, unique_by=lambda m: (m["myotome"], m["side"])),
        "sensory": st.lists(st.fixed_dictionaries(
            {"distribution": st.sampled_from(values(enums.SensoryDistribution))},
            optional={"root": st.sampled_from(MYOTOMES), "side": st.sampled_from(["left", "right"])}), max_size=2),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=len(fields)))
    return {k: draw(fields[k]) for k in chosen}


@st.composite
def risk_factors(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, st.SearchStrategy[Any]] = {
        "smoking": st.sampled_from(values(enums.Smoking)),
        "pack_years": st.floats(0, 100).map(lambda v: round(v, 1)),
        "ckd_stage": st.integers(1, 5),
        "dexa_t_score": st.floats(-5, 3).map(lambda v: round(v, 1)),
        "ct_hounsfield_l1": st.floats(20, 400).map(lambda v: round(v)),
        "opioid_mme_per_day": st.floats(0, 400).map(lambda v: round(v)),
        "anticoagulant_restarted_day": st.integers(0, 30),
    }
    for flag in ("diabetes", "immunosuppression", "chronic_steroids", "dialysis", "osteoporosis", "cancer_history",
                 "workers_compensation", "litigation", "depression", "anxiety", "iv_drug_use",
                 "recent_bacterial_infection", "prior_spine_infection", "fibromyalgia", "anticoagulant_use",
                 "nicotine_replacement", "antiplatelet_use", "thrombophilia", "prior_vte"):
        fields[flag] = st.booleans()
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=len(fields)))
    return {k: draw(fields[k]) for k in chosen}


@st.composite
def questionnaires(draw: st.DrawFn) -> dict[str, Any]:
    total = draw(st.integers(0, 9))
    out = {
        "odi": draw(maybe(st.integers(0, 100))),
        "paindetect": draw(maybe(st.integers(-1, 38))),
        "dn4": draw(maybe(st.integers(0, 10))),
        "phq9": draw(maybe(st.integers(0, 27))),
        "gad7": draw(maybe(st.integers(0, 21))),
        "fibromyalgia_wpi": draw(maybe(st.integers(0, 19))),
        "fibromyalgia_sss": draw(maybe(st.integers(0, 12))),
        "start_back_total": total,
        "start_back_psychosocial": draw(st.integers(0, min(total, 5))),
    }
    return {k: v for k, v in out.items() if v is not None}


@st.composite
def cases(draw: st.DrawFn, pack: KnowledgePack, *, consistent_dates: bool = True) -> dict[str, Any]:
    """A schema-valid case dict. With consistent_dates, parse_case accepts it."""
    earliest = ASSESSED - timedelta(days=draw(st.sampled_from([3, 20, 60, 200, 800, 4000])))
    surgeries = draw(st.lists(surgery(earliest), max_size=3))
    case: dict[str, Any] = {"case_id": "generated", "assessment_date": iso(ASSESSED), "surgeries": surgeries}
    height = draw(st.floats(140, 200))
    case["patient"] = {"age": draw(st.integers(18, 95)), "sex": draw(st.sampled_from(values(enums.Sex))),
                       "height_cm": round(height), "weight_kg": round(draw(st.floats(40, 160)))}
    symptoms: dict[str, Any] = {
        "symptoms": draw(st.lists(st.sampled_from(values(enums.Symptom)), unique=True, max_size=6)),
        "pattern": draw(maybe(st.sampled_from(values(enums.PainPattern)))),
        "side": draw(maybe(st.sampled_from(values(enums.Side)))),
        "trend": draw(maybe(st.sampled_from(values(enums.Trend)))),
        "pain_free_interval": draw(maybe(st.booleans())),
        "leg_pain_predominant": draw(maybe(st.booleans())),
        "same_as_preoperative_pain": draw(maybe(st.booleans())),
    }
    if surgeries and draw(st.booleans()):
        latest = max(date.fromisoformat(s["date"]) for s in surgeries)
        span = (ASSESSED - latest).days
        symptoms["onset_days_after_surgery"] = draw(st.integers(0, span)) if consistent_dates else span + 5
    others = [v for v in values(enums.Symptom) if v not in symptoms["symptoms"]]
    symptoms["denied"] = draw(st.lists(st.sampled_from(others), unique=True, max_size=3)) or None
    case["symptoms"] = {k: v for k, v in symptoms.items() if v is not None}
    case["exam"] = draw(exam())
    case["risk_factors"] = draw(risk_factors())
    study_dates = dates_between(earliest, ASSESSED)
    case["imaging"] = draw(st.lists(st.fixed_dictionaries({
        "modality": st.sampled_from(values(enums.Modality)), "date": study_dates,
        "findings": st.lists(imaging_finding(), max_size=4),
        "limited_by_artefact": st.booleans(),
    }), max_size=4))
    for study in case["imaging"]:  # motion is measured on flexion-extension films (parse_case refuses it elsewhere)
        if any(f["code"] in ("translation", "angular_motion", "segmental_motion") for f in study["findings"]):
            study["modality"] = "flexion_extension_xray"
    case["labs"] = draw(st.lists(lab(pack, earliest), max_size=6))
    case["blocks"] = draw(st.lists(st.fixed_dictionaries({
        "type": st.sampled_from(values(enums.BlockType)), "relief_percent": st.integers(0, 100),
        "paradigm": st.sampled_from(["single", "comparative", "placebo_controlled"]), "date": study_dates,
        "level": maybe(st.sampled_from(ALL_LEVELS)), "side": maybe(st.sampled_from(values(enums.Side))),
    }), max_size=3))
    case["electrodiagnostics"] = draw(st.lists(st.fixed_dictionaries({
        "date": study_dates, "result": st.sampled_from(values(enums.EmgResult))}), max_size=2))
    case["cultures"] = draw(st.lists(st.fixed_dictionaries({
        "date": study_dates, "specimen": st.sampled_from(["biopsy", "tissue", "sonication", "wound", "blood"]),
        "result": st.sampled_from(["positive", "pending"])},
        optional={"samples_positive": st.integers(1, 2), "organism_virulence": st.sampled_from(["high", "low"])}),
        max_size=2))
    case["cultures"] += draw(st.lists(st.fixed_dictionaries({
        "date": study_dates, "specimen": st.sampled_from(["biopsy", "tissue"]), "result": st.just("negative")},
        optional={"samples_total": st.integers(1, 6)}), max_size=1))
    case["questionnaires"] = draw(questionnaires())
    if draw(st.booleans()):
        case["alignment"] = {
            "pi": round(draw(st.floats(30, 90)), 1), "ll": round(draw(st.floats(-10, 80)), 1),
            "pt": round(draw(st.floats(0, 50)), 1), "sva_mm": round(draw(st.floats(-50, 250)), 1),
        }
    if not consistent_dates:
        case["labs"].append({"test": "crp", "value": 5, "unit": "mg/L", "date": iso(ASSESSED + timedelta(days=1))})
    return case
