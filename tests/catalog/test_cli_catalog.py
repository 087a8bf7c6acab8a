"""`kiosk catalog import|export` as a store owner runs it: a separate process, real files, real exit codes."""
from __future__ import annotations

import subprocess
import sys

from kiosk.services.catalog import open_store
from tests.test_cli import _env

HEADER = "sku,name,price,tax_category,barcode,category,tax_rate"


def _kiosk(tmp_path, *args, **env):
    return subprocess.run([sys.executable, "-m", "kiosk", "catalog", *args], check=False, env=_env(tmp_path, **env),
                          capture_output=True, text=True, timeout=120)


def test_import_export_and_a_refused_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))  # the children's data folder (tests/test_cli.py)
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\ncof,Café,3.50,standard,4006381333931,Drinks,8.25\ntea,Tea,2.75,,,Drinks,\n",
                    encoding="utf-8")
    r = _kiosk(tmp_path, "import", str(good))
    assert r.returncode == 0, r.stderr
    assert "Imported: 2 new, 0 updated, 0 removed." in r.stdout

    bad = tmp_path / "bad.csv"
    bad.write_bytes(f"{HEADER}\nnew,New,1.00,,,,\nx,X,\"3,50\",,,,\ny,Y,1.00,,4006381333932,,\n".encode()
                    + b"z,Caf\xe9,1.00,,,,\n")
    r = _kiosk(tmp_path, "import", "--merge", str(bad))
    assert r.returncode == 1
    assert [line.split(":")[0] for line in r.stderr.splitlines()[:3]] == ["Line 3", "Line 4", "Line 5"]
    assert "Nothing was imported: 3 lines have a problem." in r.stderr

    out = tmp_path / "out.csv"
    r = _kiosk(tmp_path, "export", str(out))
    assert r.returncode == 0 and "Exported 2 products" in r.stdout
    text = out.read_text(encoding="utf-8-sig")
    assert "cof,Café,3.50,standard,8.25,4006381333931,Drinks,1,0," in text and "new," not in text

    with open_store() as store:  # the refused file left the catalogue as it was
        assert sorted(p.sku for p in store.products()) == ["cof", "tea"]


def test_a_missing_file_and_a_damaged_catalogue(tmp_path):
    r = _kiosk(tmp_path, "import", str(tmp_path / "nope.csv"))
    assert r.returncode == 1 and "can't be read" in r.stderr
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "catalog.db").unlink(missing_ok=True)
    garbage = b"not a database at all" * 100
    (tmp_path / "data" / "catalog.db").write_bytes(garbage)
    r = _kiosk(tmp_path, "export", str(tmp_path / "out.csv"))
    assert r.returncode == 2 and "damaged" in r.stderr
    assert (tmp_path / "data" / "catalog.db").read_bytes() == garbage


def test_exporting_a_fresh_catalogue_gives_the_demo_in_the_owners_language(tmp_path):
    out = tmp_path / "start.csv"
    r = _kiosk(tmp_path, "export", str(out), LANGUAGE="es")
    assert r.returncode == 0, r.stderr
    assert "Se exportaron 9 productos" in r.stdout
    text = out.read_text(encoding="utf-8-sig")
    assert "coffee,Café,3.50,standard,8.25,2000000000015,Bebidas,1,1," in text


def test_a_shopify_export_with_the_standard_rate_on_the_command_line(tmp_path):
    shop = tmp_path / "products_export.csv"
    shop.write_text("Handle,Title,Variant SKU,Variant Price,Variant Taxable,Variant Barcode\n"
                    "mug,Mug,M-1,9.90,TRUE,4006381333931\nbag,Bag,,1.00,FALSE,\n", encoding="utf-8")
    r = _kiosk(tmp_path, "import", str(shop))
    assert r.returncode == 1 and "--tax-rate" in r.stderr  # no rate for "standard" yet: never guessed
    assert _kiosk(tmp_path, "import", "--tax-rate", "8,25", str(shop)).returncode == 2
    r = _kiosk(tmp_path, "import", "--tax-rate", "8.875", str(shop))
    assert r.returncode == 2 and "not a percentage" in r.stderr
    r = _kiosk(tmp_path, "import", "--tax-rate", "8.25", str(shop))
    assert r.returncode == 0, r.stderr
    with open_store() as store:
        assert sorted(p.sku for p in store.products()) == ["M-1", "bag"]
        assert {t.code: t.rate_bp for t in store.tax_categories()} == {"standard": 825}
