"""Read each lab value against its threshold and the days since surgery."""

from __future__ import annotations

from ..knowledge.pack import KnowledgePack
from ..knowledge.schema import LabTestRule
from .facts import Facts, LabRead

__all__ = ["read_labs"]


def _kinetics(rule: LabTestRule, facts: Facts) -> tuple[int | None, int | None, list[str], str]:
    best = None
    for k in rule.kinetics:
        if k.applies_to == "instrumented_fusion" and facts.index_fusion_instrumented:
            best = k
            break
        if k.applies_to == "any" and best is None:
            best = k
    if best is None:
        return None, None, [], ""
    return best.expected_raised_until_day, best.peak_day, list(best.citations), best.reason


def read_labs(facts: Facts, pack: KnowledgePack) -> dict[str, list[LabRead]]:
    out: dict[str, list[LabRead]] = {}
    index_date = facts.index.date if facts.index else None
    for test, items in facts.labs_by_test.items():
        rule = pack.labs.get(test)
        if rule is None:
            continue
        until, peak, kcites, kreason = _kinetics(rule, facts)
        reads: list[LabRead] = []
        prev_post_peak: float | None = None
        for i, lab in items:
            day = (lab.date - index_date).days if index_date else None
            cites = list(rule.threshold_citations)
            v = lab.value
            status, reading, thr = "normal", "", None
            if rule.upper_threshold is not None and v > rule.upper_threshold:
                thr = rule.upper_threshold
                status, reading = "raised", f"above {thr:g} {rule.canonical_unit}: {rule.threshold_meaning}"
                if until is not None and day is not None and day >= 0:
                    cites += kcites
                    if day <= until:
                        status = "raised_expected"
                        reading = f"raised on day {day}, within the expected post-operative course: {kreason}"
                    else:
                        status = "raised_beyond_expected"
                        reading = (
                            f"still above {thr:g} {rule.canonical_unit} on day {day}, later than the expected "
                            f"return by day {until}: {rule.threshold_meaning}"
                        )
            elif rule.lower_threshold is not None and v < rule.lower_threshold:
                thr = rule.lower_threshold
                status, reading = "low", f"below {thr:g} {rule.canonical_unit}: {rule.threshold_meaning}"
            elif rule.upper_threshold is None and rule.lower_threshold is None:
                status, reading = "not_interpreted", rule.threshold_meaning
            else:
                thr = rule.upper_threshold if rule.upper_threshold is not None else rule.lower_threshold
                reading = "within the threshold"
                if rule.normal_caveat:
                    reading += f"; {rule.normal_caveat}"
                    cites += rule.normal_caveat_citations
            # From the expected peak day on, CRP should only fall until it is normal; a value
            # above the one before it (taken on or after the peak day) is a second rise.
            if peak is not None and day is not None and peak <= day and until is not None and day <= until:
                if day > peak and prev_post_peak is not None and v > prev_post_peak and status != "normal":
                    status = "second_rise"
                    reading = f"rose again on day {day} after the expected peak (day {peak}): {kreason}"
                    cites += kcites
                prev_post_peak = v
            reads.append(
                LabRead(
                    test=test, value=v, unit=lab.unit, date=lab.date, path=f"labs[{i}]",
                    day_after_surgery=day, status=status, reading=reading,
                    citations=sorted(set(cites)), threshold=thr,
                )
            )
        out[test] = reads
    return out
