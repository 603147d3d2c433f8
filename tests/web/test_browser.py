"""A clinician's visit in a real browser: Playwright driving Debian's chromium.

Screenshots go to tests/artifacts/ (git-ignored) as test artefacts. Every page is checked with
axe-core (from npm, installed into node_modules by .ci/run; nothing is fetched while testing).
Timeouts are generous on purpose: a busy machine is slow, not broken.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ..conftest import TODAY
from .conftest import PASSWORD, make_env, new_patient
from .live import serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTH, HEIGHT = 1366, 768
PATIENT_TIMEOUT_MS = 180_000
JSON_PATH = re.compile(r"\b[a-z_]+\[\d+\]")


def chromium_path() -> str:
    path = os.environ.get("REVSPINE_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        pytest.skip(f"chromium not found at {path} (apt-get install chromium, or set REVSPINE_CHROMIUM)")
    return path


@pytest.fixture
def live(tmp_path, pack):
    """(env, browser page at 1366 x 768, API client) on one live server."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    env = make_env(tmp_path, pack)
    ARTIFACTS.mkdir(exist_ok=True)
    with serve(env.app) as base, sync_playwright() as p, TestClient(
            env.app, headers={"Authorization": f"Bearer {env.token}"}, follow_redirects=False) as api:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base, viewport={"width": WIDTH, "height": HEIGHT},
                                      accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(PATIENT_TIMEOUT_MS)
        try:
            yield env, pg, api
        finally:
            context.close()
            browser.close()
    env.db.dispose()


@pytest.fixture
def page(live):
    return live[1]


def shot(page, name: str, full_page: bool = True) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def sign_in(page) -> None:
    page.goto("/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/patients")


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not AXE.exists():
        pytest.skip(f"axe-core not installed at {AXE} (npm ci; .ci/run does it)")
    # evaluated through the DevTools protocol, so the pages' Content-Security-Policy stays as served
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("""async () => {
        const r = await axe.run(document);
        return {passes: r.passes.length, violations: r.violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "))};
    }""")
    assert result["passes"] > 10, "axe-core did not run its checks"
    return list(result["violations"])


def assess_example(api: TestClient, examples, name: str, stem: str) -> tuple[int, int]:
    """A patient with one assessed example case: (patient id, assessment id)."""
    pid = new_patient(api, name)
    path = next(p for p in examples if p.stem.startswith(stem))
    r = api.post(f"/api/patients/{pid}/assess", json=json.loads(path.read_text()))
    assert r.status_code in (200, 201), r.text
    return pid, int(r.headers["X-Revspine-Assessment-Id"])


def saved_cases(api: TestClient, pid: int) -> int:
    return len(api.get(f"/api/patients/{pid}/cases").json())


def test_clinician_visit_end_to_end(page, tmp_path, caplog):  # noqa: PLR0915 - one visit, in order
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

    # Rendering the PDF takes seconds on a busy machine: wait for the download, not for a navigation.
    with page.expect_download(timeout=120_000) as download_info:
        page.click("text=Chart PDF", no_wait_after=True)
    pdf = tmp_path / "report.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    from pypdf import PdfReader

    pages = PdfReader(pdf).pages
    assert len(pages) <= 2  # the chart copy
    first = pages[0].extract_text()
    assert "Maria Example" in first and "Signature" in first and "Decision:" in first
    report = "\n".join(p.extract_text() for p in pages)
    assert not JSON_PATH.search(report), JSON_PATH.search(report)
    assert not re.search(r"\brule [a-z_]+[.:]", report) and "red_flags." not in report and "decision." not in report
    assert "PDF ready" in page.inner_text("[data-pdf-status]")  # the progress line says when it is done

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


def test_bottom_line_is_visible_without_scrolling(live, examples):
    """At 1366 x 768 the red flags, decision, what blocks it and the top three causes are on the first screen."""
    _, page, api = live
    cases = {"07": "Infection Four Flags", "01": "Smoker Pseudarthrosis", "26": "Optimise First"}
    ids = {stem: assess_example(api, examples, name, stem) for stem, name in cases.items()}
    sign_in(page)
    for stem, (_, aid) in ids.items():
        page.goto(f"/assessments/{aid}")
        shot(page, f"10-bottom-line-{stem}", full_page=False)
        height = page.evaluate("window.innerHeight")
        assert height == HEIGHT
        needed = ["#bl-flags", "#bl-decision", "#bl-causes"]
        if page.locator("#bl-qualifiers").count():
            needed.append("#bl-qualifiers")
        for selector in needed:
            box = page.locator(selector).bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (stem, selector, box)
        causes = page.locator("#bl-causes li")
        assert causes.count() == 3
        for i in range(3):
            box = causes.nth(i).bounding_box()
            assert box is not None and box["y"] + box["height"] <= height, (stem, i, box)
        flags = page.locator("#bl-flags .rs-bl-flag")
        for i in range(flags.count()):
            box = flags.nth(i).bounding_box()
            assert box is not None and box["y"] + box["height"] <= height, (stem, "flag", i, box)
        # the trace is on demand: no rule id on the first screen, shown after one click
        assert not page.locator(".rs-rule").first.is_visible()
        page.click("[data-toggle-trace]")
        assert page.locator(".rs-rule").first.is_visible()


#: Pairs of the timeline's texts whose drawn boxes overlap (half a pixel of tolerance).
OVERLAPS_JS = """() => {
  const boxes = [...document.querySelectorAll("svg.timeline text")].filter((t) => t.getClientRects().length)
    .map((t) => { const r = t.getBoundingClientRect(); return [t.firstChild ? t.firstChild.textContent : "", r]; });
  const out = [];
  boxes.forEach(([a, r], i) => boxes.slice(i + 1).forEach(([b, q]) => {
    if (r.left < q.right - 0.5 && q.left < r.right - 0.5 && r.top < q.bottom - 0.5 && q.top < r.bottom - 0.5)
      out.push(a + " | " + b);
  }));
  return {count: boxes.length, overlaps: out};
}"""
CROWDED = ROOT / "tests" / "data" / "crowded_timeline.json"


def test_timeline_labels_never_overlap(live, examples, pack):
    """Every text of the timeline (windows, events, the earlier-items stub, lab panels) is drawn clear of the others,
    in chromium: on the assessment page of a crowded case, and for every example case; codes read clinically."""
    from revspine import assess, parse_case
    from revspine.views import build_assessment_view
    from revspine.views.timeline_svg import timeline_svg

    _, page, api = live
    pid = new_patient(api, "Crowded Timeline")
    r = api.post(f"/api/patients/{pid}/assess", json=json.loads(CROWDED.read_text()))
    assert r.status_code == 200, r.text
    sign_in(page)
    page.goto(f"/assessments/{r.headers['X-Revspine-Assessment-Id']}#timeline")
    page.locator("#timeline svg.timeline").scroll_into_view_if_needed()
    found = page.evaluate(OVERLAPS_JS)
    assert found["count"] > 30 and found["overlaps"] == [], found["overlaps"]
    labels = page.evaluate("() => [...document.querySelectorAll('svg.timeline text')].map((t) => t.textContent)"
                           ".join(' | ')")
    for clinical in ("CT", "Flexion-extension X-ray", "MRI with contrast", "Index: TLIF L4-L5", "Assessed"):
        assert clinical in labels
    assert not re.search(r"\b(ct|mri|tlif|xray)\b|flexion extension", labels), labels
    shot(page, "15-timeline-crowded")
    for path in [*examples, CROWDED]:
        case = parse_case(json.loads(path.read_text()), pack, today=TODAY)
        view = build_assessment_view(assess(case, pack), case, pack=pack)
        if view.timeline is None:
            continue
        page.set_content(f"<!doctype html><html><body>{timeline_svg(view.timeline)}</body></html>")
        found = page.evaluate(OVERLAPS_JS)
        assert found["overlaps"] == [], (path.name, found["overlaps"])


def _new_case_page(page, api, name: str) -> int:
    pid = new_patient(api, name)
    page.goto(f"/patients/{pid}/cases/new")
    page.select_option("#f-surgeries-0-procedure", "tlif")
    page.select_option("#f-surgeries-0-region", "lumbar")
    page.fill("#f-surgeries-0-levels", "L4-L5")
    page.fill("#f-surgeries-0-date", "2025-06-10")
    page.check("input[name='symptoms.symptoms'][value='back_pain']")
    return pid


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("#f-labs-0-value", "3,5", "use a decimal point: 3.5"),
    ("#f-patient-height_cm", "1e", "“1e” is not a number"),
    ("#f-patient-weight_kg", "7O", "“7O” is not a number"),
])
def test_a_number_typed_wrongly_is_a_field_error_and_nothing_is_saved(live, field, typed, message):
    _, page, api = live
    sign_in(page)
    pid = _new_case_page(page, api, "Number Entry")
    page.click("text=+ Add a lab result")
    page.select_option("#f-labs-0-test", "crp")
    page.fill("#f-labs-0-value", "3.5")
    page.select_option("#f-labs-0-unit", "mg/L")
    page.fill("#f-labs-0-date", "2026-09-01")
    page.fill(field, "")
    page.type(field, typed)  # typed key by key, as a person does
    page.click("button:has-text('Save and assess')")
    page.wait_for_selector(".fielderror")
    assert message in page.locator(f"{field} ~ .fielderror").inner_text()
    assert page.input_value(field) == typed  # kept exactly as typed
    assert saved_cases(api, pid) == 0
    shot(page, f"11-number-{typed.replace(',', 'comma')}")


def test_five_different_errors_are_all_reported_after_one_submit(live):
    _, page, api = live
    sign_in(page)
    pid = _new_case_page(page, api, "Five Errors")
    page.fill("#f-surgeries-0-date", "2999-01-01")          # after the assessment date
    page.type("#f-patient-height_cm", "1e")                 # not a number
    page.type("#f-patient-weight_kg", "7O")                 # letter O
    page.click("text=+ Add a lab result")
    page.select_option("#f-labs-0-test", "crp")
    page.type("#f-labs-0-value", "3,5")                     # decimal comma
    page.select_option("#f-labs-0-unit", "mg/L")
    page.fill("#f-labs-0-date", "2026-09-01")
    page.type("#f-questionnaires-odi", "140")               # out of range (0-100)
    page.click("button:has-text('Save and assess')")
    page.wait_for_selector("#problems")
    summary = page.inner_text("#problems")
    shot(page, "12-five-errors")
    for needle in ("Surgery 1 › Date", "Height", "Weight", "Lab 1 › Value", "ODI"):
        assert needle in summary, (needle, summary)
    assert page.locator(".fielderror").count() >= 5
    assert saved_cases(api, pid) == 0


def test_every_page_has_no_serious_accessibility_violation(live, examples):
    env, page, api = live
    pid, aid = assess_example(api, examples, "Access Ible", "01")
    api.post(f"/api/patients/{pid}/assess", json=json.loads(next(p for p in examples if p.stem.startswith("01"))
                                                               .read_text()))
    newer = max(a["id"] for a in api.get(f"/api/patients/{pid}/assessments").json())
    case_id = api.get(f"/api/patients/{pid}/cases").json()[0]["id"]
    page.goto("/login")
    problems = {"/login": axe_violations(page)}
    sign_in(page)
    pages = ["/patients", "/patients/new", f"/patients/{pid}", f"/patients/{pid}/cases/new", f"/cases/{case_id}/edit",
             f"/cases/{case_id}/versions/1", f"/assessments/{aid}", f"/patients/{pid}/compare?a={aid}&b={newer}",
             f"/assessments/{aid}/handout", f"/assessments/{aid}/ask?q=when+can+I+drive", "/account"]
    for url in pages:
        page.goto(url)
        problems[url] = axe_violations(page)
    # the patient link: made on the patient's page, then the patient's side (handout, answer, link gone)
    page.goto(f"/patients/{pid}")
    page.click("button:has-text('Create a patient link')")
    page.wait_for_selector("#patient-link-url")
    problems["patient link made"] = axe_violations(page)
    link = page.input_value("#patient-link-url")
    for url in (link, link + "?q=when+can+I+drive", link[:-1] + "~"):
        page.goto(url)
        problems[url.replace(link, "patient link")] = axe_violations(page)
    shot(page, "14-patient-link-gone")
    # the case form with errors beside the fields
    page.goto(f"/patients/{pid}/cases/new")
    page.type("#f-patient-height_cm", "1e")
    page.click("button:has-text('Save and assess')")
    page.wait_for_selector("#problems")
    problems["case form with errors"] = axe_violations(page)
    # the assessment with every section open and the trace shown
    page.goto(f"/assessments/{aid}")
    page.click("[data-toggle-trace]")
    problems["assessment, trace shown"] = axe_violations(page)
    shot(page, "13-assessment-trace")
    # the administrator's pages
    page.click("button:has-text('Log out')")
    page.wait_for_url("**/login")
    page.fill("#username", "root")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/patients")
    for url in ("/admin/users", "/admin/audit"):
        page.goto(url)
        problems[url] = axe_violations(page)
    found = {url: v for url, v in problems.items() if v}
    assert not found, found
