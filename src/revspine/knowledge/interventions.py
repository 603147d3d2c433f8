"""ONC HTI-1 source attributes of each decision-support intervention.

The HTI-1 final rule (45 CFR 170.315(b)(11)) asks that the users of an evidence-based decision-support
intervention can see its source attributes: bibliographic citation, developer, funding source, release and
revision dates, and whether it uses race, ethnicity, language, sexual orientation, gender identity, sex, date of
birth, social determinants of health or health status assessments. The descriptive attributes live in the pack
(``interventions`` section, one entry per intervention); the citations and the demographic or social inputs are
worked out from the rules themselves, so they cannot drift from what the rules read.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import Problem
from .loader import register_checker, register_section
from .schema import EVIDENCE_TYPE_LABELS, Condition, Finding

__all__ = [
    "Intervention", "NOT_DECLARED", "DEMOGRAPHIC_CATEGORIES", "DemographicInput", "SourceAttributes",
    "source_attributes",
]

# What the output says of an attribute a pack leaves out: never a guessed value or an empty field.
NOT_DECLARED = "Not declared"
# The categories HTI-1 names, plus age (which the rule leaves to the developer; users ask for it).
DEMOGRAPHIC_CATEGORIES: dict[str, str] = {
    "age": "Age",
    "sex": "Sex",
    "date_of_birth": "Date of birth",
    "race": "Race",
    "ethnicity": "Ethnicity",
    "language": "Language",
    "sexual_orientation": "Sexual orientation",
    "gender_identity": "Gender identity",
    "social_determinants_of_health": "Social determinants of health",
    "health_status_assessments": "Health status assessments",
}
# Case paths that carry each category (prefix match). Anything else is clinical data.
_PATHS: dict[str, tuple[str, ...]] = {
    "age": ("patient.age",),
    "sex": ("patient.sex",),
    "date_of_birth": ("patient.birth_date", "patient.date_of_birth"),
    "race": ("patient.race",),
    "ethnicity": ("patient.ethnicity",),
    "language": ("patient.language",),
    "sexual_orientation": ("patient.sexual_orientation",),
    "gender_identity": ("patient.gender_identity",),
    "social_determinants_of_health": ("risk_factors.workers_compensation", "risk_factors.litigation",
                                      "patient.social", "social"),
    "health_status_assessments": ("instruments", "questionnaires", "patient_reported"),
}


class Intervention(BaseModel):
    """The attributes of one decision-support intervention that its rules cannot tell."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    sections: list[str] = Field(min_length=1, description="Pack sections whose entries make up the intervention")
    via_differential: bool = Field(False, description="Its rules read the ranked differential (every cause's inputs)")
    intended_use: str
    intended_users: str
    developer: str = Field(min_length=2)
    developer_contact: str = Field(NOT_DECLARED, min_length=2)
    funding_source: str = Field(NOT_DECLARED, min_length=2, description="Who funded it, or 'None declared'")
    first_released: str = Field(description="Date the intervention was first released (YYYY-MM-DD)")
    limitations: str
    key_citations: list[str] = Field(min_length=1)


register_section("interventions", Intervention)


@register_checker
def _check_interventions(sections: dict[str, Any]) -> list[Problem]:
    problems = []
    for iid, iv in sections.get("interventions", {}).items():
        for name in iv.sections:
            if name not in sections:
                problems.append(Problem(f"interventions[{iid}]", f"section '{name}' is not in this pack"))
        for cid in iv.key_citations:
            if cid not in sections.get("citations", {}):
                problems.append(Problem(f"interventions[{iid}]", f"cites '{cid}', which is not in the registry"))
    return problems


class DemographicInput(BaseModel):
    category: str = Field(description="HTI-1 category (or age)")
    label: str
    findings: list[str] = Field(description="The findings that read it")
    via: str = Field(description="'its rules', or 'the ranked differential' when only the causes' evidence reads it")


class SourceAttributes(BaseModel):
    """HTI-1 source attributes of one decision-support intervention."""

    id: str
    name: str
    intended_use: str
    intended_users: str
    developer: str
    developer_contact: str
    funding_source: str
    release_date: str = Field(description="First release of the intervention")
    revision_date: str = Field(description="Release date of the knowledge pack in use (its latest revision)")
    knowledge_version: str
    software_version: str
    rules: int = Field(description="How many rules (entries) make up the intervention")
    limitations: str
    uses: dict[str, bool] = Field(description="Whether it uses each demographic or social input (HTI-1 categories)")
    demographic_and_social_inputs: list[DemographicInput]
    key_citations: list[dict[str, Any]]
    bibliographic_citations: list[dict[str, Any]] = Field(description="Every source its rules cite")
    evidence_types: dict[str, int] = Field(description="How many of its citations are of each evidence type")


def _conditions(obj: Any) -> list[Condition]:
    out: list[Condition] = []
    if isinstance(obj, Condition):
        out.append(obj)
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            out += _conditions(getattr(obj, name))
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            out += _conditions(v)
    elif isinstance(obj, dict):
        for v in obj.values():
            out += _conditions(v)
    return out


def _citations(obj: Any) -> list[str]:
    out: list[str] = []
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            if name == "citations" and isinstance(value, list):
                out += value
            else:
                out += _citations(value)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            out += _citations(v)
    return out


def _paths(finding: Finding) -> list[str]:
    paths = list(finding.inputs)
    params = finding.params
    if isinstance(params.get("path"), str):
        paths.append(params["path"])
    for item in params.get("all", []) if finding.predicate == "fields" else []:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            paths.append(item["path"])
    if finding.predicate in {"instrument", "questionnaire"}:
        paths.append("instruments")
    return paths


def _category(path: str) -> str | None:
    for cat, prefixes in _PATHS.items():
        if any(path == p or path.startswith(p + ".") for p in prefixes):
            return cat
    return None


def source_attributes(pack: Any) -> list[SourceAttributes]:
    """The HTI-1 source attributes of every intervention in the pack, rules and citations included."""
    from ..version import __version__

    out = []
    cause_findings = {ev.finding for c in pack.causes.values() for ev in c.evidence}
    cause_findings |= {fid for c in pack.causes.values() for cond in _conditions(c) for fid in cond.finding_ids()}
    for iv in pack.sections.get("interventions", {}).values():
        entries: list[Any] = []
        for name in iv.sections:
            body = pack.sections.get(name)
            entries += list(body.values()) if isinstance(body, dict) else ([body] if body is not None else [])
        findings = {fid for e in entries for cond in _conditions(e) for fid in cond.finding_ids()}
        if iv.via_differential:  # its rules read the ranking, so every cause's evidence is an input
            findings |= cause_findings
        uses: dict[str, list[str]] = {cat: [] for cat in DEMOGRAPHIC_CATEGORIES}
        for fid in sorted(findings):
            f = pack.findings.get(fid)
            for path in _paths(f) if f is not None else []:
                cat = _category(path)
                if cat and fid not in uses[cat]:
                    uses[cat].append(fid)
        cited = list(dict.fromkeys([*iv.key_citations, *(c for e in entries for c in _citations(e))]))
        refs = [pack.citation_refs[c] for c in cited if c in pack.citation_refs]
        types = Counter(pack.citations[c].evidence_type for c in cited if c in pack.citations)
        own = {fid for e in entries for cond in _conditions(e) for fid in cond.finding_ids()}
        out.append(SourceAttributes.model_validate({
            "id": iv.id,
            "name": iv.name,
            "intended_use": iv.intended_use,
            "intended_users": iv.intended_users,
            "developer": iv.developer,
            "developer_contact": iv.developer_contact,
            "funding_source": iv.funding_source,
            "release_date": iv.first_released,
            "revision_date": pack.info.released,
            "knowledge_version": pack.version,
            "software_version": __version__,
            "rules": len(entries),
            "limitations": iv.limitations,
            "uses": {cat: bool(fids) for cat, fids in uses.items()},
            "demographic_and_social_inputs": [
                {"category": cat, "label": DEMOGRAPHIC_CATEGORIES[cat], "findings": fids,
                 "via": "its rules" if set(fids) & own else "the ranked differential"}
                for cat, fids in uses.items() if fids
            ],
            "key_citations": [pack.citation_refs[c].model_dump() for c in iv.key_citations if c in pack.citation_refs],
            "bibliographic_citations": [r.model_dump() for r in refs],
            "evidence_types": {EVIDENCE_TYPE_LABELS.get(t or "", "Not yet typed"): n
                               for t, n in sorted(types.items(), key=lambda kv: kv[0] or "")},
        }))
    return out
