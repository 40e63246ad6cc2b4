"""Similarity across a batch (micrograde.similarity): a planted copy, renamed and
re-commented, must be the top pair; independently written correct solutions must stay
under the threshold; code from the template and the contract must never count."""
import builtins
import csv
import io
import json
import keyword
import re
import shutil
import tokenize
from pathlib import Path

import nbformat
import pytest

from corpus import REFERENCE, TEMPLATE
from micrograde import similarity
from micrograde.spec import load_contract

HERE = Path(__file__).parent
INDEPENDENT = HERE / "similarity" / "independent"   # written apart from the reference, in another style
KARPATHY = HERE / "layouts" / "karpathy"            # laid out and written like the original micrograd

pytestmark = pytest.mark.xdist_group("similarity_class")  # one class_of_five per run


def contract_names() -> set:
    names = set()
    for module in load_contract()["modules"]:
        for member in module["members"]:
            names.add(member["name"])
            names |= {m["name"] for m in member.get("methods", [])} | {a["name"] for a in member.get("attributes", [])}
            for signature in [member["signature"]] + [m["signature"] for m in member.get("methods", [])]:
                names |= set(re.findall(r"(\w+)=", signature))  # keyword parameters callers may name
    return names


def disguise(source: str) -> str:
    """What a student hiding a copy does: every variable, parameter, function and class of
    their own renamed (the contract's names, attributes and keyword parameters stay: the
    grader needs them),
    every comment and docstring rewritten, the spacing changed."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    # names bound by imports stay: renaming them would break the import
    kept = {t.string for t in tokens if t.type == tokenize.NAME and t.line.lstrip().startswith(("import ", "from "))}
    kept |= contract_names() | {"label"}
    # keyword arguments stay (a library's parameter names cannot be renamed), and so do
    # names used inside f-strings: one string token, which this does not rewrite
    depth = 0
    for tok, following in zip(tokens, tokens[1:]):
        depth += tok.string in "([{" and tok.type == tokenize.OP
        depth -= tok.string in ")]}" and tok.type == tokenize.OP
        if depth and tok.type == tokenize.NAME and following.string == "=":
            kept.add(tok.string)
    kept |= {n for t in tokens if t.type == tokenize.STRING and t.string[:2].lower() in ("f'", 'f"')
             for n in re.findall(r"[A-Za-z_]\w*", t.string)}
    renamed, out, previous = {}, [], ""
    for tok in tokens:
        kind, text = tok.type, tok.string
        attribute, previous = previous == ".", text if kind not in (tokenize.NL, tokenize.COMMENT) else previous
        if kind == tokenize.NAME and not attribute and not keyword.iskeyword(text) and not text.startswith("__") \
                and not hasattr(builtins, text) and text not in kept and text != "self":
            text = renamed.setdefault(text, f"my_{text.strip('_')}_{len(renamed)}")
        elif kind == tokenize.COMMENT:
            text = "# in my own words"
        elif kind == tokenize.STRING and text.startswith(('"""', "'''")):
            text = '"""Explained differently."""'
        out.append((kind, text))
    return tokenize.untokenize(out)


def copy_disguised(src: Path, dest: Path) -> Path:
    for path in src.rglob("*.py"):
        target = dest / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(disguise(path.read_text()))
    return dest


@pytest.fixture(scope="module")
def class_of_five(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    folders = {"reference": REFERENCE, "copy": copy_disguised(REFERENCE, root / "copy"),
               "independent": INDEPENDENT, "karpathy": KARPATHY, "template": TEMPLATE}
    return folders, similarity.compute(folders)


def score(result, a, b) -> float:
    return next((p["score"] for p in result["pairs"] if {p["a"], p["b"]} == {a, b}), 0.0)


def test_disguised_copy_really_differs_from_the_original():
    text = (REFERENCE / "micrograd" / "engine.py").read_text()
    copied = disguise(text)
    assert copied != text and "out.grad" not in copied and "# in my own words" in copied
    namespace = {}
    exec(compile(copied, "engine.py", "exec"), namespace)  # still a working module
    x = namespace["Value"](3.0)
    y = x * x + 1
    y.backward()
    assert (y.data, x.grad) == (10.0, 6.0)


def test_renamed_and_recommented_copy_is_the_top_pair(class_of_five):
    _, result = class_of_five
    top = result["pairs"][0]
    print(f"\ntop pair {top['a']}-{top['b']}: {top['score']:.3f} (threshold {result['threshold']})")
    assert {top["a"], top["b"]} == {"copy", "reference"}
    assert top["score"] >= result["threshold"]
    assert result["clusters"] == [["copy", "reference"]]
    assert top["a_lines"].startswith("micrograd/") and top["a_passage"].strip()


def test_independent_correct_solutions_are_not_flagged(class_of_five):
    _, result = class_of_five
    pairs = [("reference", "independent"), ("reference", "karpathy"), ("independent", "karpathy"),
             ("copy", "independent")]
    scores = {pair: score(result, *pair) for pair in pairs}
    print("\n" + ", ".join(f"{a}-{b}: {s:.3f}" for (a, b), s in scores.items()))
    assert all(s < result["threshold"] for s in scores.values()), scores


def test_template_code_and_contract_signatures_count_for_nothing(class_of_five, tmp_path):
    _, result = class_of_five
    assert all(score(result, "template", other) == 0.0 for other in ("reference", "copy", "independent"))
    # Two students who handed in the untouched template share everything, and nothing of their own.
    twin = shutil.copytree(TEMPLATE, tmp_path / "twin")
    assert similarity.compute({"a": TEMPLATE, "b": twin})["pairs"] == []
    # Without the boilerplate removed, the same two are identical.
    assert similarity.compute({"a": TEMPLATE, "b": twin}, boilerplate="")["pairs"][0]["score"] > 0.9


def test_similarity_is_the_same_on_every_run(class_of_five):
    folders, result = class_of_five
    again = similarity.compute(folders)
    assert similarity.to_csv(again) == similarity.to_csv(result)


def test_similarity_csv_columns(class_of_five, tmp_path):
    _, result = class_of_five
    similarity.write_csv(tmp_path / "similarity.csv", result)
    rows = list(csv.DictReader((tmp_path / "similarity.csv").open()))
    assert list(rows[0]) == ["a", "b", "score", "shared_fingerprints", "a_lines", "b_lines"]
    assert len(rows) == len(result["pairs"])
    assert {rows[0]["a"], rows[0]["b"]} == {"copy", "reference"} and int(rows[0]["shared_fingerprints"]) > 10
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows), reverse=True)


def test_a_notebooks_code_cells_are_compared(tmp_path):
    nb = nbformat.v4.new_notebook()
    engine = disguise((REFERENCE / "micrograd" / "engine.py").read_text())
    nb.cells = [nbformat.v4.new_markdown_cell("# My autograd"), nbformat.v4.new_code_cell("%matplotlib inline"),
                nbformat.v4.new_code_cell(engine), nbformat.v4.new_code_cell("print(Value(2.0) * 3)")]
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "micrograd.ipynb").write_text(json.dumps(nb))
    result = similarity.compute({"notebook": tmp_path / "nb", "reference": REFERENCE, "independent": INDEPENDENT})
    top = result["pairs"][0]
    assert {top["a"], top["b"]} == {"notebook", "reference"} and top["score"] >= result["threshold"]
    where = top["a_lines"] if top["a"] == "notebook" else top["b_lines"]
    assert where.startswith("micrograd.ipynb:cell 2:")  # the second code cell


def test_an_unchanged_class_reuses_the_cached_computation(tmp_path):
    folders = {"independent": INDEPENDENT, "karpathy": shutil.copytree(KARPATHY, tmp_path / "karpathy")}
    cache = tmp_path / "cache.json"
    first = similarity.compute(folders, cache=cache)
    stored = json.loads(cache.read_text())
    stored["pairs"][0]["shared"] = 12345  # a marker only a reused cache can return
    cache.write_text(json.dumps(stored))
    assert similarity.compute(folders, cache=cache)["pairs"][0]["shared"] == 12345
    (tmp_path / "karpathy" / "micrograd" / "extra.py").write_text("def helper(a, b):\n    return [a * b for _ in range(3)]\n")
    assert similarity.compute(folders, cache=cache)["pairs"][0]["shared"] == first["pairs"][0]["shared"]


# --- a class that followed the same lecture (a course's similarity boilerplate) ---------------

LECTURE = HERE / "similarity" / "lecture"        # a micrograd-like lecture, written for these tests
FOLLOWERS = HERE / "similarity" / "followers"    # four students' own code on top of it


def _follower(name: str, root: Path) -> Path:
    """A student who retyped the lecture (names and comments their own) and wrote the rest."""
    folder = copy_disguised(LECTURE, root / name)
    for path in (FOLLOWERS / name).glob("*.py"):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def lecture_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("lecture_class")
    folders = {name: _follower(name, root) for name in ("ana", "ben", "cho", "dev")}
    folders["eve"] = copy_disguised(folders["ana"], root / "eve")  # the planted copy
    return folders


def test_lecture_followers_all_look_alike_when_the_lecture_is_not_boilerplate(lecture_class):
    fixed = similarity.compute(lecture_class, similarity.FIXED_THRESHOLD)
    innocent = [p["score"] for p in fixed["pairs"] if "eve" not in (p["a"], p["b"])]
    print(f"\nno boilerplate: innocent pairs {sorted(innocent)}")
    assert len(innocent) == 6 and min(innocent) >= fixed["threshold"]  # a fixed 0.5 accuses every pair


def test_with_the_lecture_as_boilerplate_followers_fall_well_below_the_flag_and_the_copy_is_flagged(lecture_class):
    result = similarity.compute(lecture_class, boilerplate_folders=[LECTURE])
    innocent = {(p["a"], p["b"]): p["score"] for p in result["pairs"] if {p["a"], p["b"]} != {"ana", "eve"}}
    print(f"\nlecture as boilerplate: copy {score(result, 'ana', 'eve'):.3f}, threshold {result['threshold']} "
          f"({result['rule']}), others {sorted(innocent.values())}")
    assert score(result, "ana", "eve") >= result["threshold"]
    assert all(s < result["threshold"] / 2 for s in innocent.values()), innocent
    assert result["clusters"] == [["ana", "eve"]]


def test_the_relative_flag_picks_the_copy_out_of_a_class_that_all_followed_the_lecture(lecture_class):
    result = similarity.compute(lecture_class)  # relative, and no boilerplate
    flagged = [{p["a"], p["b"]} for p in result["pairs"] if p["score"] >= result["threshold"]]
    assert flagged == [{"ana", "eve"}], (result["threshold"], result["rule"])
    assert result["rule"].startswith("relative to the class")


def test_the_relative_flag_has_a_floor_and_small_classes_keep_the_fixed_one():
    assert similarity.relative_threshold([0.05, 0.06, 0.04], 10)[0] == similarity.FLOOR
    assert similarity.relative_threshold([0.9], 2)[0] == similarity.FIXED_THRESHOLD
    cut, rule = similarity.relative_threshold([0.6] * 9 + [0.62], 5)
    assert 0.6 < cut < 0.95 and "median pair score 0.60" in rule
