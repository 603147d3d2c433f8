"""The screen as an OHDSI ATLAS cohort definition (Circe JSON) and as a plain-language description.

Concept sets list each code with its vocabulary; CONCEPT_ID is the OMOP concept id when a vocabulary was
given (``concept_ids``), else 0, and ATLAS resolves the code on import. Two parts of the screen have no exact
Circe form and are said so in the description: the minimum time before the screen date (a run parameter) and
opioid days summed over prescriptions (exported as a drug era of that length).
"""

from __future__ import annotations

from typing import Any

from ..knowledge.pack import KnowledgePack
from ..knowledge.sections.screen import Evidence, Exclusion, ScreenDefinition
from ..settings import configured_pack
from .concepts import code_rows, name_rows

__all__ = ["circe_json", "fast_lane_json", "describe"]

_CRITERIA = {"procedure": "ProcedureOccurrence", "condition": "ConditionOccurrence", "measurement": "Measurement",
             "observation": "Observation", "drug": "DrugExposure", "device": "DeviceExposure"}
_DOMAIN_ID = {"procedure": "Procedure", "condition": "Condition", "measurement": "Measurement",
              "observation": "Observation", "drug": "Drug", "device": "Device"}


def _concept_sets(screen: ScreenDefinition, pack: KnowledgePack, ids: dict[tuple[str, str], int]) -> list[Any]:
    rows = code_rows(screen, pack)
    names = name_rows(screen, pack)
    out = []
    for i, cs in enumerate(screen.concept_sets):
        items = []
        for r in rows:
            if r.concept_set != cs.id:
                continue
            items.append({"concept": {
                "CONCEPT_ID": ids.get((r.vocabulary, r.code), 0), "CONCEPT_NAME": cs.label,
                "CONCEPT_CODE": r.code, "VOCABULARY_ID": r.vocabulary, "DOMAIN_ID": _DOMAIN_ID[cs.domain],
                "STANDARD_CONCEPT": "", "INVALID_REASON": "V", "CONCEPT_CLASS_ID": "",
            }, "isExcluded": False, "includeDescendants": cs.descendants or r.match == "prefix",
                "includeMapped": True})
        for n in names:
            if n.concept_set == cs.id:
                items.append({"concept": {
                    "CONCEPT_ID": ids.get(("RxNorm", n.name), 0), "CONCEPT_NAME": n.name, "CONCEPT_CODE": n.name,
                    "VOCABULARY_ID": "RxNorm", "DOMAIN_ID": "Drug", "STANDARD_CONCEPT": "S", "INVALID_REASON": "V",
                    "CONCEPT_CLASS_ID": "Ingredient"}, "isExcluded": False, "includeDescendants": True,
                    "includeMapped": False})
        out.append({"id": i, "name": cs.label, "expression": {"items": items}})
    return out


def _window(start: int, end: int | None) -> dict[str, Any]:
    def point(d: int | None) -> dict[str, Any]:
        if d is None:
            return {"Coeff": 1}
        return {"Days": abs(d), "Coeff": -1 if d < 0 else 1}

    return {"Start": point(start), "End": point(end), "UseIndexEnd": False, "UseEventEnd": False}


def _criteria(screen: ScreenDefinition, item: Evidence | Exclusion, count: int, occurrence_type: int) -> Any:
    idx = [c.id for c in screen.concept_sets].index(item.concept_set)
    cs = screen.concept_sets[idx]
    body: dict[str, Any] = {"CodesetId": idx}
    kind = _CRITERIA[cs.domain]
    if isinstance(item, Evidence) and item.kind in ("value_at_least", "value_above"):
        body["ValueAsNumber"] = {"Value": item.threshold, "Op": "gte" if item.kind == "value_at_least" else "gt"}
    if isinstance(item, Evidence) and item.kind == "days_supply_at_least":
        kind = "DrugEra"
        body = {"CodesetId": idx, "EraLength": {"Value": int(item.threshold or 0), "Op": "gte"}}
    return {"Criteria": {kind: body}, "StartWindow": _window(item.window.start, item.window.end),
            "RestrictVisit": False, "IgnoreObservationPeriod": False,
            "Occurrence": {"Type": occurrence_type, "Count": count}}


def _expression(screen: ScreenDefinition, pack: KnowledgePack, rules: list[Any],
                ids: dict[tuple[str, str], int]) -> dict[str, Any]:
    entry = [c.id for c in screen.concept_sets].index(screen.entry_concept_set)
    return {
        "cdmVersionRange": ">=5.3.0",
        "PrimaryCriteria": {
            "CriteriaList": [{"ProcedureOccurrence": {"CodesetId": entry}}],
            "ObservationWindow": {"PriorDays": 0, "PostDays": screen.timing.min_follow_up_days},
            "PrimaryCriteriaLimit": {"Type": "All"},
        },
        "ConceptSets": _concept_sets(screen, pack, ids),
        "QualifiedLimit": {"Type": "All"},
        "ExpressionLimit": {"Type": "Last"},
        "InclusionRules": rules,
        "CensoringCriteria": [],
        "CollapseSettings": {"CollapseType": "ERA", "EraPad": 0},
        "CensorWindow": {},
    }


def circe_json(screen: ScreenDefinition, pack: KnowledgePack | None = None,
               concept_ids: dict[tuple[str, str], int] | None = None) -> dict[str, Any]:
    pack = pack or configured_pack()
    ids = concept_ids or {}
    evidence = [e for e in screen.evidence if e.counts_for_inclusion]
    rules: list[Any] = [{
        "name": "Evidence that the operation failed",
        "description": "; ".join(e.label for e in evidence),
        "expression": {"Type": "ANY", "CriteriaList": [_criteria(screen, e, 1, 2) for e in evidence],
                       "DemographicCriteriaList": [], "Groups": []},
    }]
    for x in screen.exclusions:
        rules.append({"name": f"No {x.label.lower()}", "description": x.reason,
                      "expression": {"Type": "ALL", "CriteriaList": [_criteria(screen, x, 0, 0)],
                                     "DemographicCriteriaList": [], "Groups": []}})
    return _expression(screen, pack, rules, ids)


def fast_lane_json(screen: ScreenDefinition, pack: KnowledgePack | None = None,
                   concept_ids: dict[tuple[str, str], int] | None = None) -> dict[str, Any]:
    pack = pack or configured_pack()
    red = [e for e in screen.evidence if e.red_flag]
    rules = [{"name": "Red flag after the operation", "description": "; ".join(e.label for e in red),
              "expression": {"Type": "ANY", "CriteriaList": [_criteria(screen, e, 1, 2) for e in red],
                             "DemographicCriteriaList": [], "Groups": []}}]
    expr = _expression(screen, pack, rules, concept_ids or {})
    expr["PrimaryCriteria"]["ObservationWindow"]["PostDays"] = 0
    return expr


def _days(w: Any) -> str:
    if w.end is None:
        return f"from day {w.start} after the operation on" if w.start >= 0 else \
            f"from {-w.start} days before the operation on"
    lo = f"day {w.start}" if w.start >= 0 else f"{-w.start} days before"
    hi = f"day {w.end}" if w.end > 0 else ("the day of the operation" if w.end == 0 else f"{-w.end} days before")
    return f"between {lo} and {hi}"


def describe(screen: ScreenDefinition, pack: KnowledgePack | None = None) -> str:
    pack = pack or configured_pack()
    t = screen.timing
    lines = [f"# {screen.label} (version {screen.version})", "", screen.description, "",
             "## Who enters", "",
             f"Every {screen.concept_set(screen.entry_concept_set).label.lower()} inside an observation period is "
             "a candidate index operation; a person with several is judged on each, and the worklist shows the "
             "latest that qualifies.", "",
             "## Inclusion rules, in order", "",
             f"1. At least {t.min_follow_up_days} days of observation after the operation.",
             f"2. The operation at least {t.min_days_since_surgery} days before the screen date ({t.reason}). "
             "The screen date is the last day of observation in the data unless the run sets it (`--as-of`); "
             "ATLAS has no such parameter, so the exported cohort leaves this rule to the analyst.",
             "3. At least one sign that the operation failed:"]
    for e in screen.evidence:
        if e.counts_for_inclusion:
            lines.append(f"   - {e.label} ({_days(e.window)}): {e.reason}.")
    for i, x in enumerate(screen.exclusions, 4):
        lines.append(f"{i}. No {x.label.lower()} ({_days(x.window)}): {x.reason}.")
    lines += ["", "## Red-flag fast lane", "",
              "Whatever the time since surgery and whether or not an exclusion applies, a person enters the "
              "worklist first when the record shows:"]
    lines += [f"- {e.label} ({_days(e.window)}): {e.reason}." for e in screen.evidence if e.red_flag]
    lines += ["", "## Priority score", "", "The score is the sum of these terms; the worklist shows each term that "
              "counted. The points order the worklist; they are expert-assigned, not estimated from data.", ""]
    lines += [f"- {p.evidence}: +{p.points} ({p.reason})" for p in screen.priority]
    lines += ["", "## Concept sets", ""]
    rows = code_rows(screen, pack)
    for cs in screen.concept_sets:
        codes = ", ".join(f"{r.vocabulary} {r.code}{'*' if r.match == 'prefix' else ''}" for r in rows
                          if r.concept_set == cs.id)
        nm = ", ".join(cs.names)
        lines.append(f"- **{cs.label}** ({cs.domain}): {codes}{'; names: ' + nm if nm else ''}. "
                     f"Sources: {', '.join(cs.citations)}.")
    lines += ["", "`*` = the code and every code under it. Opioid days are summed over prescriptions; ATLAS "
              "expresses this as a drug era of at least that length.", "",
              f"Aggregate counts from 1 to {screen.suppression.min_cell_count - 1} are shown as "
              f"'<{screen.suppression.min_cell_count}' ({screen.suppression.reason}).", "",
              "## References", ""]
    cited = sorted({*screen.citations, *(c for cs in screen.concept_sets for c in cs.citations),
                    *(c for e in screen.evidence for c in e.citations), *screen.timing.citations})
    lines += [f"- {pack.citation_refs[c].text}" for c in cited if c in pack.citation_refs]
    return "\n".join(lines) + "\n"
