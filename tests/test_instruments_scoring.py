"""Instrument scoring: published rules, bands at every cut-point, worked examples, bad input."""

from __future__ import annotations

import pytest

from revspine.errors import InputError
from revspine.instruments import get_instrument, instruments, read_total, score_items


def total(pack, inst, items):
    return score_items(inst, items, pack)


# -- ODI (Fairbank): sum / (5 x answered) x 100 ------------------------------------------------
def test_odi_worked_example_all_sections(pack):
    s = total(pack, "odi", [3, 2, 2, 1, 2, 2, 1, 1, 1, 1])  # 16 of 50
    assert s.total == 32 and s.band == "moderate disability"
    assert s.working == "16 / (5 x 10) x 100 = 32"


def test_odi_one_missing_section_drops_the_denominator_by_5(pack):
    s = total(pack, "odi", [3, 2, 2, 1, 2, 2, 1, None, 1, 2])  # 16 of 45
    assert s.total == pytest.approx(35.56, abs=0.005)  # the source prints 35.5%
    assert s.missing_items == [8] and s.warnings == []
    assert s.working == "16 / (5 x 9) x 100 = 35.56"


def test_odi_two_missing_sections_are_scored_and_flagged(pack):
    s = total(pack, "odi", [5, 5, 5, 5, 5, 5, 5, None, None, 5])
    assert s.total == 100 and s.missing_items == [8, 9]
    assert s.warnings and "2 items unanswered" in s.warnings[0]


@pytest.mark.parametrize(
    ("value", "band"),
    [(0, "minimal disability"), (20, "minimal disability"), (20.5, "moderate disability"), (40, "moderate disability"),
     (41, "severe disability"), (60, "severe disability"), (62, "crippled"), (80, "crippled"),
     (82, "bed-bound or exaggerating symptoms"), (100, "bed-bound or exaggerating symptoms")],
)
def test_odi_bands(pack, value, band):
    assert read_total("odi", value, pack).band == band


# -- NDI (Vernon): raw 0-50, mean of answered items added for a missing one -------------------
def test_ndi_mean_of_answered_items_for_a_missing_one(pack):
    s = total(pack, "ndi", [2, 2, 2, 2, 2, 2, 2, 2, 2, None])  # 18 + mean 2
    assert s.total == 20 and s.band == "moderate disability"
    assert "mean of answered items" in s.working


@pytest.mark.parametrize(
    ("value", "band"),
    [(4, "no disability"), (5, "mild disability"), (14, "mild disability"), (15, "moderate disability"),
     (24, "moderate disability"), (25, "severe disability"), (34, "severe disability"), (35, "complete disability")],
)
def test_ndi_bands(pack, value, band):
    assert read_total("ndi", value, pack).band == band


# -- pain NRS (Boonstra 2016: <=5 mild, 6-7 moderate, >=8 severe) --------------------------------
@pytest.mark.parametrize(("nrs", "band"), [(0, "no pain"), (1, "mild"), (5, "mild"), (6, "moderate"), (7, "moderate"),
                                           (8, "severe"), (10, "severe")])
def test_nrs_bands(pack, nrs, band):
    assert total(pack, "nrs_back", [nrs]).band == band
    assert total(pack, "nrs_leg", [nrs]).band == band


# -- painDETECT: 7 items 0-5, pattern -1/0/+1, radiation 0/2; <=12, 13-18, >=19 -------------------
def test_paindetect_range_and_bands(pack):
    low = total(pack, "paindetect", [0, 0, 0, 0, 0, 0, 0, -1, 0])
    high = total(pack, "paindetect", [5, 5, 5, 5, 5, 5, 5, 1, 2])
    assert (low.total, high.total) == (-1, 38)
    assert low.band.startswith("neuropathic component unlikely")
    assert high.band.startswith("neuropathic component likely")


@pytest.mark.parametrize(("total_", "band"), [(12, "unlikely"), (13, "ambiguous"), (18, "ambiguous"), (19, "likely")])
def test_paindetect_cut_points(pack, total_, band):
    assert band in read_total("paindetect", total_, pack).band


def test_paindetect_rejects_values_the_instrument_does_not_have(pack):
    with pytest.raises(InputError) as e:
        total(pack, "paindetect", [1, 1, 1, 1, 1, 1, 1, 2, 1])
    paths = [p.path for p in e.value.problems]
    assert paths == ["items[7]", "items[8]"]
    assert "allowed: -1, 0, 1" in e.value.problems[0].message


# -- DN4: yes = 1, positive at 4 of 10 -------------------------------------------------------
def test_dn4_cut_off(pack):
    assert total(pack, "dn4", [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]).band.startswith("negative")
    assert total(pack, "dn4", [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]).band.startswith("positive")


# -- STarT Back: total 0-9; psychosocial subscale = items 5-9 --------------------------------
@pytest.mark.parametrize(
    ("items", "total_", "sub", "band"),
    [
        ([1, 1, 1, 0, 0, 0, 0, 0, 0], 3, 0, "low risk"),
        ([1, 1, 1, 1, 1, 1, 1, 0, 0], 7, 3, "medium risk"),
        ([0, 0, 0, 0, 1, 1, 1, 1, 0], 4, 4, "high risk"),
        ([1, 1, 1, 1, 1, 1, 1, 1, 1], 9, 5, "high risk"),
        ([0, 0, 0, 1, 1, 1, 1, 0, 0], 4, 3, "medium risk"),
    ],
)
def test_start_back(pack, items, total_, sub, band):
    s = total(pack, "start_back", items)
    assert (s.total, s.subscales["psychosocial"], s.band) == (total_, sub, band)


def test_start_back_total_without_subscale_is_not_forced_into_a_band(pack):
    s = read_total("start_back", 6, pack)
    assert s.band == "not classifiable without the subscale" and s.warnings
    assert read_total("start_back", 2, pack).band == "low risk"


# -- PHQ-9 (Kroenke 2001) and GAD-7 (Spitzer 2006) -------------------------------------------
@pytest.mark.parametrize(
    ("value", "band"),
    [(4, "none or minimal"), (5, "mild depression"), (9, "mild depression"), (10, "moderate depression"),
     (14, "moderate depression"), (15, "moderately severe depression"), (19, "moderately severe depression"),
     (20, "severe depression"), (27, "severe depression")],
)
def test_phq9_cut_points(pack, value, band):
    assert read_total("phq9", value, pack).band == band


def test_phq9_item_9_raises_an_alert(pack):
    assert total(pack, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0]).alerts == []
    s = total(pack, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert s.alerts and "suicide" in s.alerts[0] and "Uebelacker2011" in s.citations


@pytest.mark.parametrize(
    ("value", "band"),
    [(4, "minimal anxiety"), (5, "mild anxiety"), (9, "mild anxiety"), (10, "moderate anxiety"),
     (14, "moderate anxiety"), (15, "severe anxiety"), (21, "severe anxiety")],
)
def test_gad7_cut_points(pack, value, band):
    assert read_total("gad7", value, pack).band == band


# -- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("inst", "items", "path", "words"),
    [
        ("odi", [1, 2, 3], "items", "has 10 items; 3 given"),
        ("odi", [1, 2, 3, 4, 5, 6, 1, 1, 1, 1], "items[5]", "allowed: 0, 1, 2, 3, 4, 5"),
        ("phq9", [1, 1, 1, 1, None, 1, 1, 1, 1], "items[4]", "unanswered"),
        ("gad7", [True, 0, 0, 0, 0, 0, 0], "items[0]", "allowed"),
        ("odi", [None] * 10, "items", "no item is answered"),
    ],
)
def test_bad_items_name_the_item(pack, inst, items, path, words):
    with pytest.raises(InputError) as e:
        total(pack, inst, items)
    assert e.value.problems[0].path == path and words in e.value.problems[0].message


def test_unknown_instrument(pack):
    with pytest.raises(InputError) as e:
        total(pack, "sf36", [1])
    assert "odi" in e.value.problems[0].message


def test_total_out_of_range(pack):
    with pytest.raises(InputError):
        read_total("phq9", 28, pack)


# -- licences: wording ships only where allowed ------------------------------------------------
def test_question_text_ships_only_where_the_licence_allows(pack):
    shipped = {i.id for i in instruments(pack).values() if i.licence.text_shipped}
    assert shipped == {"phq9", "gad7", "nrs_back", "nrs_leg"}
    for inst in instruments(pack).values():
        has_text = any(item.text for item in inst.items) or bool(inst.stem)
        assert has_text == inst.licence.text_shipped, inst.id
    phq = get_instrument("phq9", pack)
    assert len([i for i in phq.items if i.text]) == 9 and phq.answer_labels["3"] == "Nearly every day"
