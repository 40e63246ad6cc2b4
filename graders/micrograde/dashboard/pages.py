"""The dashboard's pages: the class overview (index.html) and one page per submission.

Reads only what the batch already wrote (reports, logs, the similarity result); the
`layout` and `integrity` sections of a report are shown when a report has them."""
import json
from urllib.parse import quote

from ..report.csv_row import number
from . import charts
from .html import esc, page, table

LOG_TAIL = 64 * 1024  # a page shows the end of a log; the whole log is linked
NOT_PASSED = ("failed", "error", "timeout", "missing")


def page_href(name: str) -> str:
    return f"submissions/{quote(name)}.html"


def integrity_of(report) -> list:
    return list((report or {}).get("integrity") or [])


def status_of(report, problem) -> str:
    return problem or (report["status"] if report is not None else "not graded")


def below_full_marks(report, milestones) -> list:
    if report is None:
        return []
    return [m for m in milestones if m in report["milestones"]
            and report["milestones"][m]["score"] < report["milestones"][m]["max_score"]]


# --- index ---------------------------------------------------------------------------

def _gradebook(outcomes, milestones, top_similarity) -> str:
    headers = [("submission", False), ("score", True), *[(esc(m), True) for m in milestones],
               ("status", False), ("integrity findings", True), ("top similarity", True)]
    rows = []
    for name, report, problem in outcomes:
        status = status_of(report, problem)
        findings = integrity_of(report)
        below = below_full_marks(report, milestones)
        score = report["score"] if report is not None else None
        attrs = (f' data-name="{esc(name)}" data-score="{"" if score is None else score}"'
                 f' data-status="{esc(status)}" data-below="{" ".join(below)}"'
                 f' data-integrity="{len(findings)}"')
        cells = [f'<a href="{page_href(name)}">{esc(name)}</a>',
                 (f"{number(score)} / {number(report['max_score'])}" if report else "—",
                  score if score is not None else -1)]
        for m in milestones:
            got = (report or {}).get("milestones", {}).get(m)
            cells.append((f"{number(got['score'])} / {number(got['max_score'])}" if got else "—",
                          got["score"] if got else -1))
        cells.append(f'<span class="{"ok" if status == "complete" else "bad"}">{esc(status)}</span>')
        rules = sorted({str(f.get("rule", "?")) for f in findings})
        cells.append((f'<span class="bad">{len(findings)}: {esc(", ".join(rules))}</span>' if findings else "0",
                      len(findings)))
        sim = top_similarity.get(name)
        cells.append((f"{sim:.2f}" if sim is not None else "—", sim if sim is not None else -1))
        rows.append((attrs, cells))
    statuses = sorted({status_of(r, p) for _, r, p in outcomes})
    form = ['<form id="filters" hidden aria-label="filter the gradebook">',
            '<label>name contains <input name="name" type="search"></label>',
            '<label>status <select name="status"><option value="">any</option>'
            + "".join(f'<option value="{esc(s)}">{esc(s)}</option>' for s in statuses) + "</select></label>",
            '<label>below full marks on <select name="milestone"><option value="">any</option>'
            + "".join(f'<option value="{esc(m)}">{esc(m)}</option>' for m in milestones) + "</select></label>",
            '<label>min score <input name="min" type="number" step="any"></label>',
            '<label>max score <input name="max" type="number" step="any"></label>',
            '<label><span>integrity findings only</span><input name="integrity" type="checkbox"></label>',
            f'<output aria-live="polite"><span id="shown">{len(outcomes)}</span> of {len(outcomes)} shown</output>',
            "</form>"]
    return "\n".join(form) + table(headers, rows, attrs=' id="gradebook"', sortable=True)


def _charts(reports, milestones) -> str:
    if not reports:
        return "<p>No graded submissions.</p>"
    top = max(r["max_score"] for r in reports)
    figs = [("Scores of the class", charts.histogram([r["score"] for r in reports], top,
                                                      f"histogram of {len(reports)} scores out of {number(top)}"))]
    for m in milestones:
        got = [r["milestones"][m] for r in reports if m in r["milestones"]]
        if got:
            m_top = max(g["max_score"] for g in got)
            full = sum(g["score"] >= g["max_score"] for g in got)
            figs.append((f"{m}: {full} of {len(got)} at full marks",
                         charts.histogram([g["score"] for g in got], m_top,
                                          f"histogram of {m} scores out of {number(m_top)}", count=min(10, max(1, int(m_top))))))
    return '<div class="charts">' + "".join(
        f"<figure>{svg}<figcaption>{esc(cap)}</figcaption></figure>" for cap, svg in figs) + "</div>"


def _items(items) -> str:
    headers = [("milestone", False), ("check", False), ("points", True), ("pass rate", True),
               ("passed", True), ("most common feedback when lost", False)]
    rows = []
    for it in items:
        msgs = "".join(f"<li>{esc(text)} <small>(×{n})</small></li>" for text, n in it.messages)
        rows.append((f' data-check="{esc(it.name)}"', [
            esc(it.milestone), f"<code>{esc(it.name)}</code>", (number(it.points), it.points),
            (f"{100 * it.pass_rate:.0f}%", f"{it.pass_rate:.6f}"), (f"{it.passed} / {it.graded}", it.passed),
            f"<ol>{msgs}</ol>" if msgs else "—"]))
    return table(headers, rows, attrs=' id="items"', sortable=True,
                 caption="Checks the class fails most come first.")


def _passage(label: str, lines: str, text: str) -> str:
    return f"<div><p><strong>{esc(label)}</strong> {esc(lines)}</p><pre>{esc(text)}</pre></div>"


def _similarity(sim) -> str:
    if sim is None:
        return "<p>Similarity was not computed for this batch.</p>"
    out = []
    if sim.get("note"):
        out.append(f'<p class="warn">{esc(sim["note"])}</p>')
    threshold = sim["threshold"]
    flagged = [p for p in sim["pairs"] if p["score"] >= threshold]
    out.append(f"<p>{len(sim['pairs'])} pairs compared; {len(flagged)} at or above the threshold "
               f"{threshold:g} ({esc(sim.get('rule', 'fixed'))}). "
               f"The full list is in <a href=\"similarity.csv\">similarity.csv</a>.</p>")
    if sim.get("clusters"):
        out.append("<h3>Clusters</h3><ul id=\"clusters\">" + "".join(
            "<li>" + ", ".join(f'<a href="{page_href(n)}">{esc(n)}</a>' for n in c) + "</li>"
            for c in sim["clusters"]) + "</ul>")
    if flagged:
        headers = [("a", False), ("b", False), ("score", True), ("shared fingerprints", True),
                   ("longest shared passage", False)]
        rows = [("", [f'<a href="{page_href(p["a"])}">{esc(p["a"])}</a>',
                      f'<a href="{page_href(p["b"])}">{esc(p["b"])}</a>',
                      (f"{p['score']:.2f}", p["score"]), (str(p["shared"]), p["shared"]),
                      f'<a href="#pair-{k}">{esc(p["a_lines"])} ↔ {esc(p["b_lines"])}</a>'])
                for k, p in enumerate(flagged)]
        out.append(table(headers, rows, attrs=' id="similar-pairs"', sortable=True))
        for k, p in enumerate(flagged):
            out.append(f'<details id="pair-{k}"><summary>{esc(p["a"])} ↔ {esc(p["b"])}: '
                       f'{p["score"]:.2f}</summary><div class="side">'
                       + _passage(p["a"], p["a_lines"], p["a_passage"])
                       + _passage(p["b"], p["b_lines"], p["b_passage"]) + "</div></details>")
    return "\n".join(out)


def index_page(outcomes, milestones, items, sim, summary_text: str) -> str:
    reports = [r for _, r, p in outcomes if r is not None and p is None]
    top_similarity = {}
    for p in (sim or {}).get("pairs", []):
        for n in (p["a"], p["b"]):
            top_similarity[n] = max(top_similarity.get(n, 0.0), p["score"])
    body = [
        "<header><h1>micrograde: batch results</h1>",
        '<nav aria-label="sections"><a href="#gradebook-h">Gradebook</a><a href="#charts-h">Distributions</a>'
        '<a href="#items-h">Item analysis</a><a href="#similarity-h">Similarity</a>'
        '<a href="#files-h">Files</a></nav></header><main>',
        f"<pre>{esc(summary_text)}</pre>" if summary_text else "",
        '<section aria-labelledby="gradebook-h"><h2 id="gradebook-h">Gradebook</h2>',
        _gradebook(outcomes, milestones, top_similarity), "</section>",
        '<section aria-labelledby="charts-h"><h2 id="charts-h">Distributions</h2>',
        _charts(reports, milestones), "</section>",
        '<section aria-labelledby="items-h"><h2 id="items-h">Item analysis</h2>', _items(items), "</section>",
        '<section aria-labelledby="similarity-h"><h2 id="similarity-h">Similarity</h2>', _similarity(sim),
        "</section>",
        '<section aria-labelledby="files-h"><h2 id="files-h">Files</h2><ul>'
        '<li><a href="grades.csv">grades.csv</a> (gradebook)</li>'
        '<li><a href="canvas.csv">canvas.csv</a>, <a href="moodle.csv">moodle.csv</a> (LMS imports)</li>'
        '<li><a href="similarity.csv">similarity.csv</a></li><li><a href="summary.png">summary.png</a></li>'
        "</ul></section></main>",
    ]
    return page("micrograde batch results", "\n".join(body), script=True)


# --- one submission ------------------------------------------------------------------

def _data(value, depth=0) -> str:
    """Any JSON value as nested lists/tables; unknown shapes still render, escaped."""
    if depth > 4:
        return f"<code>{esc(json.dumps(value, sort_keys=True))}</code>"
    if isinstance(value, dict):
        return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{_data(v, depth + 1)}</dd>" for k, v in value.items()) + "</dl>"
    if isinstance(value, list):
        return "<ul>" + "".join(f"<li>{_data(v, depth + 1)}</li>" for v in value) + "</ul>" if value else "—"
    return esc(value)


def _layout(layout) -> str:
    """The report's `layout`: one row per contract name (found where, or where the grader
    looked), then the rule and the folders skipped; other keys shown as they are."""
    names = layout.get("names") if isinstance(layout, dict) else None
    if not isinstance(names, dict):
        return _data(layout)
    rows = []
    for contract_name, where in names.items():
        where = where if isinstance(where, dict) else {}
        if where.get("found"):
            place = f"{where.get('file')}:{where.get('line')}"
            if where.get("cell"):
                place += f" (code cell {where['cell']})"
            spelled = where.get("name") if where.get("name") != str(contract_name).split(".")[-1] else ""
            also = ", ".join(map(str, where.get("also_found") or []))
            text = esc(place) + (f" as <code>{esc(spelled)}</code>" if spelled else "") \
                + (f" (also found: {esc(also)})" if also else "")
            rows.append(("", [f"<code>{esc(contract_name)}</code>", text]))
        else:
            rows.append((' class="bad"', [f"<code>{esc(contract_name)}</code>",
                                          f'<span class="bad">not found</span>: looked for '
                                          f'{esc(", ".join(map(str, where.get("looked_for") or [])))} in '
                                          f'{esc(where.get("looked_in", ""))}']))
    rest = {k: v for k, v in layout.items() if k not in ("names", "searched")}
    return (table([("contract name", False), ("found at", False)], rows, attrs=' id="layout"')
            + f"<details><summary>how it was chosen, what was skipped</summary>{_data(rest)}"
            + f"<p>files read: {esc(', '.join(map(str, layout.get('searched') or [])))}</p></details>")


def _lost(report) -> str:
    lost = [t for t in report["tests"] if t["status"] != "passed" or t["score"] < t["max_score"]]
    if not lost:
        return "<p class=\"ok\">No check lost points.</p>"
    out = ['<ul id="lost-checks">']
    for t in lost:
        seen = t.get("visibility", "visible")
        label = "" if seen == "visible" else f' <span class="warn">students: {esc(seen.replace("_", " "))}</span>'
        out.append(f'<li class="lost-check"><h3><code>{esc(t["name"])}</code> ({esc(t["milestone"])}, '
                   f'{esc(t["status"])}, {number(t["score"])} / {number(t["max_score"])}){label}</h3>'
                   f'<pre class="feedback">{esc(t["feedback"] or "(no feedback)")}</pre>')
        if t.get("warning"):
            out.append(f'<p class="warn">warning: {esc(t["warning"])}</p>')
        if t.get("output"):
            out.append(f"<details><summary>output of the submission</summary><pre>{esc(t['output'])}</pre></details>")
        out.append("</li>")
    return "\n".join(out) + "</ul>"


def _log(log_path) -> str:
    try:
        size = log_path.stat().st_size
        with open(log_path, "rb") as f:
            f.seek(max(0, size - LOG_TAIL))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return "<p>No log.</p>"
    cut = f"(last {LOG_TAIL // 1024} KiB of {size} bytes)\n" if size > LOG_TAIL else ""
    return (f'<p><a href="../logs/{quote(log_path.name)}">the whole log</a></p>'
            f'<pre id="log">{esc(cut + text)}</pre>')


def submission_page(name, report, problem, milestones, log_path, pairs) -> str:
    status = status_of(report, problem)
    body = ['<nav><a href="../index.html">← all submissions</a></nav><main>',
            f"<h1>{esc(name)}</h1>",
            f'<p>status: <span class="{"ok" if status == "complete" else "bad"}">{esc(status)}</span></p>']
    if report is not None:
        body.append(f'<p>score: <strong id="score">{number(report["score"])} / {number(report["max_score"])}</strong>'
                    f' · seed {report["seed"]} · kit {esc(report["kit_version"])} · {report["duration_s"]:.1f} s'
                    + (f' · course {esc(report["course"]["name"])} (<code>{esc(report["course"]["sha256"][:12])}</code>)'
                       if "course" in report else "") + '</p>')
        if report.get("note"):
            body.append(f'<p class="warn">{esc(report["note"])}</p>')
        rows = []
        for m in milestones:
            got = report["milestones"].get(m)
            if got:
                tests = [t for t in report["tests"] if t["milestone"] == m]
                passed = sum(t["status"] == "passed" for t in tests)
                rows.append(("", [esc(m), (number(got["score"]), got["score"]), (number(got["max_score"]), got["max_score"]),
                                  f"{passed} / {len(tests)}"]))
        body += ['<section aria-labelledby="ms-h"><h2 id="ms-h">Points per milestone</h2>',
                 table([("milestone", False), ("points", True), ("max", True), ("checks passed", False)], rows),
                 "</section>",
                 '<section aria-labelledby="lost-h"><h2 id="lost-h">Lost checks</h2>', _lost(report), "</section>"]
        findings = integrity_of(report)
        body.append('<section aria-labelledby="integrity-h"><h2 id="integrity-h">Integrity findings</h2>')
        if findings:
            body.append(table([("rule", False), ("detail", False), ("file", False), ("line", True)],
                              [("", [esc(f.get("rule")), esc(f.get("detail")), esc(f.get("file")),
                                     esc(f.get("line"))]) for f in findings]))
        else:
            body.append("<p>None.</p>" if "integrity" in report else "<p>Not checked by this kit version.</p>")
        body.append("</section>")
        body += ['<section aria-labelledby="where-h"><h2 id="where-h">Where the code was found</h2>',
                 f"<p>graded folder: <code>{esc(report['submission']['path'])}</code> "
                 f"(sha256 <code>{esc(report['submission']['sha256'][:16])}…</code>)</p>",
                 _layout(report["layout"]) if report.get("layout") else "", "</section>"]
    if pairs:
        body.append('<section aria-labelledby="sim-h"><h2 id="sim-h">Most similar submissions</h2><ul>' + "".join(
            f'<li><a href="{quote(other)}.html">{esc(other)}</a>: {score:.2f}</li>' for other, score in pairs)
            + "</ul></section>")
    body += ['<section aria-labelledby="log-h"><h2 id="log-h">Grading log</h2>', _log(log_path), "</section></main>"]
    return page(f"{name}: micrograde", "\n".join(body))
