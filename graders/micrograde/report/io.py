"""Reading and writing score reports, always against specs/report.schema.json."""
import functools
import json
from pathlib import Path

from .. import atomic
from ..errors import ReportError
from ..spec import SPECS_DIR


@functools.lru_cache(maxsize=1)
def _validator():
    # jsonschema (with referencing, attrs and rpds) is 50-90 ms of import, here when a report
    # is first validated: not in every command that builds its options (--integrity's choices
    # are report.build's), and in a grading after its early workers have started.
    import jsonschema

    schema = json.loads((SPECS_DIR / "report.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def prepare() -> None:
    """Import and build the validator now (a template process, before it forks its gradings)."""
    _validator()


def validate_report(report: dict) -> None:
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(report))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ReportError(f"report is not valid at {where}: {error.message}")


def write_report(report: dict, path, private: bool = False) -> None:
    """`private`: readable by us only, for a report written while workers run (it holds
    the seed, and a worker without its namespaces runs on this machine's files)."""
    validate_report(report)
    atomic.write_text(path, json.dumps(report, indent=2, sort_keys=False) + "\n", 0o600 if private else 0o644)


def load_report(path) -> dict:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"no report at {path}: grade a submission first (micrograde grade DIR --json {path})") from None
    except OSError as e:
        raise ReportError(f"cannot read report {path}: {e.strerror}") from None
    try:
        report = json.loads(text)
    except json.JSONDecodeError as e:
        raise ReportError(f"{path} is not JSON (line {e.lineno}): is it a micrograde report?") from None
    if not isinstance(report, dict):
        raise ReportError(f"{path} is not a micrograde report (expected a JSON object)")
    try:
        validate_report(report)
    except ReportError as e:
        raise ReportError(f"{path}: {e}") from None
    return report
