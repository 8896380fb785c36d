"""Loop prevention: the mapped-record fingerprint."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bulk_o2c.protocol.netsuite.records import Address, AddressbookEntry, Customer, RecordRef
from bulk_o2c.protocol.salesforce.loop_guard import record_fingerprint

REPO = Path(__file__).resolve().parents[3]


def _customer() -> Customer:
    return Customer(
        external_id="SF-001A000000xyz",
        company_name="Acme Zürich",
        email="ops@acme.example",
        subsidiary=RecordRef(internal_id="1"),
        addressbook=(AddressbookEntry(Address(country="_switzerland", city="Zürich"), default_billing=True),),
    )


def test_equal_records_have_equal_fingerprints() -> None:
    assert record_fingerprint(_customer()) == record_fingerprint(_customer())


def test_any_mapped_change_moves_the_fingerprint() -> None:
    base = record_fingerprint(_customer())
    nested = replace(
        _customer(),
        addressbook=(AddressbookEntry(Address(country="_switzerland", city="Zurich"), default_billing=True),),
    )

    assert record_fingerprint(replace(_customer(), email="new@acme.example")) != base
    assert record_fingerprint(replace(_customer(), email=None)) != base
    assert record_fingerprint(nested) != base


def test_a_field_hidden_from_repr_still_counts() -> None:
    @dataclass(frozen=True)
    class Hidden:
        key: str
        secretish: str = field(repr=False)

    assert record_fingerprint(Hidden("k", "a")) != record_fingerprint(Hidden("k", "b"))


def test_types_with_equal_reprs_of_values_are_told_apart_by_value_type() -> None:
    @dataclass(frozen=True)
    class Amount:
        value: object

    assert record_fingerprint(Amount(Decimal("1.0"))) != record_fingerprint(Amount("1.0"))
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    assert record_fingerprint(Amount(moment)) != record_fingerprint(Amount("2024-01-01"))


def test_the_fingerprint_is_the_same_in_another_process() -> None:
    # String hashing is randomised per process; the fingerprint must not depend on it.
    script = (
        "import importlib.util\n"
        "from bulk_o2c.protocol.salesforce.loop_guard import record_fingerprint\n"
        f"spec = importlib.util.spec_from_file_location('this_test', {__file__!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(record_fingerprint(module._customer()))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)},
            timeout=20,
        ).stdout.strip()
        for seed in ("1", "2")
    }

    assert outputs == {record_fingerprint(_customer())}


@pytest.mark.parametrize("value", [{"a"}, {"a": 1}, frozenset()])
def test_unordered_values_are_refused(value: object) -> None:
    @dataclass(frozen=True)
    class Loose:
        value: object

    with pytest.raises(TypeError, match="sets or dicts"):
        record_fingerprint(Loose(value))


@pytest.mark.parametrize("value", ["text", Customer, {"external_id": "x"}])
def test_only_dataclass_records_are_fingerprinted(value: object) -> None:
    with pytest.raises(TypeError, match="dataclass record"):
        record_fingerprint(value)


def test_fingerprints_stay_those_of_checkpoints_already_written() -> None:
    # A changed digest would re-send every record of the next delta once: pin one, taken before the
    # per-type field cache existed.
    assert record_fingerprint(_customer()) == "9c165275729c900513c199e31de74601"


def test_a_field_added_later_counts_only_when_set() -> None:
    # Person names came after checkpoints held digests: a company's digest stays the pinned one.
    person = replace(_customer(), is_person=True, first_name="Ana", last_name="Díaz")
    fingerprints = {
        record_fingerprint(_customer()),
        record_fingerprint(person),
        record_fingerprint(replace(person, first_name="Eva")),
        record_fingerprint(replace(person, first_name=None)),
    }
    assert len(fingerprints) == 4

    @dataclass(frozen=True)
    class Later:
        kept: str
        added: str | None = field(default=None, metadata={"fingerprint": "when set"})

    @dataclass(frozen=True)
    class Before:
        kept: str

    Before.__qualname__ = Later.__qualname__
    assert record_fingerprint(Later("x")) == record_fingerprint(Before("x"))
    assert record_fingerprint(Later("x", "y")) != record_fingerprint(Before("x"))


def test_the_digested_text_is_the_repr_of_the_nested_canonical_tuples() -> None:
    # The digests checkpoints hold were taken of this repr; edge shapes of tuples must match it.
    @dataclass(frozen=True)
    class Empty:
        pass

    @dataclass(frozen=True)
    class One:
        only: object

    value = One((Empty(), [Decimal("1.50"), None], ("x",), (), "{}"))
    canonical = (
        One.__qualname__,
        (("only", ((Empty.__qualname__, ()), (Decimal("1.50"), None), ("x",), (), "{}")),),
    )
    expected = hashlib.blake2b(repr(canonical).encode("utf-8"), digest_size=16).hexdigest()

    assert record_fingerprint(value) == expected
