"""Cards from an assessment, per CDS Hooks 2.0.

Every card has a uuid, a summary under 140 characters, an indicator, a source naming
revspine and the knowledge version, and a Markdown detail with the rule ids and
citations. Suggestions carry uuids and create draft ServiceRequests; a card with
suggestions says ``selectionBehavior: any``; warning and critical cards offer
overrideReasons with displays. Optional fields without a value are left out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ..fhir.codes import CPT, LOINC, SNOMED
from ..fhir.report import MappingReport
from ..knowledge.pack import KnowledgePack
from ..pipeline import Assessment

__all__ = ["CardContext", "summary_card", "order_cards", "trim", "evidence_url"]

_MAX = 139


def trim(text: str, limit: int = _MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;:") + "…"


@dataclass
class CardContext:
    assessment: Assessment
    report: MappingReport
    pack: KnowledgePack
    patient_id: str
    encounter_id: str | None
    link_url: str | None
    source_url: str | None
    not_checked: list[str]
    incomplete: list[str]


def _source(ctx: CardContext) -> dict[str, Any]:
    v = ctx.assessment.versions
    src: dict[str, Any] = {
        "label": "revspine",
        "topic": {"system": "urn:revspine:cds:topic", "code": "revision-spine-surgery",
                  "display": f"Failed spine surgery work-up (knowledge {v.knowledge_id} {v.knowledge})"},
    }
    url = ctx.source_url or _source_attributes_url(ctx.link_url)
    if url:
        src["url"] = url  # the interventions' source attributes (ONC HTI-1)
    return src


def _source_attributes_url(link_url: str | None) -> str | None:
    """The source-attributes page on the server that holds the assessment the card links to."""
    if not link_url or "/assessments/" not in link_url:
        return None
    return link_url.split("/assessments/")[0] + "/knowledge/source-attributes"


def _override_reasons(ctx: CardContext) -> list[dict[str, Any]]:
    vs = ctx.pack.value_sets.get("cds_override_reasons")
    if vs is None:
        return []
    return [{"system": vs.system, "code": c.code, "display": c.display} for c in vs.codes]


def _cite(ctx: CardContext, ids: list[str]) -> str:
    parts = []
    for cid in ids:
        ref = ctx.assessment.citations.get(cid)
        if ref is None:
            parts.append(cid)
        elif ref.url:
            parts.append(f"[{cid}]({ref.url})")
        else:
            parts.append(cid)
    return ", ".join(parts)


def _links(ctx: CardContext, citations: list[str]) -> list[dict[str, Any]]:
    links = []
    if ctx.link_url:
        links.append({"label": "Open the full revspine assessment", "url": ctx.link_url, "type": "absolute"})
    for cid in citations:
        url = evidence_url(ctx.pack, cid)
        ref = ctx.assessment.citations.get(cid)
        if url is not None and ref is not None:
            links.append({"label": trim(f"Evidence: {ref.text}", 80), "url": url, "type": "absolute"})
            break
    return links


def evidence_url(pack: KnowledgePack, citation_id: str) -> str | None:
    """Where a clinician reads the evidence itself: the PubMed record or the DOI of a primary source,
    else its own https page. Secondary sources (patient information, a practice's pages) get no link."""
    c = pack.citations.get(citation_id)
    if c is None or c.quality == "secondary" or c.evidence_type == "patient_information":
        return None
    if c.pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{c.pmid}/"
    if c.doi:
        return f"https://doi.org/{c.doi}"
    return c.url if c.url and c.url.startswith("https://") else None


def _data_notes(ctx: CardContext) -> str:
    lines = []
    r = ctx.report
    lines.append(f"Data: {r.summary()}.")
    for n in [n for n in r.notes if n.status in ("assumption", "warning")][:6]:
        lines.append(f"- {n.resource_type}: {n.reason}")
    if ctx.not_checked:
        lines.append(f"Not checked (no data returned): {', '.join(ctx.not_checked)}.")
    if ctx.incomplete:
        lines.append(f"Only the first pages were read of: {', '.join(ctx.incomplete)}.")
    return "\n".join(lines)


def _card(ctx: CardContext, summary: str, indicator: str, detail: str, citations: list[str],
          suggestions: list[dict[str, Any]] | None = None, override: bool = False) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": trim(summary),
        "indicator": indicator,
        "detail": detail + "\n\n" + ctx.assessment.decision.disclaimer,
        "source": _source(ctx),
    }
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "any"
    reasons = _override_reasons(ctx) if override else []
    if reasons:
        card["overrideReasons"] = reasons
    links = _links(ctx, citations)
    if links:
        card["links"] = links
    return card


def _differential_md(ctx: CardContext, n: int = 3) -> str:
    a = ctx.assessment
    if a.applicability == "not_applicable":
        return ("**Not applicable**: no prior spine operation is recorded in the structured data, so no "
                "differential is ranked. Record the operation if there was one.")
    lines = ["**Leading causes** (evidence-weighted; not calibrated probabilities):"]
    for c in a.differential[:n]:
        why = "; ".join(f"{e.label} ({_cite(ctx, e.citations)})" for e in c.supporting[:3]) or "prior only"
        lines.append(f"{c.rank}. {c.label} — score {c.score:.2f}; for: {why}")
    mimics = [m for m in a.mimics if m.supporting][:2]
    if mimics:
        lines.append("Mimics to exclude: " + ", ".join(m.label for m in mimics) + ".")
    return "\n".join(lines)


def _flags_md(ctx: CardContext) -> str:
    return "\n".join(f"- **{f.label}** ({f.urgency}): {f.action} [{f.rule_id}; {_cite(ctx, f.citations)}]"
                     for f in ctx.assessment.red_flags)


def _workup_md(ctx: CardContext, skip: set[str]) -> str:
    return "\n".join(
        f"- {w.label}{' (before any revision)' if w.before_revision else ''}: "
        f"{w.reasons[0].reason} [{w.reasons[0].rule_id}; {_cite(ctx, w.reasons[0].citations)}]"
        for w in ctx.assessment.workup if w.test not in skip)


def _risks(ctx: CardContext) -> list[Any]:
    return [r for r in ctx.assessment.risk_factors if r.modifiable]


def _risks_md(ctx: CardContext) -> str:
    return "\n".join(
        f"- **{r.label}**: {r.effect}" + (f". Target: {r.target}" if r.target else "")
        + f" [{r.rule_id}; {_cite(ctx, r.citations)}]" for r in _risks(ctx))


def _alerts(ctx: CardContext) -> list[str]:
    """Questionnaire answers that need action today (PHQ-9 item 9): shown first, beside the red flags."""
    return list(ctx.assessment.instruments.alerts) if ctx.assessment.instruments is not None else []


def _indicator(ctx: CardContext) -> str:
    a = ctx.assessment
    if any(f.urgency == "emergency" for f in a.red_flags):
        return "critical"
    if a.red_flags or _alerts(ctx) or any(w.before_revision for w in a.workup) or any(
            r.blocks_revision_until_met for r in a.risk_factors):
        return "warning"
    return "info"


def summary_card(ctx: CardContext) -> dict[str, Any]:
    """patient-view: one card summarising the assessment of a patient after failed spine surgery."""
    a = ctx.assessment
    lead = a.differential[0].label if a.differential else "no leading cause"
    alerts = _alerts(ctx)
    bits = []
    if alerts:
        bits.append("safety alert")
    if a.red_flags:
        bits.append(f"{len(a.red_flags)} red flag{'s' if len(a.red_flags) > 1 else ''}")
    if a.workup:
        bits.append(f"{len(a.workup)} work-up item{'s' if len(a.workup) > 1 else ''} missing")
    summary = f"After spine surgery: {', '.join(bits) + '; ' if bits else ''}leading: {lead}"
    if a.applicability == "not_applicable":
        summary = f"{', '.join(bits) + '; ' if bits else ''}Not applicable: no prior spine operation recorded"
    parts = [f"**{a.decision.summary}**"]
    if alerts:
        parts.insert(0, "**Safety alert**\n" + "\n".join(f"- {m}" for m in alerts))
    if a.red_flags:
        parts.append("**Red flags**\n" + _flags_md(ctx))
    parts.append(_differential_md(ctx))
    if a.workup:
        parts.append("**Missing work-up**\n" + _workup_md(ctx, set()))
    if _risks(ctx):
        parts.append("**Risks to optimise**\n" + _risks_md(ctx))
    parts.append(_data_notes(ctx))
    citations = [c for cause in a.differential[:1] for c in cause.citations]
    indicator = _indicator(ctx)
    return _card(ctx, summary, indicator, "\n\n".join(parts), citations, override=indicator != "info")


def _service_request(ctx: CardContext, test_id: str, label: str, reason: str) -> dict[str, Any]:
    test = ctx.pack.workup_tests.get(test_id)
    coding: list[dict[str, Any]] = []
    if test is not None:
        coding = ([{"system": LOINC, "code": c} for c in test.loinc] + [{"system": CPT, "code": c} for c in test.cpt]
                  + [{"system": SNOMED, "code": c} for c in test.snomed])
    res: dict[str, Any] = {
        "resourceType": "ServiceRequest", "status": "draft", "intent": "order",
        "code": {"text": label, **({"coding": coding} if coding else {})},
        "subject": {"reference": f"Patient/{ctx.patient_id}"},
        "reasonCode": [{"text": reason}],
    }
    if ctx.encounter_id:
        res["encounter"] = {"reference": f"Encounter/{ctx.encounter_id}"}
    return res


def order_cards(ctx: CardContext, order_kind: str, ordered_tests: set[str]) -> list[dict[str, Any]]:
    """order-select / order-sign for a spine-surgery or spine-imaging order."""
    a = ctx.assessment
    what = "revision spine surgery" if order_kind == "spine_surgery" else "spine imaging"
    cards = []
    if a.red_flags:
        worst = "critical" if any(f.urgency == "emergency" for f in a.red_flags) else "warning"
        cards.append(_card(ctx, f"Red flag with this {what} order: {a.red_flags[0].label}", worst,
                           "**Red flags**\n" + _flags_md(ctx), a.red_flags[0].citations, override=True))
    missing = [w for w in a.workup if w.test not in ordered_tests]
    if missing:
        suggestions = [{
            "label": trim(f"Order {w.label}", 80), "uuid": str(uuid.uuid4()), "isRecommended": w.before_revision,
            "actions": [{"type": "create", "description": trim(f"Draft order: {w.label}", 120),
                         "resource": _service_request(ctx, w.test, w.label, w.reasons[0].reason)}],
        } for w in missing]
        before = [w for w in missing if w.before_revision]
        indicator = "warning" if before and order_kind == "spine_surgery" else "info"
        covered = sorted(ordered_tests & {w.test for w in a.workup})
        note = f"\n\nThis order covers: {', '.join(covered)}." if covered else ""
        cards.append(_card(ctx, f"{len(missing)} work-up item{'s' if len(missing) > 1 else ''} missing before {what}"
                           + (f" ({len(before)} needed before revision)" if before else ""), indicator,
                           "**Missing work-up**\n" + _workup_md(ctx, ordered_tests) + note,
                           missing[0].reasons[0].citations, suggestions, override=True))
    risks = _risks(ctx)
    if risks and order_kind == "spine_surgery":
        blocking = [r for r in risks if r.blocks_revision_until_met]
        names = ", ".join(r.label for r in risks)
        cards.append(_card(ctx, f"Risks not optimised before revision: {names}",
                           "warning" if blocking else "info", "**Risks to optimise first**\n" + _risks_md(ctx),
                           risks[0].citations, override=True))
    cards.append(_card(ctx, f"revspine: {a.decision.summary}", "info",
                       _differential_md(ctx) + "\n\n" + _data_notes(ctx),
                       [c for cause in a.differential[:1] for c in cause.citations]))
    return cards
