"""Worked examples of the ranking model and the decision (docs/reasoning.md).

Each test builds a situation and checks the engine reads it the way the model says: priors on one
denominator, findings looked for and absent, evidence tiers, the lead, and a decision that moves on.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from revspine.knowledge import schema

from .test_rules_worked_examples import case, cause, day, expected_score, run


def mri(days_ago: int, *findings: dict[str, Any], modality: str = "mri") -> dict[str, Any]:
    return {"modality": modality, "date": day(days_ago), "findings": list(findings)}


# -- priors on one denominator ---------------------------------------------------------------------------


def test_per_operation_incidences_are_converted_to_shares_of_early_presentations(pack):
    # Amiri 2013: 0.22% of operations; Smith 2011: 2.1%; LPDT 2015: 0.83%; all / 12.5% presenting early
    # (Ogunsola 2024).
    for cid, incidence in (("hematoma", 0.22), ("infection", 2.1), ("dural_tear", 0.83)):
        prior = pack.causes[cid].prior
        assert prior.window == "early" and "Ogunsola2024" in prior.citations
        assert prior.value == pytest.approx(incidence / 12.5, abs=0.001)


def test_a_prior_never_counts_its_own_window_twice(pack):
    for c in pack.causes.values():
        assert c.prior.window not in c.timing, c.id
    body = pack.causes["recurrent_stenosis"].model_dump()
    body["timing"] = {"late": {"weight": 2, "citations": ["Waguespack2002abs"], "reason": "late"}}
    with pytest.raises(ValidationError, match="count that window twice"):
        schema.Cause.model_validate(body)


def test_mody_is_no_longer_a_prior_and_expert_assigned_priors_say_why(pack):
    for c in pack.causes.values():
        assert "Mody2014" not in c.prior.citations, c.id
        if not c.prior.published:
            assert "Expert-assigned" in c.prior.basis, c.id


def test_every_ordinal_band_names_its_basis(pack):
    a = run(pack, case("laminectomy", 400, symptoms={"symptoms": ["leg_pain"], "pattern": "radicular"}))
    items = [e for c in (*a.differential, *a.mimics) for e in (*c.supporting, *c.opposing)]
    assert items and all(e.basis for e in items if e.kind == "ordinal")


# -- absent findings --------------------------------------------------------------------------------------


def test_recurrent_stenosis_without_leg_symptoms_is_lowered_only_when_the_pattern_is_recorded(pack):
    unknown = cause(run(pack, case("laminectomy", 800, symptoms={"symptoms": ["back_pain"]})), "recurrent_stenosis")
    axial = cause(run(pack, case("laminectomy", 800, symptoms={"symptoms": ["back_pain"], "pattern": "axial"})),
                  "recurrent_stenosis")
    assert unknown.score == expected_score(0.29)  # not recorded: nothing changes
    assert axial.score == expected_score(0.29, 0.2)  # pattern axial: leg pain looked for and absent
    item = next(e for e in axial.opposing if e.status == "absent")
    assert item.inputs == ["symptoms.pattern = axial (recorded)"] and item.basis


def test_haematoma_is_lowered_by_a_clean_mri_after_the_onset_and_a_normal_motor_exam(pack):
    base = case("laminectomy", 5, symptoms={"symptoms": ["back_pain"], "onset_days_after_surgery": 2})
    clean = dict(base, imaging=[mri(1)], exam={"motor_deficit": "none"})
    h = cause(run(pack, clean), "hematoma")
    absent = {e.finding: e.factor for e in h.opposing if e.status == "absent"}
    assert absent == {"hematoma_mri": 0.1, "motor_deficit_new_or_unknown": 0.2}
    # an MRI taken before the onset says nothing about a haematoma that came later
    early_mri = dict(base, imaging=[mri(4)])
    assert "hematoma_mri" not in {e.finding for e in cause(run(pack, early_mri), "hematoma").opposing}


def test_a_test_not_done_is_unknown_not_negative(pack):
    a = run(pack, case("discectomy", 300, exam={"straight_leg_raise": "not_done"}))
    assert not any(q.startswith("exam.straight_leg_raise") for c in a.differential
                   for e in (*c.supporting, *c.opposing) for q in e.inputs)


# -- tiers and the lead ----------------------------------------------------------------------------------


def test_a_compressive_lesion_with_fitting_symptoms_confirms_and_outranks_priors(pack):
    data = case("laminectomy", 900, symptoms={"symptoms": ["leg_pain", "neurogenic_claudication"],
                                               "pattern": "radicular"},
                imaging=[mri(30, {"code": "central_stenosis", "level": "L4-L5"})])
    a = run(pack, data)
    assert a.leading == "recurrent_stenosis" and a.differential[0].tier == "confirmatory"
    assert all(c.rank > 1 for c in a.differential if c.tier == "none")


def test_a_lesion_without_fitting_symptoms_is_only_compatible_and_no_cause_leads(pack):
    data = case("laminectomy", 900, symptoms={"symptoms": ["back_pain"], "pattern": "axial"},
                imaging=[mri(30, {"code": "central_stenosis", "level": "L4-L5"})])
    a = run(pack, data)
    assert cause(a, "recurrent_stenosis").tier == "compatible"
    assert a.leading is None and a.leading_note.startswith("No leading cause yet")
    assert a.decision.rule_id == "d_no_lead" and a.decision.category == "workup_first"


def test_measured_translation_beyond_the_cited_threshold_confirms_instability(pack):
    # Iguchi 2011: 3 mm or more of translation on flexion-extension films.
    films = {"modality": "flexion_extension_xray", "date": day(20),
             "findings": [{"code": "translation", "level": "L4-L5", "value": 5, "unit": "mm"}]}
    a = run(pack, case("laminectomy", 700, symptoms={"symptoms": ["back_pain"], "pattern": "axial"},
                       imaging=[films]))
    inst = cause(a, "instability")
    assert inst.tier == "confirmatory" and a.leading == "instability"
    small = dict(films, findings=[{"code": "translation", "level": "L4-L5", "value": 2, "unit": "mm"}])
    b = run(pack, case("laminectomy", 700, symptoms={"symptoms": ["back_pain"]}, imaging=[small]))
    assert any(e.status == "absent" and e.factor == 0.2 for e in cause(b, "instability").opposing)


def test_the_score_is_said_to_be_per_cause_and_not_a_share(pack):
    a = run(pack, case())
    assert "not a share across causes" in a.uncertainties[0]


# -- the decision ---------------------------------------------------------------------------------------


def test_a_confirmed_non_union_is_not_held_back_by_a_missing_cotinine(pack):
    data = case("tlif", 400, symptoms={"symptoms": ["back_pain"], "pattern": "axial"},
                risk_factors={"smoking": "never"},
                imaging=[mri(30, {"code": "nonunion", "level": "L4-L5"}, modality="ct")],
                labs=[{"test": "crp", "value": 2, "unit": "mg/L", "date": day(30)},
                      {"test": "esr", "value": 10, "unit": "mm/h", "date": day(30)}])
    a = run(pack, data)
    assert a.leading == "pseudarthrosis" and a.decision.category == "revision"


def test_a_culture_proven_implant_infection_is_not_deferred_for_optimisation(pack):
    data = case("tlif", 500, symptoms={"symptoms": ["back_pain"]},
                risk_factors={"diabetes": True, "smoking": "current"},
                imaging=[mri(20, {"code": "peri_screw_lucency", "level": "L4-L5", "value": 2, "unit": "mm"},
                             modality="ct")],
                cultures=[{"date": day(10), "specimen": "biopsy", "result": "positive", "organism": "S. aureus"}],
                labs=[{"test": "hba1c", "value": 9.1, "unit": "%", "date": day(10)},
                      {"test": "albumin", "value": 29, "unit": "g/L", "date": day(10)}])
    a = run(pack, data)
    assert a.leading == "infection"
    assert a.decision.rule_id in {"d_urgent", "d_not_deferred"} and a.decision.category in {"urgent", "revision"}


def test_a_confirmed_si_joint_pain_goes_to_its_own_pathway(pack):
    blocks = [{"type": "si_joint", "relief_percent": 85, "paradigm": "comparative", "date": day(10)}]
    a = run(pack, case("tlif", 600, symptoms={"symptoms": ["buttock_pain", "back_pain"]}, blocks=blocks,
                       imaging=[mri(40, modality="ct")]))
    assert a.leading == "si_joint_pain"
    assert a.decision.rule_id == "d_mimic" and a.decision.category == "non_surgical"


def test_a_lead_without_support_never_gives_non_surgical_for_being_not_correctable(pack):
    a = run(pack, case("laminectomy", 800, symptoms={"symptoms": ["back_pain"]}, imaging=[mri(30)]))
    assert a.leading is None
    assert a.decision.rule_id == "d_no_lead" and "separate" in a.decision.reasons[-1]


def test_nicotine_replacement_is_not_held_back_by_an_unreadable_cotinine(pack):
    data = case("tlif", 400, symptoms={"symptoms": ["back_pain"], "pattern": "axial"},
                risk_factors={"smoking": "former", "nicotine_replacement": True},
                imaging=[mri(30, {"code": "nonunion", "level": "L4-L5"}, modality="ct")],
                labs=[{"test": "cotinine", "value": 150, "unit": "ng/mL", "date": day(20)},
                      {"test": "crp", "value": 2, "unit": "mg/L", "date": day(30)},
                      {"test": "esr", "value": 10, "unit": "mm/h", "date": day(30)}])
    a = run(pack, data)
    assert a.leading == "pseudarthrosis"
    assert a.decision.category == "revision", a.decision.reasons
    assert any("anabasine" in r for r in a.decision.reasons)
    smoking = dict(data, risk_factors={"smoking": "current", "nicotine_replacement": True})
    assert run(pack, smoking).decision.category == "revision_after_optimisation"  # still smoking: it holds


# -- cultures weighed by the number of samples and the organism (Osmon 2013, IDSA) -------------------------


def _culture(**extra: Any) -> dict[str, Any]:
    return {"date": day(3), "specimen": "biopsy", "result": "positive", **extra}


def _loose_screws() -> list[dict[str, Any]]:
    return [mri(5, {"code": "peri_screw_lucency", "level": "L4-L5", "value": 2, "unit": "mm"}, modality="ct")]


def _culture_item(a, finding: str):
    return next(i for i in cause(a, "infection").supporting if i.finding == finding)


def test_a_single_sample_of_a_skin_commensal_moves_infection_only_modestly(pack):
    single = run(pack, case("tlif", 500, imaging=_loose_screws(), cultures=[
        _culture(organism="Cutibacterium acnes", samples_positive=1, samples_total=5, organism_virulence="low")]))
    two = run(pack, case("tlif", 500, imaging=_loose_screws(), cultures=[
        _culture(organism="Cutibacterium acnes", samples_positive=2, samples_total=5, organism_virulence="low")]))
    item = _culture_item(single, "culture_possible_contaminant")
    assert item.tier == "supportive" and item.weight == 1 and "contaminant" in item.reason
    assert cause(single, "infection").tier != "confirmatory"
    assert "culture_unspecified" not in [i.finding for i in cause(single, "infection").supporting]
    assert _culture_item(two, "culture_definite").tier == "confirmatory"
    assert cause(two, "infection").tier == "confirmatory"
    assert cause(two, "infection").score > cause(single, "infection").score


def test_a_culture_grade_takes_its_sample_threshold_from_the_pack():
    from revspine.engine.predicates import check_finding

    graded = {"specimens": ["biopsy"], "results": ["positive"], "grade": ["definite"]}
    missing = schema.Finding(id="x", label="x", predicate="culture", params=graded, citations=["Osmon2013IDSA"])
    assert "definite_samples" in (check_finding(missing) or "")
    given = missing.model_copy(update={"params": {**graded, "definite_samples": 2}})
    assert check_finding(given) is None


def test_a_virulent_organism_confirms_and_an_unrecorded_count_is_not_read_as_a_contaminant(pack):
    aureus = run(pack, case("tlif", 40, cultures=[_culture(organism="Staphylococcus aureus", samples_positive=1,
                                                           organism_virulence="high")]))
    assert cause(aureus, "infection").tier == "confirmatory" and aureus.leading == "infection"
    unknown = run(pack, case("tlif", 40, cultures=[_culture(organism="Cutibacterium acnes")]))
    item = _culture_item(unknown, "culture_unspecified")
    assert item.tier == "confirmatory" and "record them" in item.reason
    # A second, contaminant-grade culture never takes away what the first one showed (monotone).
    both = run(pack, case("tlif", 40, cultures=[_culture(organism="Cutibacterium acnes"), _culture(
        organism="Staphylococcus epidermidis", samples_positive=1, organism_virulence="low")]))
    assert {"culture_unspecified", "culture_possible_contaminant"} <= {
        i.finding for i in cause(both, "infection").supporting}
    assert cause(both, "infection").score >= cause(unknown, "infection").score


# -- residual is not recurrent; neck haematoma; a non-surgical conclusion waits for an open alternative -----


def test_compression_the_operation_never_relieved_is_residual_not_recurrent(pack):
    # Burton 1981: inadequately treated stenosis and persistent disc herniation were the commonest causes of
    # failure; a compression reported as residual, with no relief at all, is not a recurrence.
    img = mri(1, {"code": "residual_compression_at_operated_level", "level": "L4-L5", "side": "left"},
              {"code": "nerve_root_compression", "level": "L4-L5", "side": "left"})
    a = run(pack, case("discectomy", 50, imaging=[img], symptoms={
        "symptoms": ["leg_pain"], "pattern": "radicular", "side": "left", "pain_free_interval": False}))
    assert a.leading == "wrong_level"
    stenosis = cause(a, "recurrent_stenosis")
    assert "stenosis_operated" not in [i.finding for i in stenosis.supporting if i.status == "present"]
    # The same compression after months of relief is a recurrence.
    img2 = mri(1, {"code": "foraminal_stenosis", "level": "L4-L5", "side": "left"})
    b = run(pack, case("discectomy", 900, imaging=[img2], symptoms={
        "symptoms": ["leg_pain"], "pattern": "radicular", "side": "left", "pain_free_interval": True}))
    assert b.leading == "recurrent_stenosis"


def test_neck_swelling_and_dysphagia_a_day_after_acdf_point_to_haematoma_not_infection(pack):
    data = {"case_id": "neck", "assessment_date": day(0),
            "surgeries": [{"procedure": "acdf", "region": "cervical", "levels": ["C5-C6"], "date": day(1),
                           "instrumented": True, "approach": "anterior"}],
            "symptoms": {"symptoms": ["neck_swelling", "dysphagia"], "onset_days_after_surgery": 1},
            "exam": {"neck_swelling": True},
            "imaging": [mri(0, {"code": "prevertebral_soft_tissue_swelling"}, {"code": "fluid_collection"})]}
    a = run(pack, data)
    assert a.leading == "hematoma" and a.decision.category == "urgent"
    assert "fluid_collection" not in [i.finding for i in cause(a, "infection").supporting if i.status == "present"]


def test_non_surgical_is_not_concluded_while_a_correctable_cause_has_unexplained_findings(pack):
    # Arachnoiditis pattern (not correctable, supportive) beside a CSF collection after a durotomy (correctable).
    imaging = [mri(7, {"code": "fluid_collection", "level": "L4-L5"}, {"code": "empty_thecal_sac", "level": "L4-L5"}),
               mri(1, {"code": "clumped_nerve_roots", "level": "L2-L3"}, modality="ct_myelogram")]
    data = case("laminectomy", 170, imaging=imaging,
                symptoms={"symptoms": ["leg_pain"], "pattern": "radicular", "trend": "worsening"})
    data["surgeries"][0]["incidental_durotomy"] = True
    a = run(pack, data)
    assert a.leading == "neuropathic_pain" and a.decision.category == "workup_first"
    assert any("Non-surgical care is not concluded yet" in r and "Dural tear" in r for r in a.decision.reasons)
    # Without the collection nothing correctable is left open: non-surgical care.
    data["imaging"] = [imaging[1]]
    data["surgeries"][0]["incidental_durotomy"] = False
    assert run(pack, data).decision.category == "non_surgical"


# -- priors by family of index operation (DePalma 2011: 28 patients after lumbar fusion) --------------------


def test_after_a_lumbar_fusion_the_priors_are_read_from_the_post_fusion_cohort(pack):
    fused = run(pack, case("tlif", 900))
    decompressed = run(pack, case("laminectomy", 900))
    expect = {"si_joint_pain": 12 / 28, "discogenic_pain": 7 / 28, "facet_pain": 5 / 28}
    for cid, share in expect.items():
        c = cause(fused, cid)
        assert c.prior == pytest.approx(share, abs=0.005) and "After a lumbar fusion" in c.prior_basis
        assert "DePalma2011fusion" in c.citations
        assert cause(decompressed, cid).prior == pack.causes[cid].prior.value
    # The post-fusion cohort is lumbar: an anterior cervical fusion keeps the general prior.
    acdf = run(pack, {"case_id": "c", "assessment_date": day(0), "surgeries": [
        {"procedure": "acdf", "region": "cervical", "levels": ["C5-C6"], "date": day(900), "instrumented": True}]})
    facet = next((c for c in acdf.differential if c.cause == "facet_pain"), None)
    assert facet is None or facet.prior == pack.causes["facet_pain"].prior.value


def test_a_family_prior_must_cite_a_known_source(pack):
    body = pack.causes["si_joint_pain"].model_dump()
    body["prior"]["by_family"] = {"cervical_fusion": {"value": 0.1, "basis": "x", "citations": ["DePalma2011fusion"]}}
    with pytest.raises(ValidationError):
        schema.Cause.model_validate(body)


# -- a root injury is diagnosed once compression is excluded ------------------------------------------------


def _weak(days_ago: int, **extra: Any) -> dict[str, Any]:
    data = case("laminectomy", days_ago, symptoms={"symptoms": ["back_pain", "leg_pain"],
                                                   "onset_days_after_surgery": days_ago},
                exam={"motor": [{"myotome": "L4", "side": "left", "mrc": 3, "new_since_surgery": True}]})
    data["surgeries"][0]["levels"] = ["L3-L4", "L4-L5"]
    data.update(extra)
    return data


def test_a_new_deficit_on_day_3_is_led_by_haematoma_until_mri_excludes_compression(pack):
    a = run(pack, _weak(3))
    assert a.leading == "hematoma" and a.decision.category == "urgent"
    injury = cause(a, "neurological_injury")
    assert injury.tier != "confirmatory"
    assert {i.tier for i in injury.supporting if i.finding.startswith("motor_deficit")} == {"compatible"}
    # MRI after the onset without any compressive lesion: the root injury is confirmed and leads.
    clear = run(pack, _weak(3, imaging=[mri(0, {"code": "disc_degeneration", "level": "L2-L3"})]))
    assert clear.leading == "neurological_injury" and cause(clear, "neurological_injury").tier == "confirmatory"


def test_a_deficit_after_day_21_no_longer_weighs_for_haematoma(pack):
    late = run(pack, _weak(40))
    assert "motor_deficit_any" not in [i.finding for i in cause(late, "hematoma").supporting]
