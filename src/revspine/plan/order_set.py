"""The peri-operative order set for one patient, from the protocol in the knowledge pack.

Each item of the protocol applies when its condition over the case's findings holds; doses are
worked out from the patient's weight where the protocol says so, and the arithmetic is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._construct import make
from ..case.model import Case
from ..knowledge.pack import KnowledgePack
from ..knowledge.schema import Condition
from .models import OrderLine, OrderSet
from .schema import Dose, OrderItem, OrderSetProtocol

if TYPE_CHECKING:
    from ..engine.conditions import Hits

__all__ = ["ORDER_CATEGORY_LABELS", "build_order_set", "describe_condition", "dose_for", "line_text"]


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
        if weight_kg is None:
            return None, f"{_num(dose.per_kg)} {dose.unit}/kg {dose.route} (weight not recorded)", "weight"
        amount = round(dose.per_kg * weight_kg, 1)
        text = f"{_num(dose.per_kg)} {dose.unit}/kg x {_num(weight_kg)} kg = {_num(amount)} {dose.unit} {dose.route}"
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


def line_text(line: OrderLine) -> str:
    """One line of the order set as sentences: instruction, dose, timing, redosing, duration, reason."""
    bits = [line.instruction]
    for label, value in (("Dose", line.dose_text), ("Timing", line.timing), ("Redosing", line.redosing),
                         ("Duration", line.duration), ("Why", line.reason)):
        if value:
            bits.append(f"{label}: {value}")
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


def _line(item: OrderItem, used: list[str], weight: float | None) -> tuple[OrderLine, str | None]:
    amount = text = warn = None
    if item.dose is not None:
        amount, text, warn = dose_for(item.dose, weight)
    line = make(OrderLine,
        item=item.id, category=item.category, title=item.title, choose_one_of=item.choose_one_of,
        medication=item.medication, rxnorm=item.rxnorm, dose_text=text, dose_amount=amount,
        dose_unit=item.dose.unit if item.dose else None, route=item.dose.route if item.dose else None,
        timing=item.timing, redosing=item.redosing, duration=item.duration, instruction=item.instruction,
        reason=item.when_reason if used else None, inputs=used, evidence=item.evidence,
        evidence_gap=item.evidence_gap, citations=list(item.citations),
    )
    return line, warn


def build_order_set(case: Case, pack: KnowledgePack, hits: Hits | None = None) -> OrderSet | None:
    """The order set for a case, or None when the pack has no order-set protocol."""
    protocol = pack.sections.get("order_set")
    if not isinstance(protocol, OrderSetProtocol):
        return None
    from ..engine.conditions import check

    if hits is None:
        from .revision import case_hits

        hits = case_hits(case, pack)
    items: list[OrderItem] = sorted(pack.sections.get("order_items", {}).values(), key=lambda i: (i.order, i.id))
    weight = case.patient.weight_kg
    lines: list[OrderLine] = []
    skipped: list[str] = []
    warnings: list[str] = []
    for item in items:
        if not item.enabled:
            skipped.append(f"{item.title}: switched off in a local pack")
            continue
        used = check(item.when, hits)
        if used is None:
            assert item.when is not None  # an absent condition always holds
            skipped.append(f"{item.title}: applies only with {describe_condition(item.when, pack)}")
            continue
        line, warn = _line(item, used, weight)
        lines.append(line)
        if warn == "weight":
            warnings.append(f"Record the patient's weight: the {item.medication or item.title} dose depends on it.")
    if hits.get("beta_lactam_allergy") and hits.get("mrsa_colonised"):
        warnings.append(
            "Beta-lactam allergy and MRSA colonisation are both recorded: the MRSA guidance names vancomycin; "
            "check local susceptibility before choosing clindamycin."
        )
    cited = sorted({*protocol.citations, *(c for line in lines for c in line.citations)})
    return make(OrderSet,
        protocol=protocol.id, label=protocol.label, version=protocol.version, knowledge_sources=list(pack.sources),
        lines=lines, not_applicable=skipped, warnings=sorted(set(warnings)), local_note=protocol.local_note,
        citations=cited,
    )
