"""Cart: products, line items with quantities, tax in basis points, totals in Money."""
from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.i18n import _

from .errors import CartLocked, InvalidAmount, InvalidCurrency, InvalidInput
from .money import Money

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

    @property
    def subtotal(self) -> Money:
        return self.product.unit_price.times(self.quantity)

    @property
    def tax(self) -> Money:
        return self.subtotal.percent_bp(self.product.tax_bp)


@dataclass
class Cart:
    currency: str
    lines: list[LineItem] = field(default_factory=list)
    locked: bool = False  # set while a payment is in flight: the amount must not change under the reader

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

    @property
    def subtotal(self) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines:
            total = total + line.subtotal
        return total

    @property
    def tax(self) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines:
            total = total + line.tax
        return total

    @property
    def total(self) -> Money:
        return self.subtotal + self.tax

    @property
    def is_empty(self) -> bool:
        return not self.lines
