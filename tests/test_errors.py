"""One errors module: every error the kit raises on purpose is defined in micrograde/errors.py,
carries its exit status or report status, and `micrograde` turns it into one line in one place."""
import ast
from pathlib import Path

import pytest

from micrograde import errors
from micrograde.cli import main

PACKAGE = Path(errors.__file__).parent


def _exception_classes_outside_errors_py():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases]
                if any(b.endswith(("Error", "Exception")) or b in ("Missing", "ProbeTimeout") for b in bases):
                    found.append(f"{path.relative_to(PACKAGE)}: {node.name}")
    return found


def test_no_module_but_errors_py_defines_an_exception_class():
    assert _exception_classes_outside_errors_py() == []


@pytest.mark.parametrize("cls, code", [
    (errors.UsageError, 2), (errors.NotASubmission, 2), (errors.SourceError, 2), (errors.ReportError, 2),
    (errors.KitError, 3),
])
def test_every_command_error_carries_its_exit_status(cls, code):
    assert cls.exit_code == code
    assert cls("say what to do").user_message("grade") == "micrograde grade: error: say what to do"


@pytest.mark.parametrize("cls, status", [
    (errors.ProbeTimeout, "timeout"), (errors.WorkerCrashed, "error"), (errors.MissingName, "missing"),
])
def test_every_probe_error_carries_its_report_status_and_is_never_shrunk(cls, status):
    assert cls.status == status and cls("x").feedback == "x"
    assert not issubclass(cls, Exception)  # Hypothesis shrinks on Exception only


def test_the_cli_turns_a_kit_error_into_one_line_and_status_3(capsys, monkeypatch, tmp_path):
    from micrograde.cli import release

    def broken(out, **_):
        raise errors.KitError("the kit would ship reference/micrograd/engine.py")

    monkeypatch.setattr(release, "write_release", broken)
    assert main(["release", "--out", str(tmp_path / "kit")]) == 3
    assert capsys.readouterr().err == "micrograde release: error: the kit would ship reference/micrograd/engine.py\n"


@pytest.mark.parametrize("argv, unknown", [(["grade", "reference", "--out", "r.json"], "--out"),
                                           (["course", "init", "c", "--nam", "x"], "--nam")])
def test_an_abbreviated_option_is_unknown_not_taken_for_a_longer_one(capsys, argv, unknown):
    # `grade --out r.json` was `--output-kb r.json`, whose error named an option nobody typed.
    assert main(argv) == 2
    assert f"unrecognized arguments: {unknown}" in capsys.readouterr().err
