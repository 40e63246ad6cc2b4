"""Canvas and Moodle grade-import files (micrograde.report.lms), from the batch and from
`micrograde export`."""
import csv
import io

from micrograde.cli import main
from micrograde.report import lms, write_report
from test_export import check, make_report


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


def report(score=3.0, integrity=()):
    r = make_report([check("test_a", "m1", score, 3, "passed" if score == 3 else "failed", "wrong"),
                     check("test_b", "m2", 2, 2, "passed")])
    r["integrity"] = list(integrity)
    return r


def test_canvas_file_has_canvas_columns_points_possible_and_user_ids_from_canvas_names():
    text = lms.to_csv("canvas", [("doejane_12345_67890_micrograd", report()), ("smithbob_LATE_222_333_x", report(0)),
                                 ("carol", None)])
    rows = rows_of(text)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "micrograd"]
    assert rows[1] == ["Points Possible", "", "", "", "", "5"]
    assert rows[2:] == [["carol", "", "", "", "", ""],  # not graded: the import leaves the grade alone
                        ["doejane_12345_67890_micrograd", "12345", "", "", "", "5"],
                        ["smithbob_LATE_222_333_x", "222", "", "", "", "2"]]


def test_moodle_file_has_identifier_grade_and_feedback_without_integrity_details():
    flagged = report(0, integrity=[{"rule": "frame-introspection", "detail": "sys._getframe", "file": "e.py", "line": 3}])
    rows = rows_of(lms.to_csv("moodle", [("jdoe", flagged)]))
    assert rows[0] == ["Identifier", "micrograd", "micrograd feedback"]
    assert rows[1][:2] == ["jdoe", "2"]
    assert rows[1][2] == "2 / 5 points; m1 0 / 3; m2 2 / 2; 1 checks lost points, first: test_a"
    assert "frame" not in rows[1][2] and "getframe" not in rows[1][2]


def test_export_renders_one_report_as_an_lms_import(tmp_path, capsys):
    path = tmp_path / "alice.json"
    write_report(report(), path)
    assert main(["export", str(path), "--format", "canvas"]) == 0
    assert rows_of(capsys.readouterr().out)[2] == ["alice", "", "", "", "", "5"]
    assert main(["export", str(path), "--format", "moodle", "--output", str(tmp_path / "m.csv")]) == 0
    assert rows_of((tmp_path / "m.csv").read_text())[1][:2] == ["alice", "5"]
