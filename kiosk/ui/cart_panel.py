"""Cart: the product grid above (ui/product_grid.py), line items with quantity +/−, discount and remove; subtotal,
discounts, the tax per rate and the total."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.cart import Cart, Product
from kiosk.domain.money import Money
from kiosk.domain.pricing import Totals, tax_figures
from kiosk.i18n import _

from .payment_panel import fix_lines


class CartPanel(QWidget):
    def __init__(self, grid: QWidget, on_quantity: Callable[[str, int], None], parent=None, *,
                 on_discount: Callable[[str | None], None] | None = None):
        """on_discount(sku, or None for the whole sale): the window asks for the discount (and the PIN)."""
        super().__init__(parent)
        self._on_quantity = on_quantity
        self._on_discount = on_discount
        self.grid = grid
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(grid, 5)

        cart_box = QGroupBox(_("Cart"))
        cart_layout = QVBoxLayout(cart_box)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("cartView")
        self.table.setAccessibleName(_("Cart"))
        self.table.setAccessibleDescription(_("Items in the current sale with quantity and price"))
        self.table.setHorizontalHeaderLabels([_("Item"), _("Qty"), _("Amount"), ""])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setFocusPolicy(Qt.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        cart_layout.addWidget(self.table)

        # Subtotal, the sale's discount and one figure per tax rate, two to a line so the table keeps its room.
        self._figures = QGridLayout()
        self._figures.setColumnStretch(1, 1)
        self._figures.setColumnStretch(3, 1)
        self._figure_labels: list[tuple[QLabel, QLabel]] = []
        self.subtotal_label = self._figure(0)[1]
        self.subtotal_label.setObjectName("subtotalLabel")
        totals = QGridLayout()
        totals.setColumnStretch(1, 1)
        self.total_label = QLabel()
        self.total_label.setObjectName("totalLabel")
        self.total_label.setAccessibleName(_("Total"))
        total_name = QLabel(_("Total"))
        total_name.setObjectName("totalName")
        totals.addWidget(total_name, 0, 0)
        self.cart_discount = QPushButton(_("Discount"))
        self.cart_discount.setObjectName("cartDiscountButton")
        self.cart_discount.setProperty("cartRow", True)  # the row buttons' height: no taller than the hint's line
        self.cart_discount.setAccessibleName(_("Discount on the whole sale"))
        self.cart_discount.setVisible(on_discount is not None)
        self.cart_discount.clicked.connect(lambda: self._on_discount(None))
        self.total_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        totals.addWidget(self.total_label, 0, 1)
        # Why the cart can't be changed; it holds its line even when empty, so nothing below it moves.
        self.lock_hint = QLabel()
        self.lock_hint.setObjectName("cartLockHint")
        self.lock_hint.setWordWrap(True)
        cart_layout.addLayout(self._figures)
        cart_layout.addLayout(totals)
        # The sale's discount button shares the lock hint's line: the total's line must stay narrow (portrait).
        hint_row = QHBoxLayout()
        hint_row.addWidget(self.lock_hint, 1)
        hint_row.addWidget(self.cart_discount, 0, Qt.AlignTop)
        cart_layout.addLayout(hint_row)
        layout.addWidget(cart_box, 7)
        self.restyle()

    def restyle(self) -> None:
        fix_lines(self.lock_hint, 2)
        self.table.verticalHeader().setDefaultSectionSize(self._row_height())
        self.table.horizontalHeader().setMinimumSectionSize(0)

    def _row_height(self) -> int:
        probe = QPushButton("+")
        probe.setProperty("cartRow", True)
        probe.setParent(self.table)
        probe.ensurePolished()
        height = probe.sizeHint().height() + 6
        probe.setParent(None)  # gone now, not at the next event loop pass: nobody may find a stray "+" button
        return height

    def set_lock_reason(self, text: str) -> None:
        """Why the cart can't be changed now (or nothing): the window knows the payment's state."""
        self.lock_hint.setText(text)

    def update_cart(self, cart: Cart) -> None:
        totals = cart.totals()
        self.table.setRowCount(len(cart.lines))
        for row, line in enumerate(cart.lines):
            sku = line.product.sku
            item = QTableWidgetItem(line.product.name)
            if line.discount is not None:  # the line's own discount and why (its share of the sale's is below)
                item.setText(_("%(product)s\n%(amount)s %(reason)s") % {
                    "product": line.product.name, "reason": line.discount.reason,
                    "amount": _negative(Money(line.discount.off(line.subtotal.minor), cart.currency))})
                item.setToolTip(item.text())  # the reason may be cut at the column's edge
            self.table.setItem(row, 0, item)
            self.table.setCellWidget(row, 1, self._qty_widget(sku, line.quantity, cart.locked))
            amount = QTableWidgetItem(line.subtotal.format())
            amount.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.table.setItem(row, 2, amount)
            self.table.setCellWidget(row, 3, self._line_buttons(line.product, cart.locked))
        self._show_figures(cart, totals)
        self.total_label.setText(totals.total.format())
        self.cart_discount.setEnabled(not cart.locked and not cart.is_empty)

    def _show_figures(self, cart: Cart, totals: Totals) -> None:
        figures = [(_("Subtotal"), totals.subtotal.format())]
        if cart.discount is not None and totals.cart_discount is not None:
            figures.append((_("Discount: %(reason)s") % {"reason": _short(cart.discount.reason)},
                            _negative(totals.cart_discount)))
        figures += [(name, tax.format()) for name, tax in tax_figures(totals, cart.policy.prices_include_tax)]
        for i, (name, value) in enumerate(figures):
            name_label, value_label = self._figure(i)
            name_label.setText(name)
            value_label.setText(value)
            for label in (name_label, value_label):
                label.setVisible(True)
        for name_label, value_label in self._figure_labels[len(figures):]:
            name_label.setVisible(False)
            value_label.setVisible(False)

    def _figure(self, i: int) -> tuple[QLabel, QLabel]:
        while len(self._figure_labels) <= i:
            n = len(self._figure_labels)
            name, value = QLabel(), QLabel()
            name.setObjectName(f"figureName:{n}")
            value.setObjectName(f"figureValue:{n}")
            value.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            name.setMinimumWidth(1)  # a long name may be cut rather than keep the window from narrowing (portrait)
            self._figures.addWidget(name, n // 2, 2 * (n % 2))
            self._figures.addWidget(value, n // 2, 2 * (n % 2) + 1)
            self._figure_labels.append((name, value))
        return self._figure_labels[i]

    def figures(self) -> list[tuple[str, str]]:
        """The figures shown under the cart (name, amount), in order: for tests and the screen reader walk."""
        return [(n.text(), v.text()) for n, v in self._figure_labels if not n.isHidden()]

    def _line_buttons(self, product: Product, locked: bool) -> QWidget:
        w = QWidget()
        h = QHBoxLayout(w)
        h.setContentsMargins(2, 0, 2, 0)
        if self._on_discount is not None:
            off = QPushButton("%")
            off.setProperty("cartRow", True)
            off.setObjectName(f"discount:{product.sku}")
            off.setAccessibleName(_("Discount on %(product)s") % {"product": product.name})
            off.setEnabled(not locked)
            off.clicked.connect(lambda _=False, s=product.sku: self._on_discount(s))
            h.addWidget(off)
        remove = QPushButton(_("Remove"))
        remove.setProperty("cartRow", True)
        remove.setObjectName(f"remove:{product.sku}")
        remove.setAccessibleName(_("Remove %(product)s") % {"product": product.name})
        remove.setEnabled(not locked)
        remove.clicked.connect(lambda _=False, s=product.sku: self._on_quantity(s, 0))
        h.addWidget(remove)
        return w

    def _qty_widget(self, sku: str, qty: int, locked: bool) -> QWidget:
        w = QWidget()
        h = QHBoxLayout(w)
        h.setContentsMargins(2, 0, 2, 0)
        minus = QPushButton("−")
        minus.setObjectName(f"decrease:{sku}")
        minus.setAccessibleName(_("Decrease quantity"))
        plus = QPushButton("+")
        plus.setObjectName(f"increase:{sku}")
        plus.setAccessibleName(_("Increase quantity"))
        for b in (minus, plus):
            b.setProperty("cartRow", True)
            b.setMinimumWidth(44)
            b.setEnabled(not locked)
        minus.clicked.connect(lambda: self._on_quantity(sku, qty - 1))
        plus.clicked.connect(lambda: self._on_quantity(sku, qty + 1))
        label = QLabel(str(qty))
        label.setAlignment(Qt.AlignCenter)
        label.setMinimumWidth(28)
        h.addWidget(minus)
        h.addWidget(label)
        h.addWidget(plus)
        return w


def _negative(amount: Money) -> str:
    return "−" + amount.format()  # a discount is shown as taken off (U+2212, the minus sign)


def _short(reason: str, most: int = 22) -> str:
    """A reason cut to fit beside its amount (the figures' line must not widen the window)."""
    return reason if len(reason) <= most else reason[: most - 1].rstrip() + "…"
