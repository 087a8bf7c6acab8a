"""Reader panel: picker, live status (online/offline, label, device, last seen) and the current action."""
from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QGroupBox, QLabel, QPushButton, QVBoxLayout

from kiosk.domain.declines import DECLINE_REASONS
from kiosk.domain.reader import ActionStatus, Reader
from kiosk.i18n import N_, _

ACTION_NAMES = {
    "process_payment_intent": N_("Collecting payment"),
    "set_reader_display": N_("Showing the cart"),
    "refund_payment": N_("Refund"),
    "process_setup_intent": N_("Saving a card"),
    "point_order": N_("Payment order"),
}
ACTION_STATUSES = {
    ActionStatus.IN_PROGRESS: N_("in progress"),
    ActionStatus.SUCCEEDED: N_("succeeded"),
    ActionStatus.FAILED: N_("failed"),
}


def _restyle(widget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def describe_reader(reader: Reader | None) -> tuple[str, str]:
    """(state, headline) for the reader status label."""
    if reader is None:
        return "offline", _("No reader selected")
    if reader.state == "offline":
        return "offline", _("● Offline — can't take payments")
    if reader.state == "busy":
        return "busy", _("● Online — busy")
    a = reader.action
    if a is not None and a.type == "set_reader_display" and a.status is ActionStatus.IN_PROGRESS:
        # Said in the badge, not only in the action line: the compact layout hides that line (issue 15).
        return "idle", _("● Online — showing the cart")
    return "idle", _("● Online — idle")


def describe_action(reader: Reader | None) -> str:
    if reader is None or reader.action is None:
        return _("Action: none (reader idle)")
    a = reader.action
    action = _(ACTION_NAMES[a.type]) if a.type in ACTION_NAMES else a.type  # an unknown type is the provider's word
    text = _("Action: %(action)s — %(status)s") % {"action": action, "status": _(ACTION_STATUSES[a.status])}
    code = a.decline_code or a.failure_code
    if a.status is ActionStatus.FAILED and code in DECLINE_REASONS:
        text += "\n" + _(DECLINE_REASONS[code])  # the provider's own text (ids, "canceled while…") stays in the log
    return text


class ReaderPanel(QGroupBox):
    def __init__(self, on_select: Callable[[str], None], on_switch_mode: Callable[[str], None] | None = None, parent=None):
        super().__init__(_("Card reader"), parent)
        self._on_select = on_select
        self._on_switch_mode = on_switch_mode
        self._updating = False
        layout = QVBoxLayout(self)
        self.picker = QComboBox()
        self.picker.setObjectName("readerPicker")
        self.picker.setAccessibleName(_("Card reader"))
        self.picker.setAccessibleDescription(_("Choose the reader that takes the payment"))
        self.picker.setMinimumHeight(44)
        self.picker.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)  # long ids don't widen
        self.picker.setMinimumContentsLength(12)
        self.picker.currentIndexChanged.connect(self._picked)
        self.status = QLabel()
        self.status.setObjectName("readerStatus")
        self.status.setAccessibleName(_("Reader status"))
        self.details = QLabel()
        self.details.setObjectName("readerDetails")
        self.details.setWordWrap(True)
        self.action = QLabel()
        self.action.setObjectName("actionStatus")
        self.action.setAccessibleName(_("Reader action"))
        self.action.setWordWrap(True)
        self.mode_hint = QLabel()
        self.mode_hint.setObjectName("readerModeHint")
        self.mode_hint.setWordWrap(True)
        self.mode_button = QPushButton(_("Switch terminal to PDV mode"))
        self.mode_button.setObjectName("switchModeButton")
        self.mode_button.setAccessibleName(_("Switch terminal to PDV mode"))
        self.mode_button.clicked.connect(self._switch_clicked)
        self._shown_id: str | None = None
        for w in (self.picker, self.status, self.details, self.action, self.mode_hint, self.mode_button):
            layout.addWidget(w)
        self.update_reader(None)

    def _switch_clicked(self) -> None:
        if self._on_switch_mode is not None and self._shown_id:
            self._on_switch_mode(self._shown_id)

    def _picked(self, index: int) -> None:
        if not self._updating and index >= 0:
            self._on_select(self.picker.itemData(index))

    def set_readers(self, readers: list[Reader], selected: str | None) -> None:
        self._updating = True
        try:
            self.picker.clear()
            for r in readers:
                self.picker.addItem(r.label if r.online else _("%(reader)s (offline)") % {"reader": r.label}, r.id)
            if selected:
                i = self.picker.findData(selected)
                if i >= 0:
                    self.picker.setCurrentIndex(i)
        finally:
            self._updating = False

    def update_reader(self, reader: Reader | None) -> None:
        self._shown_id = reader.id if reader else None
        if reader is not None and self.picker.currentData() != reader.id:
            i = self.picker.findData(reader.id)
            if i >= 0:  # keep the picker on the reader actually in use, without re-selecting it
                self._updating = True
                self.picker.setCurrentIndex(i)
                self._updating = False
        state, headline = describe_reader(reader)
        self.status.setText(headline)
        self.status.setProperty("state", state)
        _restyle(self.status)
        if reader is None:
            self.details.setText("")
        else:
            # A list of facts, each one translated whole (or the provider's own words: label, device, mode).
            facts = [reader.label, reader.device_type.replace("_", " ") if reader.device_type else _("reader")]
            if reader.operating_mode:
                facts.append(_("%(mode)s mode") % {"mode": reader.operating_mode})
            if reader.last_seen_at:
                ago = max(0, int(time.time() - reader.last_seen_at))
                facts.append(_("last seen %(seconds)s s ago") % {"seconds": ago} if ago < 120
                             else _("last seen %(minutes)s min ago") % {"minutes": ago // 60})
            self.details.setText(" · ".join(facts))  # the provider's id stays in the log
            self.details.setToolTip(reader.id)
        self.action.setText(describe_action(reader))
        if getattr(self, "_compact", False):
            self.status.setToolTip(f"{self.details.text()}\n{self.action.text()}")
        mode = reader.operating_mode if reader else None
        needs_pdv = mode is not None and mode != "PDV"
        self.mode_hint.setVisible(needs_pdv)
        self.mode_button.setVisible(needs_pdv and self._on_switch_mode is not None)
        if needs_pdv:
            self.mode_hint.setText(_("This terminal is in %(mode)s mode, so it can't receive payments from this "
                                     "app. Switch it to PDV (integrated) mode, then restart the terminal.")
                                   % {"mode": mode})

    def set_compact(self, compact: bool) -> None:
        """Short screens: the picker and the status badge only, so the demo's simulated customer stays in reach;
        the details move to the badge's tooltip."""
        self._compact = compact
        self.details.setVisible(not compact)
        self.action.setVisible(not compact)
        self.status.setToolTip(f"{self.details.text()}\n{self.action.text()}" if compact else "")

    def set_locked(self, locked: bool) -> None:
        self.picker.setEnabled(not locked)
