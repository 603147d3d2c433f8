"""ONC HTI-1 source attributes: worked out from the rules, shown by the CLI, the web page and CDS cards."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from revspine.cli.main import app
from revspine.knowledge.interventions import DEMOGRAPHIC_CATEGORIES, source_attributes

from .conftest import PASSWORD, new_patient
from .test_browser import live, page  # noqa: F401  (Playwright + Debian chromium fixture)

EXPECTED = {"red_flags", "decision_rules", "workup_rules", "order_set"}
HTI1 = ("developer", "funding_source", "release_date", "revision_date", "bibliographic_citations", "uses")


def test_every_intervention_has_its_attributes(pack):
    got = {a.id: a for a in source_attributes(pack)}
    assert set(got) == EXPECTED
    for a in got.values():
        for key in HTI1:
            assert getattr(a, key), (a.id, key)
        assert set(a.uses) == set(DEMOGRAPHIC_CATEGORIES)
        assert all(c["id"] in pack.citations for c in a.bibliographic_citations)
        assert a.revision_date == pack.info.released and a.knowledge_version == pack.version
    # worked out from the rules: bone-density screening reads age (age_65) and nothing reads race
    order = got["order_set"]
    assert order.uses["age"] and "age_65" in order.demographic_and_social_inputs[0].findings
    assert not any(a.uses[c] for a in got.values() for c in ("race", "ethnicity", "language",
                                                             "sexual_orientation", "gender_identity"))
    # the decision reads the ranked differential, so whatever the causes read counts for it
    decision = got["decision_rules"]
    cause_paths = {f.params.get("path") for c in pack.causes.values() for ev in c.evidence
                   if (f := pack.findings.get(ev.finding)) is not None}
    assert decision.uses["age"] == ("patient.age" in cause_paths)
    assert decision.uses["sex"] == ("patient.sex" in cause_paths)
    order_cites = {c["id"] for c in order.bibliographic_citations}
    assert {"Bratzler2013", "BerriosTorres2017", "Khan2022DrugAllergy"} <= order_cites


def test_cli_knowledge_json_includes_the_attributes_of_every_intervention():
    out = CliRunner().invoke(app, ["knowledge", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    by_id = {i["id"]: i for i in data["interventions"]}
    assert set(by_id) == EXPECTED
    for iv in by_id.values():
        for key in HTI1:
            assert iv[key], (iv["id"], key)
    text = CliRunner().invoke(app, ["knowledge"])
    assert "Source attributes (ONC HTI-1)" in text.output and "Funding source" in text.output


def test_the_page_has_a_json_twin_and_needs_a_login(browser, anon, pack):
    assert anon.get("/knowledge/source-attributes").status_code == 303
    html = browser.get("/knowledge/source-attributes")
    assert html.status_code == 200 and 'data-intervention="order_set"' in html.text
    js = browser.get("/knowledge/source-attributes.json").json()
    assert {i["id"] for i in js["interventions"]} == EXPECTED
    assert js["knowledge_version"] == pack.version


def test_each_assessment_links_to_the_source_attributes(browser, api, examples):
    pid = new_patient(api, "Source Person", "MRN-SRC")
    r = api.post(f"/api/patients/{pid}/assess", json=json.loads(examples[0].read_text()))
    aid = r.headers["X-Revspine-Assessment-Id"]
    assert 'href="/knowledge/source-attributes"' in browser.get(f"/assessments/{aid}").text


@pytest.mark.browser
@pytest.mark.slow
def test_browser_reads_the_source_attributes(page, pack):  # noqa: F811
    expected = {a.id: a for a in source_attributes(pack)}
    page.goto("/knowledge/source-attributes")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/knowledge/source-attributes")
    sections = page.locator("section.intervention")
    assert sections.count() == len(EXPECTED)
    for iid, attrs in expected.items():
        sec = page.locator(f'section[data-intervention="{iid}"]')
        assert sec.locator('dd[data-attr="developer"]').inner_text().startswith(attrs.developer)
        assert sec.locator('dd[data-attr="funding_source"]').inner_text() == attrs.funding_source
        assert sec.locator('dd[data-attr="release_date"]').inner_text() == attrs.release_date
        assert sec.locator('dd[data-attr="revision_date"]').inner_text().startswith(attrs.revision_date)
        for cat, used in attrs.uses.items():
            assert sec.locator(f'tr[data-use="{cat}"] td.used').inner_text() == ("yes" if used else "no")
        assert sec.locator("ol.citations li").count() == len(attrs.bibliographic_citations)
