"""The selling screen's products: category tabs (All, Favourites, the store's), a search box and a grid of tiles.

Model/view, not a button per product: a store's 10,000 products are one QListView in icon mode over a list model,
so only the tiles on screen are painted and a search swaps one list. The catalogue (a CatalogIndex: categories(),
search(), favourites(), by_barcode()) answers the questions; this widget only shows its answers. A tap adds one; the
star on a tile, a right-click or holding the tile (touch) marks it a favourite, which the window stores.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QPoint,
    QPointF,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFont, QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabBar,
    QToolButton,
    QVBoxLayout,
)

from kiosk.domain.cart import Product
from kiosk.i18n import _

ProductRole = Qt.UserRole + 1
FavouriteRole = Qt.UserRole + 2
SEARCH_DEBOUNCE_MS = 120  # a few keys typed together give one search, yet the grid follows the typing
LONG_PRESS_MS = 600
ALL, FAVOURITES = 0, 1  # the two tabs before the store's categories


class ProductModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.products: list[Product] = []
        self.favourites: set[str] = set()
        self.enabled = True

    def set_products(self, products: list[Product]) -> None:
        self.beginResetModel()
        self.products = products
        self.endResetModel()

    def set_favourite(self, sku: str, on: bool) -> None:
        (self.favourites.add if on else self.favourites.discard)(sku)
        for row, p in enumerate(self.products):
            if p.sku == sku:
                index = self.index(row)
                self.dataChanged.emit(index, index, [FavouriteRole, Qt.AccessibleDescriptionRole])

    def row_of(self, sku: str) -> int:
        return next((row for row, p in enumerate(self.products) if p.sku == sku), -1)

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.products)

    def flags(self, index):
        return Qt.ItemIsEnabled if self.enabled else Qt.NoItemFlags

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        p = self.products[index.row()]
        if role == Qt.DisplayRole:
            return p.name
        if role == ProductRole:
            return p
        if role == FavouriteRole:
            return p.sku in self.favourites
        if role == Qt.AccessibleTextRole:
            return _("Add %(product)s") % {"product": p.name}
        if role == Qt.AccessibleDescriptionRole:
            names = {"product": p.name, "price": p.unit_price.format()}
            if p.sku in self.favourites:
                return _("Adds one %(product)s at %(price)s to the cart. A favourite: right-click or hold to remove "
                         "it from Favourites.") % names
            return _("Adds one %(product)s at %(price)s to the cart. Right-click or hold to add it to "
                     "Favourites.") % names
        if role == Qt.ToolTipRole:
            return p.name
        return None


class TileDelegate(QStyledItemDelegate):
    """A tile: the name (two lines at most), the price below it, a star in the corner."""

    def __init__(self, view: QListView):
        super().__init__(view)
        self._view = view

    def tile_size(self) -> QSize:
        fm = self._view.fontMetrics()
        # Touch-sized (≥ 44 px tall) and wide enough for two short words a line; follows the text size setting.
        return QSize(max(118, fm.averageCharWidth() * 14), max(60, fm.height() * 3 + 14))

    def sizeHint(self, option, index) -> QSize:
        grid = self._view.gridSize()
        size = self.tile_size()
        return QSize(grid.width() - 2 * self._view.spacing(), size.height()) if grid.isValid() else size

    @staticmethod
    def star_rect(rect: QRect, fm) -> QRect:
        side = fm.height() + 8  # a finger's worth around the glyph
        return QRect(rect.right() - side, rect.top(), side, side)

    def paint(self, painter, option, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = self._view
        style = widget.style()
        style.drawPrimitive(QStyle.PE_PanelItemViewItem, opt, painter, widget)  # the QSS ::item background
        product: Product = index.data(ProductRole)
        enabled = bool(opt.state & QStyle.State_Enabled)
        group = widget.palette().ColorGroup.Active if enabled else widget.palette().ColorGroup.Disabled
        color = widget.palette().color(group, widget.palette().ColorRole.Text)
        painter.save()
        painter.setPen(color)
        r = opt.rect.adjusted(8, 6, -6, -6)
        fm = opt.fontMetrics
        star = self.star_rect(opt.rect, fm)
        name_font = QFont(opt.font)
        name_font.setWeight(QFont.DemiBold)
        painter.setFont(name_font)
        name_rect = QRect(r.left(), r.top(), star.left() - r.left(), r.height() - fm.height())
        painter.drawText(name_rect, Qt.AlignLeft | Qt.AlignTop,
                         _two_lines(product.name, painter.fontMetrics(), name_rect.width()))
        painter.setFont(opt.font)
        painter.drawText(r, Qt.AlignLeft | Qt.AlignBottom, product.unit_price.format())
        painter.drawText(star, Qt.AlignCenter, "★" if index.data(FavouriteRole) else "☆")
        painter.restore()


def _two_lines(text: str, fm, width: int) -> str:
    """The name on at most two lines of `width`: words fill the first, the rest goes on the second, elided."""
    words = text.split()
    first, i = "", 0
    while i < len(words):
        candidate = f"{first} {words[i]}".strip()
        if first and fm.horizontalAdvance(candidate) > width:
            break
        first, i = candidate, i + 1
    rest = " ".join(words[i:])
    first = fm.elidedText(first, Qt.ElideRight, width)
    return f"{first}\n{fm.elidedText(rest, Qt.ElideRight, width)}" if rest else first


class TileView(QListView):
    """The grid; a long press (touch screens have no right button) toggles the favourite like a right-click."""

    def __init__(self, grid: ProductGrid):
        super().__init__()
        self.parent_grid = grid
        self._held: QModelIndex | None = None
        self._hold = QTimer(self)
        self._hold.setSingleShot(True)
        self._hold.setInterval(LONG_PRESS_MS)
        self._hold.timeout.connect(self._long_press)
        self._long_pressed = False
        self.released_at = QPoint(-1, -1)  # where the last tap ended: on the star, it marks a favourite

    def on_star(self, index: QModelIndex) -> bool:
        return TileDelegate.star_rect(self.visualRect(index), self.fontMetrics()).contains(self.released_at)

    def mousePressEvent(self, event) -> None:
        self._long_pressed = False
        index = self.indexAt(event.position().toPoint())
        if event.button() == Qt.LeftButton and index.isValid():
            self._held = index
            self._hold.start()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._hold.stop()
        self.released_at = event.position().toPoint()
        if self._long_pressed:  # the hold already toggled the favourite: the release is not a tap
            self._long_pressed = False
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._hold.isActive() and self.indexAt(event.position().toPoint()) != self._held:
            self._hold.stop()  # a finger scrolling the grid is not holding a tile
        super().mouseMoveEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Spread the columns over the whole width (icon mode leaves the remainder empty on the right)."""
        tile = self.itemDelegate().tile_size()
        space = 2 * self.spacing()
        width = max(1, self.viewport().width())
        columns = max(1, width // (tile.width() + space))
        self.setGridSize(QSize(width // columns, tile.height() + space))

    def _long_press(self) -> None:
        if self._held is not None and self._held.isValid():
            self._long_pressed = True
            self.parent_grid.toggle_favourite(self._held.data(ProductRole))


class ProductGrid(QGroupBox):
    def __init__(self, index, on_add: Callable[[Product], None],
                 on_favourite: Callable[[Product, bool], None] | None = None, parent=None):
        super().__init__(_("Products"), parent)
        self.setObjectName("productGrid")
        self.setAccessibleName(_("Products"))
        self._on_add = on_add
        self._on_favourite = on_favourite
        self._index = None
        self._categories: list[str] = []
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.tabs = QTabBar()
        self.tabs.setObjectName("categoryTabs")
        self.tabs.setAccessibleName(_("Product categories"))
        self.tabs.setExpanding(False)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setDocumentMode(True)
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        top.addWidget(self.tabs, 1)
        self.search = QLineEdit()
        self.search.setObjectName("productSearch")
        self.search.setAccessibleName(_("Search products"))
        self.search.setPlaceholderText(_("Search name, SKU or barcode"))
        self.search.setClearButtonEnabled(True)
        # Qt's own parts: named in our catalogue (Qt's translations are not shipped), for screen readers.
        for button in self.search.findChildren(QToolButton):
            button.setAccessibleName(_("Clear the search"))
        for button, name in ((self.tabs.findChild(QToolButton, "ScrollLeftButton"), _("Earlier categories")),
                             (self.tabs.findChild(QToolButton, "ScrollRightButton"), _("More categories"))):
            if button is not None:
                button.setAccessibleName(name)
        top.addWidget(self.search)
        layout.addLayout(top)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())

        self.model = ProductModel(self)
        self.view = view = TileView(self)
        view.setObjectName("productView")
        view.setAccessibleName(_("Product tiles"))
        view.setViewMode(QListView.IconMode)
        view.setMovement(QListView.Static)
        view.setResizeMode(QListView.Adjust)
        view.setWrapping(True)
        view.setUniformItemSizes(True)  # one size for every tile: the layout of 10,000 costs no measuring
        view.setLayoutMode(QListView.Batched)  # the first screenful is laid out and painted first, the rest after
        view.setBatchSize(300)
        view.setSpacing(4)
        view.setSelectionMode(QListView.NoSelection)
        view.setEditTriggers(QListView.NoEditTriggers)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        view.setVerticalScrollMode(QListView.ScrollPerPixel)
        view.setFocusPolicy(Qt.NoFocus)  # keys belong to the cashier's shortcuts and the scanner, not the grid
        view.setContextMenuPolicy(Qt.CustomContextMenu)
        view.customContextMenuRequested.connect(self._context)
        self.delegate = TileDelegate(view)
        view.setItemDelegate(self.delegate)
        view.setModel(self.model)
        view.clicked.connect(self._tapped)
        view.setMinimumHeight(1)  # on a short screen a banner above takes the grid's room, never the total's
        layout.addWidget(view, 1)
        self.empty_label = None
        self.set_index(index)

    # --- the catalogue ----------------------------------------------------------------------------
    def set_index(self, index) -> None:
        """Show another catalogue (loaded off the Qt thread by the caller); the tab and the search are kept."""
        self._index = index
        self.model.favourites = {p.sku for p in index.favourites()}
        current = self.tabs.currentIndex()
        current_name = self._categories[current - 2] if current >= 2 and current - 2 < len(self._categories) else None
        self._categories = list(index.categories())
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        self.tabs.addTab(_("All"))
        self.tabs.addTab(_("Favourites"))
        for name in self._categories:
            self.tabs.addTab(name)  # the store's own words: data, not translated
        if current_name in self._categories:
            self.tabs.setCurrentIndex(2 + self._categories.index(current_name))
        elif current in (ALL, FAVOURITES):
            self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        """Ask the catalogue again for the tab and the search text (the debounce timer ends here)."""
        self._debounce.stop()
        if self._index is None:
            return
        text = self.search.text().strip()
        tab = self.tabs.currentIndex()
        category = self._categories[tab - 2] if tab >= 2 else None
        products = self._index.search(text, category=category)
        if tab == FAVOURITES:
            favourites = self.model.favourites
            products = [p for p in products if p.sku in favourites]
        self.model.set_products(products)
        self.view.scrollToTop()

    @property
    def categories(self) -> list[str]:
        """The store's categories, in tab order (after All and Favourites)."""
        return list(self._categories)

    def show_category(self, name: str | None) -> None:
        """name: a store category, "" for Favourites, None for All."""
        tab = ALL if name is None else FAVOURITES if name == "" else 2 + self._categories.index(name)
        self.tabs.setCurrentIndex(tab)

    def product(self, sku: str) -> Product | None:
        row = self.model.row_of(sku)
        if row >= 0:
            return self.model.products[row]
        return next((p for p in self._index.search(sku) if p.sku == sku), None)

    # --- taps -------------------------------------------------------------------------------------
    def set_locked(self, locked: bool) -> None:
        """While a payment is in flight the cart can't change: tiles look and act disabled (search still works)."""
        if self.model.enabled == (not locked):
            return
        self.model.enabled = not locked
        self.model.layoutChanged.emit()  # flags changed: repaint every tile
        self.view.viewport().update()

    @property
    def locked(self) -> bool:
        return not self.model.enabled

    def _tapped(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        if self.view.on_star(index):
            self.toggle_favourite(index.data(ProductRole))  # the star is not a tap on the tile: nothing is added
        elif self.model.enabled:
            self._on_add(index.data(ProductRole))

    def _context(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.toggle_favourite(index.data(ProductRole))

    def toggle_favourite(self, product: Product) -> None:
        on = product.sku not in self.model.favourites
        self.model.set_favourite(product.sku, on)
        if self._on_favourite is not None:
            self._on_favourite(product, on)
        if self.tabs.currentIndex() == FAVOURITES:
            self.refresh()

    def tile_rect(self, sku: str) -> QRect | None:
        """Where the tile of `sku` is on the viewport, scrolled into view (None: not in this tab/search)."""
        row = self.model.row_of(sku)
        if row < 0:
            return None
        index = self.model.index(row)
        self.view.scrollTo(index)
        return self.view.visualRect(index)

    def tap(self, sku: str) -> bool:
        """Press and release on the tile, as a finger does (the self-test, the screenshots and GUI tests use it).

        Shows the All tab with no search first if the tile isn't in the current one. False: no such product."""
        if self.model.row_of(sku) < 0:
            self.search.clear()
            self.tabs.setCurrentIndex(ALL)
            self.refresh()
        rect = self.tile_rect(sku)
        if rect is None:
            return False
        point = QPointF(rect.center().x() - rect.width() // 4, rect.center().y())  # off the star
        viewport = self.view.viewport()
        for kind in (QEvent.MouseButtonPress, QEvent.MouseButtonRelease):
            event = QMouseEvent(kind, point, viewport.mapToGlobal(point), Qt.LeftButton,
                                Qt.LeftButton if kind == QEvent.MouseButtonPress else Qt.NoButton, Qt.NoModifier)
            QApplication.sendEvent(viewport, event)
        return True

