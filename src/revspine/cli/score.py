"""`revspine score INSTRUMENT ITEMS...`: score one questionnaire from its item scores.

Items on the command line in questionnaire order (use `-` for an unanswered item; put `--`
before the items when one is negative, as painDETECT's pain-course item can be), or a JSON
file holding a list of item scores or `{"items": [...]}`. Without items, lists what the
instrument expects. Exit codes follow the rest of the CLI (2 = bad input).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from ..errors import InputError, Problem, RevspineError
from ..instruments.scoring import get_instrument, score_items
from ..knowledge import load_pack
from ..knowledge.sections.instruments import Instrument

__all__ = ["score_cmd", "parse_item", "items_from_file"]

_MISSING = {"-", "x", "na", "null", "none", ""}


def parse_item(text: str, i: int) -> float | None:
    t = text.strip().lower()
    if t in _MISSING:
        return None
    try:
        return float(t)
    except ValueError:
        msg = f"'{text}' is not a number; use '-' if unanswered"
        raise InputError("an item score is not a number", [Problem(f"items[{i}]", msg)]) from None


def items_from_file(path: Path) -> list[float | None]:
    try:
        data: Any = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {path}", [Problem(str(path), exc.strerror or "unreadable")]) from None
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON", [Problem(str(path), str(exc))]) from None
    if isinstance(data, dict):
        data = data.get("items")
    if not isinstance(data, list):
        raise InputError("no item list", [Problem("items", "give a JSON list of item scores or {\"items\": [...]}")])
    out: list[float | None] = []
    for i, v in enumerate(data):
        if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)):
            out.append(None if v is None else float(v))
        else:
            msg = f"{v!r} is not a number or null"
            raise InputError("an item score is not a number", [Problem(f"items[{i}]", msg)])
    return out


def _describe(inst: Instrument) -> str:
    lines = [f"{inst.label} ({inst.id}): {len(inst.items)} items. {inst.scoring_text}"]
    if inst.stem:
        lines.append(inst.stem)
    for n, item in enumerate(inst.items, 1):
        allowed = ", ".join(f"{v:g}" for v in item.values)
        text = f" — {item.text}" if item.text else ""
        lines.append(f"  {n}. {item.topic} [{allowed}]{text}")
    if not inst.licence.text_shipped:
        lines.append(f"Item wording is not shipped: {inst.licence.terms}")
    return "\n".join(lines)


def score_cmd(
    instrument: Annotated[str, typer.Argument(help="Instrument id, e.g. odi, ndi, nrs_back, paindetect, dn4, "
                                                   "start_back, phq9, gad7")],
    items: Annotated[list[str] | None, typer.Argument(help="Item scores in order; '-' for unanswered")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-i", help="JSON file with the item scores")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the score as JSON")] = False,
    pack_dirs: Annotated[list[Path] | None, typer.Option("--pack", help="A local knowledge pack folder")] = None,
) -> None:
    """Score a questionnaire from item scores and show the band, the arithmetic and the citations."""
    err = Console(stderr=True)
    try:
        pack = load_pack(pack_dirs or [])
        inst = get_instrument(instrument, pack)
        if file is not None and items:
            raise InputError("give items or --file, not both", [Problem("items", "both given")])
        if file is None and not items:
            typer.echo(_describe(inst))
            return
        values = items_from_file(file) if file is not None else [parse_item(t, i) for i, t in enumerate(items or [])]
        result = score_items(instrument, values, pack)
    except RevspineError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        for p in exc.problems:
            err.print(f"  {p.line()}", highlight=False, markup=False)
        raise typer.Exit(exc.exit_code) from None
    if as_json:
        sys.stdout.write(orjson.dumps(result.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    out = Console()
    out.print(f"[bold]{result.label}[/]: {result.total:g} {result.unit} — {result.band}", highlight=False)
    for k, v in result.subscales.items():
        out.print(f"  subscale {k}: {v:g}", highlight=False)
    if result.working:
        out.print(f"  {result.working}", highlight=False, markup=False)
    out.print(f"  {result.scoring_text}", highlight=False, markup=False)
    for a in result.alerts:
        out.print(f"[bold red]ACTION:[/] {a}", highlight=False)
    for w in result.warnings:
        out.print(f"[yellow]note:[/] {w}", highlight=False)
    out.print(f"  sources: {', '.join(result.citations)}", highlight=False, markup=False)
