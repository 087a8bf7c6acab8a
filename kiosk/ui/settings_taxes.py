"""Settings › Taxes and discounts: whether shelf prices include tax, how tax is rounded, who may give discounts
(docs/taxes.md explains the choices)."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox

from kiosk.i18n import _
from kiosk.services.settings import TAX_ROUNDINGS, Settings


class TaxesGroup(QGroupBox):
    def __init__(self, settings: Settings, parent=None):
        super().__init__(_("Taxes and discounts"), parent)
        self.setObjectName("taxesGroup")
        form = QFormLayout(self)
        self.included = QCheckBox(_("Include tax (Europe, Latin America)"))
        self.included.setToolTip(_("Untick where tax is added on top of the price (US)."))
        self.included.setObjectName("pricesIncludeTaxBox")
        self.included.setAccessibleName(_("Prices include tax"))
        self.included.setChecked(settings.prices_include_tax)
        form.addRow(_("Prices"), self.included)
        self.rounding = QComboBox()
        self.rounding.setObjectName("taxRoundingPicker")
        self.rounding.setAccessibleName(_("Tax rounding"))
        labels = (_("Per line"), _("Per total, by rate"))
        for value, label in zip(TAX_ROUNDINGS, labels, strict=True):
            self.rounding.addItem(label, value)
        self.rounding.setCurrentIndex(max(0, self.rounding.findData(settings.tax_rounding)))
        form.addRow(_("Round tax"), self.rounding)
        self.admin_only = QCheckBox(_("Need the admin PIN"))
        self.admin_only.setToolTip(_("Kiosk mode always asks for the admin PIN before a discount."))
        self.admin_only.setObjectName("discountsAdminOnlyBox")
        self.admin_only.setAccessibleName(_("Discounts need the admin PIN"))
        self.admin_only.setChecked(settings.discounts_admin_only)
        form.addRow(_("Discounts"), self.admin_only)

    def values(self) -> dict:
        return {"prices_include_tax": self.included.isChecked(), "tax_rounding": self.rounding.currentData(),
                "discounts_admin_only": self.admin_only.isChecked()}
