"""A pytest plugin of the benchmarks (never of the kit): logs every probe a grading asks
its worker for, to the JSON file named by BENCH_PROBE_LOG, so that floor.py can time the
reference's own arithmetic on exactly those requests.

    PYTHONPATH=graders:benchmarks python -m pytest graders/m1 -p probe_log --submission reference
"""
import json
import os

from micrograde.worker import client

LOG = []
_call = client.Sandbox.call


def _logged_call(self, probe, what, timeout=None, **args):
    LOG.append([probe, args])
    return _call(self, probe, what, timeout, **args)


client.Sandbox.call = _logged_call


def pytest_unconfigure(config):
    with open(os.environ["BENCH_PROBE_LOG"], "w") as f:
        json.dump(LOG, f)
