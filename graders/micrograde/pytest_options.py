"""The grading options of pytest (--submission, --report, --seed, the limits, ...).

Installed as a plugin (entry point `pytest11`) so that they are known before pytest reads
the command line: in `pytest graders --submission DIR`, pytest must know that DIR is the
option's value. Were the option unknown at that point, pytest would take DIR for a test
path and load DIR/conftest.py (submission code) into the grading process.

pytest reads its settings file before it knows the option, so in `pytest graders/m1
--submission reference` it takes `reference` for a test path too, and finds the kit's own
settings (pyproject.toml, for the kit's tests) instead of graders/pytest.ini: such a run
takes the graders' settings from graders/pytest.ini itself (`graders_settings`).

Installed plugins load in every pytest session of the environment, including a student's
own unrelated projects, where options such as --seed would clash with theirs. So the
options exist only in a grading session: one started in the kit's graders/ folder or
given a path inside it. Everything else of the plugin (micrograde.plugin) is activated by
graders/conftest.py alone.
"""
import configparser
import os
import shlex
from pathlib import Path

import pytest

from . import early_worker
from .options import add_course_option, add_integrity_option, add_layout_option, add_limit_options
from .spec import DEFAULT_SEED, GRADERS, KIT_ROOT



def is_grading_session(config) -> bool:
    """True when pytest was started in the kit's graders/ folder or given a path inside it."""
    params = config.invocation_params
    places = [Path(params.dir)] + [Path(params.dir, str(arg).split("::")[0])
                                   for arg in params.args if not str(arg).startswith(("-", "@"))]
    for place in places:
        place = place.resolve()
        if place == GRADERS or GRADERS in place.parents:
            return True
    return False


def pytest_addoption(parser, pluginmanager):
    """Register the grading options, in a grading session only (see the module's docstring)."""
    config = pluginmanager.get_plugin("pytestconfig")
    if config is not None and not is_grading_session(config):
        return
    group = parser.getgroup("micrograde", "grading a micrograd submission")
    group.addoption("--submission", default=str(KIT_ROOT / "student_template"),
                    help="folder that contains the micrograd/ package (default: student_template/)")
    group.addoption("--report", default="micrograde-report.json", help="where to write the JSON score report")
    add_layout_option(group.addoption)
    add_course_option(group.addoption)
    group.addoption("--seed", type=int, default=DEFAULT_SEED, help="grading seed (instructors: a private one)")
    add_integrity_option(group.addoption)
    add_limit_options(group.addoption)


GRADERS_INI = GRADERS / "pytest.ini"


def graders_settings() -> list[str]:
    """The options graders/pytest.ini adds to every grading session."""
    ini = configparser.ConfigParser()
    ini.read(GRADERS_INI, encoding="utf-8")
    return shlex.split(ini.get("pytest", "addopts", fallback=""))


def _take_graders_settings(early_config, args) -> None:
    """A grading session that pytest gave other settings than graders/pytest.ini runs with
    the graders' anyway: the same plugins off (Hypothesis's would import Hypothesis at the
    end of every run), the same output, whichever way the options were spelled."""
    if early_config.inipath is not None and Path(early_config.inipath).resolve() == GRADERS_INI:
        return
    options = graders_settings()
    # None of them is configured yet: each `-p no:NAME` unregisters it now, as pytest would have.
    early_config.pluginmanager.consider_preparse(options, exclude_only=True)
    args[:] = options + args  # parsed after this hook; the command line's own options win


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Take the graders' settings; start the run's workers before graders/conftest.py loads
    our plugin and Hypothesis."""
    if is_grading_session(early_config):
        _take_graders_settings(early_config, args)
        # Hypothesis loads the plugins other packages register with it when it is first
        # imported (trio's, in an environment with selenium, is half a second): a grading
        # draws from the kit's strategies only, so it loads none.
        os.environ.setdefault("HYPOTHESIS_NO_PLUGINS", "1")
        early_worker.start(early_config)


def pytest_unconfigure(config):
    """Close the early workers no check took."""
    early_worker.close(config)
