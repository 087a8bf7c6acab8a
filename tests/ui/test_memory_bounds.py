"""What the window keeps per sale stays bounded (no timings here: docs/PERFORMANCE.md has the figures)."""
from __future__ import annotations

from PySide6.QtWidgets import QListWidget

from kiosk.ui.icons import state_pixmap
from kiosk.ui.main_window import MAX_LOG_LINES


def test_sales_reuse_the_payment_icons_and_the_log_view_is_bounded(env):
    icon = env.window.payment_panel.icon

    async def sale():
        await env.add_and_charge("coffee")
        await env.click("cancelButton")
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled")
        await env.click("newSaleButton")
        await env.until(lambda: env.state("paymentStatus") not in ("cancelled",), "a new sale")

    keys = set()
    for _ in range(3):
        env.run(sale())
        keys.add(icon.pixmap().cacheKey())
    # One painted pixmap per icon kind, shared by every sale: QLabel.setPixmap with a fresh pixmap per state
    # change kept each old image alive in Qt 6.11 (about 50 KB of C heap per sale).
    assert state_pixmap.cache_info().currsize <= 8
    assert len(keys) == 1, "the idle icon after each sale is the same cached pixmap"

    log_view = env.widget("messageLog", QListWidget)
    for i in range(MAX_LOG_LINES + 50):
        env.window.log_message("info", f"line {i}")
    assert log_view.count() == MAX_LOG_LINES
    assert log_view.item(0).text().endswith(f"line {MAX_LOG_LINES + 49}")
