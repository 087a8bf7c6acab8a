"""The cashier window: cart on the left; reader, payment state, Charge/Cancel and (demo) the simulated reader
on the right; the last provider messages at the bottom.

The window only observes the PaymentController's events and starts its coroutines; it never calls a
provider and never blocks: every wait shows the busy indicator while the loop keeps running.

Start-up: the app shows the window *before* the services exist (`MainWindow()`), in a starting state that says
so ("Connecting to the payment provider…") with Charge and Settings off; `attach(services)` then builds the
parts that depend on the provider. Nothing heavy is imported here at module level (no provider SDK, emulator,
journal or controller), so the first paint costs little more than a bare window. Charge is enabled only by the
controller (`charge_blocker`), which keeps it off until start-up recovery has run.
"""
from __future__ import annotations

import asyncio
import functools
import gc
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStatusBar,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.errors import KioskError
from kiosk.domain.payment import PaymentAttempt, PaymentState
from kiosk.i18n import N_, _

from .notice_banner import NoticeBanner
from .payment_panel import PaymentPanel
from .presentation import (
    RECEIPT_ACTIONABLE,
    RECEIPT_BUTTON,
    cart_lock_reason,
    title_for,
)
from .recovery_banner import RecoveryBanner
from .shortcuts import install as install_cashier_keys

if TYPE_CHECKING:
    from kiosk.services.context import Services

log = logging.getLogger(__name__)
MAX_LOG_LINES = 200
CLOSE_CONFIRM_S = 10.0
# States in which closing the window would walk away from a card on the reader or money in motion.
CLOSE_GUARDED = {PaymentState.SENDING, PaymentState.WAITING_FOR_CARD, PaymentState.CANCELLING,
                 PaymentState.AUTHORISED, PaymentState.CAPTURING}
_gc_frozen = False  # once per process: see MainWindow._freeze_startup_objects
CONNECTING_TEXT = N_("Connecting to the payment provider…")
RECOVERING_TEXT = N_("Checking unfinished payments from the last run…")
# Below this size the window goes compact (smaller type and touch targets, shorter banner); narrower than tall,
# the cart sits above the payment panel (portrait kiosk).
COMPACT_BELOW = QSize(1280, 800)
PAYMENT_SHARE = 0.46
QWIDGETSIZE_MAX = (1 << 24) - 1
DEMO_TEXT = N_("DEMO MODE — no card is really charged. Payments go to the built-in emulator. Add an API key in "
               "Settings to take real payments.")
DEMO_TEXT_SHORT = N_("DEMO MODE — no card is really charged.")


class MainWindow(QMainWindow):
    settings_requested = Signal()
    first_painted = Signal(float)  # monotonic time of the first paint

    def __init__(self, services: Services | None = None, parent=None):
        super().__init__(parent)
        self.services: Services | None = None
        self.controller = None
        self._first_paint: float | None = None
        self._attached_at: float | None = None  # monotonic: services attached (the provider is connected)
        self._ready_at: float | None = None  # monotonic: start-up recovery finished (Charge may be enabled)
        self._close_warned_at = float("-inf")
        self.finished_at = float("-inf")  # monotonic: the last sale became final (kiosk idle reset waits after it)
        self._unsubscribe: list[Callable] = []
        self._print_job = None
        self.receipt_button = None
        self.history_button: QPushButton | None = None  # staff: sales history and the Z report (with a journal)
        self.history_window = None
        self.receipt_view_button = None  # Receipt…: preview, QR, PDF, printers (ui/receipt_view.py)
        self.receipt_dialog = None
        self.cart_panel = None
        self.product_grid = None
        self.catalog = None  # the CatalogIndex the grid and the scanner ask
        self.scanner = None
        self.reader_panel = None
        self.sim_panel = None
        self.setObjectName("mainWindow")
        self.setWindowTitle(_("kiosk — starting"))
        self.setAccessibleName(_("kiosk cashier window"))
        self.resize(1280, 800)

        central = QWidget()
        central.setObjectName("centralWidget")
        self.setCentralWidget(central)
        root = QVBoxLayout(central)

        self._header = header = QHBoxLayout()
        self.title_label = QLabel("kiosk")
        self.title_label.setObjectName("titleLabel")
        header.addWidget(self.title_label)
        self.mode_label = QLabel(_("Starting…"))
        self.mode_label.setObjectName("providerLabel")
        header.addWidget(self.mode_label)
        self._demo_text = _(DEMO_TEXT)
        self.demo_banner = QLabel(self._demo_text)
        self.demo_banner.setObjectName("demoBanner")
        self.demo_banner.setAccessibleName(_("Demo mode notice"))
        self.demo_banner.setWordWrap(True)
        self.demo_banner.setVisible(False)
        self.demo_banner.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        header.addWidget(self.demo_banner, 1)
        self.settings_button = QPushButton(_("Settings"))
        self.settings_button.setObjectName("settingsButton")
        self.settings_button.setAccessibleName(_("Settings"))
        self.settings_button.setAccessibleDescription(_("Provider, API key, reader, currency and capture mode"))
        self.settings_button.clicked.connect(self.settings_requested.emit)
        header.addWidget(self.settings_button)
        root.addLayout(header)

        # What the app is doing before Charge can be pressed: connecting, then checking the last run's payments.
        self.startup_label = QLabel(_(CONNECTING_TEXT))
        self.startup_label.setObjectName("startupStatus")
        self.startup_label.setAccessibleName(_("Start-up status"))
        self.startup_label.setProperty("state", "connecting")
        root.addWidget(self.startup_label)

        self._body = body = QBoxLayout(QBoxLayout.LeftToRight)
        root.addLayout(body, 1)
        # After a crash: what start-up recovery did, with Retry — above the cart, whose tiles and lines give way.
        self._columns = []
        for name, stretch in (("cartColumn", 1), ("paymentColumn", 1)):
            column = QWidget()
            column.setObjectName(name)
            layout = QVBoxLayout(column)
            layout.setContentsMargins(0, 0, 0, 0)
            column.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
            body.addWidget(column, stretch)
            self._columns.append(column)
        self._left, self._right = (column.layout() for column in self._columns)
        right = self._right
        self.recovery_banner = RecoveryBanner(lambda: self.run(self.controller.recover(), "Recovery"))
        self._left.addWidget(self.recovery_banner)
        self.payment_panel = PaymentPanel()
        self.payment_panel.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)  # never squeezed: Charge stays put
        right.addWidget(self.payment_panel)
        self.notice = NoticeBanner()
        right.addWidget(self.notice)
        # Staff things (reader details, the demo's simulated customer) scroll below the payment on short screens.
        self._staff = QVBoxLayout()
        self._staff.setContentsMargins(0, 0, 0, 0)
        self._staff.addStretch(1)
        staff = QWidget()
        staff.setObjectName("staffPanels")
        staff.setLayout(self._staff)
        self.staff_scroll = QScrollArea()
        self.staff_scroll.setObjectName("staffScroll")
        self.staff_scroll.setWidgetResizable(True)
        self.staff_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.staff_scroll.setFrameShape(QFrame.NoFrame)
        self.staff_scroll.setWidget(staff)
        self.staff_scroll.setMinimumHeight(1)  # on a short screen, messages above take its room first
        right.addWidget(self.staff_scroll, 1)

        # The provider log is for staff: folded away unless asked for (warnings also go to the notice banner).
        self.log_view = QListWidget()
        self.log_view.setObjectName("messageLog")
        self.log_view.setAccessibleName(_("Provider messages"))
        self.log_view.setMaximumHeight(110)
        self.log_view.setVisible(False)
        root.addWidget(self.log_view)
        self.setStatusBar(QStatusBar())
        self.log_toggle = QPushButton(_("Show log"))
        self.log_toggle.setObjectName("logToggle")
        self.log_toggle.setAccessibleName(_("Show or hide the provider log"))
        self.log_toggle.setCheckable(True)
        self.log_toggle.toggled.connect(self._toggle_log)
        self._header.insertWidget(self._header.indexOf(self.settings_button), self.log_toggle)
        self._compact: bool | None = None
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick_countdown)
        self.adapt_to(QSize(1280, 800))

        p = self.payment_panel
        p.status.setText(_("Starting…"))
        p.status.setProperty("state", "starting")
        p.detail.setText(_("Connecting to the payment provider… Charge is available once the app is ready."))
        p.charge.clicked.connect(lambda: self.run(self.controller.charge(), "Charge"))
        p.cancel.clicked.connect(self._cancel_clicked)
        p.new_sale.clicked.connect(self._new_sale)
        self.cashier_keys = install_cashier_keys(self, p.charge, p.cancel)  # Enter = Charge, Esc = Cancel
        self._refresh_buttons()
        if services is not None:
            self.attach(services)

    def attach(self, services: Services) -> None:
        """Build the provider-dependent parts (cart, reader, simulated reader, receipts) and start observing the
        controller. Called once, when the services built in the background are ready."""
        if self.services is not None:
            raise RuntimeError("MainWindow.attach: services are already attached")
        from kiosk.catalog.index import CatalogIndex
        from kiosk.services.catalog import demo_products

        from .cart_panel import CartPanel
        from .product_grid import ProductGrid
        from .reader_panel import ReaderPanel
        from .sim_panel import SimulatedReaderPanel

        self.services = services
        self.controller = c = services.controller
        self.setWindowTitle(_("kiosk — %(mode)s") % {"mode": services.mode_label})
        self.mode_label.setText(services.mode_label)
        self._demo_text = services.banner  # what the app knows of where payments go (services/context.py)
        self.demo_banner.setText(self._demo_text)
        self.demo_banner.setVisible(bool(services.banner))
        if not services.banner:
            self._header.insertStretch(self._header.indexOf(self.settings_button), 1)

        if services.journal is not None:
            self.history_button = QPushButton(_("Sales"))
            self.history_button.setObjectName("historyButton")
            self.history_button.setAccessibleName(_("Sales history"))
            self.history_button.setAccessibleDescription(_("Earlier sales, refunds and the end-of-day report"))
            self.history_button.clicked.connect(self.open_history)
            self._header.insertWidget(self._header.indexOf(self.settings_button), self.history_button)

        # The store's catalogue, loaded with the services (off the Qt thread); the demo's list if there is none.
        catalog = services.catalog
        self.catalog = catalog.index if catalog is not None else CatalogIndex(demo_products(c.cart.currency))
        self.product_grid = ProductGrid(self.catalog, self._add, self._favourite)
        from .discounts import DiscountFlow

        self.discounts = DiscountFlow(self, c, services.settings)
        self.cart_panel = CartPanel(self.product_grid, self._set_qty, on_discount=self.discounts.start)
        from .scanner import BarcodeWedge

        self.scanner = BarcodeWedge(self, self._scanned)
        self._left.addWidget(self.cart_panel, 1)
        self.reader_panel = ReaderPanel(self._select_reader,
                                        self._switch_mode if c.capabilities.operating_mode else None)
        self._staff.insertWidget(0, self.reader_panel)
        if services.sim is not None:
            device_cancel = self._sim_device_cancel if c.capabilities.cancel_on_device else None
            self.sim_panel = SimulatedReaderPanel(self._sim_tap, self._sim_online, device_cancel,
                                                  tips=services.tips is not None)
            self._staff.insertWidget(1, self.sim_panel)
        if services.save_card is not None:  # Stripe only (SetupIntents); Mercado Pago Point can't save a card
            from .save_card_view import install_save_card

            self.save_card_button = install_save_card(self, services.save_card)

        if c.capabilities.print_receipt:
            self.receipt_button = QPushButton(_(RECEIPT_BUTTON[None]))
            self.receipt_button.setObjectName("receiptButton")
            self.receipt_button.setAccessibleName(_("Print receipt on the terminal"))
            self.receipt_button.clicked.connect(self._receipt_clicked)
            self.payment_panel.show_receipt_button(self.receipt_button)
        from .receipt_view import open_receipt

        self.receipt_view_button = QPushButton(_("Receipt…"))
        self.receipt_view_button.setObjectName("receiptViewButton")
        self.receipt_view_button.setAccessibleName(_("Receipt: print, PDF or QR code"))
        self.receipt_view_button.clicked.connect(lambda: open_receipt(self))
        self.payment_panel.show_receipt_button(self.receipt_view_button)

        self._unsubscribe += [
            c.state_changed.subscribe(self._on_state),
            c.reader_changed.subscribe(self._on_reader),
            c.readers_changed.subscribe(self._on_readers),
            c.cart_changed.subscribe(self._on_cart),
            c.message.subscribe(self.log_message),
            c.busy_changed.subscribe(self._on_busy),
            c.recovered.subscribe(self._on_recovered),
            c.recovery_failed.subscribe(self._on_recovery_failed),
            c.journal_changed.subscribe(lambda _error: self._refresh_buttons()),
        ]
        if services.connector is not None:
            from .connection_banner import ConnectionBanner

            self.connection_banner = ConnectionBanner.install(self, services.connector)
        self._attached_at = time.monotonic()
        if not c.recovery_needed:
            self._ready_at = self._attached_at  # no journal: nothing to recover
        self._on_cart(c.cart)
        self._on_state(c.attempt)
        self._on_reader(c.reader)
        self._compact = None
        self.adapt_to(self.size())

    @property
    def is_starting(self) -> bool:
        """True until the services are attached and start-up recovery has run (or failed, with Retry)."""
        c = self.controller
        return c is None or (c.recovery_needed and c.recovery_error is None)

    # ------------------------------------------------------------------------------------------
    def run(self, coro, what: str):
        """Start a controller coroutine in the background; errors become a readable message, not a crash."""
        if self.controller is None:
            raise RuntimeError(f"MainWindow.run({what}): no services attached yet")

        async def guarded():
            try:
                return await coro
            except KioskError as e:
                log.warning("%s failed: %s", what, e.detail or e.code)
                self.log_message("error", e.cashier_message)
            finally:
                self._refresh_buttons()

        return self.controller.spawn(guarded(), name=f"kiosk-ui-{what}")

    def open_history(self) -> None:
        """The sales history beside the till (non-modal): one window, raised again if already open."""
        if self.history_window is None:
            from kiosk.services.history import SalesHistory

            from .history_window import HistoryWindow

            s = self.services
            history = SalesHistory(s.journal, s.runner, s.settings.currency)
            self.history_window = HistoryWindow(self.controller, history, self)
        else:
            self.history_window.search()  # sales made since it was last shown
        self.history_window.show()
        self.history_window.raise_()
        self.history_window.activateWindow()

    def log_message(self, level: str, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self.log_view.insertItem(0, f"{stamp}  {text}")
        while self.log_view.count() > MAX_LOG_LINES:
            self.log_view.takeItem(self.log_view.count() - 1)
        if level in ("warning", "error"):
            self.notice.show_notice(level, text)  # where the eye is, not only in the folded log
        else:
            self.statusBar().showMessage(text, 8000)

    def _toggle_log(self, shown: bool) -> None:
        self.log_view.setVisible(shown)
        self.log_toggle.setText(_("Hide log") if shown else _("Show log"))

    # --- screen size ---------------------------------------------------------------------------
    def fit_screen(self, size: QSize) -> None:
        """Lay the window out for a screen of `size` and fill it (the app calls it with the screen's free area)."""
        self.adapt_to(size)
        self.resize(size)

    def adapt_to(self, size: QSize) -> None:
        compact = size.width() < COMPACT_BELOW.width() or size.height() < COMPACT_BELOW.height()
        portrait = size.width() < size.height()
        self._body.setDirection(QBoxLayout.TopToBottom if portrait else QBoxLayout.LeftToRight)
        # The payment column has a fixed share of the screen (its height in portrait, where it sits below the cart;
        # its width in landscape), so no message or button that comes and goes can move the cart or the total.
        payment_column = self._columns[1]
        # A maximum, not a fixed size (the stretch asks for more), so the window can still be made smaller.
        if portrait:
            payment_column.setMaximumSize(QWIDGETSIZE_MAX, int(size.height() * PAYMENT_SHARE))
        else:
            payment_column.setMaximumSize(int(size.width() * PAYMENT_SHARE), QWIDGETSIZE_MAX)
        if compact == self._compact:
            return
        self._compact = compact
        central = self.centralWidget()
        central.setProperty("compact", compact)
        self.demo_banner.setText(_(DEMO_TEXT_SHORT) if compact and self._demo_text == _(DEMO_TEXT) else self._demo_text)
        self.demo_banner.setToolTip(self._demo_text)
        self.mode_label.setVisible(not compact)
        for w in [central, *central.findChildren(QWidget)]:
            w.style().unpolish(w)
            w.style().polish(w)
        self.payment_panel.restyle()
        if self.cart_panel is not None:
            self.cart_panel.restyle()
            self.product_grid.view.fit_columns()  # the tile follows the compact type size
        if self.reader_panel is not None:
            self.reader_panel.set_compact(compact)

    def _fit_to_screen(self) -> None:
        """Lay out for the screen before Qt sizes the window, so the minimum size never exceeds it (a kiosk window
        larger than a 1024×600 screen had Cancel and the total off the edge)."""
        screen = self.screen()
        if screen is None:
            return
        if self.isFullScreen():
            self.adapt_to(screen.geometry().size())
            return
        free = screen.availableGeometry().size()
        if self.width() > free.width() or self.height() > free.height():
            self.fit_screen(free)

    def showEvent(self, event) -> None:
        self._fit_to_screen()
        super().showEvent(event)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.WindowStateChange:
            self._fit_to_screen()
        super().changeEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.adapt_to(event.size())

    # --- controller events ---------------------------------------------------------------------
    def _reader_online(self) -> bool:
        c = self.controller
        return c is None or c.reader is None or c.reader.online

    def _on_state(self, attempt: PaymentAttempt | None) -> None:
        self.payment_panel.show_attempt(attempt, self._reader_online())
        if attempt is not None:
            if attempt.state.is_final:
                self.finished_at = time.monotonic()
            self.log_message("info", attempt.message or title_for(attempt))
            if attempt.state is PaymentState.WAITING_FOR_CARD:
                self._tick_countdown()
                self._countdown.start()
        if attempt is None or attempt.state is not PaymentState.WAITING_FOR_CARD:
            self._countdown.stop()
        self._refresh_buttons()

    def _tick_countdown(self) -> None:
        c = self.controller
        if c is None or c.attempt is None or c.attempt.state is not PaymentState.WAITING_FOR_CARD:
            self._countdown.stop()
            return
        left = c.card_wait_timeout - (time.monotonic() - c.monitor.waiting_since)
        self.payment_panel.show_countdown(int(left + 0.999))

    def _on_reader(self, reader) -> None:
        self.reader_panel.update_reader(reader)
        c = self.controller
        if c.attempt is not None and c.attempt.state is PaymentState.WAITING_FOR_CARD:
            self.payment_panel.show_attempt(c.attempt, self._reader_online())  # offline: the card can't be taken
        if self.sim_panel is not None and reader is not None:
            self.sim_panel.set_reader_online(reader.online)
        self._refresh_buttons()

    def _on_readers(self, readers) -> None:
        self.reader_panel.set_readers(readers, self.controller.reader_id)

    def _on_cart(self, cart) -> None:
        self.cart_panel.update_cart(cart)
        self.product_grid.set_locked(cart.locked)
        self.payment_panel.show_total(cart.total)
        self._refresh_buttons()

    @staticmethod
    def _freeze_startup_objects() -> None:
        """Move everything alive once the app is ready (Qt and SDK modules, wrappers, the window) out of the
        cyclic GC's reach, so a full collection during a sale scans only what was created since. A full pass over
        the start-up heap took ~60 ms on the Qt thread — the 1 ms timer's worst gap in the loop-stall benchmark
        (docs/PERFORMANCE.md). Once per process; frozen objects are still freed by reference counting."""
        global _gc_frozen
        if not _gc_frozen:
            _gc_frozen = True
            gc.collect()
            gc.freeze()

    def _on_recovered(self, report) -> None:
        if self._ready_at is None:
            self._ready_at = time.monotonic()
            self._freeze_startup_objects()
        self.recovery_banner.show_report(report)
        if not report.is_empty:
            self.log_message("warning" if report.needs_attention else "info", report.summary())
        self._refresh_buttons()

    def _on_recovery_failed(self, error) -> None:
        self.recovery_banner.show_failure(error)
        self.log_message("error", error.cashier_message)
        self._refresh_buttons()

    def _on_busy(self, busy: bool, text: str) -> None:
        self.payment_panel.set_busy(busy)
        if busy and text:
            self.statusBar().showMessage(text)
        elif not busy:
            self.statusBar().clearMessage()  # "Checking…" must not outlive the check

    def _refresh_startup(self) -> None:
        starting = self.is_starting
        self.startup_label.setVisible(starting)
        if starting:
            state, text = (("connecting", _(CONNECTING_TEXT)) if self.controller is None
                           else ("recovering", _(RECOVERING_TEXT)))
            self.startup_label.setText(text)
            self.startup_label.setProperty("state", state)

    def _refresh_buttons(self) -> None:
        self._refresh_startup()
        c = self.controller
        p = self.payment_panel
        if c is None:  # starting: nothing can be pressed until the services are attached
            for button in (p.charge, p.cancel, p.new_sale, self.settings_button):
                button.setEnabled(False)
            return
        p.charge.setEnabled(c.can_charge and not c.is_busy)
        if c.attempt is None:
            p.show_ready_hint(c.charge_blocker, ready=c.can_charge or c.cart.is_empty)
        p.cancel.setEnabled(c.can_cancel)
        final = c.attempt is not None and c.attempt.state.is_final
        p.new_sale.setEnabled(final or (c.attempt is None and not c.cart.is_empty))
        in_flight = c.in_flight
        self.cart_panel.set_lock_reason(cart_lock_reason(c.attempt, c.cart.locked))
        self.reader_panel.set_locked(in_flight)
        self.settings_button.setEnabled(not in_flight)
        paid = c.attempt is not None and c.attempt.state is PaymentState.PAID
        if self.receipt_view_button is not None:
            self.receipt_view_button.setVisible(paid)
        if self.receipt_button is not None:
            job = self._print_job
            self.receipt_button.setVisible(paid)
            status = None if job is None else job.status
            self.receipt_button.setEnabled(status in RECEIPT_ACTIONABLE)
            self.receipt_button.setText(_(RECEIPT_BUTTON[status]) if status in RECEIPT_BUTTON
                                        else _("Receipt sent to the terminal"))
        if self.sim_panel is not None:  # the simulated customer taps only while a payment is on the reader
            self.sim_panel.tap.setEnabled(in_flight and c.reader is not None and c.reader.online)
            if self.sim_panel.device_cancel is not None:
                self.sim_panel.device_cancel.setEnabled(in_flight)

    # --- user actions ---------------------------------------------------------------------------
    def _add(self, product) -> None:
        try:
            self.controller.add_to_cart(product)
        except KioskError as e:
            self.log_message("warning", e.cashier_message)

    def set_catalog(self, index) -> None:
        """Sell from another catalogue (a CatalogIndex loaded off the Qt thread): the grid and the scanner ask it."""
        self.catalog = index
        self.product_grid.set_index(index)

    def open_catalogue(self, parent=None):
        """Settings › Catalogue (behind the admin PIN in kiosk mode, as Settings is): the store's products."""
        catalog = self.services.catalog if self.services is not None else None
        if catalog is None or catalog.store is None:
            problem = catalog.error.cashier_message if catalog is not None and catalog.error is not None else ""
            self.log_message("error", _("The catalogue can't be edited: it could not be opened. %(problem)s")
                             % {"problem": problem})
            return None
        from .catalog_editor import CatalogEditor

        editor = CatalogEditor(catalog, self.controller.spawn, parent or self)
        editor.changed.connect(lambda: self.set_catalog(catalog.index))
        editor.setAttribute(Qt.WA_DeleteOnClose)
        editor.open()  # never exec(): the loop keeps running
        return editor

    def _scanned(self, raw: str) -> None:
        """A scanner's burst: validate the code, find its product, add one (refused while a payment is in flight)."""
        from kiosk.domain.barcode import validate

        from .scanner import beep

        try:
            code = validate(raw)
        except KioskError as e:
            beep()
            self.log_message("warning", _("%(problem)s Scan it again, or add the product from the grid.")
                             % {"problem": e.cashier_message})
            return
        product = self.catalog.by_barcode(code)
        if product is None:
            beep()
            self.log_message("warning", _("No product has the barcode %(code)s. Sell it from the grid, or add the "
                                          "barcode to the product in Settings › Catalogue.") % {"code": code})
            return
        try:
            self.controller.add_to_cart(product)
        except KioskError as e:
            beep()
            self.log_message("warning", e.cashier_message)
            return
        self.log_message("info", _("Scanned: %(product)s") % {"product": product.name})

    def _favourite(self, product, on: bool) -> None:
        """A star toggled on a tile: the grid shows it at once; the catalogue stores it (off the Qt thread)."""
        catalog = self.services.catalog
        if catalog is None or catalog.store is None:
            return  # no catalogue file (it could not be opened: said at start): the star lasts this session

        async def store():
            await catalog.set_favourite(product.sku, on)
            self.catalog = catalog.index  # rebuilt with the favourite; the grid already shows it

        self.run(store(), "Favourite")

    def _set_qty(self, sku: str, qty: int) -> None:
        try:
            self.controller.set_quantity(sku, qty)
        except KioskError as e:
            self.log_message("warning", e.cashier_message)

    def _cancel_clicked(self) -> None:
        self.payment_panel.cancel.setEnabled(False)  # a double click must not send two cancels
        self.run(self.controller.cancel(), "Cancel")

    def _new_sale(self) -> None:
        self.controller.new_sale()
        self.notice.clear()
        self._print_job = None
        from .receipt_view import close_receipt

        close_receipt(self)
        self._on_state(self.controller.attempt)

    # --- receipts (Mercado Pago Point Smart print actions; cancellable while still queued) --------
    def _receipt_clicked(self) -> None:
        c = self.controller
        attempt = c.attempt
        if attempt is None:
            return
        job = self._print_job
        if job is not None and job.status == "created":
            async def cancel_print():
                self._print_job = await c.cancel_print(job.id)
                self.log_message("info", _("Receipt print cancelled (it had not reached the terminal)."))

            self.run(cancel_print(), "Cancel print")
            return
        from kiosk.services.receipt import format_receipt

        text = format_receipt(c.cart, attempt)

        async def print_receipt():
            self._print_job = await c.print_receipt(text)
            self.log_message("info", _("Receipt queued for the terminal's printer."))
            self._refresh_buttons()
            for _poll in range(30):  # follow the job until the terminal takes it (then it can't be cancelled)
                await asyncio.sleep(1.0)
                if self._print_job is None or self._print_job.status != "created":
                    break
                self._print_job = await c.read_print(self._print_job.id)
                self._refresh_buttons()

        self.run(print_receipt(), "Print receipt")

    def _select_reader(self, reader_id: str) -> None:
        self.run(self.controller.select_reader(reader_id), "Select reader")

    def _switch_mode(self, reader_id: str) -> None:
        async def switch():
            await self.controller.set_operating_mode(reader_id, "PDV")
            self.log_message("info", _("Terminal switched to PDV mode. Restart the terminal to apply it."))

        self.run(switch(), "Switch mode")

    def _sim(self, what: str, call: Callable, *args, done: str) -> None:
        """Play the customer through the emulator's test helpers, then show the reader it returns."""
        sim = self.services.sim
        reader_id = self.controller.reader_id
        if sim is None or reader_id is None:
            return

        async def act():
            reader = await self.controller.runner.run(call, reader_id, *args)
            self.log_message("info", done)
            self.controller.show_reader(reader)

        self.run(act(), what)

    def _sim_tap(self, card_number: str) -> None:
        present = self.services.sim.present_card
        choice, attempt = self.sim_panel.tip_choice(), self.controller.attempt
        if choice is not None and attempt is not None and self.services.tips is not None:
            offered = self.services.tips.tips.offered(attempt.amount.minor)  # what the reader shows (tipping.py)
            if choice < len(offered):
                present = functools.partial(present, tip_minor=offered[choice])
        self._sim("Tap card", present, card_number,
                  done=_("Simulated customer tapped card …%(last4)s") % {"last4": card_number[-4:]})

    def _sim_device_cancel(self) -> None:
        self._sim("Cancel on terminal", self.services.sim.cancel_on_device,
                  done=_("Simulated terminal: cancel pressed on the device."))

    def _sim_online(self, online: bool) -> None:
        self._sim("Reader online", self.services.sim.set_reader_online, online,
                  done=_("Simulated reader is back online.") if online else _("Simulated reader went offline."))

    # --- Qt events -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._first_paint is None:
            self._first_paint = time.monotonic()
            self.first_painted.emit(self._first_paint)

    def closeEvent(self, event) -> None:
        c = self.controller
        busy = c is not None and c.attempt is not None and c.attempt.state in CLOSE_GUARDED
        now = time.monotonic()
        if busy and now - self._close_warned_at > CLOSE_CONFIRM_S:
            # Closing now would leave the customer's card on the reader; the journal and start-up recovery make
            # it safe, but the cashier should finish or cancel first. A second close within 10 s goes ahead.
            self._close_warned_at = now
            self.log_message("warning", _("A payment is in progress — cancel it or let it finish before closing. "
                                          "Close again within 10 s to quit anyway (it will be settled at next "
                                          "start)."))
            event.ignore()
            return
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self.scanner is not None:
            self.scanner.detach()  # an application-wide filter: it must not outlive the window
            self.scanner = None
        super().closeEvent(event)
