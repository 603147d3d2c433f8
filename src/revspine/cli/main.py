"""`revspine` commands. Every command is a thin adapter: read input, call the library, render.

Exit codes: 0 ok, 2 bad input, 3 invalid knowledge pack, 1 anything else expected.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markdown import Markdown

from ..case.model import Case
from ..case.validate import parse_case
from ..errors import InputError, Problem, RevspineError
from ..knowledge import KnowledgePack, load_pack
from ..knowledge.interventions import source_attributes
from ..settings import load_settings
from ..workflow import assess_case
from . import screen_commands, web_commands
from .render import to_json, to_markdown
from .score import score_cmd

__all__ = ["app", "main", "read_case_file", "example_paths"]

app = typer.Typer(
    name="revspine",
    help="Decision support for failed back surgery (PSPS type 2) and revision spine surgery.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    fhir = "fhir"


LocalPacks = Annotated[
    list[Path] | None, typer.Option("--pack", help="A local knowledge pack folder to overlay (repeatable)")
]


def _pack(local: list[Path] | None) -> KnowledgePack:
    """The pack to use: the built-in one with the local packs of the settings (REVSPINE_KNOWLEDGE_PACKS), or with
    the --pack folders instead; YAML parsed before is read from the settings' parse cache."""
    settings = load_settings()
    return load_pack(local or settings.pack_dirs(), cache_dir=settings.knowledge_cache())


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fail(exc: RevspineError) -> None:
    """Print the error and one line per problem (JSON path: message) to stderr, then exit with its code."""
    typer.echo(f"error: {_one_line(exc.message)}", err=True)
    for p in exc.problems:
        typer.echo(f"  {_one_line(p.line())}", err=True)
    raise typer.Exit(exc.exit_code)


def read_case_file(path: Path) -> Any:
    """Read a case file as JSON; raise InputError naming the file on failure."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}", [Problem(str(path), exc.strerror or "unreadable")]) from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON", [Problem(str(path), str(exc))]) from None


def _to_case(data: Any, pack: KnowledgePack, today: date | None) -> tuple[Case, Any]:
    """A case from a revspine case JSON or a FHIR Bundle. Returns (case, mapping report or None)."""
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        from ..fhir import bundle_to_case  # imported here: only FHIR input needs the value-set index

        case, report = bundle_to_case(data, pack, today=today)
        return case, report
    return parse_case(data, pack, today=today), None


@app.command("assess")
def assess_cmd(
    case_file: Annotated[Path, typer.Argument(help="A case JSON file (or a FHIR R4 Bundle)")],
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
    pack_dirs: LocalPacks = None,
    today: Annotated[str | None, typer.Option(help="Assessment date when the case has none (YYYY-MM-DD)")] = None,
) -> None:
    """Assess one case and print the assessment."""
    try:
        ref = date.fromisoformat(today) if today else None
    except ValueError as exc:
        _fail(InputError("bad --today", [Problem("--today", f"{exc}; use YYYY-MM-DD")]))
        return
    try:
        pack = _pack(pack_dirs)
        case, report = _to_case(read_case_file(case_file), pack, ref)
        a = assess_case(case, pack)
    except RevspineError as exc:
        _fail(exc)
        return
    if report is not None:
        typer.echo(f"FHIR input: {report.summary()}", err=True)
    if format is Format.json:
        sys.stdout.write(to_json(a))
    elif format is Format.markdown:
        sys.stdout.write(to_markdown(a, pack))
    elif format is Format.fhir:
        from ..fhir import assessment_to_bundle

        bundle = assessment_to_bundle(a, case, report=report, pack=pack)
        sys.stdout.write(orjson.dumps(bundle, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        Console().print(Markdown(to_markdown(a, pack)))


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of a case."""
    sys.stdout.write(json.dumps(Case.model_json_schema(), indent=2) + "\n")


@app.command("knowledge")
def knowledge_cmd(
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
    pack_dirs: LocalPacks = None,
) -> None:
    """List the causes and rules of the knowledge pack with their citations."""
    try:
        pack = _pack(pack_dirs)
    except RevspineError as exc:
        _fail(exc)
        return
    attributes = source_attributes(pack)
    data = {
        "pack": pack.describe(),
        "interventions": [a.model_dump(mode="json") for a in attributes],
        "sections": {
            name: (
                [e.model_dump(mode="json") for e in body.values()]
                if isinstance(body, dict)
                else body.model_dump(mode="json")
            )
            for name, body in pack.sections.items()
        },
    }
    if format is Format.json:
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    con = Console()
    con.print(f"[bold]{pack.info.name}[/] {pack.version} ({', '.join(pack.sources)})")
    for c in pack.causes.values():
        con.print(f"\n[bold]{c.id}[/] {c.label} [{c.kind}] prior {c.prior.value:g} — {c.prior.basis}")
        for e in c.evidence:
            how = f"LR {e.lr:g}" if e.lr is not None else f"ordinal {e.weight:+d}"
            con.print(f"  {e.finding}: {how} [{', '.join(e.citations)}]", markup=False)
    for name in ("red_flags", "workup_rules", "risk_factors", "decision_rules", "non_surgical"):
        con.print(f"\n[bold]{name}[/]")
        for e in pack.sections.get(name, {}).values():
            con.print(f"  {e.id}: {getattr(e, 'label', None) or getattr(e, 'reason', '')} "
                      f"[{', '.join(e.citations)}]", markup=False)
    con.print("\n[bold]Source attributes (ONC HTI-1)[/]")
    for a in attributes:
        used = ", ".join(d.label.lower() for d in a.demographic_and_social_inputs) or "none"
        for line in (f"{a.name} [{a.id}], {a.rules} rules", f"  Developer: {a.developer} ({a.developer_contact})",
                     f"  Funding source: {a.funding_source}",
                     f"  Released {a.release_date}; revised {a.revision_date} (knowledge {a.knowledge_version})",
                     f"  Demographic or social inputs used: {used}",
                     f"  Bibliographic citations: {len(a.bibliographic_citations)} "
                     f"({', '.join(f'{k}: {v}' for k, v in a.evidence_types.items())})"):
            con.print(line, markup=False)


def example_paths() -> list[Path]:
    """The example cases (case JSON)."""
    root = Path(str(resources.files("revspine").joinpath("examples")))
    return sorted(root.glob("*.json"))


def fhir_example_paths() -> list[Path]:
    """The example FHIR R4 Bundles (examples/fhir/: a patient after lumbar fusion)."""
    root = Path(str(resources.files("revspine").joinpath("examples", "fhir")))
    return sorted(root.glob("*.json"))


@app.command("examples")
def examples_cmd(directory: Annotated[Path, typer.Argument(help="Folder to write the example cases into")]) -> None:
    """Write the example cases into DIRECTORY, and the example FHIR Bundles into DIRECTORY/fhir."""
    directory.mkdir(parents=True, exist_ok=True)
    for p in example_paths():
        (directory / p.name).write_bytes(p.read_bytes())
        typer.echo(str(directory / p.name))
    (directory / "fhir").mkdir(exist_ok=True)
    for p in fhir_example_paths():
        (directory / "fhir" / p.name).write_bytes(p.read_bytes())
        typer.echo(str(directory / "fhir" / p.name))


app.command("score")(score_cmd)  # `revspine score INSTRUMENT ITEMS...` (cli/score.py)
web_commands.register(app)  # serve, migrate, user, token, demo (cli/web_commands.py)
screen_commands.register(app)  # screen run, synth, export (cli/screen_commands.py)


def main() -> None:
    app()
