"""The layout as a student reads it in the terminal: once, at the top of the run."""
import re

from .discover import NOT_FOUND

MAX_SKIPPED_SHOWN = 3
# The feedback of a check that needed a name discovery did not find (see probes/lookup.py).
_NOT_FOUND = re.compile(rf"^(\S+) is missing: {NOT_FOUND}")


def _where(entry: dict) -> str:
    if not entry["found"] and entry.get("unparsable"):
        return f"not read: {entry['unparsable']} does not parse (see the unparsable list)"
    if not entry["found"]:
        return f"not found (looked for {', '.join(entry['looked_for'])} in {entry['looked_in']})"
    at = f"{entry['file']} cell {entry['cell']}, line {entry['line']}" if "cell" in entry else \
        f"{entry['file']}:{entry['line']}"
    extra = f"  (also found: {', '.join(entry['also_found'][:3])}; see the rule in the report)" \
        if entry.get("also_found") else ""
    return f"{at}{' [instructor layout]' if entry.get('override') else ''}{extra}"


def layout_lines(layout: dict) -> list[str]:
    """Where each contract name was found (or not), and what notebooks and scripts had skipped."""
    width = max(len(k) for k in layout["names"]) if layout["names"] else 0
    lines = [f"micrograde: where your code was found ({layout['searched_count']} files read):"]
    for key, entry in layout["names"].items():
        short = key.split(".", 1)[1]
        spelled = "" if not entry["found"] or entry["name"] == short else f" (spelled {entry['name']})"
        if entry.get("attributes"):  # found by what they hold: Value = value ...; _prev = prev
            spelled += "; " + ", ".join(f"{mine} = {own}" for mine, own in sorted(entry["attributes"].items()))
        lines.append(f"  {key:<{width}}  {_where(entry)}{spelled}")
    for book in layout.get("definitions_only", []):
        if book["skipped_count"]:
            where = "cell {cell}" if book["file"].endswith(".ipynb") else "line {line}"
            shown = "; ".join(f"{where.format(**s)}: {s['code']}" for s in book["skipped"][:MAX_SKIPPED_SHOWN])
            lines.append(f"  {book['file']}: {book['skipped_count']} statements not run (only definitions are "
                         f"graded), e.g. {shown}")
    for why in layout.get("unparsable", [])[:5]:
        lines.append(f"  cannot parse {why}")
    for why in layout.get("unreadable", [])[:5]:
        lines.append(f"  could not read {why}")
    return lines


def not_found_name(test: dict) -> str | None:
    """The contract name whose absence is this lost check's whole feedback, if it is that."""
    m = _NOT_FOUND.match(test["feedback"]) if test["status"] == "missing" else None
    return m.group(1) if m else None


def lost_lines(lost: list[dict]) -> list[str]:
    """One line per name that was not found, instead of one per check that needed it."""
    counts = {}
    for t in lost:
        name = not_found_name(t)
        if name:
            counts[name] = counts.get(name, 0) + 1
    return [f"{name}: not found in the submission, so {n} check{'s' if n > 1 else ''} could not run "
            f"(see where the grader looked at the top)" for name, n in counts.items()]
