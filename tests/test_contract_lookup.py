"""The probes find submission names only through specs/contract.json."""
import pytest

from micrograde.errors import KitError, Missing

from micrograde.probes import lookup


def test_a_name_outside_the_contract_is_a_kit_error():
    with pytest.raises(KitError, match="not in specs/contract.json"):
        lookup.name("engine", "Tensor")
    with pytest.raises(KitError):
        lookup.method(object, "forward")


def test_operands_are_found_under_the_contracts_alias():
    class TupleChildren:
        _children = ("a", "b")

    assert lookup.children(TupleChildren()) == ["a", "b"]
    with pytest.raises(Missing) as missing:
        lookup.children(object())
    assert "_prev or _children" in missing.value.detail


def test_a_missing_method_is_reported_by_its_full_name():
    class Value:
        pass

    with pytest.raises(Missing) as missing:
        lookup.method(Value, "tanh")
    assert missing.value.name.endswith("Value.tanh")
