"""The peri-operative order set for one patient, from the protocol in the knowledge pack.

Each item of the protocol applies when its condition over the case's findings holds; doses are
worked out from the patient's weight where the protocol says so, and the arithmetic is shown.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .._construct import make
from ..case.model import Case
from ..knowledge.pack import KnowledgePack, per_pack
from ..knowledge.schema import Condition
from ..knowledge.sections.plan import CitedNote, Dose, OrderItem, OrderSetProtocol
from .models import OrderLine, OrderSet

if TYPE_CHECKING:
    from ..engine.conditions import Hits

__all__ = ["ORDER_CATEGORY_LABELS", "build_order_set", "describe_condition", "dose_for", "infusion_for", "line_text"]


# Display titles of the order-set categories (the protocol's `category` values).
ORDER_CATEGORY_LABELS: dict[str, str] = {
    "antibiotic_prophylaxis": "Antibiotic prophylaxis",
    "vte_prophylaxis": "VTE prophylaxis",
    "nutrition": "Nutrition",
    "bracing": "Bracing",
    "smoking": "Smoking cessation",
    "physical_therapy": "Physical therapy",
    "bone_health": "Bone health",
}


def _num(x: float) -> str:
    return f"{x:g}"


def dose_for(dose: Dose, weight_kg: float | None) -> tuple[float | None, str, str | None]:
    """(amount, text, warning) for one patient. The amount is None when it depends on a missing weight."""
    if dose.per_kg is not None:
        per = f"{_num(dose.per_kg)} {dose.unit}/kg"
        cap = f", maximum {_num(dose.max_amount)} {dose.unit}" if dose.max_amount is not None else ""
        if dose.weight_basis == "dosing":
            return None, (
                f"{per} of dosing weight {dose.route}{cap} (ideal weight plus 0.4 x the excess when actual weight "
                "is more than 20% above ideal; work it out with pharmacy)"
            ), None
        if weight_kg is None:
            return None, f"{per} {dose.route}{cap} (weight not recorded)", "weight"
        amount = round(dose.per_kg * weight_kg, 1)
        text = f"{per} x {_num(weight_kg)} kg = {_num(amount)} {dose.unit} {dose.route}"
        if dose.max_amount is not None and amount > dose.max_amount:
            text = f"{per} x {_num(weight_kg)} kg = {_num(amount)} {dose.unit}, capped at the maximum " \
                   f"{_num(dose.max_amount)} {dose.unit} {dose.route}"
            amount = dose.max_amount
        elif dose.max_amount is not None:
            text += f" (maximum {_num(dose.max_amount)} {dose.unit})"
        return amount, text, None
    assert dose.amount is not None  # the schema requires amount or per_kg
    if dose.heavy_weight_kg is None or dose.heavy_amount is None:
        return dose.amount, f"{_num(dose.amount)} {dose.unit} {dose.route}", None
    heavy = f"{_num(dose.heavy_amount)} {dose.unit} at {_num(dose.heavy_weight_kg)} kg or more"
    if weight_kg is None:
        return None, f"{_num(dose.amount)} {dose.unit} {dose.route}; {heavy} (weight not recorded)", "weight"
    if weight_kg >= dose.heavy_weight_kg:
        return dose.heavy_amount, (
            f"{_num(dose.heavy_amount)} {dose.unit} {dose.route} (weight {_num(weight_kg)} kg, at or above "
            f"{_num(dose.heavy_weight_kg)} kg)"
        ), None
    return dose.amount, (
        f"{_num(dose.amount)} {dose.unit} {dose.route} "
        f"(weight {_num(weight_kg)} kg, below {_num(dose.heavy_weight_kg)} kg)"
    ), None


def infusion_for(dose: Dose, amount: float | None) -> str | None:
    """The shortest infusion time for this amount, from the item's rate limit and minimum time."""
    if dose.infusion_max_rate_per_min is None and dose.infusion_min_minutes is None:
        return None
    rules = []
    if dose.infusion_max_rate_per_min is not None:
        rules.append(f"no faster than {_num(dose.infusion_max_rate_per_min)} {dose.unit}/min")
    if dose.infusion_min_minutes is not None:
        rules.append(f"at least {dose.infusion_min_minutes} minutes")
    if amount is None:
        return f"Infuse {' and over '.join(rules)}."
    minutes = max(
        dose.infusion_min_minutes or 0,
        math.ceil(amount / dose.infusion_max_rate_per_min) if dose.infusion_max_rate_per_min else 0,
    )
    return f"Infuse over at least {minutes} minutes ({', '.join(rules)})."


def line_text(line: OrderLine) -> str:
    """One line of the order set as sentences: instruction, dose, timing, redosing, duration, reason, notes."""
    bits = [line.instruction]
    for label, value in (("Dose", line.dose_text), ("Infusion", line.infusion), ("Timing", line.timing),
                         ("Redosing", line.redosing), ("Duration", line.duration),
                         ("National guidance", line.duration_national), ("Why", line.reason)):
        if value:
            bits.append(f"{label}: {value}")
    bits += [f"Note: {n}" for n in line.notes]
    return " ".join(b if b.endswith(".") else b + "." for b in bits)


def describe_condition(cond: Condition, pack: KnowledgePack) -> str:
    def label(fid: str) -> str:
        f = pack.findings.get(fid)
        return f.label if f else fid

    parts = []
    if cond.all:
        parts.append(" and ".join(label(f) for f in cond.all))
    if cond.any:
        parts.append(" or ".join(label(f) for f in cond.any))
    if cond.none:
        parts.append("no " + " or ".join(label(f) for f in cond.none))
    return "; ".join(parts)


def _line(item: OrderItem, used: list[str], weight: float | None, hits: Hits,
          national: CitedNote | None) -> tuple[OrderLine, str | None]:
    from ..engine.conditions import check

    amount = text = warn = infusion = None
    if item.dose is not None:
        amount, text, warn = dose_for(item.dose, weight)
        infusion = infusion_for(item.dose, amount)
    citations = list(item.citations)
    notes: list[str] = []
    for note in item.notes:
        note_used = check(note.when, hits)
        if note_used is not None:
            notes.append(note.text)
            used = [*used, *(u for u in note_used if u not in used)]
            citations += [c for c in note.citations if c not in citations]
    duration_national = None
    if (national is not None and item.category == "antibiotic_prophylaxis" and item.duration
            and item.duration != national.text and "single" not in item.duration.lower()):
        # a local pack changed how long prophylaxis runs: show the national guidance beside it
        duration_national = national.text
        citations += [c for c in national.citations if c not in citations]
    line = make(OrderLine,
        item=item.id, category=item.category, title=item.title, choose_one_of=item.choose_one_of,
        medication=item.medication, rxnorm=item.rxnorm, dose_text=text, dose_amount=amount,
        dose_unit=item.dose.unit if item.dose else None, route=item.dose.route if item.dose else None,
        infusion=infusion, timing=item.timing, redosing=item.redosing, duration=item.duration,
        duration_national=duration_national, instruction=item.instruction,
        reason=item.when_reason if used else None, inputs=used, notes=notes, evidence=item.evidence,
        evidence_gap=item.evidence_gap, citations=citations,
    )
    return line, warn


@per_pack
def _items(pack: KnowledgePack) -> tuple[tuple[OrderItem, str | None], ...]:
    """The pack's order items in order, each with what it applies only with (None: always), once per pack."""
    items: list[OrderItem] = sorted(pack.sections.get("order_items", {}).values(), key=lambda i: (i.order, i.id))
    return tuple(
        (i, f"{i.title}: applies only with {describe_condition(i.when, pack)}" if i.when is not None else None)
        for i in items
    )


def build_order_set(case: Case, pack: KnowledgePack, hits: Hits | None = None) -> OrderSet | None:
    """The order set for a case, or None when the pack has no order-set protocol."""
    protocol = pack.sections.get("order_set")
    if not isinstance(protocol, OrderSetProtocol):
        return None
    from ..engine.conditions import check

    if hits is None:
        from .revision import case_hits

        hits = case_hits(case, pack)
    weight = case.patient.weight_kg
    lines: list[OrderLine] = []
    skipped: list[str] = []
    warnings: list[str] = []
    for item, not_applicable in _items(pack):
        if not item.enabled:
            skipped.append(f"{item.title}: switched off in a local pack")
            continue
        used = check(item.when, hits)
        if used is None:
            assert not_applicable is not None  # an absent condition always holds
            skipped.append(not_applicable)
            continue
        line, warn = _line(item, used, weight, hits, protocol.prophylaxis_duration)
        lines.append(line)
        if warn == "weight":
            warnings.append(f"Record the patient's weight: the {item.medication or item.title} dose depends on it.")
    if hits.get("bl_allergy_ungraded"):
        warnings.append(
            "Beta-lactam allergy recorded without its reaction: grade it (risk_factors.beta_lactam_allergy_severity). "
            "A low-risk history keeps cefazolin; until it is graded, the alternative regimen is listed."
        )
    cited = sorted({*protocol.citations, *(c for line in lines for c in line.citations)})
    return make(OrderSet,
        protocol=protocol.id, label=protocol.label, version=protocol.version, knowledge_sources=list(pack.sources),
        lines=lines, not_applicable=skipped, warnings=sorted(set(warnings)), local_note=protocol.local_note,
        citations=cited,
    )
