"""After a crash or power cut: what start-up recovery did to each unfinished payment, with a Retry."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from kiosk.i18n import _, ngettext


class RecoveryBanner(QFrame):
    def __init__(self, on_retry: Callable[[], None], parent=None):
        super().__init__(parent)
        self.setObjectName("recoveryBanner")
        self.setAccessibleName(_("Recovered payments"))
        self.setVisible(False)
        layout = QHBoxLayout(self)
        texts = QVBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("recoverySummary")
        self.summary.setWordWrap(True)
        self.details = QLabel()
        self.details.setObjectName("recoveryDetails")
        self.details.setWordWrap(True)
        texts.addWidget(self.summary)
        texts.addWidget(self.details)
        layout.addLayout(texts, 1)
        self.retry = QPushButton(_("Retry"))
        self.retry.setObjectName("recoveryRetryButton")
        self.retry.setAccessibleName(_("Retry the payments that still need attention"))
        self.retry.clicked.connect(on_retry)
        self.dismiss = QPushButton(_("OK"))
        self.dismiss.setObjectName("recoveryDismissButton")
        self.dismiss.setAccessibleName(_("Hide the recovery summary"))
        self.dismiss.clicked.connect(lambda: self.setVisible(False))
        layout.addWidget(self.retry)
        layout.addWidget(self.dismiss)

    def show_failure(self, error) -> None:
        """Recovery could not run (journal locked by another program, disk error): Charge stays off; say why."""
        self.setProperty("state", "needs_attention")
        self.style().unpolish(self)
        self.style().polish(self)
        self.summary.setText(_("Unfinished payments from the last run could not be checked, so Charge is off."))
        self.details.setText(_("%(problem)s Then press Retry.") % {"problem": error.cashier_message})
        self.retry.setVisible(True)
        self.dismiss.setVisible(False)
        self.setVisible(True)

    def show_report(self, report) -> None:
        if report is None or report.is_empty:
            self.setVisible(False)
            return
        unresolved = report.needs_attention
        self.setProperty("state", "needs_attention" if unresolved else "recovered")
        self.style().unpolish(self)
        self.style().polish(self)
        self.summary.setText(report.summary())
        lines = [_("• %(amount)s %(message)s") % {"amount": r.amount.format(), "message": r.message} if r.amount
                 else _("• %(message)s") % {"message": r.message} for r in report.results[:6]]
        more = len(report.results) - 6
        if more > 0:
            lines.append(ngettext("… and %(count)s more (see the log).", "… and %(count)s more (see the log).",
                                  more) % {"count": more})
        self.details.setText("\n".join(lines))
        self.retry.setVisible(bool(unresolved))
        self.dismiss.setVisible(not unresolved)
        self.setVisible(True)
