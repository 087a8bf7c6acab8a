"""A catalogue store with a currency and the usual tax categories, and a helper to write CSV files."""
from __future__ import annotations

import pytest

from kiosk.catalog.records import TaxCategory
from kiosk.catalog.store import CatalogStore


@pytest.fixture
def store(tmp_path):
    s = CatalogStore.open(tmp_path / "catalog.db")
    s.set_currency("USD")
    for code, rate in (("standard", 825), ("exempt", 0)):
        s.save_tax_category(TaxCategory(code, code.title(), rate))
    yield s
    s.close()


@pytest.fixture
def write_csv(tmp_path):
    counter = iter(range(1000))

    def write(text: str | bytes, name: str | None = None):
        path = tmp_path / (name or f"file{next(counter)}.csv")
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return path

    return write
