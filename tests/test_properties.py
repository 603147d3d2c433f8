"""Property tests (hypothesis) over schema-valid cases.

(a) Adding a finding that a cause lists as supporting (factor > 1) never lowers that cause's score.
(b) A case with no findings ranks the differential exactly by the priors (with the evidence tiers this
    still holds: every cause is then in tier "none", and within a tier causes rank by score).
(c) No schema-valid case makes parse_case + assess raise anything but InputError.
(d) The JSON output always has the documented top-level keys and item keys.
"""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from revspine import Assessment, InputError, assess, default_pack, parse_case
from revspine.case.levels import adjacent_levels
from revspine.cli.render import to_json
from revspine.engine.differential import prior_for
from revspine.knowledge import schema

from .strategies import ASSESSED, QUANTITATIVE, cases

PACK = default_pack()
TODAY = date(2026, 11, 22)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(data: dict[str, Any]):
    return assess(parse_case(data, PACK, today=TODAY), PACK)


# -- (a) monotonicity -------------------------------------------------------------------------------------

AUGMENTABLE = ("imaging", "block", "symptom", "emg", "culture")


def supporting_pairs() -> list[tuple[str, str]]:
    """(cause, finding) for every evidence item with factor > 1 whose finding a case can be given."""
    pairs = []
    for cid, cause in PACK.causes.items():
        for ev in cause.evidence:
            factor = ev.lr if ev.lr is not None else PACK.ordinal_lr[ev.weight or 0]
            finding = PACK.findings[ev.finding]
            if factor > 1 and finding.predicate in AUGMENTABLE and not finding.params.get("absent"):
                pairs.append((cid, ev.finding))
    return pairs


PAIRS = supporting_pairs()


def value_meeting(params: dict[str, Any], default: float) -> float:
    """A value that satisfies the gt/ge/lt/le bounds of a finding's parameters."""
    lo = max([params[k] for k in ("gt", "ge") if k in params], default=default)
    hi = min([params[k] for k in ("lt", "le") if k in params], default=lo + 10)
    v = lo + 0.5 if "gt" in params else lo
    return min(v, hi - 0.5) if "lt" in params else min(v, hi)


def add_finding(data: dict[str, Any], finding: schema.Finding) -> dict[str, Any] | None:
    """The case with the finding made present, or None when it cannot be (e.g. no fusion to be adjacent to)."""
    out = copy.deepcopy(data)
    p = finding.params
    day = ASSESSED.isoformat()
    if finding.predicate == "imaging":
        code = p["codes"][0]
        item: dict[str, Any] = {"code": code}
        scope = p.get("scope", "any")
        operated = sorted({lv for s in out["surgeries"] for lv in s["levels"]})
        if scope == "adjacent":
            fused = [lv for s in out["surgeries"] if s["procedure"] in {
                "posterolateral_fusion", "tlif", "plif", "alif", "llif", "acdf", "posterior_cervical_fusion"}
                or (s["procedure"] == "other" and s.get("instrumented"))
                for lv in s["levels"]]
            # as the engine reads it: the neighbours of fused and disc-replacement levels that are neither
            # (a disc replacement next to a fusion is not that fusion's adjacent segment)
            bridged = fused + [lv for s in out["surgeries"] if s["procedure"] == "disc_replacement"
                               for lv in s["levels"]]
            neighbours = sorted(adjacent_levels(bridged)) if fused else []
            if not neighbours:
                return None
            item["level"] = neighbours[0]
        elif scope == "not_operated":
            free = [lv for lv in ("L1-L2", "C2-C3", "T6-T7") if lv not in operated]
            item["level"] = free[0]
        elif operated:
            item["level"] = operated[0]
        if p.get("side") == "discordant":
            # a finding on the other side from one-sided symptoms; without one-sided symptoms there is none
            # (changing the symptoms' side would change how the case's other findings read)
            symptom_side = out["symptoms"].get("side")
            if symptom_side not in ("left", "right"):
                return None
            item["side"] = "right" if symptom_side == "left" else "left"
        if code in QUANTITATIVE or any(k in p for k in ("gt", "ge", "lt", "le")):
            unit = QUANTITATIVE.get(code, ("mm", 0))[0]
            item.update(value=value_meeting(p, 1.0), unit=unit)
        modality = (p.get("modalities") or ["ct"])[0]
        out["imaging"].append({"modality": modality, "date": day, "findings": [item]})
    elif finding.predicate == "block":
        paradigm = (p.get("paradigms") or ["single"])[0]
        out["blocks"].append({"type": p["types"][0], "relief_percent": value_meeting(p, 50), "paradigm": paradigm,
                              "date": day})
    elif finding.predicate == "symptom":
        if p["any"][0] not in out["symptoms"].setdefault("symptoms", []):
            out["symptoms"]["symptoms"].append(p["any"][0])
        # a symptom now present is no longer denied (the parser refuses a code in both lists)
        out["symptoms"]["denied"] = [d for d in out["symptoms"].get("denied", []) if d != p["any"][0]]
    elif finding.predicate == "emg":
        out["electrodiagnostics"].append({"date": day, "result": p["results"][0]})
    elif finding.predicate == "culture":
        culture: dict[str, Any] = {"date": day, "specimen": p["specimens"][0], "result": p["results"][0]}
        grade = (p.get("grade") or [None])[0]
        if grade == "definite" or p.get("min_samples_positive") or p.get("virulence") == "high":
            culture.update(samples_positive=max(2, p.get("min_samples_positive") or 2), samples_total=3)
        if grade == "possible_contaminant" or p.get("virulence") == "low":
            culture.update(samples_positive=1, samples_total=3, organism_virulence="low")
        out["cultures"].append(culture)
    return out


def score_of(a, cid: str) -> float | None:
    return next((c.score for c in (*a.differential, *a.mimics) if c.cause == cid), None)


def test_there_are_supporting_findings_of_every_augmentable_kind():
    kinds = {PACK.findings[f].predicate for _, f in PAIRS}
    assert kinds == set(AUGMENTABLE)
    assert len(PAIRS) > 40


@SETTINGS
@given(data=cases(PACK), pair=st.sampled_from(PAIRS))
def test_adding_a_supporting_finding_never_lowers_its_cause(data, pair):
    cid, fid = pair
    before = run(data)
    base = score_of(before, cid)
    assume(base is not None)  # the cause does not apply to this case (e.g. no fusion for pseudarthrosis)
    augmented = add_finding(data, PACK.findings[fid])
    assume(augmented is not None)
    after = run(augmented)
    new = score_of(after, cid)
    assert new is not None, f"adding {fid} made {cid} inapplicable"
    assert new >= base, f"adding {fid} lowered {cid} from {base} to {new}"
    cause = next(c for c in (*after.differential, *after.mimics) if c.cause == cid)
    # An entry with an only_when condition (e.g. a collection counts for infection only after day 2) counts
    # only when its condition holds in this case; monotonicity above holds either way.
    conditional = any(ev.finding == fid and ev.only_when is not None for ev in PACK.causes[cid].evidence)
    if not conditional:
        assert fid in {e.finding for e in cause.supporting}, f"the augmented case does not show {fid}"


# -- (b) no findings: ranked by priors ---------------------------------------------------------------------


def by_prior(kind: str, family: Any = None) -> list[str]:
    ranked = sorted((c for c in PACK.causes.values() if c.kind == kind),
                    key=lambda c: (-prior_for(c, family)[0], c.id))
    return [c.id for c in ranked]


def test_empty_case_is_not_applicable():
    """Issue 10 changed this property: a case with no findings used to rank by the priors; without an operation
    the failed-surgery pathway does not apply (no ranked differential). A case with an operation and nothing else
    still ranks by the priors (the next test)."""
    a = run({"assessment_date": ASSESSED.isoformat()})
    assert a.applicability == "not_applicable" and a.differential == [] and a.mimics == []
    assert a.decision.category == "not_applicable"
    assert a.red_flags == [] and a.timing_window.window is None


@SETTINGS
@given(assessed=st.dates(min_value=date(2000, 1, 1), max_value=TODAY), case_id=st.text(max_size=30))
def test_empty_case_is_not_applicable_whatever_the_date_or_id(assessed, case_id):
    a = run({"assessment_date": assessed.isoformat(), "case_id": case_id})
    assert a.decision.category == "not_applicable" and a.differential == []


@SETTINGS
@given(procedure=st.sampled_from(["discectomy", "laminectomy", "tlif", "posterolateral_fusion"]),
       days=st.integers(8, 4000))
def test_operation_without_other_findings_ranks_applicable_causes_by_prior(procedure, days):
    """With the priors by family of index operation (a lumbar fusion reads its own shares)."""
    surgery = {"procedure": procedure, "region": "lumbar", "levels": ["L3-L4"],
               "date": (ASSESSED - timedelta(days=days)).isoformat(), "instrumented": procedure == "tlif"}
    a = run({"assessment_date": ASSESSED.isoformat(), "surgeries": [surgery]})
    family = "lumbar_fusion" if procedure in ("tlif", "posterolateral_fusion") else "lumbar_decompression"
    applicable = [cid for cid in by_prior("cause", family) if cid not in {x.cause for x in a.not_applicable}]
    assert [c.cause for c in a.differential] == applicable
    assert all(c.score == round(c.prior, 4) for c in a.differential)


# -- (c) only InputError ---------------------------------------------------------------------------------------


@SETTINGS
@given(data=cases(PACK))
def test_schema_valid_cases_assess_without_error(data):
    a = run(data)
    assert (bool(a.differential) == bool(data["surgeries"])) and a.decision.category


@SETTINGS
@given(data=cases(PACK, consistent_dates=False))
def test_inconsistent_dates_raise_input_error_naming_the_path(data):
    with pytest.raises(InputError) as exc:
        run(data)
    assert any(p.path.startswith("labs[") and p.path.endswith("].date") for p in exc.value.problems)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@SETTINGS
@given(data=cases(PACK), path=st.lists(st.sampled_from(["surgeries", "symptoms", "exam", "imaging", "labs",
                                                         "patient", "blocks", "alignment", 0, "date", "value",
                                                         "findings", "code", "level", "unit"]), min_size=1,
                                        max_size=4), junk=JSONISH)
def test_corrupted_cases_raise_only_input_error(data, path, junk):
    """Overwrite some part of a valid case with arbitrary JSON: the result is an assessment or an InputError."""
    target: Any = data
    for key in path[:-1]:
        if isinstance(target, dict) and key in target:
            target = target[key]
        elif isinstance(target, list) and isinstance(key, int) and target:
            target = target[0]
    last = path[-1]
    if isinstance(target, dict) and isinstance(last, str):
        target[last] = junk
    elif isinstance(target, list) and target:
        target[0] = junk
    try:
        run(data)
    except InputError as exc:
        assert exc.problems and all(p.path and p.message for p in exc.problems)


@settings(max_examples=40, deadline=None)
@given(raw=JSONISH)
def test_any_json_value_is_a_case_or_an_input_error(raw):
    try:
        parse_case(raw, PACK, today=TODAY)
    except InputError:
        pass


# -- (d) the JSON output ---------------------------------------------------------------------------------------


@SETTINGS
@given(data=cases(PACK))
def test_json_output_has_the_documented_keys(data):
    text = to_json(run(data))
    assert to_json(Assessment.model_validate_json(text)) == text, "the output validates against its schema"
    out = json.loads(text)
    assert {"versions", "timing_window", "red_flags", "differential", "workup", "risk_factors", "decision"} <= set(out)
    assert {"engine", "knowledge"} <= set(out["versions"])
    assert bool(out["differential"]) == (out["applicability"] == "applies")
    assert all({"cause", "score"} <= set(c) for c in out["differential"])
    order = {"confirmatory": 0, "supportive": 1, "compatible": 2, "none": 3}
    keys = [(order[c["tier"]], -c["score"]) for c in out["differential"] if not c["red_flag"]]
    assert keys == sorted(keys), "the differential is best first: by evidence tier, then score"
    flagged = [c["rank"] for c in out["differential"] if c["red_flag"]]
    places = 3 if out["differential"] and out["differential"][0]["red_flag"] else 2  # the best-ranked stays first
    assert sum(r <= 3 for r in flagged) == min(len(flagged), places), (
        "the causes red flags point to are in the top three (after the best-ranked cause, which stays first)")
    assert all("test" in w for w in out["workup"])
    assert out["decision"]["category"] in {"urgent", "revision", "revision_after_optimisation", "non_surgical",
                                           "workup_first", "not_applicable"}
    for flag in out["red_flags"]:
        assert flag["action"] and flag["citations"]
    cited = set(out["citations"])
    for c in out["differential"]:
        for e in c["supporting"] + c["opposing"]:
            assert set(e["citations"]) <= cited and e["inputs"]
