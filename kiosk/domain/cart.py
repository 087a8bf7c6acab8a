"""Cart: products, line items with quantities and discounts; the figures come from pricing.compute()."""
from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.i18n import _

from .errors import CartLocked, InvalidAmount, InvalidCurrency, InvalidInput
from .money import Money
from .pricing import Discount, LineInput, TaxPolicy, Totals, compute

MAX_QUANTITY = 999


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    unit_price: Money
    tax_bp: int = 0  # tax rate in basis points (825 = 8.25 %), resolved from the tax category when loaded
    tax_category: str = ""  # the store's tax category code ("standard", "reduced", "exempt")
    barcodes: tuple[str, ...] = ()  # normalized (domain/barcode.py); a product may have several
    category: str = ""  # shelf category shown as a tab ("Drinks")


@dataclass
class LineItem:
    product: Product
    quantity: int
    discount: Discount | None = None

    @property
    def subtotal(self) -> Money:
        """Unit price × quantity, before discounts (the line's own figures are in Cart.totals().lines)."""
        return self.product.unit_price.times(self.quantity)


@dataclass
class Cart:
    currency: str
    lines: list[LineItem] = field(default_factory=list)
    locked: bool = False  # set while a payment is in flight: the amount must not change under the reader
    policy: TaxPolicy = field(default_factory=TaxPolicy)  # the store's (Settings), set when the cart is made
    discount: Discount | None = None  # on the whole cart, spread over the lines

    def _check_unlocked(self) -> None:
        if self.locked:
            raise CartLocked(detail="cart modification while a payment is in flight")

    def _line(self, sku: str) -> LineItem | None:
        return next((l for l in self.lines if l.product.sku == sku), None)

    def __post_init__(self) -> None:
        self.currency = Money.zero(self.currency).currency  # InvalidCurrency now, not at the first add

    def add(self, product: Product, quantity: int = 1) -> None:
        self._check_unlocked()
        # add() only ever adds: a bool, a string or a negative count is a bug in the caller, not "remove".
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise InvalidAmount(detail=f"quantity to add must be a positive integer, got {quantity!r}")
        if product.unit_price.currency != self.currency:
            raise InvalidCurrency(detail=f"{product.sku} is priced in {product.unit_price.currency}")
        line = self._line(product.sku)
        self.set_quantity(product.sku, (line.quantity if line else 0) + quantity, product=product)

    def set_quantity(self, sku: str, quantity: int, *, product: Product | None = None) -> None:
        self._check_unlocked()
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise InvalidAmount(detail=f"quantity must be an integer, got {quantity!r}")
        if quantity > MAX_QUANTITY:
            raise InvalidAmount(_("At most %(count)d of one item.") % {"count": MAX_QUANTITY}, detail=f"quantity {quantity}")
        line = self._line(sku)
        if quantity <= 0:
            if line:
                self.lines.remove(line)
            if not self.lines:
                self.discount = None  # a cart discount belongs to this sale's items, not to the next ones
            return
        if line:
            line.quantity = quantity
        elif product is not None:
            self.lines.append(LineItem(product, quantity))
        else:
            raise InvalidInput(detail=f"unknown sku {sku!r}")

    def remove(self, sku: str) -> None:
        self.set_quantity(sku, 0)

    def clear(self) -> None:
        self._check_unlocked()
        self.lines.clear()
        self.discount = None

    # An amount discount larger than what it applies to is refused when entered (a typo, most likely); one that
    # becomes larger later (fewer items) is capped by pricing, so the cart never goes below zero.
    def set_line_discount(self, sku: str, discount: Discount | None) -> None:
        self._check_unlocked()
        line = self._line(sku)
        if line is None:
            raise InvalidInput(detail=f"discount for unknown sku {sku!r}")
        if discount is not None and not discount.fits(line.subtotal.minor):
            raise InvalidAmount(_("The discount is more than the item costs (%(amount)s).")
                                % {"amount": line.subtotal.format()}, detail=f"line discount {discount.value} > line")
        line.discount = discount

    def set_cart_discount(self, discount: Discount | None) -> None:
        self._check_unlocked()
        if discount is not None:
            if self.is_empty:
                raise InvalidInput(_("Add items before giving a discount."), detail="cart discount on empty cart")
            after = self.totals().subtotal - self._line_discounts()
            if not discount.fits(after.minor):
                raise InvalidAmount(_("The discount is more than the sale comes to (%(amount)s).")
                                    % {"amount": after.format()}, detail=f"cart discount {discount.value} > sale")
        self.discount = discount

    def _line_discounts(self) -> Money:
        return Money(sum(l.discount.off(l.subtotal.minor) for l in self.lines if l.discount), self.currency)

    def totals(self) -> Totals:
        return compute(self.currency, [
            LineInput(l.product.sku, l.subtotal.minor, l.product.tax_bp, l.product.tax_category, l.discount)
            for l in self.lines], self.policy, self.discount)

    def snapshot(self) -> dict:
        """The sale as the journal keeps it (attempts.cart_json, written by the controller) and the receipt reads
        it. A line's discount_minor is its own discount (what its reason explains); the sale's discount_minor is
        every discount, cart_discount_minor the sale discount alone (its reason: discount_reason). Earlier versions
        wrote only currency, lines (sku, name, "qty", unit_minor) and total_minor. See docs/taxes.md."""
        t = self.totals()
        return {
            "currency": self.currency,
            "lines": [{"sku": l.product.sku, "name": l.product.name, "quantity": l.quantity,
                       "unit_minor": l.product.unit_price.minor, "subtotal_minor": p.gross.minor,
                       "discount_minor": l.discount.off(l.subtotal.minor) if l.discount else 0,
                       "discount_reason": l.discount.reason if l.discount else "",
                       "tax_category": p.tax_category, "tax_bp": p.rate_bp, "tax_minor": p.tax.minor}
                      for l, p in zip(self.lines, t.lines, strict=True)],
            "subtotal_minor": t.subtotal.minor,
            "discount_minor": t.discount.minor,
            "discount_reason": self.discount.reason if self.discount else "",
            "cart_discount_minor": t.cart_discount.minor if t.cart_discount else 0,
            "tax_minor": t.tax.minor,
            "taxes": [{"category": x.category, "rate_bp": x.rate_bp, "base_minor": x.base.minor,
                       "tax_minor": x.tax.minor} for x in t.taxes],
            "prices_include_tax": self.policy.prices_include_tax,
            "total_minor": t.total.minor,
        }

    @property
    def subtotal(self) -> Money:
        return self.totals().subtotal

    @property
    def tax(self) -> Money:
        return self.totals().tax

    @property
    def total(self) -> Money:
        return self.totals().total

    @property
    def is_empty(self) -> bool:
        return not self.lines
