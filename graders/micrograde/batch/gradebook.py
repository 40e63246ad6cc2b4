"""OUT/grades.csv: one row per submission, written atomically so a reader (or a killed
batch) never sees half a gradebook."""
from .. import atomic
from ..report import csv_row


def write_gradebook(path, outcomes, milestones, sources=None) -> None:
    """`outcomes`: (name, report or None, problem or None) for each submission; `sources`:
    name -> the entry of SRC it came from, as handed in (the `source` column)."""
    sources = sources or {}
    rows = [csv_row.row(report, submission=name, milestones=milestones, status=problem, source=sources.get(name))
            for name, report, problem in sorted(outcomes, key=lambda o: o[0])]
    atomic.write_text(path, csv_row.to_csv(rows, milestones))
