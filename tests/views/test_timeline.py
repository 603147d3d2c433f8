"""The timeline: dates against the pack's windows, drawn as a deterministic, accessible SVG."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from revspine.views import build_timeline, timeline_svg
from revspine.views.timeline import EARLIER_CUTOFF_DAYS, TimelineEvent, TimelineView

from .conftest import CASES, GOLDEN, Built, build

SVG = "{http://www.w3.org/2000/svg}"


def test_golden_svg_of_the_infection_case(infection: Built):
    """Byte-for-byte the stored drawing. After a deliberate change: REVSPINE_UPDATE_GOLDEN=1 pytest."""
    svg = timeline_svg(infection.view.timeline)
    golden = GOLDEN / "timeline_infection.svg"
    if os.environ.get("REVSPINE_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(svg + "\n", encoding="utf-8")
    assert svg + "\n" == golden.read_text(encoding="utf-8")


def test_same_view_same_bytes(infection: Built, pack):
    again = build(CASES / "infection_red_flags.json", pack, patient_label="Ward 7 bed 3", assessment_id="17")
    assert timeline_svg(again.view.timeline) == timeline_svg(infection.view.timeline)


def test_windows_are_the_packs_counted_from_the_index_operation(infection: Built, pack):
    tl = infection.view.timeline
    index = infection.assessment.index_surgery
    assert index is not None and tl.index_date == index.date == date(2026, 1, 12)
    assert [b.window for b in tl.bands] == [w.id for w in pack.timing.windows]
    for band, w in zip(tl.bands, pack.timing.windows, strict=True):
        assert (band.start_day, band.end_day) == (w.start_day, w.end_day)
        assert band.start == index.date + timedelta(days=w.start_day)
        assert band.end == (None if w.end_day is None else index.date + timedelta(days=w.end_day))
    # Onset on day 18 is in the early window, and only that band is marked.
    assert [b.window for b in tl.bands if b.current] == ["early"] == [infection.assessment.timing_window.window]


def test_plots_operations_onset_labs_and_lists_what_is_long_before(infection: Built):
    tl = infection.view.timeline
    kinds = [e.kind for e in tl.events]
    assert kinds.count("surgery") == 1 and "onset" in kinds and "assessment" in kinds
    onset = next(e for e in tl.events if e.kind == "onset")
    assert onset.date == date(2026, 1, 30) and onset.day == 18
    # The 2019 discectomy is more than EARLIER_CUTOFF_DAYS before the index operation: listed, not plotted.
    assert [(e.kind, e.date) for e in tl.earlier] == [("surgery", date(2019, 4, 2))]
    assert tl.start > date(2026, 1, 12) - timedelta(days=EARLIER_CUTOFF_DAYS)
    assert [s.test for s in tl.labs][:2] == ["crp", "esr"], "CRP and ESR panels come first"
    crp = tl.labs[0]
    assert [p.value for p in crp.points] == [95, 40, 62, 88] and crp.threshold == 10
    # 62 then 88 mg/L after the day-3 peak: the trend (a second rise) is read before the day of one value
    assert crp.points[-1].alert and crp.points[-1].status == "second_rise"


def test_svg_is_accessible_well_formed_and_has_dates_on_the_axis(infection: Built):
    svg = timeline_svg(infection.view.timeline)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert desc.text == infection.view.timeline.summary
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "Feb 2026" in texts and "Mar 2026" in texts
    assert any(t.startswith("Index: PLIF L4-L5, L5-S1") for t in texts)  # clinical labels, not codes
    assert "Onset, day 18" in texts and "C-reactive protein (mg/L); dashed line: threshold 10 mg/L" in texts
    assert "<script" not in svg and "onload" not in svg


def test_no_operation_means_no_windows_and_says_so(pack):
    b = build(CASES / "no_surgery_recorded.json", pack)
    tl = b.view.timeline
    assert tl.bands == [] and tl.index_date is None and tl.earlier == []
    assert "no operation recorded" in tl.summary
    assert [(e.kind, e.date, e.day) for e in tl.events if e.kind == "onset"] == [("onset", date(2026, 3, 1), None)]
    ET.fromstring(timeline_svg(tl))


def test_labels_in_the_svg_are_escaped():
    hostile = '<script>alert("x")</script> & "quotes"'
    tl = TimelineView(
        start=date(2026, 1, 1), end=date(2026, 3, 1), index_date=None, bands=[], labs=[], summary=hostile,
        events=[TimelineEvent(kind="surgery", date=date(2026, 1, 10), day=None, label=hostile, is_index=False)],
        earlier=[TimelineEvent(kind="lab", date=date(2025, 1, 10), day=None, label=hostile, is_index=False)],
    )
    svg = timeline_svg(tl)
    assert "<script>" not in svg
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}desc").text == hostile  # escaped in the markup, intact as text


def test_id_prefix_must_be_a_plain_name(infection: Built):
    with pytest.raises(ValueError, match="id_prefix"):
        timeline_svg(infection.view.timeline, id_prefix='x" onload="alert(1)')
    assert 'id="old-title"' in timeline_svg(infection.view.timeline, id_prefix="old")


def test_build_timeline_is_the_views_timeline(infection: Built, pack):
    assert build_timeline(infection.assessment, infection.case, pack) == infection.view.timeline
