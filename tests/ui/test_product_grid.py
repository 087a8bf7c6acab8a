"""The selling screen's product grid: a 10,000-product catalogue shows, search narrows it, a category tab filters
it; a tap adds one, a right-click or a long press marks a favourite; tiles have accessible names."""
from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from kiosk.catalog.index import CatalogIndex
from kiosk.domain.cart import Product
from kiosk.domain.money import Money
from kiosk.ui.product_grid import FAVOURITES, LONG_PRESS_MS, FavouriteRole, ProductGrid

CATEGORIES = ("Drinks", "Bakery", "Deli", "Dairy", "Produce")


def big_index(n: int = 10_000) -> CatalogIndex:
    products = [Product(f"sku-{i:05d}", f"Product {i:05d} {CATEGORIES[i % 5].lower()}", Money(100 + i, "USD"),
                        category=CATEGORIES[i % 5]) for i in range(n)]
    return CatalogIndex(products, favourites=("sku-00007", "sku-09999"), categories=CATEGORIES)


def make_grid(qtbot, index, added=None, favourites=None) -> ProductGrid:
    grid = ProductGrid(index, (added if added is not None else []).append,
                       (lambda p, on: favourites.append((p.sku, on))) if favourites is not None else None)
    qtbot.addWidget(grid)
    grid.resize(600, 500)
    grid.show()
    pump(grid.isVisible)
    return grid


def pump(until=lambda: False, seconds: float = 2.0) -> bool:
    """Let Qt run (timers included) until `until()` or the time is up. Not qtbot.wait: after a test on the qasync
    LiveLoop, pytest-qt's wait no longer fires QTimers in this process (seen), so debounce timers never ran."""
    end = time.monotonic() + seconds
    while not until() and time.monotonic() < end:
        QCoreApplication.processEvents(QEventLoop.AllEvents, 20)
        time.sleep(0.005)
    return until()


def skus(grid) -> list[str]:
    return [p.sku for p in grid.model.products]


def press(grid, sku: str, kind, button=Qt.LeftButton) -> None:
    rect = grid.tile_rect(sku)
    point = QPointF(rect.left() + 10, rect.center().y())
    viewport = grid.view.viewport()
    event = QMouseEvent(kind, point, viewport.mapToGlobal(point), button,
                        button if kind == QEvent.MouseButtonPress else Qt.NoButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, event)


def test_ten_thousand_products_show_search_narrows_tabs_filter(qtbot):
    grid = make_grid(qtbot, big_index())
    view = grid.view
    assert grid.model.rowCount() == 10_000
    first = view.visualRect(grid.model.index(0))
    assert view.viewport().rect().contains(first), "the first tile is on screen"
    assert view.indexAt(first.center()).row() == 0
    assert view.verticalScrollBar().maximum() > 0, "10,000 tiles scroll"

    QTest.keyClicks(grid.search, "04242")
    assert grid.model.rowCount() == 10_000, "debounced: not a search per key"
    assert pump(lambda: skus(grid) == ["sku-04242"])

    grid.search.clear()
    grid.show_category("Deli")
    assert pump(lambda: grid.model.rowCount() == 2_000)
    assert {p.category for p in grid.model.products} == {"Deli"}
    grid.search.setText("deli")
    assert pump(lambda: grid.model.rowCount() == 2_000 and not grid._debounce.isActive())
    grid.search.setText("0001")
    assert pump(lambda: skus(grid) == [f"sku-0001{i}" for i in (2, 7)])  # Deli is i % 5 == 2

    grid.search.clear()
    grid.tabs.setCurrentIndex(FAVOURITES)
    assert pump(lambda: skus(grid) == ["sku-00007", "sku-09999"])


def test_tabs_are_all_favourites_then_the_stores_categories(qtbot):
    grid = make_grid(qtbot, big_index(50))
    assert [grid.tabs.tabText(i) for i in range(grid.tabs.count())] == ["All", "Favourites", *CATEGORIES]


def test_a_tap_adds_one_and_the_star_does_not(qtbot):
    added, favourites = [], []
    grid = make_grid(qtbot, big_index(20), added, favourites)
    press(grid, "sku-00003", QEvent.MouseButtonPress)
    press(grid, "sku-00003", QEvent.MouseButtonRelease)
    assert [p.sku for p in added] == ["sku-00003"]
    rect = grid.tile_rect("sku-00004")
    star = QPointF(rect.right() - 6, rect.top() + 6)
    QTest.mouseClick(grid.view.viewport(), Qt.LeftButton, Qt.NoModifier, star.toPoint())
    assert [p.sku for p in added] == ["sku-00003"], "the star marks a favourite, it adds nothing"
    assert favourites == [("sku-00004", True)]


def test_right_click_and_long_press_toggle_the_favourite(qtbot):
    added, favourites = [], []
    grid = make_grid(qtbot, big_index(20), added, favourites)
    grid.view.customContextMenuRequested.emit(grid.tile_rect("sku-00002").center())
    assert favourites == [("sku-00002", True)]
    grid.tabs.setCurrentIndex(FAVOURITES)
    assert skus(grid) == ["sku-00002", "sku-00007"]
    assert "remove it from Favourites" in grid.model.index(0).data(Qt.AccessibleDescriptionRole)

    press(grid, "sku-00002", QEvent.MouseButtonPress)  # held: a touch screen's right-click
    pump(seconds=(LONG_PRESS_MS + 150) / 1000)
    press(grid, "sku-00007", QEvent.MouseButtonRelease)
    assert favourites[-1] == ("sku-00002", False)
    assert not added, "the release that ends a long press is not a tap"
    assert skus(grid) == ["sku-00007"]


def test_tiles_have_accessible_names(qtbot):
    grid = make_grid(qtbot, big_index(3))
    index = grid.model.index(1)
    assert index.data(Qt.AccessibleTextRole) == "Add Product 00001 bakery"
    assert "$1.01" in index.data(Qt.AccessibleDescriptionRole)
    assert grid.view.accessibleName() and grid.search.accessibleName() and grid.tabs.accessibleName()


def test_locked_grid_takes_no_taps(qtbot):
    added = []
    grid = make_grid(qtbot, big_index(5), added)
    grid.set_locked(True)
    press(grid, "sku-00001", QEvent.MouseButtonPress)
    press(grid, "sku-00001", QEvent.MouseButtonRelease)
    assert not added and not grid.model.flags(grid.model.index(1)) & Qt.ItemIsEnabled
    grid.set_locked(False)
    press(grid, "sku-00001", QEvent.MouseButtonPress)
    press(grid, "sku-00001", QEvent.MouseButtonRelease)
    assert [p.sku for p in added] == ["sku-00001"]


def test_in_the_window_a_tap_adds_to_the_cart(env):
    env.run(env.click("product:croissant"))
    env.run(env.click("product:croissant"))
    assert [(line.product.sku, line.quantity) for line in env.controller.cart.lines] == [("croissant", 2)]


def test_in_the_window_a_favourite_is_stored_in_the_catalogue(env):
    grid = env.window.product_grid
    service = env.services.catalog
    assert "tea" not in {p.sku for p in service.index.favourites()}
    grid.toggle_favourite(grid.product("tea"))
    assert grid.model.index(grid.model.row_of("tea")).data(FavouriteRole), "the star shows at once"
    env.run(env.until(lambda: "tea" in {p.sku for p in env.window.catalog.favourites()}, "the favourite stored"))
    assert service.store.product("tea").favourite, "in catalog.db"
