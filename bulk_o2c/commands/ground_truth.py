"""What a run between the sandboxes must end with, from the Salesforce sandbox's ground truth.

The data set knows which records it made bad and why; this turns that into the outcome a correct
run has: which external ids NetSuite holds (each once) and which records the DLQ holds, with
which code. ``differences`` compares what a run left with it, one line per kind of difference;
the demo prints them (and fails on any), the whole-run tests assert the outcome.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bulk_o2c.mapping import MappingErrorCode, MappingSettings
from bulk_o2c.pipeline.flows import ACCOUNT, ORDER
from bulk_o2c.sandbox.salesforce.dataset import DISCOUNT_PRODUCT_CODE, BadReason, Dataset
from bulk_o2c.store.settle import PARENT_FAILED


@dataclass(frozen=True, slots=True)
class ExpectedOutcome:
    customers: frozenset[str]  # external ids NetSuite must hold, once each
    sales_orders: frozenset[str]
    dlq: dict[tuple[str, str], str]  # (flow, Salesforce id) -> code


def expected_outcome(dataset: Dataset, mapping: MappingSettings) -> ExpectedOutcome:
    dlq: dict[tuple[str, str], str] = {}
    # Orders NetSuite refuses: only those the mapping lets through reach it.
    refused: dict[tuple[str, str], str] = {}
    for bad in dataset.expected_bad():
        if bad.reason is BadReason.INVALID_COUNTRY:
            slot = dataset.slot_of(ACCOUNT, bad.record_id)
            assert slot is not None
            country = dataset.row(ACCOUNT, slot)["BillingCountryCode"]
            code = MappingErrorCode.UNKNOWN_COUNTRY if country else MappingErrorCode.MISSING_FIELD
            dlq[(ACCOUNT, bad.record_id)] = code
        elif bad.reason is BadReason.BAD_ACCOUNT:
            # Parked before it is mapped: its own lines may be bad too, the customer decides first.
            dlq[(ORDER, bad.record_id)] = PARENT_FAILED
        elif bad.reason is BadReason.DISCOUNT_FIRST:
            assert bad.parent_id is not None
            if DISCOUNT_PRODUCT_CODE in mapping.discount_item_codes:
                dlq.setdefault((ORDER, bad.parent_id), MappingErrorCode.DISCOUNT_WITHOUT_ITEM)
            else:  # sent as an ordinary item, the NetSuite sandbox refuses it (USER_ERROR)
                refused[(ORDER, bad.parent_id)] = "USER_ERROR"
        else:
            assert bad.parent_id is not None
            dlq.setdefault((ORDER, bad.parent_id), MappingErrorCode.NEGATIVE_QUANTITY)
    dlq = refused | dlq
    account_ids = (dataset.record_id(ACCOUNT, i) for i in range(dataset.count(ACCOUNT)))
    order_ids = (dataset.record_id(ORDER, i) for i in range(dataset.count(ORDER)))
    return ExpectedOutcome(
        customers=frozenset(
            mapping.customer_external_id_prefix + i for i in account_ids if (ACCOUNT, i) not in dlq
        ),
        sales_orders=frozenset(
            mapping.sales_order_external_id_prefix + i for i in order_ids if (ORDER, i) not in dlq
        ),
        dlq=dlq,
    )


_EXAMPLES = 3


def differences(
    want: ExpectedOutcome,
    customers: Iterable[str],
    sales_orders: Iterable[str],
    dlq: Mapping[tuple[str, str], str],
) -> list[str]:
    """How the external ids NetSuite holds and the open DLQ entries differ from ``want``; [] when not."""
    found = _ids_differ("customers", want.customers, customers) + _ids_differ(
        "sales orders", want.sales_orders, sales_orders
    )
    missing = [f"{flow} {sf_id}" for flow, sf_id in want.dlq.keys() - dlq.keys()]
    unexpected = [f"{flow} {sf_id}" for flow, sf_id in dlq.keys() - want.dlq.keys()]
    wrong = [
        f"{flow} {sf_id} {dlq[flow, sf_id]} (expected {code})"
        for (flow, sf_id), code in want.dlq.items()
        if dlq.get((flow, sf_id), code) != code
    ]
    found += _listed("bad records missing from the DLQ", missing)
    found += _listed("records in the DLQ that are not bad", unexpected)
    found += _listed("DLQ entries with another code", wrong)
    return found


def _ids_differ(what: str, want: frozenset[str], held: Iterable[str]) -> list[str]:
    counts = Counter(held)
    return (
        _listed(f"{what} missing from NetSuite", want - counts.keys())
        + _listed(f"{what} in NetSuite that should not be", counts.keys() - want)
        + _listed(f"{what} in NetSuite more than once", [i for i, n in counts.items() if n > 1])
    )


def _listed(what: str, items: Iterable[str]) -> list[str]:
    ordered = sorted(items)
    if not ordered:
        return []
    more = f" and {len(ordered) - _EXAMPLES:,} more" if len(ordered) > _EXAMPLES else ""
    return [f"{len(ordered):,} {what}: {', '.join(ordered[:_EXAMPLES])}{more}"]
