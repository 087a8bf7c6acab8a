"""Type a search → the grid shows the answer: the selling screen over 10,000 products (issue 11).

The catalogue of benchmarks/catalog_search.py (10,000 generated products through the real store and
CatalogIndex.from_store), shown in the real ProductGrid (offscreen, the app's theme, 1366×768-sized). For each
query: set the search text, run the grid's refresh (the end of its debounce: the catalogue's search, the model
reset, the view's layout) and paint the viewport synchronously — from the keystroke's effect to pixels.
Baseline in the same run: `index.search()` alone for the same queries, so the ratio is what the view adds. The
debounce (SEARCH_DEBOUNCE_MS) comes on top for a typed key; it is reported, not timed.

    python -m benchmarks.product_grid [--products 10000] [--queries 300]   → prints `RESULT {json}`
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.catalog_search import percentile, queries, write_catalogue


def load_index(products: int, rng: random.Random):
    from kiosk.catalog.importer import import_file
    from kiosk.catalog.index import CatalogIndex
    from kiosk.catalog.store import CatalogStore

    with tempfile.TemporaryDirectory(prefix="kiosk-grid-bench-") as tmp:
        csv_path = Path(tmp) / "catalog.csv"
        write_catalogue(csv_path, products, rng)
        with CatalogStore.open(Path(tmp) / "catalog.db") as store:
            report = import_file(store, csv_path, currency="USD")
            if not report.ok:
                raise RuntimeError(report.lines()[:3])
            return CatalogIndex.from_store(store, "USD")


def run(products: int = 10_000, count: int = 300, seed: int = 11) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from kiosk.ui.product_grid import SEARCH_DEBOUNCE_MS, ProductGrid
    from kiosk.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(["kiosk-grid-bench"])
    apply_theme(app)
    rng = random.Random(seed)
    index = load_index(products, rng)
    started = time.perf_counter()
    grid = ProductGrid(index, lambda _p: None)
    grid.resize(700, 420)  # the cart column's grid at 1366×768
    grid.show()
    app.processEvents()
    grid.view.viewport().repaint()
    first_s = time.perf_counter() - started
    qs = queries(products, rng, count)
    grid_ms, search_ms = [], []
    for q, category in qs:
        grid.show_category(category)
        grid.search.setText(q)  # starts the debounce timer: refresh() below is what it runs
        app.processEvents()
        started = time.perf_counter()
        grid.refresh()
        grid.view.viewport().repaint()  # synchronous: layout and paint of the tiles now on screen
        grid_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.search(q, category)
        search_ms.append((time.perf_counter() - started) * 1000)
    grid.close()
    p50, base = percentile(grid_ms, 0.5), percentile(search_ms, 0.5)
    return {"grid_products": len(index), "grid_queries": len(qs), "grid_first_show_s": round(first_s, 3),
            "grid_search_p50_ms": round(p50, 3), "grid_search_p95_ms": round(percentile(grid_ms, 0.95), 3),
            "grid_search_max_ms": round(max(grid_ms), 3),
            "grid_index_baseline_p50_ms": round(base, 3),
            "grid_index_baseline_p95_ms": round(percentile(search_ms, 0.95), 3),
            "grid_search_ratio_p50": round(p50 / base, 2) if base else None,
            "grid_debounce_ms": SEARCH_DEBOUNCE_MS}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args(argv)
    print("RESULT " + json.dumps(run(args.products, args.queries)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
