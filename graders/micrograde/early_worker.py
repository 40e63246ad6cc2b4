"""Starting a grading run's workers while pytest is still starting, so that they overlap.

A worker takes a few tenths of a second to start (an interpreter, the probes, the
sandbox), a second more when it preloads plotting; pytest meanwhile imports our plugin
and Hypothesis and collects the checks. Started from `pytest_load_initial_conftests` (on
the main thread: a worker dies with the thread that started it), the plain worker is
ready when the first check asks, and the plotting one (M4) loads while M1-M3 run.
Each worker is the same in every respect as one started on first use: same isolation,
same limits, fresh for this submission; only the moment it starts changes.
"""
from pathlib import Path

import pytest

from . import rubric
from .spec import GRADERS

SANDBOXES = pytest.StashKey[dict]()
LAYOUT = pytest.StashKey[tuple]()  # (submission, layout file, the layout discovered)


def graded_milestones(early_config):
    """The milestones the command line asks to grade: a list, None for all, or False (not grading)."""

    namespace = early_config.known_args_namespace
    invocation = Path(early_config.invocation_params.dir)
    chosen = set()
    for arg in namespace.file_or_dir or [str(invocation)]:
        path = (invocation / str(arg).split("::")[0]).resolve()
        if path == GRADERS:
            return None
        if GRADERS not in path.parents:
            continue
        milestone = path.relative_to(GRADERS).parts[0]
        if milestone not in rubric.MILESTONES:
            return None
        chosen.add(milestone)
    return sorted(chosen) if chosen else False


def start(early_config) -> None:
    """Start the workers of this grading run, if it is one; any doubt, and the plugin starts them later."""
    namespace = early_config.known_args_namespace
    if getattr(namespace, "help", False) or getattr(namespace, "collectonly", False):
        return
    milestones = graded_milestones(early_config)
    if milestones is False:
        return
    from . import submission as submission_files
    from .layout import discover as discover_layout
    from .options import limits_from
    from .worker import Sandbox, worker_kind

    try:
        submission = submission_files.check_folder(namespace.submission)
        limits = limits_from(lambda dest: getattr(namespace, dest))
        layout = discover_layout(submission, namespace.layout)
        early_config.stash[LAYOUT] = (submission, namespace.layout, layout)
    except Exception:  # bad options: the plugin says what is wrong when it configures
        return
    kinds = {worker_kind(m) for m in (milestones or rubric.MILESTONES)}
    started = early_config.stash[SANDBOXES] = {}
    for kind in sorted(kinds):  # "plain" first: the first checks need it
        started[kind] = Sandbox(submission, limits, layout=layout, plotting=kind == "plotting")
        started[kind].start()


def discovered(config, submission: Path, layout_file):
    """The layout discovered at the early start for this submission and layout file, or None."""
    found = config.stash.get(LAYOUT, None)
    return found[2] if found is not None and found[:2] == (submission, layout_file) else None


def take(config, kind: str, submission: Path, limits):
    """The worker of this kind started early for this submission and these limits, or None."""
    sandbox = config.stash.get(SANDBOXES, {}).get(kind)
    if sandbox is None or sandbox.submission != submission or sandbox.limits != limits:
        return None
    del config.stash[SANDBOXES][kind]
    return sandbox


def close(config) -> None:
    """Close the early workers no check used (a run that collected nothing, say)."""
    for sandbox in config.stash.get(SANDBOXES, {}).values():
        sandbox.close()
    config.stash[SANDBOXES] = {}
