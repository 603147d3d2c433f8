"""A CDS card's `source` points to the source attributes (ONC HTI-1) of revspine's interventions."""

from __future__ import annotations

from revspine.cdshooks.service import PATIENT_VIEW

from .cds_support import call, hook_request, make_app, prefetch_for
from .fhir_samples import PID, fbss_resources


def test_card_source_links_to_the_source_attributes_and_evidence_is_not_a_patient_page(pack):
    app, _ = make_app()
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=hook_request("patient-view", PID,
                                                                                prefetch_for(fbss_resources())))
    [card] = r.json()["cards"]
    assert card["source"]["label"] == "revspine"
    assert card["source"]["url"] == "https://cds.test/knowledge/source-attributes"
    page = call(app, "GET", "/knowledge/source-attributes.json")
    if page.status_code == 200:  # the web app is mounted in this test app
        assert page.json()["interventions"]
    patient_pages = {c.url for c in pack.citations.values() if c.evidence_type == "patient_information" and c.url}
    assert not any(link["url"] in patient_pages for link in card.get("links", []))
