"""Cart: quick-add product tiles, line items with quantity +/−, remove, subtotal/tax/total."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from kiosk.domain.cart import Cart, Product


class CartPanel(QWidget):
    def __init__(self, products: list[Product], on_add: Callable[[Product], None],
                 on_quantity: Callable[[str, int], None], parent=None):
        super().__init__(parent)
        self._on_add = on_add
        self._on_quantity = on_quantity
        self._products = {p.sku: p for p in products}
        self._tiles: list[QPushButton] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        grid_box = QGroupBox("Products")
        grid = QGridLayout(grid_box)
        for i, product in enumerate(products):
            b = QPushButton(f"{product.name}\n{product.unit_price.format()}")
            b.setObjectName(f"product:{product.sku}")
            b.setProperty("product", True)
            b.setAccessibleName(f"Add {product.name}")
            b.setAccessibleDescription(f"Adds one {product.name} at {product.unit_price.format()} to the cart")
            b.clicked.connect(lambda _=False, p=product: self._on_add(p))
            grid.addWidget(b, i // 5, i % 5)
            self._tiles.append(b)
        layout.addWidget(grid_box)

        cart_box = QGroupBox("Cart")
        cart_layout = QVBoxLayout(cart_box)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("cartView")
        self.table.setAccessibleName("Cart")
        self.table.setAccessibleDescription("Items in the current sale with quantity and price")
        self.table.setHorizontalHeaderLabels(["Item", "Qty", "Amount", ""])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(52)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setFocusPolicy(Qt.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        cart_layout.addWidget(self.table)

        totals = QGridLayout()
        self.subtotal_label = QLabel()
        self.subtotal_label.setObjectName("subtotalLabel")
        self.tax_label = QLabel()
        self.tax_label.setObjectName("taxLabel")
        self.total_label = QLabel()
        self.total_label.setObjectName("totalLabel")
        self.total_label.setAccessibleName("Total")
        for row, (name, label) in enumerate((("Subtotal", self.subtotal_label), ("Tax", self.tax_label),
                                             ("Total", self.total_label))):
            totals.addWidget(QLabel(name), row, 0)
            label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            totals.addWidget(label, row, 1)
        self.lock_hint = QLabel("Cart locked while the payment is in progress — cancel to change it.")
        self.lock_hint.setObjectName("cartLockHint")
        self.lock_hint.setWordWrap(True)
        self.lock_hint.setVisible(False)
        cart_layout.addLayout(totals)
        cart_layout.addWidget(self.lock_hint)
        layout.addWidget(cart_box, 1)

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
            remove = QPushButton("Remove")
            remove.setObjectName(f"remove:{sku}")
            remove.setAccessibleName(f"Remove {line.product.name}")
            remove.setEnabled(not cart.locked)
            remove.clicked.connect(lambda _=False, s=sku: self._on_quantity(s, 0))
            self.table.setCellWidget(row, 3, remove)
        self.subtotal_label.setText(cart.subtotal.format())
        self.tax_label.setText(cart.tax.format())
        self.total_label.setText(cart.total.format())
        for tile in self._tiles:
            tile.setEnabled(not cart.locked)
        self.lock_hint.setVisible(cart.locked)

    def _qty_widget(self, sku: str, qty: int, locked: bool) -> QWidget:
        w = QWidget()
        h = QHBoxLayout(w)
        h.setContentsMargins(2, 0, 2, 0)
        minus = QPushButton("−")
        minus.setObjectName(f"decrease:{sku}")
        minus.setAccessibleName("Decrease quantity")
        plus = QPushButton("+")
        plus.setObjectName(f"increase:{sku}")
        plus.setAccessibleName("Increase quantity")
        for b in (minus, plus):
            b.setFixedWidth(48)
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
