"""`CatalogIndex`: the active products in memory, for the till — tabs, search, barcode lookup, favourites.

Built once from the store (off the Qt thread) and rebuilt after an edit or import; reading it never touches the
disk. Search folds case and accents on both sides ("cafe" finds "Café", "ACAI" finds "Açaí") and needs every word
typed to appear in the name, the SKU or a barcode; 10,000 products answer in a few milliseconds
(benchmarks/catalog_search.py).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from kiosk.domain.barcode import normalize
from kiosk.domain.cart import Product
from kiosk.i18n import _

from .demo import translated
from .errors import CatalogCurrencyMismatch


def fold(text: str) -> str:
    """Lower case without accents: what search compares."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class CatalogIndex:
    def __init__(self, products: Sequence[Product], favourites: Iterable[str] = (), *,
                 categories: Sequence[str] = (), currency: str | None = None, demo: bool = False):
        """products: the sellable ones; favourites: their SKUs; categories: tab order (categories of products
        not listed follow, alphabetically)."""
        self.products: tuple[Product, ...] = tuple(products)
        self.currency = currency or (self.products[0].unit_price.currency if self.products else None)
        self.demo = demo
        self._by_sku = {p.sku: p for p in self.products}
        self._favourites = tuple(self._by_sku[s] for s in dict.fromkeys(favourites) if s in self._by_sku)
        self._by_barcode = {code: p for p in self.products for code in p.barcodes}
        used = {p.category for p in self.products if p.category}
        ordered = [c for c in dict.fromkeys(categories) if c in used]
        self._categories = tuple(ordered + sorted(used - set(ordered), key=fold))
        # One folded haystack per product (the SKU and barcodes after a separator no word can contain), kept in
        # name order so a search only partitions its hits, never sorts thousands of them.
        keys = [(fold(p.name) + "\x00" + fold(p.sku) + "\x00" + " ".join(p.barcodes), fold(p.name), p)
                for p in self.products]
        keys.sort(key=lambda k: k[1])
        self._keys = keys
        self._keys_by_category: dict[str, list[tuple[str, str, Product]]] = {}
        for key in keys:
            self._keys_by_category.setdefault(key[2].category, []).append(key)

    @classmethod
    def from_store(cls, store, currency: str) -> CatalogIndex:
        """The active products of `store`, priced in `currency`. CatalogCurrencyMismatch if the catalogue's prices
        are in another currency (they are not relabelled). Blocking: call it off the Qt thread."""
        own = store.currency()
        if own is not None and own != currency:
            raise CatalogCurrencyMismatch(own, currency)
        rates = {t.code: t.rate_bp for t in store.tax_categories()}
        records = store.products(include_inactive=False)
        categories = [c.name for c in store.categories(include_inactive=False)]
        # Products of a deactivated category leave the till with it.
        hidden = {c.name for c in store.categories()} - set(categories)
        records = [r for r in records if r.category not in hidden]
        products = [r.to_product(currency, rates) for r in records]
        demo = store.is_demo()
        if demo:  # stored as English source text (demo.py): shown in the cashier's language
            products = [translated(p) for p in products]
            categories = [_(c) for c in categories]
        return cls(products, [r.sku for r in records if r.favourite], categories=categories, currency=currency,
                   demo=demo)

    def __len__(self) -> int:
        return len(self.products)

    def categories(self) -> list[str]:
        """Shelf categories in tab order (only those with products)."""
        return list(self._categories)

    def favourites(self) -> list[Product]:
        return list(self._favourites)

    def by_sku(self, sku: str) -> Product | None:
        return self._by_sku.get(sku)

    def by_barcode(self, code: str) -> Product | None:
        """The product with this barcode (a UPC-A finds its EAN-13 form), or None."""
        return self._by_barcode.get(normalize(code)) if isinstance(code, str) else None

    def search(self, text: str = "", category: str | None = None) -> list[Product]:
        """Products whose name, SKU or barcode contain every word of `text`, in `category` if given. An exact SKU
        or barcode comes first, then names starting with the text, then the rest, each in name order. Empty text:
        the category's (or every) product."""
        words = fold(text or "").split()
        pool = self._keys if category is None else self._keys_by_category.get(category, [])
        if not words:
            return [k[2] for k in pool]
        hits = pool
        for word in sorted(words, key=len, reverse=True):  # the longest word first: it leaves the fewest to test
            hits = [k for k in hits if word in k[0]]
        query = " ".join(words)
        exact = self._by_sku.get((text or "").strip()) or self.by_barcode((text or "").strip())
        first: list[Product] = []
        starts: list[Product] = []
        rest: list[Product] = []
        for _haystack, name, product in hits:
            if product is exact:
                first.append(product)
            else:
                (starts if name.startswith(query) else rest).append(product)
        return first + starts + rest
