"""Golden files: the assessment JSON of every example, byte for byte.

tests/golden/<example>.json is exactly what ``revspine assess examples/<example>.json
--format json`` prints. Any change in the output (a score, a reason, a citation, the
order of the differential, a version) fails here and shows as a diff. When the change
is intended, regenerate and review the diff before committing:

    .venv/bin/pytest tests/test_golden.py --update-golden
    git diff tests/golden/
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from revspine import Assessment, assess, parse_case
from revspine.cli import app
from revspine.cli.main import example_paths, read_case_file
from revspine.cli.render import to_json

from .conftest import TODAY

GOLDEN = Path(__file__).parent / "golden"


def _golden_path(example: Path) -> Path:
    return GOLDEN / example.name


@pytest.mark.parametrize("example", example_paths(), ids=lambda p: p.stem)
def test_assessment_matches_golden(example: Path, pack, update_golden: bool):
    actual = to_json(assess(parse_case(read_case_file(example), pack, today=TODAY), pack))
    golden = _golden_path(example)
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        if not golden.exists() or golden.read_text(encoding="utf-8") != actual:
            golden.write_text(actual, encoding="utf-8")
            pytest.skip(f"--update-golden rewrote {golden.relative_to(GOLDEN.parent.parent)}: review the diff")
        return
    assert golden.exists(), f"no golden file for {example.name}; run pytest --update-golden and review it"
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                fromfile=f"golden/{example.name}", tofile="now", n=2,
            )
        )
        pytest.fail(f"assessment of {example.name} changed (pytest --update-golden if intended):\n{diff[:6000]}")


@pytest.mark.parametrize("example", example_paths(), ids=lambda p: p.stem)
def test_assessment_validates_against_its_own_schema(example: Path, pack):
    """The engine builds results without re-validating them; prove they would pass validation."""
    text = to_json(assess(parse_case(read_case_file(example), pack, today=TODAY), pack))
    assert to_json(Assessment.model_validate_json(text)) == text


def test_no_stale_golden_files():
    names = {p.name for p in example_paths()}
    stale = sorted(p.name for p in GOLDEN.glob("*.json") if p.name not in names)
    assert not stale, f"golden files without an example: {stale}"


def test_cli_json_is_the_golden_output(tmp_path):
    """The CLI prints the same bytes the golden test compares (one example is enough: same function)."""
    example = example_paths()[0]
    result = CliRunner().invoke(app, ["assess", str(example), "--format", "json", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert result.stdout == _golden_path(example).read_text(encoding="utf-8")
    assert json.loads(result.stdout)["case_id"] == json.loads(example.read_text())["case_id"]
