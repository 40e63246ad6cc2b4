"""The dashboard of a real batch, opened in headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium): the gradebook lists every submission, sorting
reorders it, a row opens its submission's page with its lost checks, the item analysis
matches the reports, and no page logs a JavaScript error. The batch is small (five
submissions and a broken zip, milestone m1 only) to keep grading short.

Set MICROGRADE_SCREENSHOT=docs/dashboard.png to refresh the screenshot in README.md and docs/instructors.md."""
import csv
import json
import os
import shutil

import pytest

from corpus import REFERENCE, TEMPLATE
from micrograde.cli import main
from test_similarity import INDEPENDENT, KARPATHY, copy_disguised

# The independent solution with a classic M1 bug: gradients assigned, not accumulated.
ACCUMULATE = "parent.grad += slope * node.grad"
# Markup a submission slips into its feedback (through __repr__) and its log (through
# print): the dashboard must show it as text, never run it.
REPR = 'return f"Value(data={self.data}, grad={self.grad})"'
MARKUP = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"

# One graded batch serves the whole module: with --dist loadgroup it is built once.
pytestmark = pytest.mark.xdist_group("dashboard_batch")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """OUT of `micrograde batch` over the reference, a disguised copy of it, a buggy
    independent solution, the karpathy-style one with markup in its repr and output
    ("mallory"), the template and a broken zip."""
    root = tmp_path_factory.mktemp("batch")
    src = root / "src"
    src.mkdir()
    shutil.copytree(REFERENCE, src / "reference")
    copy_disguised(REFERENCE, src / "copycat")
    engine = shutil.copytree(INDEPENDENT, src / "buggy") / "micrograd" / "engine.py"
    assert engine.read_text().count(ACCUMULATE) == 1
    engine.write_text(engine.read_text().replace(ACCUMULATE, ACCUMULATE.replace("+=", "=")))
    engine = shutil.copytree(KARPATHY, src / "mallory") / "micrograd" / "engine.py"
    assert engine.read_text().count(REPR) == 1
    # ...and a construct the integrity scan flags (frame introspection), harmless here
    engine.write_text(f"import sys\nprint({MARKUP!r}, sys._getframe(0).f_lineno)\n"
                      + engine.read_text().replace(REPR, f"return {MARKUP!r}"))
    shutil.copytree(TEMPLATE, src / "template")
    (src / "broken.zip").write_bytes(b"PK\x03\x04 not a zip")
    out = root / "out"
    assert main(["batch", str(src), "--out", str(out), "--milestone", "m1", "--no-progress", "--jobs", "2"]) == 0
    return out


def reports_of(out) -> dict:
    return {p.stem: json.loads(p.read_text()) for p in (out / "reports").glob("*.json")}


# --- what the batch wrote (no browser needed) ----------------------------------------

def test_batch_writes_dashboard_similarity_and_lms_imports(batch):
    names = ["broken", "buggy", "copycat", "mallory", "reference", "template"]
    assert sorted(p.stem for p in (batch / "submissions").glob("*.html")) == names
    pairs = list(csv.DictReader((batch / "similarity.csv").open()))
    assert {pairs[0]["a"], pairs[0]["b"]} == {"copycat", "reference"}  # the planted copy is first
    flagged = {frozenset((p["a"], p["b"])) for p in pairs if float(p["score"]) >= 0.5}
    assert flagged == {frozenset(("copycat", "reference"))}  # and no independent pair
    canvas = list(csv.reader((batch / "canvas.csv").open()))
    moodle = list(csv.reader((batch / "moodle.csv").open()))
    assert [r[0] for r in canvas[2:]] == [r[0] for r in moodle[1:]] == names


def test_rerun_rebuilds_the_dashboard_without_regrading(batch, capsys):
    (batch / "index.html").unlink()
    before = {p.name: p.stat().st_mtime_ns for p in (batch / "reports").iterdir()}
    src = batch.parent / "src"
    assert main(["batch", str(src), "--out", str(batch), "--milestone", "m1", "--no-progress"]) == 0
    assert (batch / "index.html").is_file()
    assert {p.name: p.stat().st_mtime_ns for p in (batch / "reports").iterdir()} == before


# --- in the browser --------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        message = "needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs them: a missing browser there is a broken setup
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage",  # containers often give /dev/shm only 64 MB
                 "--window-size=1280,1500", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()


def open_index(browser, batch):
    browser.get((batch / "index.html").as_uri())
    return browser


def gradebook_names(browser):
    from selenium.webdriver.common.by import By
    return [row.get_attribute("data-name") for row in browser.find_elements(By.CSS_SELECTOR, "#gradebook tbody tr")
            if row.is_displayed()]


def severe_console_messages(browser) -> list:
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_gradebook_lists_every_submission(browser, batch):
    open_index(browser, batch)
    with (batch / "grades.csv").open() as f:
        assert gradebook_names(browser) == [row["submission"] for row in csv.DictReader(f)]


def test_sorting_by_score_reorders_the_rows(browser, batch):
    from selenium.webdriver.common.by import By
    open_index(browser, batch)
    scores = {name: r["score"] for name, r in reports_of(batch).items()}
    button = browser.find_element(By.XPATH, "//table[@id='gradebook']//th[normalize-space()='score']/button")
    button.click()
    ascending = gradebook_names(browser)
    key = [scores.get(n, -1) for n in ascending]
    assert key == sorted(key) and ascending[0] == "broken"  # not graded sorts lowest
    button.click()
    descending = gradebook_names(browser)
    assert [scores.get(n, -1) for n in descending] == sorted(key, reverse=True)
    assert descending != sorted(descending)  # really reordered, not the name order
    header = browser.find_element(By.XPATH, "//table[@id='gradebook']//th[button[normalize-space()='score']]")
    assert header.get_attribute("aria-sort") == "descending"


def test_filter_by_name_and_milestone(browser, batch):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    open_index(browser, batch)
    browser.find_element(By.NAME, "name").send_keys("cop")
    assert gradebook_names(browser) == ["copycat"]
    browser.find_element(By.NAME, "name").clear()
    browser.find_element(By.NAME, "name").send_keys(" ")  # an input event after clear()
    Select(browser.find_element(By.NAME, "milestone")).select_by_value("m1")
    below = sorted(n for n, r in reports_of(batch).items() if r["milestones"]["m1"]["score"] < r["milestones"]["m1"]["max_score"])
    assert sorted(gradebook_names(browser)) == below and "buggy" in below and "reference" not in below


def test_filter_by_integrity_findings(browser, batch):
    from selenium.webdriver.common.by import By
    open_index(browser, batch)
    flagged = sorted(n for n, r in reports_of(batch).items() if r["integrity"])
    assert flagged == ["mallory"]
    browser.find_element(By.NAME, "integrity").click()
    assert gradebook_names(browser) == flagged
    assert browser.find_element(By.ID, "shown").text == "1"


def test_a_submissions_page_opens_from_its_row_and_shows_its_lost_checks(browser, batch):
    from selenium.webdriver.common.by import By
    open_index(browser, batch)
    browser.find_element(By.CSS_SELECTOR, "#gradebook tr[data-name='buggy'] a").click()
    assert browser.current_url.endswith("/submissions/buggy.html")
    report = reports_of(batch)["buggy"]
    lost = [t["name"] for t in report["tests"] if t["score"] < t["max_score"]]
    assert lost  # the bug costs points in m1
    shown = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#lost-checks li.lost-check h3 code")]
    assert shown == lost
    feedback = browser.find_elements(By.CSS_SELECTOR, "#lost-checks pre.feedback")[0].text
    assert feedback.splitlines()[0] in report["tests"][[t["name"] for t in report["tests"]].index(lost[0])]["feedback"]
    assert browser.find_element(By.ID, "score").text == f"{report['score']:g} / {report['max_score']:g}"


def test_item_analysis_matches_the_reports(browser, batch):
    from selenium.webdriver.common.by import By
    open_index(browser, batch)
    reports = [r for r in reports_of(batch).values()]
    rows = browser.find_elements(By.CSS_SELECTOR, "#items tbody tr")
    assert len(rows) == len(reports[0]["tests"])  # every m1 check
    for row in rows:
        name = row.get_attribute("data-check")
        results = [t for r in reports for t in r["tests"] if t["name"] == name]
        passed = sum(t["status"] == "passed" for t in results)
        assert row.find_elements(By.TAG_NAME, "td")[4].text == f"{passed} / {len(results)}", name
    rates = [float(r.find_elements(By.TAG_NAME, "td")[3].get_attribute("data-v")) for r in rows]
    assert rates == sorted(rates) and rates[0] < 1.0  # hardest first


def test_the_planted_copy_is_the_flagged_pair_with_its_passages_side_by_side(browser, batch):
    from selenium.webdriver.common.by import By
    open_index(browser, batch)
    rows = browser.find_elements(By.CSS_SELECTOR, "#similar-pairs tbody tr")
    assert len(rows) == 1
    assert {c.text for c in rows[0].find_elements(By.TAG_NAME, "td")[:2]} == {"copycat", "reference"}
    pair = browser.find_element(By.ID, "pair-0")
    passages = pair.find_elements(By.CSS_SELECTOR, ".side pre")
    assert len(passages) == 2 and not passages[0].is_displayed()
    pair.find_element(By.TAG_NAME, "summary").click()
    assert all(p.is_displayed() and p.text.strip() for p in passages)


def test_markup_from_a_submission_is_shown_as_text_and_never_runs(browser, batch):
    from selenium.webdriver.common.by import By
    open_index(browser, batch)
    browser.find_element(By.CSS_SELECTOR, "#gradebook tr[data-name='mallory'] a").click()
    assert browser.current_url.endswith("/submissions/mallory.html")
    assert browser.title == "mallory: micrograde"  # neither the script nor the onerror ran
    assert browser.find_elements(By.CSS_SELECTOR, "main img, main script") == []
    feedback = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, "#lost-checks pre"))
    assert "<script>document.title=" in feedback and "</script><img src=x onerror=" in feedback  # as text
    assert "<script>document.title=" in browser.find_element(By.ID, "log").text


def test_pages_log_no_javascript_errors_and_screenshot(browser, batch, tmp_path):
    from selenium.webdriver.common.by import By
    browser.get_log("browser")  # drop what earlier tests left
    open_index(browser, batch)
    browser.find_element(By.XPATH, "//table[@id='items']//th/button").click()
    browser.find_element(By.CSS_SELECTOR, "#gradebook tr[data-name='copycat'] a").click()
    browser.back()
    shot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("MICROGRADE_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["MICROGRADE_SCREENSHOT"])
    assert severe_console_messages(browser) == []
