from typer.testing import CliRunner

from revspine import assess, parse_case
from revspine.cli import app
from revspine.cli.main import read_case_file

from .conftest import TODAY


def test_every_example_assesses(pack, examples):
    assert examples
    for path in examples:
        a = assess(parse_case(read_case_file(path), pack, today=TODAY), pack)
        assert a.versions.knowledge == pack.version
        assert a.differential


def test_cli_bad_json_exits_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(app, ["assess", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
