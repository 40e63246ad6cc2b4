"""The page frame shared by every dashboard page: escaping, styles, and the one script.

Everything that comes from a submission (names, feedback, output, logs, code) is hostile
input, so nothing is written into a page except through `esc`. The Content-Security-Policy
is a second fence: the pages load nothing from anywhere, and only the kit's own script
(allowed by its hash) can run, so markup that slipped through escaping would stay inert."""
import base64
import hashlib
from html import escape

from ..report.text import visible


def esc(text) -> str:
    return escape(visible("" if text is None else text), quote=True)


STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 1rem 3rem;color:#222}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0;width:100%}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
td li,td code,td pre{overflow-wrap:anywhere}
th{background:#f3f3f3}td.num,th.num{text-align:right}
th button{all:unset;cursor:pointer;font-weight:bold}th button:focus{outline:2px solid #4c72b0}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.5rem;overflow:auto;max-height:30rem;white-space:pre-wrap}
.bad{color:#a40000}.ok{color:#1d6b1d}.warn{color:#8a5a00}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.charts figure{margin:0}
figcaption{font-size:.9rem;color:#555}
.side{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}
form#filters{display:flex;flex-wrap:wrap;gap:1rem;align-items:end;margin:.5rem 0}
form#filters label{display:flex;flex-direction:column;font-size:.9rem}
mark{background:#ffe08a}
nav a{margin-right:1rem}
"""

SCRIPT = """
(function () {
  "use strict";
  function value(row, col, numeric) {
    var cell = row.cells[col];
    var v = cell.getAttribute("data-v");
    if (v === null) { v = cell.textContent.trim(); }
    if (numeric) { var x = parseFloat(v); return isNaN(x) ? -Infinity : x; }
    return v.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "num";
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = value(a, col, numeric), y = value(b, col, numeric);
          var c = x < y ? -1 : x > y ? 1 : 0;
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  var table = document.getElementById("gradebook");
  function apply() {
    var name = form.elements.name.value.trim().toLowerCase();
    var status = form.elements.status.value;
    var below = form.elements.milestone.value;
    var min = parseFloat(form.elements.min.value);
    var max = parseFloat(form.elements.max.value);
    var flagged = form.elements.integrity.checked;
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var score = parseFloat(row.getAttribute("data-score"));
      var ok = row.getAttribute("data-name").toLowerCase().indexOf(name) !== -1
        && (!status || row.getAttribute("data-status") === status)
        && (!below || row.getAttribute("data-below").split(" ").indexOf(below) !== -1)
        && (isNaN(min) || score >= min) && (isNaN(max) || score <= max)
        && (!flagged || row.getAttribute("data-integrity") !== "0");
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    document.getElementById("shown").textContent = String(shown);
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  apply();
})();
"""


def _script_hash() -> str:
    digest = hashlib.sha256(SCRIPT.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def page(title: str, body: str, *, script: bool = False) -> str:
    """A complete, self-contained HTML document. `body` must already be escaped markup."""
    csp = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
           f"script-src '{_script_hash()}'; base-uri 'none'; form-action 'none'")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n"
            + (f"<script>{SCRIPT}</script>\n" if script else "") + "</body>\n</html>\n")


def table(headers, rows, *, attrs: str = "", sortable: bool = False, caption: str = "") -> str:
    """`headers`: [(label, numeric)]; `rows`: [(row attrs, [cell markup or (markup, sort value)])].
    Labels and cell markup must already be escaped."""
    cls = ' class="sortable"' if sortable else ""
    out = [f"<table{cls}{attrs}>"]
    if caption:
        out.append(f"<caption>{caption}</caption>")
    num_th, num_td = ' class="num" data-type="num"', ' class="num"'
    out.append("<thead><tr>" + "".join(
        f'<th scope="col"{num_th if num else ""}>{label}</th>' for label, num in headers)
        + "</tr></thead><tbody>")
    for row_attrs, cells in rows:
        tds = []
        for (label, num), cell in zip(headers, cells):
            markup, sort = cell if isinstance(cell, tuple) else (cell, None)
            data = f' data-v="{esc(sort)}"' if sort is not None else ""
            tds.append(f'<td{num_td if num else ""}{data}>{markup}</td>')
        out.append(f"<tr{row_attrs}>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)
