"""After a crash or power cut: what start-up recovery did to each unfinished payment, with a Retry."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout


class RecoveryBanner(QFrame):
    def __init__(self, on_retry: Callable[[], None], parent=None):
        super().__init__(parent)
        self.setObjectName("recoveryBanner")
        self.setAccessibleName("Recovered payments")
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
        self.retry = QPushButton("Retry")
        self.retry.setObjectName("recoveryRetryButton")
        self.retry.setAccessibleName("Retry the payments that still need attention")
        self.retry.clicked.connect(on_retry)
        self.dismiss = QPushButton("OK")
        self.dismiss.setObjectName("recoveryDismissButton")
        self.dismiss.setAccessibleName("Hide the recovery summary")
        self.dismiss.clicked.connect(lambda: self.setVisible(False))
        layout.addWidget(self.retry)
        layout.addWidget(self.dismiss)

    def show_failure(self, error) -> None:
        """Recovery could not run (journal locked by another program, disk error): Charge stays off; say why."""
        self.setProperty("state", "needs_attention")
        self.style().unpolish(self)
        self.style().polish(self)
        self.summary.setText("Unfinished payments from the last run could not be checked, so Charge is off.")
        self.details.setText(f"{error.cashier_message} Then press Retry.")
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
        lines = [f"• {r.amount.format() if r.amount else ''} {r.message}".strip() for r in report.results[:6]]
        if len(report.results) > 6:
            lines.append(f"… and {len(report.results) - 6} more (see the log).")
        self.details.setText("\n".join(lines))
        self.retry.setVisible(bool(unresolved))
        self.dismiss.setVisible(not unresolved)
        self.setVisible(True)
