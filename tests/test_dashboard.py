"""The batch dashboard (OUT/index.html and one page per submission), from hand-made
reports: item analysis, escaping of hostile text, optional report sections. The browser
tests (test_dashboard_browser.py) drive the same pages in Chromium."""
import json
import re
from pathlib import Path
from html.parser import HTMLParser

from micrograde import rubric
from micrograde.dashboard import write_dashboard
from micrograde.dashboard.items import item_analysis
from micrograde.report import validate_report
from test_export import check, make_report

# any rule of the schema's catalogue
RULE = json.loads((Path(__file__).parents[1] / "specs" / "report.schema.json").read_text())["$defs"]["integrity_rule"]["anyOf"][0]["const"]

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"\''


def rubric_report(lost=(), feedback="wrong", milestones=("m1", "m2"), **over):
    """A valid report over the real rubric checks of `milestones`, losing `lost`."""
    tests = [check(name, m, 0 if name in lost else pts, pts, "failed" if name in lost else "passed",
                   feedback if name in lost else "")
             for m, name, pts in rubric.checks(milestones)]
    return make_report(tests, **over)


class Parsed(HTMLParser):
    """Tags, attributes and text of a page, to assert on structure rather than substrings."""
    def __init__(self, text):
        super().__init__()
        self.tags, self.text, self.scripts = [], [], 0
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        self.scripts += tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        self.text.append(data)


M1 = [name for m, name, _ in rubric.checks(["m1"])]


def test_item_analysis_counts_every_rubric_check_and_puts_the_hardest_first():
    reports = [rubric_report(lost=[M1[0], M1[1]], feedback="first line A\nprogram x0 = Value(1)"),
               rubric_report(lost=[M1[0]], feedback="first line B\nother program"),
               rubric_report(lost=[M1[0]], feedback="first line A\nthird"),
               rubric_report()]
    items = item_analysis(reports, ["m1", "m2"])
    assert len(items) == len(rubric.checks(["m1", "m2"]))
    assert (items[0].name, items[0].passed, items[0].graded) == (M1[0], 1, 4)
    assert items[0].messages == [("first line A", 2), ("first line B", 1)]  # grouped by first line
    assert (items[1].name, items[1].pass_rate) == (M1[1], 0.75)
    assert all(i.pass_rate == 1.0 for i in items[2:])
    rates = [i.pass_rate for i in items]
    assert rates == sorted(rates)


def test_dashboard_lists_every_submission_and_escapes_hostile_text(tmp_path):
    evil = rubric_report(lost=[M1[2]], feedback=HOSTILE + "\nprogram",
                         submission={"path": "/subs/" + HOSTILE, "sha256": "ab" * 32})
    evil["tests"][2]["output"] = "</pre><script>alert(3)</script>"
    outcomes = [("alice", rubric_report(), None), ("mallory", evil, None),
                ("zed", None, "bad_zip: " + HOSTILE)]
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "mallory.log").write_text("log line </pre><script>alert(4)</script>\n")
    index = write_dashboard(tmp_path, outcomes, ["m1", "m2"])
    pages = [index] + sorted((tmp_path / "submissions").glob("*.html"))
    assert [p.name for p in pages[1:]] == ["alice.html", "mallory.html", "zed.html"]
    for p in pages:
        parsed = Parsed(p.read_text())
        # only the kit's own script, on the index; no handler attribute survives
        assert parsed.scripts == (1 if p == index else 0)
        assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
        assert not any(t == "img" for t, _ in parsed.tags)
        assert not any(src for _, attrs in parsed.tags for k, src in attrs.items() if k in ("src", "href")
                       and re.match(r"[a-z]+:|//", src or ""))  # nothing loaded from anywhere
    page = Parsed((tmp_path / "submissions" / "mallory.html").read_text())
    text = "".join(page.text)
    assert HOSTILE in text and "<script>alert(3)</script>" in text and "alert(4)" in text  # shown, as text
    rows = [a for t, a in Parsed(index.read_text()).tags if t == "tr" and "data-name" in a]
    assert [r["data-name"] for r in rows] == ["alice", "mallory", "zed"]
    assert [r["data-status"] for r in rows] == ["complete", "complete", "bad_zip: " + HOSTILE]


def test_submission_page_shows_lost_checks_layout_and_integrity_when_present(tmp_path):
    plain = rubric_report(lost=[M1[3]], feedback="expected 2, got 1\nthe program:\nx0 = Value(1.0)")
    rich = rubric_report(lost=[M1[3]])
    rich["layout"] = {"rule": "the one the rest imports", "searched": ["engine.py", "nn.py"], "searched_count": 2,
                      "skipped_folders": [".venv"],
                      "names": {"engine.Value": {"found": True, "file": "engine.py", "line": 3, "module": "engine",
                                                 "name": "Scalar"},
                                "nn.MLP": {"found": False, "looked_for": ["MLP", "Net"], "looked_in": "2 files"}}}
    rich["integrity"] = [{"rule": RULE, "detail": "sys._getframe", "file": "engine.py", "line": 7}]
    validate_report(rich)
    write_dashboard(tmp_path, [("plain", plain, None), ("rich", rich, None)], ["m1", "m2"])
    plain_text = (tmp_path / "submissions" / "plain.html").read_text()
    assert M1[3] in plain_text and "x0 = Value(1.0)" in plain_text
    assert re.search(r'id="integrity-h">Integrity findings</h2>\s*<p>None.</p>', plain_text)
    assert M1[4] not in plain_text  # passed checks are not listed as lost
    rich_text = "".join(Parsed((tmp_path / "submissions" / "rich.html").read_text()).text)
    assert RULE in rich_text and "sys._getframe" in rich_text
    assert "engine.py:3 as Scalar" in rich_text and "not found: looked for MLP, Net in 2 files" in rich_text
    index = Parsed((tmp_path / "index.html").read_text())
    rows = {a["data-name"]: a for t, a in index.tags if t == "tr" and "data-name" in a}
    assert (rows["plain"]["data-integrity"], rows["rich"]["data-integrity"]) == ("0", "1")
    assert rows["plain"]["data-below"] == "m1"


def test_dashboard_is_rebuilt_whole_and_drops_pages_of_removed_submissions(tmp_path):
    write_dashboard(tmp_path, [("a", rubric_report(), None), ("b", rubric_report(), None)], ["m1", "m2"])
    write_dashboard(tmp_path, [("a", rubric_report(lost=[M1[0]]), None)], ["m1", "m2"])
    assert sorted(p.name for p in (tmp_path / "submissions").iterdir()) == ["a.html"]
    assert M1[0] in (tmp_path / "submissions" / "a.html").read_text()


def test_similarity_section_shows_only_pairs_at_or_above_the_threshold_side_by_side(tmp_path):
    sim = {"threshold": 0.5, "note": "", "clusters": [["a", "b"]], "pairs": [
        {"a": "a", "b": "b", "score": 0.9, "shared": 40, "a_lines": "engine.py:1-9", "b_lines": "core.py:3-11",
         "a_passage": "out = Value(x)  # <b>", "b_passage": "res = Value(y)"},
        {"a": "a", "b": "c", "score": 0.2, "shared": 3, "a_lines": "nn.py:1-2", "b_lines": "nn.py:5-6",
         "a_passage": "p", "b_passage": "q"}]}
    outcomes = [(n, rubric_report(), None) for n in "abc"]
    index = write_dashboard(tmp_path, outcomes, ["m1", "m2"], similarity=sim).read_text()
    table = index[index.index('id="similar-pairs"'):index.index("</table>", index.index('id="similar-pairs"'))]
    assert table.count("<tr>") == 1 + 1 and "0.90" in table and "0.20" not in table
    assert "engine.py:1-9" in index and "core.py:3-11" in index and "out = Value(x)  # &lt;b&gt;" in index
    assert re.search(r'<ul id="clusters"><li><a href="submissions/a.html">a</a>, <a href="submissions/b.html">b</a>', index)
    rows = {a["data-name"]: a for t, a in Parsed(index).tags if t == "tr" and "data-name" in a}
    assert set(rows) == {"a", "b", "c"}
    assert "c.html" in (tmp_path / "submissions" / "a.html").read_text()  # a's closest matches, c among them


def test_similarity_threshold_must_be_between_zero_and_one(tmp_path, capsys):
    from corpus import cli_error_line
    from micrograde.cli import main
    (tmp_path / "src").mkdir()
    assert main(["batch", str(tmp_path / "src"), "--out", str(tmp_path / "out"), "--similarity-threshold", "1.5"]) == 2
    assert "--similarity-threshold must be between 0 and 1" in cli_error_line(capsys, "batch")
