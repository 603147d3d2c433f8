"""Number entry cannot silently change a value: the server reads the text exactly as typed.

"3,5" typed into CRP once became 35 (a silent 10x error). Now anything but a plain decimal is a
field error naming the field, nothing is saved, and every problem of a submit is reported at once.
"""

from __future__ import annotations

import json

import pytest

from revspine.storage import records
from revspine.web.case_form import parse_number

from .conftest import case_form_data, csrf_from, new_patient


@pytest.mark.parametrize(("text", "value"), [("3.5", 3.5), ("35", 35.0), (" 0.4 ", 0.4), (".5", 0.5), ("-2", -2.0)])
def test_plain_decimals_are_read_exactly(text, value):
    assert parse_number(text) == (value, None)


@pytest.mark.parametrize(("text", "message"), [
    ("3,5", "use a decimal point: 3.5"),
    ("1e", "not a number"),
    ("7O", "not a number"),
    ("1e3", "not a number"),
    ("3.5.1", "not a number"),
    ("½", "not a number"),
    ("NaN", "not a number"),
    ("inf", "not a number"),
])
def test_anything_else_is_an_error_never_a_guess(text, message):
    value, problem = parse_number(text)
    assert value is None and problem is not None and message in problem


def test_a_whole_number_field_refuses_a_fraction():
    assert parse_number("61", integer=True) == (61, None)
    assert parse_number("61.5", integer=True)[0] is None


def _case(examples) -> dict:
    return json.loads(examples[0].read_text())


def _saved(env) -> int:
    with env.db.read() as s:
        return sum(len(records.list_cases(s, p.id)) for p in records.search_patients(s, "", limit=100, offset=0)[0])


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("labs[0].value", "3,5", "use a decimal point: 3.5"),
    ("patient.height_cm", "1e", "not a number"),
    ("patient.weight_kg", "7O", "not a number"),
])
def test_a_number_that_cannot_be_read_is_a_field_error_and_nothing_is_saved(browser, api, env, examples, field,
                                                                             typed, message):
    pid = new_patient(api)
    case = _case(examples)
    case["labs"] = [{"test": "crp", "value": 3.5, "unit": "mg/L", "date": case["assessment_date"]}]
    token = csrf_from(browser.get(f"/patients/{pid}/cases/new").text)
    data = case_form_data(case, token)
    data[field] = typed
    r = browser.post(f"/patients/{pid}/cases", data=data)
    assert r.status_code == 422
    assert message in r.text
    fid = "f-" + field.replace("[", "-").replace("].", "-").replace(".", "-")
    assert f'id="{fid}"' in r.text and f'value="{typed}"' in r.text  # kept as typed, beside its field
    assert _saved(env) == 0


def test_five_different_problems_are_all_reported_after_one_submit(browser, api, env, examples):
    pid = new_patient(api)
    case = _case(examples)
    day = case["assessment_date"]
    case["labs"] = [{"test": "crp", "value": 1, "unit": "mg/L", "date": day},
                    {"test": "crp", "value": 1, "unit": "mg/L", "date": day}]
    token = csrf_from(browser.get(f"/patients/{pid}/cases/new").text)
    data = case_form_data(case, token)
    data["labs[0].value"] = "3,5"                   # 1: comma decimal
    data["patient.height_cm"] = "1e"                # 2: not a number
    data["patient.weight_kg"] = "7O"                # 3: letter O for zero
    data["labs[1].date"] = "2999-01-01"             # 4: after the assessment date
    data["labs[1].unit"] = "ng/mL"                  # 5: not a unit for CRP
    r = browser.post(f"/patients/{pid}/cases", data=data)
    assert r.status_code == 422
    text = r.text
    assert "Please correct 5 problems" in text, text[text.find("problems"):][:2000]
    for needle in ("use a decimal point: 3.5", "“1e” is not a number", "“7O” is not a number",
                   "is after the assessment date", "is not a unit for crp"):
        assert needle in text
    assert _saved(env) == 0


def test_an_unusual_value_asks_for_confirmation_then_saves(browser, api, env, examples):
    pid = new_patient(api)
    token = csrf_from(browser.get(f"/patients/{pid}/cases/new").text)
    data = case_form_data(_case(examples), token)
    data["patient.height_cm"] = "100"  # possible (short stature), and a common slip for 160 or 180
    r = browser.post(f"/patients/{pid}/cases", data=data)
    assert r.status_code == 422 and "this value is correct" in r.text and _saved(env) == 0
    r = browser.post(f"/patients/{pid}/cases", data={**data, "_confirm": "patient.height_cm"})
    assert r.status_code == 303, r.text[:3000]
    assert _saved(env) == 1


def test_the_form_renders_numbers_as_text_and_units_and_levels_as_selects(browser, api):
    pid = new_patient(api)
    html = browser.get(f"/patients/{pid}/cases/new").text
    assert 'type="number"' not in html
    assert 'inputmode="decimal"' in html
    assert '<optgroup label="C-reactive protein"' in html.replace("CRP", "C-reactive protein") or "optgroup" in html
    assert '<optgroup label="Fusion and implants' in html
    assert ">Peri-screw lucency (mm)<" in html and ">L4-L5<" in html
