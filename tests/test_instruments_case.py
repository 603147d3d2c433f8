"""Item-level responses in the case: parse_case scores them into the questionnaire totals that
the engine's findings read, with errors that name the JSON path."""

from __future__ import annotations

import pytest

from revspine import assess, parse_case
from revspine.errors import InputError

from .conftest import TODAY
from .plan.cases import BASE, deep_merge

PHQ9_12 = [2, 2, 1, 1, 1, 2, 1, 2, 0]
STARTBACK_HIGH = [1, 0, 1, 0, 1, 1, 1, 1, 0]  # subscale 4
PAINDETECT_20 = [3, 3, 2, 4, 1, 2, 2, 1, 2]


def with_responses(pack, responses, **extra):
    return parse_case(deep_merge(BASE, {"instrument_responses": responses, **extra}), pack, today=TODAY)


def test_items_fill_the_questionnaire_totals(pack):
    c = with_responses(pack, [
        {"instrument": "odi", "date": "2026-09-01", "items": [3, 2, 2, 1, 2, 2, 1, None, 1, 2]},
        {"instrument": "phq9", "date": "2026-09-01", "items": PHQ9_12},
        {"instrument": "start_back", "date": "2026-09-01", "items": STARTBACK_HIGH},
        {"instrument": "paindetect", "date": "2026-09-01", "items": PAINDETECT_20},
        {"instrument": "nrs_leg", "date": "2026-09-01", "items": [7]},
    ])
    q = c.questionnaires
    assert q.odi == pytest.approx(35.56)
    assert (q.phq9, q.start_back_total, q.start_back_psychosocial, q.paindetect, q.nrs_leg) == (12, 6, 4, 20, 7)
    assert isinstance(q.phq9, int)


def test_the_engine_reads_the_scored_totals(pack):
    c = with_responses(pack, [
        {"instrument": "phq9", "date": "2026-09-01", "items": PHQ9_12},
        {"instrument": "start_back", "date": "2026-09-01", "items": STARTBACK_HIGH},
        {"instrument": "paindetect", "date": "2026-09-01", "items": PAINDETECT_20},
    ])
    a = assess(c, pack)
    rules = {r.rule_id for r in a.risk_factors}
    assert {"rf_depression", "rf_psychosocial"} <= rules
    assert a.instruments is not None
    assert {s.instrument for s in a.instruments.scores} == {"phq9", "start_back", "paindetect"}


def test_latest_response_wins_and_the_series_becomes_a_trend(pack):
    c = with_responses(pack, [
        {"instrument": "odi", "date": "2026-09-01", "total": 30},
        {"instrument": "odi", "date": "2025-12-01", "total": 52},
        {"instrument": "odi", "date": "2026-04-01", "items": [4, 3, 3, 3, 3, 3, 2, 2, 2, 3]},
    ])
    assert c.questionnaires.odi == 30
    a = assess(c, pack)
    (trend,) = a.instruments.trends
    assert [p.total for p in trend.points] == [52, 56, 30]
    assert trend.direction == "improved" and trend.change_points == -22


@pytest.mark.parametrize(
    ("response", "path", "words"),
    [
        ({"instrument": "odi", "date": "2026-09-01", "items": [1, 2]}, "instrument_responses[0].items", "10 items"),
        ({"instrument": "phq9", "date": "2026-09-01", "items": [0, 0, 0, 4, 0, 0, 0, 0, 0]},
         "instrument_responses[0].items[3]", "allowed: 0, 1, 2, 3"),
        ({"instrument": "sf36", "date": "2026-09-01", "total": 3}, "instrument_responses[0].instrument", "unknown"),
        ({"instrument": "gad7", "date": "2026-09-01", "total": 22}, "instrument_responses[0].total", "outside 0-21"),
        ({"instrument": "odi", "date": "2026-11-01", "total": 20}, "instrument_responses[0].date",
         "after the assessment"),
    ],
)
def test_errors_name_the_json_path(pack, response, path, words):
    with pytest.raises(InputError) as e:
        with_responses(pack, [response])
    assert any(p.path == path and words in p.message for p in e.value.problems), e.value.problems


def test_items_or_total_not_both(pack):
    with pytest.raises(InputError) as e:
        with_responses(pack, [{"instrument": "odi", "date": "2026-09-01", "total": 3, "items": [0] * 10}])
    assert e.value.problems[0].path == "instrument_responses[0]"


def test_a_disagreeing_total_is_an_error_unless_it_is_newer(pack):
    resp = [{"instrument": "phq9", "date": "2026-09-01", "items": PHQ9_12}]
    with pytest.raises(InputError) as e:
        with_responses(pack, resp, questionnaires={"phq9": 3})
    assert e.value.problems[0].path == "questionnaires.phq9" and "scores 12" in e.value.problems[0].message
    newer = with_responses(pack, resp, questionnaires={"phq9": 3, "date": "2026-09-20"})
    assert newer.questionnaires.phq9 == 3
    same = with_responses(pack, resp, questionnaires={"phq9": 12})
    assert same.questionnaires.phq9 == 12
