"""Reading a journaled sale snapshot (`attempts.cart_json`) whatever its age.

Snapshots written before the pricing work carry only `currency`, `lines[{sku, name, qty|quantity, unit_minor}]`
and `total_minor`: their tax and discount figures are unknown and read as 0 with `detailed` False, so the history
can say "not recorded" instead of showing a made-up zero tax.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SnapshotLine:
    sku: str
    name: str
    quantity: int
    unit_minor: int
    subtotal_minor: int
    discount_minor: int = 0
    discount_reason: str = ""
    tax_category: str = ""
    tax_bp: int = 0
    tax_minor: int = 0


@dataclass(frozen=True)
class SnapshotTax:
    category: str
    rate_bp: int
    base_minor: int
    tax_minor: int


@dataclass(frozen=True)
class SaleSnapshot:
    currency: str
    lines: tuple[SnapshotLine, ...]
    subtotal_minor: int
    discount_minor: int
    discount_reason: str
    tax_minor: int
    taxes: tuple[SnapshotTax, ...]
    prices_include_tax: bool
    total_minor: int
    detailed: bool  # False: an old snapshot without tax/discount figures


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _line(raw: dict) -> SnapshotLine:
    quantity = _int(raw.get("quantity", raw.get("qty")))
    unit = _int(raw.get("unit_minor"))
    subtotal = raw.get("subtotal_minor")
    return SnapshotLine(
        sku=_str(raw.get("sku")), name=_str(raw.get("name")), quantity=quantity, unit_minor=unit,
        subtotal_minor=_int(subtotal) if subtotal is not None else unit * quantity,
        discount_minor=_int(raw.get("discount_minor")), discount_reason=_str(raw.get("discount_reason")),
        tax_category=_str(raw.get("tax_category")), tax_bp=_int(raw.get("tax_bp")), tax_minor=_int(raw.get("tax_minor")),
    )


def read_snapshot(cart: Any, currency: str = "", total_minor: int = 0) -> SaleSnapshot:
    """A snapshot of any age (or none at all: `currency` and `total_minor` come from the attempt then)."""
    raw = cart if isinstance(cart, dict) else {}
    lines = tuple(_line(l) for l in raw.get("lines", ()) if isinstance(l, dict))
    taxes = tuple(
        SnapshotTax(_str(t.get("category")), _int(t.get("rate_bp")), _int(t.get("base_minor")), _int(t.get("tax_minor")))
        for t in raw.get("taxes", ()) if isinstance(t, dict)
    )
    total = raw.get("total_minor")
    subtotal = raw.get("subtotal_minor")
    return SaleSnapshot(
        currency=_str(raw.get("currency")) or currency,
        lines=lines,
        subtotal_minor=_int(subtotal) if subtotal is not None else sum(l.subtotal_minor for l in lines),
        discount_minor=_int(raw.get("discount_minor")),
        discount_reason=_str(raw.get("discount_reason")),
        tax_minor=_int(raw.get("tax_minor")),
        taxes=taxes,
        prices_include_tax=raw.get("prices_include_tax") is True,
        total_minor=_int(total) if total is not None else total_minor,
        detailed="tax_minor" in raw,
    )
