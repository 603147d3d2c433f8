"""Read each lab value against its threshold, the patient's age and sex, and the days since surgery.

A marker with a post-operative course (CRP, ESR) is read in this order:

1. the threshold: the pack's upper threshold, or the age-and-sex upper limit of normal when that
   is higher (ESR: Miller 1983), so a value within the patient's own limit is never "raised";
2. the day after the index operation: a value whose day cannot be known (no operation date, or
   taken before the operation) is ``raised`` and says so; the pack weighs it least;
3. the trend: from the expected peak on, a value not lower than the one before it is a
   ``second_rise`` (a second rise or a failure to fall), whatever the day;
4. the expected course: raised within it is ``raised_expected``; in its tail (where the source
   shows a minority still raised) one value alone is ``raised_indeterminate`` and a falling one is
   expected; later it is ``raised_beyond_expected``.
"""

from __future__ import annotations

from datetime import date

from ..case.model import Case
from ..knowledge.pack import KnowledgePack
from ..knowledge.schema import Kinetics, LabTestRule
from .facts import Facts, LabRead, reported_interval

__all__ = ["read_labs", "age_sex_upper_limit", "reported_above", "reported_below"]


def _kinetics(rule: LabTestRule, facts: Facts) -> Kinetics | None:
    best = None
    for k in rule.kinetics:
        if k.applies_to == "instrumented_fusion" and facts.index_fusion_instrumented:
            return k
        if k.applies_to == "any" and best is None:
            best = k
    return best


def _age(case: Case, on: date) -> int | None:
    p = case.patient
    if p.age is not None:
        return p.age
    if p.birth_date is None:
        return None
    b = p.birth_date
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def age_sex_upper_limit(rule: LabTestRule, case: Case, on: date) -> tuple[float, str] | None:
    """The rule's age-and-sex upper limit of normal for this patient, and how it was worked out; None when
    the rule has none or the age or sex is not recorded."""
    lim = rule.age_sex_limit
    sex = case.patient.sex._value_
    age = _age(case, on)
    if lim is None or age is None or sex not in ("male", "female"):
        return None
    offset = lim.male_offset if sex == "male" else lim.female_offset
    value = (age + offset) / lim.divisor
    how = f"(age {age} + {offset:g}) / {lim.divisor:g}" if offset else f"age {age} / {lim.divisor:g}"
    return value, f"{how} = {value:g} {rule.canonical_unit} for a {age}-year-old {'man' if sex == 'male' else 'woman'}"


def read_labs(facts: Facts, pack: KnowledgePack) -> dict[str, list[LabRead]]:
    out: dict[str, list[LabRead]] = {}
    index_date = facts.index.date if facts.index else None
    for test, items in facts.labs_by_test.items():
        rule = pack.labs.get(test)
        if rule is None:
            continue
        k = _kinetics(rule, facts)
        upper = rule.upper_threshold
        limit_cites: list[str] = []
        limit_note = ""
        if upper is not None and (adj := age_sex_upper_limit(rule, facts.case, facts.ref_date)) is not None:
            assert rule.age_sex_limit is not None
            limit_cites = list(rule.age_sex_limit.citations)
            if adj[0] > upper:
                upper = adj[0]
                limit_note = f" (the age- and sex-adjusted upper limit of normal, {adj[1]})"
            else:
                limit_note = f" (the age- and sex-adjusted limit, {adj[1]}, is lower; the fixed threshold applies)"
        reads: list[LabRead] = []
        prev: tuple[float, int] | None = None  # (value, day) of the last dated value from the peak day on
        for i, lab in items:
            day = (lab.date - index_date).days if index_date else None
            dated = day is not None and day >= 0
            cites = list(rule.threshold_citations) + limit_cites
            v, cmp = lab.value, lab.comparator
            status, reading, thr = "normal", "", None
            up = reported_above(v, cmp, upper) if upper is not None else False
            lower = rule.lower_threshold
            low = reported_below(v, cmp, lower) if lower is not None and up is False else False
            if up is None or low is None:  # "<15" against 10, ">3" against 10: the comparison is not certain
                thr = upper if up is None else lower
                side = "above" if up is None else "below"
                status, reading = "not_interpreted", (
                    f"reported as {cmp} {v:g} {rule.canonical_unit}: it cannot be told whether it is {side} "
                    f"{thr:g} {rule.canonical_unit}{limit_note if up is None else ''}; not read"
                )
            elif up:
                thr = upper
                above = f"above {thr:g} {rule.canonical_unit}{limit_note}"
                status, reading = "raised", f"{above}: {rule.threshold_meaning}"
                if k is not None:
                    cites += k.citations
                    if not dated:
                        when = "no operation date is recorded" if day is None else (
                            f"it was taken {-day} days before the operation it would be read against"
                        )
                        reading = (
                            f"{above}, but its day after surgery cannot be known ({when}): it cannot be read "
                            "against the expected post-operative course and weighs least"
                        )
                    else:
                        assert day is not None
                        status, reading = _course(k, day, v, prev, above, rule)
            elif low:
                thr = rule.lower_threshold
                status, reading = "low", f"below {thr:g} {rule.canonical_unit}: {rule.threshold_meaning}"
            elif upper is None and rule.lower_threshold is None:
                status, reading = "not_interpreted", rule.threshold_meaning
            else:
                thr = upper if upper is not None else rule.lower_threshold
                reading = f"within the threshold{limit_note}" if upper is not None else "within the threshold"
                if rule.normal_caveat:
                    reading += f"; {rule.normal_caveat}"
                    cites += rule.normal_caveat_citations
            if (k is not None and k.peak_day is not None and dated and day is not None and day >= k.peak_day
                    and cmp == "=" and status != "not_interpreted"):
                if prev is None or day > prev[1]:
                    prev = (v, day)
            reads.append(
                LabRead(
                    test=test, value=v, unit=lab.unit, date=lab.date, path=f"labs[{i}]",
                    day_after_surgery=day, status=status, reading=reading,
                    citations=sorted(set(cites)), threshold=thr, comparator=cmp,
                )
            )
        out[test] = reads
    return out


def reported_above(v: float, cmp: str, t: float) -> bool | None:
    """Whether a value reported with this comparator is above t: True or False when certain, None when not."""
    lo, lo_open, hi, _ = reported_interval(v, cmp)
    if lo > t or (lo == t and lo_open):
        return True
    return False if hi <= t else None


def reported_below(v: float, cmp: str, t: float) -> bool | None:
    """Whether a value reported with this comparator is below t: True or False when certain, None when not."""
    lo, _, hi, hi_open = reported_interval(v, cmp)
    if hi < t or (hi == t and hi_open):
        return True
    return False if lo >= t else None


def _course(
    k: Kinetics, day: int, v: float, prev: tuple[float, int] | None, above: str, rule: LabTestRule
) -> tuple[str, str]:
    """Status and reading of a raised value on a known day after surgery."""
    unit = rule.canonical_unit
    falling = False
    if k.peak_day is not None and day > k.peak_day and prev is not None and day > prev[1]:
        pv, pday = prev
        if v > pv:
            return "second_rise", (
                f"rose again on day {day} ({v:g} {unit}, from {pv:g} on day {pday}) after the expected peak "
                f"(day {k.peak_day}); a second rise or a failure to fall suggests infection: {k.reason}"
            )
        if v == pv:
            return "second_rise", (
                f"did not fall between day {pday} and day {day} ({v:g} {unit}) after the expected peak "
                f"(day {k.peak_day}); a second rise or a failure to fall suggests infection: {k.reason}"
            )
        falling = True
    trend = f", falling from {prev[0]:g} on day {prev[1]}" if falling and prev is not None else ""
    until = k.expected_raised_until_day
    if day <= until:
        return "raised_expected", f"raised on day {day}{trend}, within the expected post-operative course: {k.reason}"
    if k.tail_until_day is not None and day <= k.tail_until_day:
        if falling:
            return "raised_expected", (
                f"still raised on day {day}{trend}: after the usual return by day {until} but still falling, as in "
                f"the minority whose value stays raised longer: {k.reason}"
            )
        return "raised_indeterminate", (
            f"raised on day {day}, after the usual return by day {until} but within the period (to day "
            f"{k.tail_until_day}) in which a minority of uncomplicated patients stay raised: one value cannot be read "
            f"alone; repeat it to see whether it is falling: {k.reason}"
        )
    end = k.tail_until_day or until
    return "raised_beyond_expected", (
        f"still {above} on day {day}{trend}, later than the expected return by day {end}: {rule.threshold_meaning}"
    )
