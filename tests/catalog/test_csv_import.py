"""CSV import/export: good files, every kind of bad line reported at once, nothing half-imported, round trip."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.catalog.importer import export_file, import_file
from kiosk.catalog.lines import MAX_LINE_BYTES
from kiosk.catalog.records import ProductRecord
from kiosk.domain.barcode import gs1_check_digit

HEADER = "sku,name,price,tax_category,barcode,category"

EAN13, EAN8, UPCA = "4006381333931", "96385074", "036000291452"


def _skus(store):
    return [p.sku for p in store.products()]


def test_a_good_file_replaces_the_catalogue(store, write_csv):
    store.save_product(ProductRecord("old", "Old", 100))
    path = write_csv(f"{HEADER}\ncof,Café,3.50,standard,{EAN13}|{EAN8},Drinks\n"
                     f"wat,Water,1,exempt,{UPCA},Drinks\nbun,\"Bun, sweet\",2.05,,,Bakery\n")
    report = import_file(store, path, currency="USD")
    assert report.ok, report.lines()
    assert (report.added, report.updated, report.removed) == (3, 0, 1)
    assert _skus(store) == ["bun", "cof", "wat"]
    cof = store.product("cof")
    assert (cof.name, cof.price_minor, cof.barcodes) == ("Café", 350, (EAN13, EAN8))
    assert store.product("wat").barcodes == ("0" + UPCA,) and store.product("wat").price_minor == 100
    assert store.product("bun").name == "Bun, sweet"
    assert [c.name for c in store.categories()] == ["Drinks", "Bakery"]
    assert not store.is_demo()


def test_bom_crlf_column_order_and_case(store, write_csv):
    path = write_csv(b"\xef\xbb\xbfCategory,SKU,Name,Price,Barcode,Tax_Category\r\nDrinks,t,Tea,2.75,,standard\r\n")
    assert import_file(store, path, currency="USD").ok
    assert store.product("t").price_minor == 275


def test_merge_adds_and_updates_and_keeps_the_rest(store, write_csv):
    store.save_product(ProductRecord("keep", "Kept", 100, barcodes=(EAN8,)))
    store.save_product(ProductRecord("cof", "Coffee", 300, barcodes=(EAN13,)))
    path = write_csv(f"{HEADER}\ncof,Coffee large,4.00,,{EAN13},Drinks\nnew,New,1.00,,,\n")
    report = import_file(store, path, currency="USD", merge=True)
    assert report.ok and (report.added, report.updated, report.removed) == (1, 1, 0)
    assert set(_skus(store)) == {"keep", "cof", "new"}
    assert store.product("cof").price_minor == 400 and store.product("keep").barcodes == (EAN8,)


def test_merge_refuses_a_barcode_of_another_product_in_the_store(store, write_csv):
    store.save_product(ProductRecord("keep", "Kept", 100, barcodes=(EAN8,)))
    path = write_csv(f"{HEADER}\nnew,New,1.00,,{EAN8},\n")
    report = import_file(store, path, currency="USD", merge=True)
    assert [(e.line, e.message) for e in report.errors] == [(2, f"The barcode {EAN8} already belongs to keep.")]
    assert _skus(store) == ["keep"]
    # Replace mode: the old product goes, so its barcode is free.
    assert import_file(store, path, currency="USD").ok


BAD_LINES = [
    ("a,A,\"3,50\",,,", "not an amount like 3.50"),
    ("a,A,-1,,,", "more than zero"),
    ("a,A,1e9,,,", "not an amount like 3.50"),
    ("a,A,,,,", "price is empty"),
    ("a,A,1000000000,,,", "the most one card payment can take"),
    ("a,A,3.505,,,", "not an amount like 3.50"),
    ("a,A,3.50,,4006381333932,", "wrong check digit"),
    ("a,A,3.50,,96385075,", "wrong check digit"),
    ("a,A,3.50,vat,,", "no tax category vat"),
    (",A,3.50,,,", "SKU is empty"),
    ("a,,3.50,,,", "name is empty"),
    ("a,A,3.50,,,,extra", "has 7 fields; the header has 6"),
    ("a,\"A,3.50,,,", "not valid CSV"),
]


@pytest.mark.parametrize("line, reason", BAD_LINES)
def test_each_bad_line_is_refused_with_why(store, write_csv, line, reason):
    store.save_product(ProductRecord("old", "Old", 100))
    report = import_file(store, write_csv(f"{HEADER}\nok,Fine,1.00,,,\n{line}\n"), currency="USD")
    assert not report.ok
    assert [e.line for e in report.errors] == [3], report.lines()
    assert reason in report.errors[0].message
    assert _skus(store) == ["old"], "a bad file imports nothing"


def test_every_bad_line_is_reported_at_once_with_its_number(store, write_csv):
    lines = [HEADER, "ok,Fine,1.00,,,"] + [line for line, _reason in BAD_LINES]
    before = store.products()
    report = import_file(store, write_csv("\n".join(lines) + "\n"), currency="USD")
    # The unterminated quote swallows the rest of the file: it is the last line.
    assert [e.line for e in report.errors] == list(range(3, 3 + len(BAD_LINES)))
    assert report.lines()[0].startswith("Line 3: ")
    assert "13 lines have a problem" in report.summary()
    assert store.products() == before


def test_duplicates_within_the_file(store, write_csv):
    report = import_file(store, write_csv(f"{HEADER}\na,A,1,,{EAN13},\nb,B,1,,{EAN13},\na,A2,1,,,\n"
                                          f"c,C,1,,{EAN8}|{EAN8},\n"), currency="USD")
    assert [(e.line, e.message) for e in report.errors] == [
        (3, f"The barcode {EAN13} is already on line 2."), (4, "The SKU a is already on line 2."),
        (5, f"The barcode {EAN8} is listed twice.")]


def test_wrong_columns(store, write_csv):
    report = import_file(store, write_csv("sku,name,prise,tax_category,barcode,category\na,A,1,,,\n"),
                         currency="USD")
    assert len(report.errors) == 1 and report.errors[0].line == 1
    assert "missing: price" in report.errors[0].message and "unknown: prise" in report.errors[0].message


def test_an_empty_file(store, write_csv):
    report = import_file(store, write_csv(""), currency="USD")
    assert report.lines() == ["The file is empty."]


def test_a_10_mb_line_and_non_utf8_bytes_are_reported_with_their_line(store, write_csv):
    huge = b"b,B,1.00,,," + b"x" * (10 * 1024 * 1024) + b"\n"
    path = write_csv(f"{HEADER}\na,A,1.00,,,\n".encode() + huge + b"c,Caf\xe9,1.00,,,\nd,D,1.00,,,\n")
    report = import_file(store, path, currency="USD")
    assert [e.line for e in report.errors] == [3, 4]
    assert f"longer than {MAX_LINE_BYTES // 1024} KB" in report.errors[0].message
    assert "not UTF-8" in report.errors[1].message
    assert _skus(store) == []


def test_tax_rate_column_defines_categories_and_must_agree(store, write_csv):
    header = HEADER + ",tax_rate"
    ok = write_csv(f"{header}\na,A,1,reduced,,,2.25\nb,B,1,reduced,,,\nc,C,1,standard,,,9\n")
    assert import_file(store, ok, currency="USD").ok
    assert {t.code: t.rate_bp for t in store.tax_categories()} == {"exempt": 0, "reduced": 225, "standard": 900}
    bad = write_csv(f"{header}\na,A,1,vat,,,21\nb,B,1,vat,,,10\nc,C,1,x,,,8.875\nd,D,1,,,,5\n")
    report = import_file(store, bad, currency="USD")
    assert [e.line for e in report.errors] == [3, 4, 5]
    assert "The tax rate of vat is 21 % on line 2." == report.errors[0].message
    assert "not a percentage" in report.errors[1].message
    assert "needs a tax category" in report.errors[2].message


def test_export_then_import_round_trips(store, write_csv, tmp_path):
    store.save_category("Empty first")
    store.save_product(ProductRecord("cof", "Café \"Özil\", large", 350, "standard", "Drinks", (EAN13, EAN8),
                                     favourite=True))
    store.save_product(ProductRecord("off", "Retired", 99, "exempt", "", (), active=False, image="img/off.png"))
    before = [(p.sku, p.name, p.price_minor, p.tax_category, p.category, p.barcodes, p.active, p.favourite,
               p.image) for p in store.products()]
    out = tmp_path / "export.csv"
    assert export_file(store, out) == 2
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    store.replace_all([], currency="USD")
    report = import_file(store, out, currency="USD")
    assert report.ok, report.lines()
    after = [(p.sku, p.name, p.price_minor, p.tax_category, p.category, p.barcodes, p.active, p.favourite,
              p.image) for p in store.products()]
    assert after == before
    # And into a fresh store that has no tax categories: the tax_rate column carries them.
    from kiosk.catalog.store import CatalogStore

    with CatalogStore.open(tmp_path / "fresh.db") as fresh:
        assert import_file(fresh, out, currency="USD").ok
        assert {t.code: t.rate_bp for t in fresh.tax_categories()} == {"standard": 825, "exempt": 0}


def test_zero_decimal_currency_prices(store, write_csv, tmp_path):
    from kiosk.catalog.store import CatalogStore

    with CatalogStore.open(tmp_path / "clp.db") as clp:
        report = import_file(clp, write_csv(f"{HEADER}\na,A,2500,,,\nb,B,2500.50,,,\n"), currency="CLP")
        assert [e.line for e in report.errors] == [3] and "like 350 " in report.errors[0].message


def test_control_characters_are_refused_and_reading_goes_on(store, write_csv):
    path = write_csv(f"{HEADER}\na,A\xa0B,1.00,,,\nb,B\x00,1.00,,,\nc,C,-1,,,\nd,\"D\tE\",1.00,,,\n".encode())
    report = import_file(store, path, currency="USD")
    assert [e.line for e in report.errors] == [3, 4, 5], report.lines()
    assert "control characters" in report.errors[0].message


# Export → import round-trips whatever a store owner types: quotes, commas, pipes, accents, emoji.
_text = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf", "Co", "Cn")), min_size=1,
                max_size=30).map(str.strip).filter(bool)


@st.composite
def _records(draw):
    skus = draw(st.lists(_text, min_size=1, max_size=8, unique=True))
    serial = iter(range(1, 10_000))
    records = []
    for sku in skus:
        codes = []
        for _ in range(draw(st.integers(0, 2))):
            body = f"20{next(serial):010d}"
            codes.append(body + str(gs1_check_digit(body)))
        records.append(ProductRecord(sku, draw(_text), draw(st.integers(1, 99_999_999)),
                                     draw(st.sampled_from(["", "standard", "exempt"])), draw(_text | st.just("")),
                                     tuple(codes), draw(st.booleans()), draw(st.booleans())))
    return records


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=_records())
def test_export_import_round_trip_property(store, tmp_path, records):
    store.replace_all(records, currency="USD")
    before = sorted((p.sku, p.name, p.price_minor, p.tax_category, p.category, p.barcodes, p.active, p.favourite)
                    for p in store.products())
    out = tmp_path / "prop.csv"
    export_file(store, out)
    store.replace_all([], currency="USD")
    report = import_file(store, out, currency="USD")
    assert report.ok, report.lines()
    after = sorted((p.sku, p.name, p.price_minor, p.tax_category, p.category, p.barcodes, p.active, p.favourite)
                   for p in store.products())
    assert after == before


def test_replacing_the_demo_does_not_inherit_its_tax_rates(tmp_path, write_csv):
    from kiosk.catalog import demo
    from kiosk.catalog.store import CatalogStore

    with CatalogStore.open(tmp_path / "demo.db") as store:
        demo.seed(store, "USD")
        report = import_file(store, write_csv(f"{HEADER}\na,A,1.00,standard,,\n"), currency="USD")
        assert report.lines() == ["Line 2: There is no tax category standard: give its rate in a tax_rate column."]
        assert store.is_demo() and len(store.products()) == len(demo.ITEMS)
        report = import_file(store, write_csv(f"{HEADER},tax_rate\na,A,1.00,standard,,,6.25\n"), currency="USD")
        assert report.ok and {t.code: t.rate_bp for t in store.tax_categories()} == {"standard": 625}
        # Merged into the demo, the demo's products keep their categories.
        demo.seed(store, "USD")
        assert import_file(store, write_csv(f"{HEADER}\nb,B,1.00,reduced,,\n"), currency="USD", merge=True).ok


def test_a_10_mb_line_is_skipped_without_holding_it_in_memory(store, write_csv):
    import tracemalloc

    path = write_csv(f"{HEADER}\n".encode() + b"b,B,1.00,,," + b"x" * (10 * 1024 * 1024) + b"\na,A,1.00,,,\n")
    tracemalloc.start()
    try:
        report = import_file(store, path, currency="USD")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [e.line for e in report.errors] == [2]
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes: the long line was read whole"


def test_a_semicolon_file_from_a_spanish_or_portuguese_spreadsheet(store, write_csv):
    path = write_csv(b"\xef\xbb\xbfsku;name;price;tax_category;barcode;category\r\n"
                     b"pao;P\xc3\xa3o de queijo;4.50;standard;;Padaria\r\ncafe;Cafezinho;3,50;standard;;Bebidas\r\n")
    report = import_file(store, path, currency="USD")
    assert [e.line for e in report.errors] == [3] and "3,50" in report.errors[0].message
    path = write_csv("sku;name;price;tax_category;barcode;category\npao;Pão de queijo;4.50;standard;;Padaria\n")
    assert import_file(store, path, currency="USD").ok
    assert store.product("pao").name == "Pão de queijo"
