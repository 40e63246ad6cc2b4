"""M1: a Value holds a number, records how it was made, and prints itself."""
from micrograde.expect import expect_close
from micrograde.naming import expect_contract_names
from micrograde.exprgen import single_op
from micrograde.probes import names as probes


def test_value_stores_data_and_starts_with_zero_grad(sandbox):
    answer = sandbox.call(probes.ENGINE_CONSTRUCT, "Value(3.5)", data=3.5)
    expect_close(answer["data"], 3.5, "Value(3.5).data")
    expect_close(answer["grad"], 0.0, "Value(3.5).grad before any backward pass")
    expect_contract_names(sandbox.layout, ("data", "grad"), answer.get("spelled"), with_class=True)


def test_value_records_its_operands_and_operation(sandbox):
    answer = sandbox.call(probes.ENGINE_STRUCTURE, "building x0 * x1", program=single_op("mul", 0, 1).to_json())
    assert sorted(answer["children"][2]) == [0, 1], (
        f"(x0 * x1)._prev should hold x0 and x1, found operands {answer['children'][2]} (indices of x0, x1; -1 = other)")
    assert answer["ops"][2], "(x0 * x1)._op should name the operation, e.g. '*'; it is empty"
    expect_contract_names(sandbox.layout, ("_prev", "_op"), answer.get("spelled"))


def test_value_used_twice_is_recorded_as_an_operand(sandbox):
    answer = sandbox.call(probes.ENGINE_STRUCTURE, "building x0 + x0", program=single_op("add", 0, 0).to_json())
    assert answer["children"][2] and set(answer["children"][2]) == {0}, (
        f"(x0 + x0)._prev should hold x0 (once or twice), found {answer['children'][2]}")


def test_repr_shows_data_and_grad(sandbox):
    text = sandbox.call(probes.ENGINE_REPR, "repr(Value)", data=2.5, grad=0.75)
    assert "2.5" in text and "0.75" in text, (
        f"repr of a Value with data 2.5 and grad 0.75 should show both, like Value(data=2.5, grad=0.75); got {text!r}")
