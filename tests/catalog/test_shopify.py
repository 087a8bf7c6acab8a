"""Shopify's product CSV export, written from the columns its help centre documents (classic and current
header spellings): variants as rows sharing a handle, image-only rows, taxable flag, status, barcodes."""
from __future__ import annotations

import csv
import io

import pytest

from kiosk.catalog.importer import import_file

# The classic export's header, in Shopify's order (help.shopify.com "Using CSV files to import and export products").
CLASSIC = ["Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
           "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
           "Variant SKU", "Variant Grams", "Variant Inventory Tracker", "Variant Inventory Qty",
           "Variant Inventory Policy", "Variant Fulfillment Service", "Variant Price", "Variant Compare At Price",
           "Variant Requires Shipping", "Variant Taxable", "Variant Barcode", "Image Src", "Image Position",
           "Image Alt Text", "Gift Card", "SEO Title", "SEO Description", "Variant Image", "Variant Weight Unit",
           "Variant Tax Code", "Cost per item", "Price / International", "Compare At Price / International",
           "Status"]


def _file(write_csv, header, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(col, "") for col in header])
    return write_csv("\ufeff" + out.getvalue())


def _classic_rows():
    return [
        {"Handle": "house-blend", "Title": "House blend coffee", "Body (HTML)": "<p>Dark, <b>rich</b></p>",
         "Vendor": "Roastery", "Product Category": "Food, Beverages & Tobacco > Beverages > Coffee",
         "Type": "Coffee beans", "Tags": "coffee, beans", "Published": "TRUE", "Option1 Name": "Size",
         "Option1 Value": "250 g", "Variant SKU": "HB-250", "Variant Grams": "250", "Variant Price": "12.50",
         "Variant Taxable": "TRUE", "Variant Barcode": "4006381333931", "Image Src": "https://cdn/x/hb.jpg",
         "Status": "active"},
        {"Handle": "house-blend", "Option1 Value": "1 kg", "Variant SKU": "HB-1000", "Variant Price": "39.00",
         "Variant Taxable": "TRUE", "Variant Barcode": "'0036000291452"},
        {"Handle": "house-blend", "Image Src": "https://cdn/x/hb-2.jpg", "Image Position": "2"},  # image row
        {"Handle": "gift-card", "Title": "Gift card", "Option1 Name": "Title", "Option1 Value": "Default Title",
         "Variant Price": "25.00", "Variant Taxable": "FALSE", "Gift Card": "TRUE", "Status": "draft"},
        {"Handle": "mug", "Title": "Mug", "Product Category": "Home & Garden > Kitchen > Mugs",
         "Option1 Name": "Colour", "Option1 Value": "Red", "Option2 Name": "Size", "Option2 Value": "L",
         "Variant Price": "9.90", "Variant Taxable": "TRUE", "Status": "active"},
        {"Handle": "mug", "Option1 Value": "Blue", "Option2 Value": "L", "Variant Price": "9.90",
         "Variant Taxable": "TRUE"},
    ]


def test_classic_export_imports_variants_as_products(store, write_csv):
    report = import_file(store, _file(write_csv, CLASSIC, _classic_rows()), currency="USD")
    assert report.ok and report.format == "shopify", report.lines()
    products = {p.sku: p for p in store.products()}
    assert sorted(products) == ["HB-1000", "HB-250", "gift-card", "mug", "mug-2"]
    hb = products["HB-250"]
    assert (hb.name, hb.price_minor, hb.tax_category, hb.category, hb.barcodes, hb.active) == (
        "House blend coffee — 250 g", 1250, "standard", "Coffee beans", ("4006381333931",), True)
    assert products["HB-1000"].barcodes == ("0036000291452",) and products["HB-1000"].category == "Coffee beans"
    gift = products["gift-card"]
    assert (gift.name, gift.tax_category, gift.active) == ("Gift card", "", False)
    assert products["mug-2"].name == "Mug — Blue / L" and products["mug"].category == "Mugs"


def test_current_header_spelling_is_read_the_same(store, write_csv):
    current = {"Handle": "URL handle", "Variant SKU": "SKU", "Variant Price": "Price", "Variant Barcode": "Barcode",
               "Variant Taxable": "Charge tax", "Option1 Value": "Option1 value", "Option2 Value": "Option2 value",
               "Product Category": "Product category"}
    header = [current.get(c, c) for c in CLASSIC]
    rows = [{current.get(k, k): v for k, v in row.items()} for row in _classic_rows()]
    report = import_file(store, _file(write_csv, header, rows), currency="USD")
    assert report.ok and report.format == "shopify", report.lines()
    assert store.product("HB-250").name == "House blend coffee — 250 g"


def test_bad_shopify_rows_are_reported_by_line(store, write_csv):
    rows = _classic_rows()
    rows[1]["Variant Price"] = "39,00"
    rows[4]["Variant Barcode"] = "4006381333932"
    rows.append({"Handle": "", "Variant Price": "1.00"})
    report = import_file(store, _file(write_csv, CLASSIC, rows), currency="USD")
    assert [e.line for e in report.errors] == [3, 6, 8], report.lines()
    assert store.products() == []


def test_taxable_products_need_the_stores_standard_category(tmp_path, write_csv):
    from kiosk.catalog.store import CatalogStore

    with CatalogStore.open(tmp_path / "fresh.db") as fresh:
        report = import_file(fresh, _file(write_csv, CLASSIC, _classic_rows()), currency="USD")
        assert not report.ok and "no tax category standard" in report.errors[0].message


@pytest.mark.parametrize("fmt", ["shopify", None])
def test_a_kiosk_file_is_not_taken_for_shopify(store, write_csv, fmt):
    path = write_csv("sku,name,price,tax_category,barcode,category\na,A,1,,,\n")
    report = import_file(store, path, currency="USD", fmt=fmt)
    assert report.ok == (fmt is None)
    if fmt:
        assert "not a Shopify product export" in report.errors[0].message


def test_the_standard_rate_can_be_given_for_a_shopify_file(tmp_path, write_csv):
    from kiosk.catalog.store import CatalogStore

    with CatalogStore.open(tmp_path / "fresh.db") as fresh:
        report = import_file(fresh, _file(write_csv, CLASSIC, _classic_rows()), currency="USD",
                             standard_rate_bp=625)
        assert report.ok, report.lines()
        assert {t.code: t.rate_bp for t in fresh.tax_categories()} == {"standard": 625}
