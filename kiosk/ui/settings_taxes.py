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
        self.included = QCheckBox(_("Prices include tax (Europe, Latin America); untick to add tax on top (US)"))
        self.included.setObjectName("pricesIncludeTaxBox")
        self.included.setAccessibleName(_("Prices include tax"))
        self.included.setChecked(settings.prices_include_tax)
        form.addRow(_("Prices"), self.included)
        self.rounding = QComboBox()
        self.rounding.setObjectName("taxRoundingPicker")
        self.rounding.setAccessibleName(_("Tax rounding"))
        labels = (_("On each line"), _("Once per rate, on the sale's total"))
        for value, label in zip(TAX_ROUNDINGS, labels, strict=True):
            self.rounding.addItem(label, value)
        self.rounding.setCurrentIndex(max(0, self.rounding.findData(settings.tax_rounding)))
        form.addRow(_("Round tax"), self.rounding)
        self.admin_only = QCheckBox(_("Discounts need the admin PIN (always so in kiosk mode)"))
        self.admin_only.setObjectName("discountsAdminOnlyBox")
        self.admin_only.setAccessibleName(_("Discounts need the admin PIN"))
        self.admin_only.setChecked(settings.discounts_admin_only)
        form.addRow(_("Discounts"), self.admin_only)

    def values(self) -> dict:
        return {"prices_include_tax": self.included.isChecked(), "tax_rounding": self.rounding.currentData(),
                "discounts_admin_only": self.admin_only.isChecked()}
