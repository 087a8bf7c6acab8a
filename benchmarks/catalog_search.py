"""How fast does the till's search answer with 10,000 products? (Issue 11: under 50 ms on this machine.)

Builds a CatalogIndex of N generated products (names with accents, 12 categories, EAN-13 barcodes) through the
real store (import into catalog.db, then CatalogIndex.from_store, as the till loads it), then times
`index.search()` over a mix of queries a cashier types: 1–3 letter prefixes, whole and two-word names typed
without accents, SKUs, barcodes, no match, and a few restricted to a category tab.
Baseline in the same run: a plain list scan (`q in name.lower()`) over the same names for the same queries —
the least any search must do; the ratio is what folding accents, matching SKUs/barcodes and ranking cost.

    python benchmarks/catalog_search.py [--products 10000] [--queries 2000]   → one JSON object on stdout
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from kiosk.catalog.importer import import_file
from kiosk.catalog.index import CatalogIndex
from kiosk.catalog.store import CatalogStore
from kiosk.domain.barcode import gs1_check_digit

WORDS = ("café", "açaí", "pão", "queijo", "jamón", "leche", "té", "jugo", "naranja", "manzana", "crème", "brûlée",
         "empanada", "medialuna", "alfajor", "dulce", "chocolate", "galleta", "agua", "sin", "gas", "limón",
         "frutilla", "pan", "integral", "tostado", "mixto", "vegano", "grande", "chico", "doble", "ñoquis")
CATEGORIES = ("Bebidas", "Panadería", "Comida", "Lácteos", "Almacén", "Limpieza", "Golosinas", "Fiambres",
              "Verdulería", "Congelados", "Bazar", "Kiosco")


def percentile(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def write_catalogue(path: Path, n: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("sku,name,price,tax_category,barcode,category,tax_rate\n")
        for i in range(n):
            name = " ".join(rng.sample(WORDS, rng.randint(2, 4))).capitalize() + f" {i}"
            body = f"779{i:09d}"
            out.write(f"SKU{i:05d},{name},{rng.randint(100, 99999) / 100:.2f},standard,"
                      f"{body}{gs1_check_digit(body)},{rng.choice(CATEGORIES)},21\n")


def queries(n: int, rng: random.Random, count: int) -> list[tuple[str, str | None]]:
    plain = str.maketrans("áéíóúñçãâêôûàèü", "aeiouncaaeouaeu")
    out: list[tuple[str, str | None]] = []
    for k in range(count):
        word = rng.choice(WORDS)
        kind = k % 8
        if kind == 0:
            q = word[: rng.randint(1, 3)]
        elif kind in (1, 2):
            q = word.translate(plain)
        elif kind == 3:
            q = f"{rng.choice(WORDS)} {word}".translate(plain)
        elif kind == 4:
            q = f"SKU{rng.randrange(n):05d}"
        elif kind == 5:
            body = f"779{rng.randrange(n):09d}"
            q = body + str(gs1_check_digit(body))
        elif kind == 6:
            q = "zzz nothing"
        else:
            q = word[:2]
        out.append((q, rng.choice(CATEGORIES) if k % 10 == 9 else None))
    return out


def run(products: int = 10_000, count: int = 2_000, seed: int = 11) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="kiosk-catalog-bench-") as tmp:
        csv_path = Path(tmp) / "catalog.csv"
        write_catalogue(csv_path, products, rng)
        with CatalogStore.open(Path(tmp) / "catalog.db") as store:
            started = time.perf_counter()
            report = import_file(store, csv_path, currency="USD")
            import_s = time.perf_counter() - started
            if not report.ok:
                raise RuntimeError(report.lines()[:3])
            started = time.perf_counter()
            index = CatalogIndex.from_store(store, "USD")
            load_s = time.perf_counter() - started
    names = [(p.name.lower(), p) for p in index.products]
    qs = queries(products, rng, count)
    search_ms, scan_ms, hits = [], [], 0
    for q, category in qs:
        started = time.perf_counter()
        found = index.search(q, category)
        search_ms.append((time.perf_counter() - started) * 1000)
        hits += bool(found)
        started = time.perf_counter()
        ql = q.lower()
        [p for name, p in names if ql in name and (category is None or p.category == category)]
        scan_ms.append((time.perf_counter() - started) * 1000)
    p50, base = percentile(search_ms, 0.5), percentile(scan_ms, 0.5)
    return {"catalog_products": len(index), "catalog_queries": len(qs), "catalog_queries_with_hits": hits,
            "catalog_search_p50_ms": round(p50, 3), "catalog_search_p95_ms": round(percentile(search_ms, 0.95), 3),
            "catalog_search_max_ms": round(max(search_ms), 3),
            "catalog_scan_baseline_p50_ms": round(base, 3),
            "catalog_scan_baseline_p95_ms": round(percentile(scan_ms, 0.95), 3),
            "catalog_search_ratio_p50": round(p50 / base, 2) if base else None,
            "catalog_import_s": round(import_s, 3), "catalog_load_index_s": round(load_s, 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=2_000)
    args = ap.parse_args(argv)
    print(json.dumps(run(args.products, args.queries)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
