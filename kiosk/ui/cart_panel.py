"""Cart: the product grid above (ui/product_grid.py), line items with quantity +/−, remove, subtotal/tax/total."""
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

from kiosk.domain.cart import Cart
from kiosk.i18n import _

from .payment_panel import fix_lines


class CartPanel(QWidget):
    def __init__(self, grid: QWidget, on_quantity: Callable[[str, int], None], parent=None):
        super().__init__(parent)
        self._on_quantity = on_quantity
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

        totals = QGridLayout()
        totals.setColumnStretch(1, 1)
        self.subtotal_label = QLabel()
        self.subtotal_label.setObjectName("subtotalLabel")
        self.tax_label = QLabel()
        self.tax_label.setObjectName("taxLabel")
        self.total_label = QLabel()
        self.total_label.setObjectName("totalLabel")
        self.total_label.setAccessibleName(_("Total"))
        # Subtotal and tax share a line, so the total keeps its size on short screens.
        for col, (name, label) in enumerate(((_("Subtotal"), self.subtotal_label), (_("Tax"), self.tax_label))):
            totals.addWidget(QLabel(name), 0, 2 * col)
            label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            totals.addWidget(label, 0, 2 * col + 1)
        total_name = QLabel(_("Total"))
        total_name.setObjectName("totalName")
        totals.addWidget(total_name, 1, 0)
        self.total_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        totals.addWidget(self.total_label, 1, 1, 1, 3)
        # Why the cart can't be changed; it holds its line even when empty, so nothing below it moves.
        self.lock_hint = QLabel()
        self.lock_hint.setObjectName("cartLockHint")
        self.lock_hint.setWordWrap(True)
        cart_layout.addLayout(totals)
        cart_layout.addWidget(self.lock_hint)
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
        self.table.setRowCount(len(cart.lines))
        for row, line in enumerate(cart.lines):
            sku = line.product.sku
            item = QTableWidgetItem(line.product.name)
            self.table.setItem(row, 0, item)
            self.table.setCellWidget(row, 1, self._qty_widget(sku, line.quantity, cart.locked))
            amount = QTableWidgetItem(line.subtotal.format())
            amount.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.table.setItem(row, 2, amount)
            remove = QPushButton(_("Remove"))
            remove.setProperty("cartRow", True)
            remove.setObjectName(f"remove:{sku}")
            remove.setAccessibleName(_("Remove %(product)s") % {"product": line.product.name})
            remove.setEnabled(not cart.locked)
            remove.clicked.connect(lambda _=False, s=sku: self._on_quantity(s, 0))
            self.table.setCellWidget(row, 3, remove)
        self.subtotal_label.setText(cart.subtotal.format())
        self.tax_label.setText(cart.tax.format())
        self.total_label.setText(cart.total.format())

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
