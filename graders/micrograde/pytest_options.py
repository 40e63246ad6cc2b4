"""The grading options of pytest, registered as an installed plugin (entry point `pytest11`).

Registered at start-up, before pytest reads the command line, so that in
`pytest graders --submission DIR` pytest knows DIR is the option's value. Were the
option unknown at that point, pytest would take DIR for a test path and load
DIR/conftest.py (submission code) into the grading process.
"""
from .grading import DEFAULT_SEED
from .options import add_integrity_option, add_limit_options
from .spec import KIT_ROOT


def pytest_addoption(parser):
    group = parser.getgroup("micrograde", "grading a micrograd submission")
    group.addoption("--submission", default=str(KIT_ROOT / "student_template"),
                    help="folder that contains the micrograd/ package (default: student_template/)")
    group.addoption("--report", default="micrograde-report.json", help="where to write the JSON score report")
    group.addoption("--layout", default=None, metavar="FILE",
                    help="instructor's layout file: JSON mapping contract names to 'path.py[:Name]' "
                         "where a course's names or files differ")
    group.addoption("--seed", type=int, default=DEFAULT_SEED, help="grading seed (instructors: a private one)")
    add_integrity_option(group.addoption)
    add_limit_options(group.addoption)
