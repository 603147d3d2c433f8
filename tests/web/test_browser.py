"""A clinician's visit in a real browser: Playwright driving Debian's chromium.

Screenshots go to tests/artifacts/ (git-ignored) as test artefacts.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from .conftest import PASSWORD, make_env
from .live import serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str:
    path = os.environ.get("REVSPINE_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        pytest.skip(f"chromium not found at {path} (apt-get install chromium, or set REVSPINE_CHROMIUM)")
    return path


@pytest.fixture
def page(tmp_path, pack):
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    env = make_env(tmp_path, pack)
    ARTIFACTS.mkdir(exist_ok=True)
    with serve(env.app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}, accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(120000)  # a busy CI machine is slow, not broken
        try:
            yield pg
        finally:
            context.close()
            browser.close()
    env.db.dispose()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_clinician_visit_end_to_end(page, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    page.goto("/patients")
    assert "/login" in page.url
    server_logs = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert "request" in server_logs  # uvicorn served, the request log was captured
    for secret in ("Maria Example", "MRN-4711", "1968-03-04"):
        assert secret not in server_logs
    shot(page, "01-login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/patients")
    shot(page, "02-patients-empty")

    page.click("text=New patient")
    page.fill("#f-display_name", "Maria Example")
    page.fill("#f-mrn", "MRN-4711")
    page.fill("#f-birth_date", "1968-03-04")
    page.click("button:has-text('Create patient')")
    page.wait_for_url("**/patients/*")
    assert page.locator("h1").inner_text() == "Maria Example"

    page.click("text=Enter a new case")
    page.fill("#f-title", "Back pain after L4-L5 TLIF")
    # The patient's age comes from the birth date on the patient record.
    assert page.input_value("#f-patient-age") != ""
    page.select_option("#f-patient-sex", "female")
    page.fill("#f-patient-height_cm", "165")
    page.fill("#f-patient-weight_kg", "82")
    page.select_option("#f-surgeries-0-procedure", "tlif")
    page.select_option("#f-surgeries-0-region", "lumbar")
    page.fill("#f-surgeries-0-levels", "L4-L5")
    page.fill("#f-surgeries-0-date", "2025-06-10")
    page.select_option("#f-surgeries-0-instrumented", "yes")
    page.check("input[name='symptoms.symptoms'][value='back_pain']")
    page.fill("#f-symptoms-onset_days_after_surgery", "150")
    page.select_option("#f-symptoms-pain_free_interval", "yes")
    page.select_option("#f-symptoms-pattern", "axial")
    page.select_option("#f-symptoms-trend", "worsening")
    page.select_option("#f-risk_factors-smoking", "current")
    # Repeatable rows: add an imaging study and a lab with the buttons.
    page.click("text=+ Add a study")
    page.select_option("#f-imaging-0-modality", "ct")
    page.fill("#f-imaging-0-date", "2026-09-01")
    page.select_option("#f-imaging-0-findings-0-code", "nonunion")
    page.select_option("#f-imaging-0-findings-0-level", "L4-L5")
    page.click("text=+ Add a lab result")
    page.select_option("#f-labs-0-test", "crp")
    page.select_option("#f-labs-0-unit", "mg/dL")
    page.fill("#f-labs-0-date", "2026-09-01")
    # First a mistake: a decimal comma. The browser keeps it as typed; the server names the field.
    page.fill("#f-labs-0-value", "0,4")
    shot(page, "03-case-form")
    page.click("button:has-text('Save and assess')")
    page.wait_for_selector(".fielderror")
    assert "use a decimal point: 0.4" in page.locator("#f-labs-0-value ~ .fielderror").inner_text()
    shot(page, "04-case-form-error")
    page.fill("#f-labs-0-value", "0.4")
    page.click("button:has-text('Save and assess')")
    page.wait_for_url("**/assessments/*")
    text = page.inner_text("main")
    assert "Maria Example" in text
    assert "Pseudarthrosis" in text or "pseudarthrosis" in text
    shot(page, "05-assessment")

    with page.expect_download() as download_info:
        page.click("text=Chart PDF")
    pdf = tmp_path / "report.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    from pypdf import PdfReader

    report = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Maria Example" in report

    page.click("text=Edit case")
    page.fill("#f-labs-0-value", "6.5")
    page.click("button:has-text('Save and assess')")
    page.wait_for_url("**/assessments/*")
    page.click("text=compare with this one")
    page.wait_for_url("**/compare*")
    assert "What changed" in page.inner_text("main")
    shot(page, "06-compare")

    page.click("a:has-text('Maria Example')")
    shot(page, "07-patient")
    page.click("button:has-text('Log out')")
    page.wait_for_url("**/login")
    page.goto("/patients")
    assert "/login" in page.url
    server_logs = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert "request" in server_logs  # uvicorn served, the request log was captured
    for secret in ("Maria Example", "MRN-4711", "1968-03-04"):
        assert secret not in server_logs
