"""The receipt of a sale: one model built from the journal (attempt + sale snapshot + card details), laid out once
as rows that every output draws — the PDF (kiosk.render.receipt_pdf), ESC/POS printers (services/escpos.py) and
the plain text the Mercado Pago Point Smart prints.

Snapshots written before discounts and the tax breakdown (only `currency`, `lines[{sku,name,qty|quantity,
unit_minor}]`, `total_minor`) still make a receipt: a missing figure is unknown and left off, except the tax of
such a sale, which was exactly total − subtotal (there were no discounts then).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from kiosk.domain.cards import brand_name
from kiosk.domain.cart import Cart
from kiosk.domain.errors import InvalidInput
from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt
from kiosk.i18n import _, format_datetime, format_decimal

WIDTH = 32  # characters per line on a 58 mm roll (the Point Smart's printer); 80 mm rolls take 48


@dataclass(frozen=True)
class Shop:
    """The header the owner sets in Settings › Receipts."""

    name: str = "kiosk"
    address: tuple[str, ...] = ()
    tax_id: str = ""


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    quantity: int
    unit: Money
    subtotal: Money
    discount: Money | None = None
    discount_reason: str = ""


@dataclass(frozen=True)
class TaxLine:
    category: str
    rate_bp: int
    base: Money | None
    tax: Money


@dataclass(frozen=True)
class RefundNote:
    """A completed refund of the sale: its receipt says what was given back, and why."""

    amount: Money
    reason: str
    provider_refund_id: str | None = None


@dataclass(frozen=True)
class Receipt:
    shop: Shop
    reference: str  # our attempt id: the customer's handle on the sale
    created_at: float | None
    lines: tuple[ReceiptLine, ...]
    subtotal: Money
    total: Money  # the sale; what the card paid is `charged` (tip included)
    discount: Money | None = None
    discount_reason: str = ""
    tax: Money | None = None
    taxes: tuple[TaxLine, ...] = ()
    prices_include_tax: bool = False
    tip: Money | None = None
    payment_id: str | None = None
    provider: str = ""
    card_brand: str | None = None
    card_last4: str | None = None
    card_auth_code: str | None = None
    receipt_url: str | None = None
    refund: RefundNote | None = None  # set: this is the receipt of a refund of the sale, not of the sale
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def currency(self) -> str:
        return self.total.currency

    @property
    def charged(self) -> Money:
        return self.total + self.tip if self.tip is not None else self.total

    @property
    def card(self) -> str:
        """"Visa •••• 4242", "Visa", "•••• 4242" or "" — only what the provider said."""
        brand = brand_name(self.card_brand)
        digits = f"•••• {self.card_last4}" if self.card_last4 else ""
        return " ".join(p for p in (brand, digits) if p)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _money(value: Any, currency: str) -> Money | None:
    minor = _int(value)
    return None if minor is None else Money(minor, currency)


def _nonzero(m: Money | None) -> Money | None:
    return m if m is not None and m.minor else None


def build_receipt(snapshot: dict | None, attempt: PaymentAttempt, *, shop: Shop = Shop(),
                  created_at: float | None = None) -> Receipt:
    """A receipt from a sale snapshot (the journal's `cart_json`) and the attempt that paid it."""
    snap = snapshot if isinstance(snapshot, dict) else {}
    currency = attempt.amount.currency
    lines = []
    for raw in snap.get("lines") or ():
        if not isinstance(raw, dict):
            continue
        quantity = _int(raw.get("quantity")) or _int(raw.get("qty")) or 1
        unit = _money(raw.get("unit_minor"), currency) or Money.zero(currency)
        subtotal = _money(raw.get("subtotal_minor"), currency) or unit.times(quantity)
        discount = _money(raw.get("discount_minor"), currency)
        lines.append(ReceiptLine(str(raw.get("name") or raw.get("sku") or "?"), quantity, unit, subtotal,
                                 _nonzero(discount), str(raw.get("discount_reason") or "")))
    subtotal = _money(snap.get("subtotal_minor"), currency)
    if subtotal is None:
        subtotal = sum((l.subtotal for l in lines), Money.zero(currency))
    total = _money(snap.get("total_minor"), currency) or attempt.amount
    discount = _money(snap.get("discount_minor"), currency)
    tax = _money(snap.get("tax_minor"), currency)
    if tax is None and "discount_minor" not in snap and lines and total.minor >= subtotal.minor:
        tax = total - subtotal  # an old snapshot: no discounts existed, so the rest of the total was tax
    taxes = tuple(TaxLine(str(t.get("category") or ""), _int(t.get("rate_bp")) or 0,
                          _money(t.get("base_minor"), currency), _money(t.get("tax_minor"), currency)
                          or Money.zero(currency))
                  for t in snap.get("taxes") or () if isinstance(t, dict))
    return Receipt(
        shop=shop, reference=attempt.id, created_at=created_at, lines=tuple(lines), subtotal=subtotal, total=total,
        discount=_nonzero(discount), discount_reason=str(snap.get("discount_reason") or ""),
        tax=tax, taxes=taxes, prices_include_tax=bool(snap.get("prices_include_tax")), tip=attempt.tip,
        payment_id=attempt.payment_id, provider=attempt.provider, card_brand=attempt.card_brand,
        card_last4=attempt.card_last4, card_auth_code=attempt.card_auth_code, receipt_url=attempt.receipt_url,
    )


def receipt_from_journal(record: Any, *, shop: Shop = Shop()) -> Receipt:
    """From a `JournalAttempt` (any schema version: card details and the tip are None before v5)."""
    return build_receipt(record.cart, record.to_attempt(), shop=shop, created_at=record.created_at)


def refund_receipt(record: Any, refund: Any, *, shop: Shop = Shop()) -> Receipt:
    """The receipt of a succeeded refund (`JournalRefund`) of the sale `record` (`JournalAttempt`), dated when the
    refund was asked for. Only a refund the provider confirmed has one."""
    if refund.state != "succeeded" or refund.attempt_id != record.id:
        raise InvalidInput(_("Only a completed refund has a receipt."),
                           detail=f"refund {refund.id} is {refund.state} (sale {refund.attempt_id})")
    sale = receipt_from_journal(record, shop=shop)
    note = RefundNote(Money(refund.amount_minor, refund.currency), refund.reason, refund.provider_refund_id)
    return replace(sale, refund=note, created_at=refund.created_at, receipt_url=None)


def shop_from_settings(settings: Any) -> Shop:
    """The header from Settings › Receipts; an unnamed shop is "kiosk"."""
    return Shop(settings.shop_name.strip() or "kiosk",
                tuple(line.strip() for line in settings.shop_address.splitlines() if line.strip()),
                settings.shop_tax_id.strip())


async def receipt_for_sale(journal: Any, attempt: PaymentAttempt, cart: Cart, shop: Shop) -> Receipt:
    """The finished sale's receipt: its journaled snapshot (what was sold, as the payment recorded it) with the
    live attempt (card details, tip); the cart on screen when there is no journal record."""
    record = await journal.attempt(attempt.id) if journal is not None else None
    if record is not None:
        return build_receipt(record.cart, attempt, shop=shop, created_at=record.created_at)
    return receipt_from_cart(cart, attempt, shop=shop)


def receipt_from_cart(cart: Cart, attempt: PaymentAttempt, *, shop: Shop = Shop()) -> Receipt:
    """The sale on screen, for callers without its journal record (the terminal's printout)."""
    return build_receipt(cart.snapshot(), attempt, shop=shop)


# ---- layout -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One line of a receipt. kind: title (shop name), text, pair (left … right), total (bold pair), rule."""

    kind: str
    left: str = ""
    right: str = ""


def rate(rate_bp: int) -> str:
    """1600 → "16", 1050 → "10.5" (in the locale's decimals)."""
    return format_decimal(Decimal(rate_bp) / 100)


def _header(r: Receipt) -> list[Row]:
    rows = [Row("title", r.shop.name)] + [Row("text", line) for line in r.shop.address if line.strip()]
    if r.shop.tax_id:
        rows.append(Row("text", _("Tax ID %(id)s") % {"id": r.shop.tax_id}))
    if r.created_at is not None:
        rows.append(Row("text", format_datetime(_dt.datetime.fromtimestamp(r.created_at).astimezone(), "short")))
    return rows


def _refund_rows(r: Receipt, refund: RefundNote) -> list[Row]:
    rows = _header(r) + [Row("text", _("Refund of sale %(ref)s") % {"ref": r.reference[:12]}), Row("rule"),
                         Row("total", _("REFUNDED"), refund.amount.format()),
                         Row("pair", _("Sale paid by card"), r.charged.format())]
    if refund.reason:
        rows.append(Row("text", _("Reason: %(reason)s") % {"reason": refund.reason}))
    rows.append(Row("rule"))
    if r.card:
        rows.append(Row("pair", _("Card"), r.card))
    if refund.provider_refund_id:
        rows.append(Row("text", _("Refund %(id)s") % {"id": refund.provider_refund_id}))
    return rows


def receipt_rows(r: Receipt) -> list[Row]:
    if r.refund is not None:
        return _refund_rows(r, r.refund)
    rows = _header(r)
    rows.append(Row("text", _("Sale %(ref)s") % {"ref": r.reference[:12]}))
    rows.append(Row("rule"))
    for line in r.lines:
        rows.append(Row("pair", _("%(quantity)d x %(product)s") % {"quantity": line.quantity, "product": line.name},
                        line.subtotal.format()))
        if line.discount:
            rows.append(Row("pair", _discount_label(line.discount_reason), "-" + line.discount.format()))
    rows += [Row("rule"), Row("pair", _("Subtotal"), r.subtotal.format())]
    if r.discount:
        rows.append(Row("pair", _discount_label(r.discount_reason), "-" + r.discount.format()))
    for t in r.taxes:
        label = (_("%(category)s %(rate)s%%") if t.category else _("Tax %(rate)s%%")) % {
            "category": t.category, "rate": rate(t.rate_bp)}
        rows.append(Row("pair", label, t.tax.format()))
    if not r.taxes and r.tax is not None:
        rows.append(Row("pair", _("Tax"), r.tax.format()))
    if r.prices_include_tax:
        rows.append(Row("text", _("Prices include tax.")))
    rows.append(Row("total", _("TOTAL"), r.total.format()))
    if r.tip is not None:
        rows += [Row("pair", _("Tip"), r.tip.format()), Row("total", _("Card paid"), r.charged.format())]
    rows.append(Row("rule"))
    if r.card:
        rows.append(Row("pair", _("Card"), r.card))
    if r.card_auth_code:
        rows.append(Row("pair", _("Authorisation code"), r.card_auth_code))
    if r.payment_id:
        rows.append(Row("text", _("Payment %(id)s") % {"id": r.payment_id}))
    rows.append(Row("text", _("Thank you!")))
    return rows


def _discount_label(reason: str) -> str:
    return _("Discount (%(reason)s)") % {"reason": reason} if reason else _("Discount")


def _plain(text: str) -> str:
    """CLDR puts no-break spaces in amounts ("R$ 3,50"); a receipt printer's font may not have them."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def text_lines(r: Receipt, width: int = WIDTH) -> list[str]:
    """The rows as fixed-width text (a thermal printer's font; every line at most `width` characters)."""
    out = []
    for row in receipt_rows(r):
        left, right = _plain(row.left), _plain(row.right)
        if row.kind == "rule":
            out.append("-" * width)
        elif row.kind == "title":
            out.append(left[:width].center(width).rstrip())
        elif row.kind == "text":
            out += [left[i:i + width] for i in range(0, max(len(left), 1), width)]
        else:
            left = left[: max(width - len(right) - 1, 0)]
            out.append((left + " " * (width - len(left) - len(right)) + right)[-width:] if right else left)
    return out


def format_receipt(cart: Cart, attempt: PaymentAttempt, shop: str = "kiosk") -> str:
    """Plain text for the Mercado Pago Point Smart's 58 mm printer (a terminal print action)."""
    return "\n".join(text_lines(receipt_from_cart(cart, attempt, shop=Shop(shop))))
