"""Giving a discount from the cart: the admin PIN first when the store asks for it (always in kiosk mode), then
the discount dialog; both open with open(), and the controller applies (or refuses) the discount."""
from __future__ import annotations

from typing import Any

from kiosk.domain.errors import CartLocked, KioskError
from kiosk.i18n import _
from kiosk.services.admin_pin import PinGate


class DiscountFlow:
    def __init__(self, window: Any, controller: Any, settings: Any):
        self.window = window
        self.c = controller
        self.settings = settings
        self.gate = PinGate(settings.admin_pin_hash) if settings.admin_pin_hash else None
        self.dialog = None
        self.pin_pad = None

    def start(self, sku: str | None) -> None:
        """sku: one line's discount; None: the whole sale's."""
        if self.c.cart.locked:
            self.window.log_message("warning", CartLocked(detail="discount while locked").cashier_message)
            return
        if not self.settings.discounts_need_pin:
            self._open(sku)
            return
        if self.gate is None:
            self.window.log_message("warning", _("Discounts need the admin PIN, and none is set. Set one in "
                                                 "Settings."))
            return
        from .pin_pad import PinPad

        self.pin_pad = PinPad(self.gate, self.window, unlock_only=True)
        self.pin_pad.unlocked.connect(lambda: self._open(sku))
        self.pin_pad.open()

    def _open(self, sku: str | None) -> None:
        from .discount_dialog import DiscountDialog

        cart = self.c.cart
        line = next((l for l in cart.lines if l.product.sku == sku), None) if sku is not None else None
        if sku is not None and line is None:
            return  # the line went away meanwhile
        title = (_("Discount on %(product)s") % {"product": line.product.name} if line is not None
                 else _("Discount on the whole sale"))
        self.dialog = DiscountDialog(title, cart.currency, line.discount if line is not None else cart.discount,
                                     self.window)
        self.dialog.chosen.connect(lambda discount, d=self.dialog: self._apply(d, sku, discount))
        self.dialog.open()

    def _apply(self, dialog, sku: str | None, discount) -> None:
        try:
            if sku is None:
                self.c.set_cart_discount(discount)
            else:
                self.c.set_line_discount(sku, discount)
        except KioskError as e:
            dialog.show_error(e.cashier_message)
            return
        dialog.accept()
