"""Infection markers, work-up wording, bone health and risk factors: worked examples from the cited sources.

The numbers in the assertions are the sources' numbers: Miller 1983 (ESR upper limit age/2 in men,
(age + 10)/2 in women), Kunakornsawat 2017 (CRP normal in 80% by day 28 after instrumented fusion),
Thelander 1992 and Mok 2008 (a second rise or a failure to fall), Pickhardt 2013 (L1 160 and 110 HU),
USPSTF 2025 and BHOF 2022 (who gets bone density).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from revspine import Assessment, InputError, assess, parse_case
from revspine.knowledge import KnowledgePack

ASSESSED = date(2026, 11, 1)


def day(n: int) -> str:
    """The date n days before the assessment date."""
    return (ASSESSED - timedelta(days=n)).isoformat()


def case(procedure: str = "tlif", days_ago: int = 400, **parts: Any) -> dict[str, Any]:
    fusion = procedure in {"tlif", "plif", "posterolateral_fusion"}
    surgery = {"procedure": procedure, "region": "lumbar", "levels": ["L4-L5"], "date": day(days_ago),
               "instrumented": fusion}
    return {"case_id": "labs-workup", "assessment_date": ASSESSED.isoformat(), "surgeries": [surgery], **parts}


def run(pack: KnowledgePack, data: dict[str, Any]) -> Assessment:
    return assess(parse_case(data, pack, today=ASSESSED), pack)


def lab(test: str, value: float, unit: str, days_ago: int) -> dict[str, Any]:
    return {"test": test, "value": value, "unit": unit, "date": day(days_ago)}


def crp_series(pack: KnowledgePack, procedure: str, days_ago: int, series: list[tuple[int, float]]) -> list[str]:
    labs = [lab("crp", v, "mg/L", days_ago - d) for d, v in series]
    return [r.status for r in run(pack, case(procedure, days_ago, labs=labs)).labs if r.test == "crp"]


def workup(a: Assessment) -> dict[str, Any]:
    return {w.test: w for w in (*a.workup, *a.workup_deferred)}


def esr_status(pack: KnowledgePack, value: float, age: int | None, sex: str) -> str:
    patient: dict[str, Any] = {"sex": sex} if age is None else {"sex": sex, "age": age}
    a = run(pack, case("tlif", 700, patient=patient, labs=[lab("esr", value, "mm/h", 1)]))
    return a.labs[0].status


# -- ESR against the age- and sex-adjusted limit (Miller 1983) -------------------------------------


class TestEsrAgeSex:
    def test_esr_40_in_a_75_year_old_woman_is_within_her_limit(self, pack):
        # (75 + 10) / 2 = 42.5 mm/h
        a = run(pack, case("tlif", 700, patient={"sex": "female", "age": 75}, labs=[lab("esr", 40, "mm/h", 1)]))
        (r,) = a.labs
        assert r.status == "normal" and r.threshold == pytest.approx(42.5)
        assert "42.5" in r.reading and "Miller1983ESR" in r.citations

    def test_the_same_esr_in_a_75_year_old_man_is_raised(self, pack):
        # 75 / 2 = 37.5 mm/h
        assert esr_status(pack, 40, 75, "male") == "raised_beyond_expected"
        assert esr_status(pack, 37, 75, "male") == "normal"

    def test_below_30_the_fixed_infection_threshold_stays(self, pack):
        # 40 / 2 = 20 mm/h is below the 30 mm/h infection threshold (Gelderman 2023): 25 is not called raised.
        assert esr_status(pack, 25, 40, "male") == "normal"
        assert esr_status(pack, 31, 40, "male") == "raised_beyond_expected"

    def test_without_sex_or_age_the_fixed_threshold_is_used(self, pack):
        assert esr_status(pack, 40, 75, "unknown") == "raised_beyond_expected"
        assert esr_status(pack, 40, None, "female") == "raised_beyond_expected"

    def test_age_from_birth_date(self, pack):
        patient = {"sex": "female", "birth_date": "1951-06-01"}  # 75 on the assessment date
        a = run(pack, case("tlif", 700, patient=patient, labs=[lab("esr", 40, "mm/h", 1)]))
        assert a.labs[0].status == "normal"


# -- CRP: the course after surgery and the trend -----------------------------------------------------


class TestCrpCourse:
    def test_crp_on_day_7_after_instrumented_fusion_is_expected(self, pack):
        a = run(pack, case("tlif", 7, labs=[lab("crp", 80, "mg/L", 0)]))
        (r,) = a.labs
        assert (r.status, r.day_after_surgery) == ("raised_expected", 7)
        assert "Kunakornsawat2017" in r.citations
        assert "biopsy_culture" not in workup(a)

    def test_a_single_value_in_the_tail_cannot_be_read_alone(self, pack):
        # 20% still raised on day 28 after instrumented fusion; the series followed to day 42.
        assert crp_series(pack, "tlif", 60, [(35, 40)]) == ["raised_indeterminate"]
        assert crp_series(pack, "tlif", 60, [(30, 60), (38, 30)]) == ["raised_indeterminate", "raised_expected"]
        assert crp_series(pack, "tlif", 60, [(30, 30), (38, 45)]) == ["raised_indeterminate", "second_rise"]
        assert crp_series(pack, "tlif", 80, [(43, 40)]) == ["raised_beyond_expected"]

    def test_the_tail_is_instrumented_fusion_only(self, pack):
        # Thelander 1992: normal within 5-14 days after discectomy.
        assert crp_series(pack, "discectomy", 60, [(20, 40)]) == ["raised_beyond_expected"]

    def test_second_rise_is_flagged(self, pack):
        statuses = crp_series(pack, "tlif", 20, [(3, 150), (5, 90), (8, 120)])
        assert statuses == ["raised_expected", "raised_expected", "second_rise"]

    def test_failure_to_fall_is_flagged(self, pack):
        labs = [lab("crp", 60, "mg/L", 20 - 5), lab("crp", 60, "mg/L", 20 - 9)]
        a = run(pack, case("tlif", 20, labs=labs))
        assert [r.status for r in a.labs] == ["raised_expected", "second_rise"]
        assert "did not fall" in a.labs[1].reading

    def test_a_late_rise_after_a_normal_value_is_a_second_rise(self, pack):
        assert crp_series(pack, "discectomy", 200, [(60, 8), (90, 30)]) == ["normal", "second_rise"]

    def test_trend_outweighs_the_day_of_one_value(self, pack):
        # Falling in the tail reads as the expected course; a raised single value later than the tail does not.
        assert crp_series(pack, "tlif", 60, [(29, 50), (33, 35), (40, 20)])[-1] == "raised_expected"

    def test_onset_on_day_0_does_not_make_a_late_value_early(self, pack):
        data = case("tlif", 400, symptoms={"onset_days_after_surgery": 0}, labs=[lab("crp", 30, "mg/L", 0)])
        (r,) = run(pack, data).labs
        assert (r.day_after_surgery, r.status) == (400, "raised_beyond_expected")

    def test_a_value_from_before_the_operation_cannot_be_read_against_the_course(self, pack):
        (r,) = run(pack, case("tlif", 100, labs=[lab("crp", 30, "mg/L", 110)])).labs
        assert r.status == "raised" and "cannot be known" in r.reading and r.day_after_surgery == -10

    def test_an_undatable_esr_weighs_less_than_a_dated_one(self, pack):
        undated = run(pack, case("tlif", 100, labs=[lab("esr", 60, "mm/h", 110)]))
        dated = run(pack, case("tlif", 100, labs=[lab("esr", 60, "mm/h", 1)]))

        def esr_factor(a: Assessment) -> float:
            inf = next(c for c in a.differential if c.cause == "infection")
            f = 1.0
            for e in inf.supporting:
                if e.finding.startswith("esr_"):
                    f *= e.factor
            return f

        assert dated.labs[0].status == "raised_beyond_expected" and undated.labs[0].status == "raised"
        assert esr_factor(undated) <= esr_factor(dated)
        assert esr_factor(dated) > 1


# -- biopsy and cultures ---------------------------------------------------------------------------


class TestBiopsy:
    def test_one_mildly_raised_marker_within_the_course_never_orders_a_biopsy(self, pack):
        a = run(pack, case("discectomy", 10, labs=[lab("crp", 25, "mg/L", 0)], exam={"temperature_c": 38.4}))
        assert a.labs[0].status == "raised_expected"
        assert "biopsy_culture" not in workup(a)

    def test_one_marker_beyond_its_course_without_a_compatible_picture_orders_imaging_not_biopsy(self, pack):
        a = run(pack, case("discectomy", 90, labs=[lab("crp", 25, "mg/L", 0)]))
        assert a.labs[0].status == "raised_beyond_expected"
        assert "biopsy_culture" not in workup(a)

    def test_marker_beyond_its_course_with_fever_orders_cultures(self, pack):
        a = run(pack, case("discectomy", 90, labs=[lab("crp", 25, "mg/L", 0)], exam={"temperature_c": 38.6}))
        item = workup(a)["biopsy_culture"]
        assert "wr_biopsy_markers" in [r.rule_id for r in item.reasons]
        assert item.before_revision and item.before_revision_reason

    def test_infection_on_imaging_always_orders_cultures(self, pack):
        imaging = [{"modality": "mri_contrast", "date": day(1), "findings": [{"code": "discitis_osteomyelitis",
                                                                              "level": "L4-L5"}]}]
        a = run(pack, case("discectomy", 90, imaging=imaging))
        assert "wr_biopsy_imaging" in [r.rule_id for r in workup(a)["biopsy_culture"].reasons]

    def test_possible_infected_nonunion_always_gets_cultures(self, pack):
        # 18 months after TLIF: CRP and ESR raised, peri-screw lucency and no bridging bone on CT.
        imaging = [{"modality": "ct", "date": day(5), "findings": [
            {"code": "nonunion", "level": "L4-L5"},
            {"code": "peri_screw_lucency", "level": "L4-L5", "value": 2, "unit": "mm"}]}]
        labs = [lab("crp", 18, "mg/L", 3), lab("esr", 45, "mm/h", 3)]
        a = run(pack, case("tlif", 540, patient={"sex": "male", "age": 50}, imaging=imaging, labs=labs))
        item = workup(a)["biopsy_culture"]
        assert "wr_biopsy_infected_nonunion" in [r.rule_id for r in item.reasons]
        assert item.priority == 1


# -- work-up wording ---------------------------------------------------------------------------------


class TestWorkupWording:
    def test_crp_entered_and_esr_missing_says_exactly_esr(self, pack):
        a = run(pack, case("tlif", 400, labs=[lab("crp", 5, "mg/L", 1)]))
        assert workup(a)["esr_crp"].label == "ESR"

    def test_esr_entered_and_crp_missing_says_exactly_crp(self, pack):
        a = run(pack, case("tlif", 400, labs=[lab("esr", 10, "mm/h", 1)]))
        assert workup(a)["esr_crp"].label == "CRP"

    def test_neither_entered_says_both(self, pack):
        assert workup(run(pack, case("tlif", 400)))["esr_crp"].label == "ESR and CRP"

    def test_albumin_entered_names_the_missing_part(self, pack):
        data = case("tlif", 400, labs=[lab("albumin", 3.9, "g/dL", 1)])
        data["surgeries"].append({"procedure": "discectomy", "region": "lumbar", "levels": ["L3-L4"],
                                  "date": day(900)})
        assert workup(run(pack, data))["nutrition_labs"].label == "Transferrin or prealbumin"

    def test_flexion_extension_films_keep_their_own_reason(self, pack):
        imaging = [{"modality": "ct", "date": day(5), "findings": [{"code": "nonunion", "level": "L4-L5"}]}]
        a = run(pack, case("tlif", 400, imaging=imaging))
        items = workup(a)
        assert "xray" not in items, "plain films are covered by the flexion-extension series"
        fe = items["flexion_extension_xray"]
        own = [r for r in fe.reasons if r.for_test is None]
        assert own and all("alignment and the position of implants" not in r.reason for r in own)
        covered = [r for r in fe.reasons if r.for_test == "xray"]
        assert covered and all(r.reason.startswith("Also covers radiographs") for r in covered)

    def test_each_item_names_the_candidates_it_separates(self, pack):
        imaging = [{"modality": "ct", "date": day(5), "findings": [{"code": "nonunion", "level": "L4-L5"}]}]
        a = run(pack, case("tlif", 400, imaging=imaging))
        fe = workup(a)["flexion_extension_xray"]
        assert "pseudarthrosis" in fe.separates
        leading = {c.cause for c in a.differential[:3]}
        for item in a.workup:
            assert set(item.separates) <= leading | {m.cause for m in a.mimics}

    def test_no_medial_branch_blocks_in_an_acute_deep_infection(self, pack):
        imaging = [{"modality": "mri_contrast", "date": day(1), "findings": [
            {"code": "epidural_abscess", "level": "L4-L5"}, {"code": "facet_effusion", "level": "L4-L5"}]}]
        a = run(pack, case("discectomy", 21, imaging=imaging, exam={"temperature_c": 38.9}))
        assert "medial_branch_block" not in workup(a)
        assert "si_joint_block" not in workup(a)


# -- bone health -------------------------------------------------------------------------------------


def nonunion_case(**extra: Any) -> dict[str, Any]:
    imaging = [{"modality": "ct", "date": day(5), "findings": [{"code": "nonunion", "level": "L4-L5"}]}]
    return case("tlif", 400, imaging=imaging, **extra)


class TestBoneHealth:
    def test_61_year_old_female_heavy_smoker_before_reinstrumentation_gets_bone_density(self, pack):
        data = nonunion_case(patient={"sex": "female", "age": 61},
                             risk_factors={"smoking": "current", "pack_years": 40})
        items = workup(run(pack, data))
        assert "dexa" in items
        assert {"wr_dexa_risk", "wr_dexa_risk_instrumentation"} <= {r.rule_id for r in items["dexa"].reasons}

    def test_hounsfield_units_from_the_ct_she_already_has(self, pack):
        data = nonunion_case(patient={"sex": "female", "age": 61}, risk_factors={"smoking": "current"})
        item = workup(run(pack, data))["ct_hounsfield"]
        assert "160 HU" in item.reasons[0].reason and "Pickhardt2013" in item.reasons[0].citations

    def test_no_hounsfield_item_without_a_ct(self, pack):
        data = case("tlif", 400, patient={"sex": "female", "age": 61}, risk_factors={"smoking": "current"})
        assert "ct_hounsfield" not in workup(run(pack, data))

    def test_hounsfield_units_recorded_are_done_and_low_values_call_for_dexa(self, pack):
        data = nonunion_case(patient={"sex": "male", "age": 45}, risk_factors={"ct_hounsfield_l1": 105})
        items = workup(run(pack, data))
        assert "ct_hounsfield" not in items
        assert "dexa" in items  # 110 HU or less: osteoporosis likely (Pickhardt 2013)

    def test_screening_ages(self, pack):
        # USPSTF 2025 / BHOF 2022: women from 65, men from 70; men 65-69 only before (re-)instrumentation.
        def dexa(sex: str, age: int, procedure: str) -> bool:
            return "dexa" in workup(run(pack, case(procedure, 400, patient={"sex": sex, "age": age})))

        assert dexa("female", 65, "discectomy")
        assert not dexa("female", 64, "discectomy")
        assert dexa("male", 70, "discectomy")
        assert not dexa("male", 67, "discectomy")
        assert dexa("male", 67, "tlif")
        assert not dexa("male", 45, "tlif")

    def test_glucocorticoids_at_any_adult_age(self, pack):
        data = case("discectomy", 400, patient={"sex": "male", "age": 35}, risk_factors={"chronic_steroids": True})
        assert "dexa" in workup(run(pack, data))


# -- risk factors ------------------------------------------------------------------------------------


class TestRiskFactors:
    def test_albumin_low_during_infection_says_it_is_partly_caused_by_it(self, pack):
        a = run(pack, case("tlif", 400, labs=[lab("albumin", 2.9, "g/dL", 1)]))
        rf = next(r for r in a.risk_factors if r.rule_id == "rf_albumin")
        assert rf.advisory_when_never_deferred
        assert rf.advisory_note and "caused by the infection" in rf.advisory_note

    def test_every_blocking_risk_is_advisory_when_the_lead_is_never_deferred(self, pack):
        for rule in pack.risk_factors.values():
            if rule.blocks_revision_until_met:
                assert rule.advisory_when_never_deferred and rule.advisory_note, rule.id

    def test_smoking_cites_glassman_for_staying_off_after_surgery_not_for_preoperative_duration(self, pack):
        rule = pack.risk_factors["rf_smoking"]
        assert "Glassman2000" in rule.citations
        assert "17.1%" in rule.effect and "after surgery" in rule.effect
        assert "made no difference" in rule.effect


# -- bad input ---------------------------------------------------------------------------------------


def test_an_implausible_esr_is_rejected_naming_the_field(pack):
    with pytest.raises(InputError) as exc:
        parse_case(case("tlif", 400, labs=[lab("esr", 900, "mm/h", 1)]), pack, today=ASSESSED)
    assert any(p.path.startswith("labs[0]") for p in exc.value.problems)


def test_an_esr_in_the_wrong_unit_is_rejected_naming_the_field(pack):
    with pytest.raises(InputError) as exc:
        parse_case(case("tlif", 400, labs=[lab("esr", 40, "mg/L", 1)]), pack, today=ASSESSED)
    assert any(p.path.startswith("labs[0]") for p in exc.value.problems)


# -- nicotine replacement: cotinine cannot be read, anabasine can (Jacob 2002) -------------------------


class TestNicotineReplacement:
    def smoker(self, pack: KnowledgePack, labs: list[dict[str, Any]] | None = None) -> Assessment:
        return run(pack, nonunion_case(risk_factors={"smoking": "current", "nicotine_replacement": True},
                                       labs=labs or []))

    def test_on_replacement_the_workup_asks_for_anabasine_not_cotinine(self, pack):
        items = workup(self.smoker(pack))
        assert "tobacco_alkaloids" in items and "cotinine" not in items
        assert "cannot show tobacco use" in items["tobacco_alkaloids"].reasons[0].reason

    def test_the_risk_factor_says_why_cotinine_cannot_be_read(self, pack):
        a = self.smoker(pack, [lab("cotinine", 150, "ng/mL", 1)])
        rf = next(r for r in a.risk_factors if r.rule_id == "rf_smoking")
        assert any("cotinine cannot be read" in c for c in rf.caveats)
        assert "Jacob2002Anabasine" in rf.citations

    def test_a_negative_anabasine_meets_the_target(self, pack):
        a = self.smoker(pack, [lab("cotinine", 150, "ng/mL", 1), lab("anabasine", 1, "ng/mL", 1)])
        assert not {"rf_smoking", "rf_tobacco_alkaloids"} & {r.rule_id for r in a.risk_factors}
        assert "tobacco_alkaloids" not in workup(a)
        assert all("smoking" not in r.lower() for r in a.decision.reasons)

    def test_a_positive_anabasine_shows_tobacco_use(self, pack):
        a = self.smoker(pack, [lab("anabasine", 12, "ng/mL", 1)])
        rf = next(r for r in a.risk_factors if r.rule_id == "rf_tobacco_alkaloids")
        assert rf.blocks_revision_until_met

    def test_without_replacement_cotinine_is_asked_for(self, pack):
        items = workup(run(pack, nonunion_case(risk_factors={"smoking": "current"})))
        assert "cotinine" in items and "tobacco_alkaloids" not in items


def test_a_confirmed_si_joint_lead_is_not_routed_to_spinal_revision_tests(pack):
    surgery = {"procedure": "tlif", "region": "lumbar", "levels": ["L5-S1"], "date": day(400), "instrumented": True}
    data = {
        "case_id": "si", "assessment_date": ASSESSED.isoformat(), "surgeries": [surgery],
        "symptoms": {"symptoms": ["back_pain", "buttock_pain"]},
        "exam": {"fortin_finger_test": True},
        "imaging": [{"modality": "ct", "date": day(30), "findings": []}],
        "blocks": [{"type": "si_joint", "side": "left", "relief_percent": 85, "paradigm": "comparative",
                    "date": day(10)}],
    }
    a = run(pack, data)
    assert a.leading == "si_joint_pain", a.leading_note
    items = workup(a)
    assert not {"esr_crp", "xray", "standing_full_length_xray", "flexion_extension_xray"} & set(items)


def test_with_no_leading_cause_the_work_up_separates_every_top_candidate(pack):
    """Axial pain two years after a solid L4-S1 fusion: no finding supports one cause (axial pain fits discogenic
    pain, a non-union and SI-joint pain alike), so the work-up must hold the test of each top candidate, the SI joint
    block included (after fusion to the sacrum, blocks identify the generator before any revision: Cohen 2020, the
    facet consensus; Polly 2016). Before, only the causes a shared pattern fitted got their tests."""
    surgery = {"procedure": "posterolateral_fusion", "region": "lumbar", "levels": ["L4-L5", "L5-S1"],
               "date": day(900), "instrumented": True}
    data = {
        "case_id": "axial", "assessment_date": ASSESSED.isoformat(), "surgeries": [surgery],
        "symptoms": {"symptoms": ["back_pain"], "denied": ["leg_pain", "fever", "night_pain"],
                     "onset_days_after_surgery": 240, "pattern": "axial", "trend": "stable"},
        "exam": {"motor_deficit": "none"},
        "imaging": [{"modality": "ct", "date": day(10), "findings": [{"code": "solid_fusion", "level": "L4-L5"},
                                                                    {"code": "solid_fusion", "level": "L5-S1"}]}],
    }
    a = run(pack, data)
    assert a.leading is None, a.leading_note
    top = [c.cause for c in a.differential[:3]]
    assert "si_joint_pain" in top
    items = workup(a)
    assert "si_joint_block" in items
    assert "si_joint_pain" in items["si_joint_block"].separates
