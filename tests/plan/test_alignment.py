"""Sagittal alignment: Schwab modifiers at every published boundary, the lordosis formulas with
worked examples from their sources, the PI-class table, the consistency check and the drawing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from revspine.engine.conditions import evaluate_findings
from revspine.engine.facts import derive_facts
from revspine.plan.alignment import Measurements, alignment_from_measurements, assess_alignment
from revspine.plan.svg import sagittal_profile_svg

from .cases import case


def grade(pack, parameter: str, **values) -> str:
    r = alignment_from_measurements(Measurements(**values), pack)
    assert r is not None
    return next(m.grade for m in r.modifiers if m.parameter == parameter)


# Terran 2013: 0 < 10, + 10-20, ++ > 20 (PI-LL); 0 < 4 cm, + 4-9.5 cm, ++ > 9.5 cm (SVA); 0 < 20, + 20-30, ++ > 30 (PT)
@pytest.mark.parametrize(
    ("pi_minus_ll", "expected"),
    [(-15, "0"), (0, "0"), (9.9, "0"), (10, "+"), (15, "+"), (20, "+"), (20.1, "++"), (45, "++")],
)
def test_pi_ll_boundaries(pack, pi_minus_ll, expected):
    assert grade(pack, "pi_minus_ll", pi=60.0, ll=60.0 - pi_minus_ll) == expected


@pytest.mark.parametrize(
    ("sva", "expected"), [(-30, "0"), (39.9, "0"), (40, "+"), (95, "+"), (95.1, "++"), (200, "++")]
)
def test_sva_boundaries(pack, sva, expected):
    assert grade(pack, "sva_mm", sva_mm=sva) == expected


@pytest.mark.parametrize(("pt", "expected"), [(5, "0"), (19.9, "0"), (20, "+"), (30, "+"), (30.1, "++")])
def test_pt_boundaries(pack, pt, expected):
    assert grade(pack, "pt", pt=pt) == expected


def test_float_noise_does_not_move_a_boundary(pack):
    # 30.1 - 20.1 is 10.000000000000002 in binary floating point; it must still read as exactly 10 (+)
    assert grade(pack, "pi_minus_ll", pi=30.1, ll=20.1) == "+"


@pytest.mark.parametrize(
    ("field", "value", "plus", "plusplus"),
    [("pi_minus_ll", v, "pill_10", "pill_20") for v in (9.9, 10, 20, 20.1)]
    + [("sva_mm", v, "sva_40", "sva_95") for v in (39.9, 40, 95, 95.1)]
    + [("pt", v, "pt_20", "pt_30") for v in (19.9, 20, 30, 30.1)],
)
def test_modifiers_agree_with_the_core_findings(pack, field, value, plus, plusplus):
    """The engine's Schwab findings and this module must put a boundary value in the same grade."""
    alignment = {"pi": 60.0, "ll": 60.0 - value} if field == "pi_minus_ll" else {field: value}
    hits = evaluate_findings(derive_facts(case(pack, alignment=alignment)), pack)
    m = Measurements(pi=60.0, ll=60.0 - value) if field == "pi_minus_ll" else Measurements(**{field: value})
    g = grade(pack, field, **vars(m))
    assert bool(hits[plus]) == (g == "+")
    assert bool(hits[plusplus]) == (g == "++")


def targets(pack, **values):
    r = alignment_from_measurements(Measurements(**values), pack)
    assert r is not None
    return {t.formula: t for t in r.targets}


def test_formulas_reproduce_their_published_equations(pack):
    t = targets(pack, pi=50, ll=40, tk=30, age=60)
    assert t["lehuec_hasegawa_2016"].target_deg == pytest.approx(0.54 * 50 + 27.6, abs=0.05)  # 54.6
    assert t["hasegawa_2016_age"].target_deg == pytest.approx(32.9 + 0.60 * 50 - 0.23 * 60, abs=0.05)  # 49.1
    assert t["hyun_2019"].target_deg == pytest.approx(0.62 * 50 + 27.61, abs=0.05)
    assert t["age_tk_adjusted"].target_deg == pytest.approx(50 - 0.3 * 30 - 0.5 * 60 + 10, abs=0.05)  # 21
    assert t["gap_ideal_ll"].target_deg == pytest.approx(0.62 * 50 + 29, abs=0.05)
    schwab = t["schwab_pi_pm_9"]
    assert (schwab.low_deg, schwab.high_deg) == (41, 59)
    assert t["srs_schwab_goal"].target_deg == 40


def test_hyun_formula_matches_its_own_cohort_means(pack):
    """Hyun 2019: mean PI 48.6 and mean LL 57.5 in 150 men; the regression passes near the means."""
    t = targets(pack, pi=48.6)["hyun_2019"]
    assert t.target_deg == pytest.approx(57.5, abs=0.5)


def test_correction_needed_and_disagreement(pack):
    r = alignment_from_measurements(Measurements(pi=60, ll=30, pt=28, ss=32, sva_mm=80, tk=30, age=65), pack)
    t = {x.formula: x for x in r.targets}
    assert t["lehuec_hasegawa_2016"].correction_min_deg == pytest.approx(60 - 30, abs=0.05)
    assert t["schwab_pi_pm_9"].correction_min_deg == 21 and t["schwab_pi_pm_9"].correction_max_deg == 39
    assert t["srs_schwab_goal"].correction_min_deg == 20
    # the formulas disagree, and the summary says so rather than averaging
    assert r.correction.least_deg < 0 < r.correction.most_deg
    assert "disagree" in r.correction.statement
    assert any(x.quality == "secondary" for x in r.targets)


def test_missing_age_or_tk_is_named_not_guessed(pack):
    t = targets(pack, pi=55, ll=40)
    assert t["hasegawa_2016_age"].status == "missing_input"
    assert t["hasegawa_2016_age"].missing_inputs == ["patient.age"]
    assert set(t["age_tk_adjusted"].missing_inputs) == {"patient.age", "alignment.tk"}
    assert t["lehuec_hasegawa_2016"].status == "computed"


# PMC4303780 Table 3 worked examples: PI 40 -> PT 8, LL 53; PI 52 -> PT 12, LL 61; PI 64 -> PT 16, LL 70
@pytest.mark.parametrize(("pi", "pt", "ll"), [(40, 8, 53), (52, 12, 61), (64, 16, 70), (30, 4, 48), (85, 24, 80)])
def test_pi_class_table_worked_examples(pack, pi, pt, ll):
    r = alignment_from_measurements(Measurements(pi=pi), pack)
    assert len(r.pi_class.matches) == 1 and not r.pi_class.between_rows
    m = r.pi_class.matches[0]
    assert (m.pt_theoretical_deg, m.ll_theoretical_deg) == (pt, ll)


@pytest.mark.parametrize(("pi", "classes"), [(47.5, ["II", "III"]), (78, ["V", "VI"]), (37.9, ["I"]), (38, ["II"])])
def test_pi_class_gaps_show_both_rows(pack, pi, classes):
    r = alignment_from_measurements(Measurements(pi=pi), pack)
    assert [m.pi_class for m in r.pi_class.matches] == classes
    assert r.pi_class.between_rows == (len(classes) == 2)


@pytest.mark.parametrize(
    ("pt", "ss", "consistent"), [(20, 40, True), (14, 40, True), (13.9, 40, False), (10, 30, False)]
)
def test_pi_equals_pt_plus_ss_within_tolerance(pack, pt, ss, consistent):
    r = alignment_from_measurements(Measurements(pi=60, ll=40, pt=pt, ss=ss, sva_mm=50), pack)
    assert r.consistency.consistent is consistent
    assert r.consistency.tolerance_deg == 6


def test_inconsistent_inputs_are_reported_not_used(pack):
    r = alignment_from_measurements(Measurements(pi=60, ll=40, pt=10, ss=30, sva_mm=50, tk=30, age=60), pack)
    assert r.status == "inconsistent"
    assert any("does not equal" in w for w in r.warnings)
    assert all(t.status == "withheld" for t in r.targets if t.status != "missing_input")
    assert r.correction is None and r.osteotomies == [] and r.pi_class is None
    flags = {m.parameter: m.reliable for m in r.modifiers}
    assert flags == {"pi_minus_ll": False, "pt": False, "sva_mm": True}
    assert "Janusz2016" in r.citations


def test_osteotomy_levels_follow_the_published_correction_per_level(pack):
    # Schwab goal asks for 20 degrees here (PI 60, LL 30 -> PI-10 = 50)
    r = alignment_from_measurements(Measurements(pi=60, ll=30), pack)
    o = {x.osteotomy: x for x in r.osteotomies}
    most = r.correction.most_deg
    assert o["spo_ponte"].correction_per_level == "9.3-10.7 degrees per level"
    assert o["spo_ponte"].levels_max == -(-most // 9.3)
    assert o["pso"].correction_per_level == "30-40 degrees per level"
    assert o["vcr"].levels_min is None and "no correction per level" in o["vcr"].note


def test_svg_is_well_formed_and_labelled(pack):
    r = alignment_from_measurements(Measurements(pi=60, ll=30, pt=28, ss=32, sva_mm=80, tk=30, age=65), pack)
    root = ET.fromstring(sagittal_profile_svg(r))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.find(f"{ns}title").text.startswith("Sagittal profile")
    texts = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "current: LL 30°" in texts and "PI class IV" in texts and "Schematic" in texts
    assert len(root.findall(f"{ns}path")) >= 4  # two spines and two endplates


def test_no_alignment_no_section(pack):
    assert assess_alignment(case(pack), pack) is None
    c = case(pack, alignment={"pi": 55, "ll": 50, "pt": 15, "ss": 40, "sva_mm": 20, "tk": 35})
    r = assess_alignment(c, pack)
    assert r is not None and r.status == "complete" and r.measured["age"] == 64
