"""The grading options of pytest, registered as an installed plugin (entry point `pytest11`).

Registered at start-up, before pytest reads the command line, so that in
`pytest graders --submission DIR` pytest knows DIR is the option's value. Were the
option unknown at that point, pytest would take DIR for a test path and load
DIR/conftest.py (submission code) into the grading process.
"""
from dataclasses import fields

from .grading import DEFAULT_SEED
from .report.build import INTEGRITY_POLICIES
from .spec import KIT_ROOT
from .worker.limits import Limits


def pytest_addoption(parser):
    group = parser.getgroup("micrograde", "grading a micrograd submission")
    group.addoption("--submission", default=str(KIT_ROOT / "student_template"),
                    help="folder that contains the micrograd/ package (default: student_template/)")
    group.addoption("--report", default="micrograde-report.json", help="where to write the JSON score report")
    group.addoption("--layout", default=None, metavar="FILE",
                    help="instructor's layout file: JSON mapping contract names to 'path.py[:Name]' "
                         "where a course's names or files differ")
    group.addoption("--seed", type=int, default=DEFAULT_SEED, help="grading seed (instructors: a private one)")
    group.addoption("--integrity", default="report", choices=INTEGRITY_POLICIES,
                    help="report: integrity findings are shown, the score is unchanged (default); "
                         "zero: a flagged submission scores 0")
    for f in fields(Limits):
        group.addoption("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default, dest=f"limit_{f.name}",
                        help=f"worker limit {f.name} (default {f.default})")
