"""Settings › Catalogue in the real window over the real catalogue (catalog.db in the test's data folder): list and
search, add / edit / deactivate products, categories, Import / Export CSV with the import report's bad lines."""
from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QFileDialog

from kiosk.domain.barcode import gs1_check_digit
from kiosk.services.settings import Settings
from kiosk.ui.catalog_editor import CatalogEditor
from kiosk.ui.settings_dialog import SettingsDialog

TART_CODE = "200999900001" + str(gs1_check_digit("200999900001"))  # an in-store EAN-13 the demo doesn't use


def open_editor(env) -> CatalogEditor:
    editor = env.window.open_catalogue()
    assert isinstance(editor, CatalogEditor) and editor.isVisible()
    settle(env, editor)
    return editor


def settle(env, editor) -> None:
    env.run(env.until(lambda: not editor.busy, "the catalogue call to finish"))


def fill(editor, **fields) -> None:
    for name, value in fields.items():
        widget = getattr(editor, name)
        if name in ("tax",):
            widget.setCurrentIndex(widget.findData(value))
        elif name == "category":
            widget.setCurrentText(value)
        else:
            widget.setText(value)


def test_settings_has_a_catalogue_button(qtbot):
    dialog = SettingsDialog(Settings(), "", None)
    qtbot.addWidget(dialog)
    asked = []
    dialog.catalogue_requested.connect(lambda: asked.append(True))
    dialog.catalogue_button.click()
    assert asked == [True]


def test_lists_and_searches_the_demo_catalogue(env):
    editor = open_editor(env)
    try:
        assert editor.model.rowCount() == 9
        editor.search.setText("croiss")
        assert editor.proxy.rowCount() == 1
        editor.table.setCurrentIndex(editor.proxy.index(0, 0))
        assert editor.sku.text() == "croissant" and editor.sku.isReadOnly()
        assert editor.price.text() == "4.20" and editor.category.currentText() == "Bakery"
    finally:
        editor.close()


def test_a_new_product_is_sold_and_scanned_at_once(env):
    editor = open_editor(env)
    try:
        editor.new_product()
        fill(editor, sku="tart", name="Lemon tart", price="4,75", tax="reduced", category="Bakery",
             barcodes=TART_CODE)
        editor.save_button.click()
        settle(env, editor)
        assert editor.error.text() == ""
        settle(env, editor)  # the list is read again after the save
        assert any(r.sku == "tart" and r.price_minor == 475 for r in editor.model.records)
        window = env.window
        assert window.catalog.by_barcode(TART_CODE).name == "Lemon tart", "the scanner knows it"
        window.product_grid.show_category("Bakery")
        assert "tart" in [p.sku for p in window.product_grid.model.products], "the grid sells it"
    finally:
        editor.close()
    env.run(env.click("product:tart"))
    assert [line.product.sku for line in env.controller.cart.lines] == ["tart"]


def test_bad_input_is_said_and_nothing_is_written(env):
    editor = open_editor(env)
    try:
        editor.new_product()
        fill(editor, sku="tart", name="Lemon tart", price="abc")
        editor.save_button.click()
        assert "plain number" in editor.error.text()
        wrong = TART_CODE[:-1] + str((int(TART_CODE[-1]) + 1) % 10)
        fill(editor, price="4.75", barcodes=wrong)
        editor.save_button.click()
        settle(env, editor)
        assert "check digit" in editor.error.text()
        fill(editor, sku="coffee", barcodes="")
        editor.save_button.click()
        assert "coffee" in editor.error.text(), "a new product may not take an existing SKU"
        settle(env, editor)
        assert len(editor.model.records) == 9 and env.window.catalog.by_sku("tart") is None
    finally:
        editor.close()


def test_edit_a_price_and_deactivate(env):
    editor = open_editor(env)
    try:
        editor.search.setText("muffin")
        editor.table.setCurrentIndex(editor.proxy.index(0, 0))
        fill(editor, price="3.95")
        editor.save_button.click()
        settle(env, editor)
        settle(env, editor)
        assert env.window.product_grid.product("muffin").unit_price.minor == 395
        editor.deactivate_button.click()
        settle(env, editor)
        settle(env, editor)
        assert env.window.catalog.by_sku("muffin") is None, "a deactivated product leaves the till"
        assert editor.deactivate_button.text() == "Activate"
        assert "muffin" not in [p.sku for p in env.window.product_grid.model.products]
    finally:
        editor.close()


def test_rename_a_category(env):
    editor = open_editor(env)
    try:
        editor.category_pick.setCurrentText("Food")
        editor.category_name.setText("Meals")
        editor.rename_category_button.click()
        settle(env, editor)
        settle(env, editor)
        assert "Meals" in env.window.product_grid._categories
        assert env.window.catalog.by_sku("sandwich").category == "Meals"
        editor.category_name.setText("Snacks")
        editor.add_category_button.click()
        settle(env, editor)
        settle(env, editor)
        assert editor.category_pick.findText("Snacks") >= 0
    finally:
        editor.close()


def test_import_reports_every_bad_line_and_writes_nothing(env, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,price,tax_category,barcode,category,tax_rate\n"
                   "tart,Lemon tart,4.75,reduced,,Bakery,10\n"
                   "pie,Apple pie,3,50,reduced,,Bakery,10\n"
                   "bun,Bun,-1,reduced,,Bakery,10\n", encoding="utf-8")
    editor = open_editor(env)
    try:
        editor.import_csv(str(bad))
        settle(env, editor)
        report = editor.report.toPlainText().splitlines()
        assert editor.report.isVisible() and report[0].startswith("Nothing was imported")
        assert [line.split(":")[0] for line in report[1:]] == ["Line 3", "Line 4"], report
        assert env.window.catalog.by_sku("tart") is None and len(env.window.catalog) == 9
    finally:
        editor.close()


def test_export_then_import_round_trips(env, tmp_path):
    out = tmp_path / "catalog.csv"
    editor = open_editor(env)
    try:
        editor.export_csv(str(out))
        settle(env, editor)
        assert "9 products" in editor.error.text() and out.read_text(encoding="utf-8").count("\n") == 10
        good = tmp_path / "good.csv"
        good.write_text(out.read_text(encoding="utf-8") + f"tart,Lemon tart,4.75,reduced,,{TART_CODE},Bakery,1,0,\n", encoding="utf-8")
        editor.merge.setChecked(True)
        editor.import_csv(str(good))
        settle(env, editor)
        assert editor.report.toPlainText().startswith("Imported"), editor.report.toPlainText()
        settle(env, editor)
        assert env.window.catalog.by_barcode(TART_CODE).sku == "tart"
        assert editor.model.rowCount() == 10
    finally:
        editor.close()


def test_the_file_pickers_open_without_blocking(env):
    editor = open_editor(env)
    try:
        editor.import_button.click()
        dialog = editor.findChild(QFileDialog, "catalogFileDialog")
        assert dialog is not None and dialog.isVisible() and dialog.testOption(QFileDialog.DontUseNativeDialog)
        assert dialog.acceptMode() == QFileDialog.AcceptOpen
        dialog.reject()
        editor.export_button.click()
        assert editor._file_dialog.acceptMode() == QFileDialog.AcceptSave
        editor._file_dialog.reject()
    finally:
        editor.close()


def test_settings_catalogue_opens_the_editor_over_the_settings(qapp):
    """The app's path: Settings (behind the admin PIN in kiosk mode) › Catalogue › Edit products…"""
    import argparse

    from gui_harness import LiveLoop, dispose

    from kiosk.app import AppShell

    loop = LiveLoop(qapp)
    args = argparse.Namespace(provider=None, demo=False, api_base=None, self_test=False, kiosk=False)
    s = AppShell(qapp, args, Settings(poll_interval_ms=50), [])
    try:
        loop.run_until_complete(s._show(s.settings))
        loop.run_until_complete(s._open_settings())
        settings = s._dialog
        settings.catalogue_button.click()
        editor = settings.findChild(CatalogEditor)
        assert editor is not None and editor.isVisible() and editor.isModal()

        async def loaded():
            while editor.busy or not editor.model.rowCount():
                await asyncio.sleep(0.01)

        loop.run_until_complete(loaded())
        assert editor.model.rowCount() == 9
        editor.close()
        settings.reject()
    finally:
        loop.run_until_complete(s.close())
        window = s.window
        window.close()
        assert not loop.close(), "tasks leaked"
        dispose(window)
