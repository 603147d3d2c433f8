"""The patient's side: the printable handout and the offline question box, as documented views."""

from __future__ import annotations

import io

import pytest
from markupsafe import escape
from pypdf import PdfReader

from revspine.errors import InputError
from revspine.patient import NO_MATCH
from revspine.report import handout_html, handout_pdf
from revspine.views import HandoutView, QuestionAnswerView, answer_question, build_handout_view, render
from revspine.views.reference import field_paths

from .conftest import CASES, Built, build
from .test_assessment_view import Recorder

SCRIPT = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def flatback(pack) -> Built:
    return build(CASES / "plan_flatback_130kg_phq9.json", pack)


def test_handout_carries_the_explanation_and_every_answer(flatback: Built):
    h = build_handout_view(flatback.assessment, "Ms A. Example")
    assert h is not None
    pt = flatback.view.patient
    assert pt is not None
    assert h.title == pt.title and h.sections == pt.sections and h.answers == pt.answers
    doc = handout_html(h)
    assert doc.startswith("<!doctype html>") and "<script" not in doc and "<link" not in doc
    for s in h.sections:
        assert f'<h2>{escape(s.heading)}</h2>' in doc
        for p in s.paragraphs:
            assert str(escape(p.text)) in doc
    for a in h.answers:
        assert f'<dt id="q-{a.id}">{escape(a.question)}</dt>' in doc
    assert str(escape(h.footer)) in doc and "Ms A. Example" in doc
    assert doc == render("handout.html", handout=h.model_dump(mode="json"))


def test_handout_answers_can_be_chosen_and_unknown_ids_are_named(flatback: Built):
    h = build_handout_view(flatback.assessment, answer_ids=["recovery_time", "imaging"])
    assert h is not None and [a.id for a in h.answers] == ["recovery_time", "imaging"]
    with pytest.raises(InputError) as err:
        build_handout_view(flatback.assessment, answer_ids=["imaging", "no_such_answer"])
    assert [(p.path, p.message) for p in err.value.problems] == [("answer_ids[1]", "no answer 'no_such_answer'")]


def test_handout_pdf_reads_back(flatback: Built):
    h = build_handout_view(flatback.assessment, "Ms A. Example")
    assert h is not None
    pdf = handout_pdf(h)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert h.title in text and "Ms A. Example" in text
    assert h.answers[0].question in text
    assert "(This answer includes a note about you.)" in text or not any(a.personalised for a in h.answers)


def test_handout_escapes_the_patient_label(flatback: Built):
    h = build_handout_view(flatback.assessment, SCRIPT)
    assert h is not None
    doc = handout_html(h)
    assert SCRIPT not in doc and str(escape(SCRIPT)) in doc


def test_no_explanation_no_handout(flatback: Built):
    bare = flatback.assessment.model_copy(update={"patient": None})
    assert build_handout_view(bare) is None


def test_question_box_finds_the_answer_offline(flatback: Built, pack):
    found = answer_question(flatback.assessment, "  how long until I can go back to work?  ", pack)
    assert found.found and found.message == ""
    assert found.question == "how long until I can go back to work?"
    assert found.matches[0].id == "recovery_time"
    assert [m.score for m in found.matches] == sorted((m.score for m in found.matches), reverse=True)
    assert {c.id for c in found.citations} == {c for m in found.matches for c in m.citations}


def test_question_box_swaps_in_this_patients_answer(pack, built_cases: list[Built]):
    b = next(b for b in built_cases
             if b.assessment.patient and any(a.personalised for a in b.assessment.patient.answers))
    mine = next(a for a in b.assessment.patient.answers if a.personalised)
    found = answer_question(b.assessment, mine.question, pack)
    top = found.matches[0]
    assert top.id == mine.id and top.answer == mine.answer and top.personalised
    general = answer_question(None, mine.question, pack).matches[0]
    assert general.id == mine.id and not general.personalised and len(general.answer) < len(mine.answer)


def test_question_box_says_when_nothing_matches(flatback: Built, pack):
    found = answer_question(flatback.assessment, "zzzz qqqq", pack)
    assert not found.found and found.matches == [] and found.message == NO_MATCH
    page = render("_question.html", found=found)
    assert str(escape(NO_MATCH)) in page


@pytest.mark.parametrize(("question", "top", "path"), [("", 3, "question"), ("   ", 3, "question"),
                                                        ("x" * 501, 3, "question"), ("pain", 0, "top")])
def test_question_box_rejects_bad_input_with_the_field(flatback: Built, pack, question: str, top: int, path: str):
    with pytest.raises(InputError) as err:
        answer_question(flatback.assessment, question, pack, top=top)
    assert [p.path for p in err.value.problems] == [path]


def test_question_page_escapes_and_renders_the_same_from_json(flatback: Built, pack):
    found = answer_question(flatback.assessment, f"scar tissue {SCRIPT}", pack)
    page = render("_question.html", found=found, question_action="/ask")
    assert SCRIPT not in page and str(escape(SCRIPT)) in page
    assert '<form class="rs-ask" method="get" action="/ask">' in page
    assert page == render("_question.html", found=found.model_dump(mode="json"), question_action="/ask")


def test_every_documented_field_of_the_patient_views_is_rendered(flatback: Built, pack):
    seen: set[str] = set()
    h = build_handout_view(flatback.assessment, "Ms A")
    assert h is not None
    render("handout.html", handout=Recorder(h, "", seen))
    assert field_paths(HandoutView) - seen == set()
    seen = set()
    for q in ("how long until I can go back to work", "zzzz"):
        render("_question.html", found=Recorder(answer_question(flatback.assessment, q, pack), "", seen))
    # the answer's id and match score are for the clinician's JSON twin, never shown to the patient
    assert field_paths(QuestionAnswerView) - seen == {"matches[].id", "matches[].score"}
