"""Every payment state at every supported screen size, both providers: the key widgets are fully on the screen,
not clipped, not squeezed below what their text needs, and Charge / Cancel / Total never move between states.

The window is sized to each screen (as a maximised or kiosk window is) and its geometry checked against it;
`minimumSizeHint()` must fit the screen, or the real window could not be that small.
"""
from __future__ import annotations

from dataclasses import replace

import pytest
from gui_harness import close_env, make_env
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from kiosk import i18n
from kiosk.domain.errors import JournalError
from kiosk.domain.payment import CancelOutcome, PaymentAttempt, PaymentState

S = PaymentState
SIZES = [(1024, 600), (1366, 768), (1920, 1080), (800, 1280)]
KEY_WIDGETS = ("chargeButton", "cancelButton", "totalLabel", "paymentStatus", "productGrid")
STILL = ("chargeButton", "cancelButton", "totalLabel")  # must not move when messages come and go
LONG = ("The card was declined: insufficient funds. Ask the customer for another card or another way to pay, "
        "then press Charge again.")

# (name, state, message, cancel outcome, reader online, busy)
STATES = [
    ("idle", None, "", None, True, False),
    ("sending", S.SENDING, "", None, True, True),
    ("waiting", S.WAITING_FOR_CARD, "", None, True, False),
    ("cancelling", S.CANCELLING, "", None, True, True),
    ("cancel on terminal", S.CANCEL_ON_TERMINAL, ("The terminal already has this payment, so it can only be "
                                                  "cancelled there. Press cancel on the terminal; the app keeps "
                                                  "watching it."), None, True, False),
    ("cancelled", S.CANCELLED, "The payment was cancelled and the card was not charged.", CancelOutcome.NOT_CHARGED,
     True, False),
    ("paid", S.PAID, "", None, True, False),
    ("declined", S.DECLINED, LONG, None, True, False),
    ("reader offline", S.WAITING_FOR_CARD, "", None, False, False),
    ("needs attention", S.NEEDS_ATTENTION, ("The reader did not answer, so it is not known whether the card was "
                                            "charged. Check the terminal, then press Cancel to retry."), None, True,
     False),
    ("recovery banner", None, "", None, True, False),
]


@pytest.fixture(params=[("demo_stripe", "USD"), ("demo_mercadopago", "ARS")], ids=["stripe", "mercadopago"])
def env(request, qapp, tmp_path):
    provider, currency = request.param
    e = make_env(qapp, tmp_path, provider=provider, currency=currency)
    try:
        yield e
    finally:
        close_env(e)


def _show(env, name, state, message, outcome, online, busy) -> None:
    w, c = env.window, env.controller
    c.set_reader(replace(c.reader, online=online))
    if name == "recovery banner":
        w.recovery_banner.show_failure(JournalError(detail="locked"))
    else:
        w.recovery_banner.setVisible(False)
    if state is None:
        c.attempt = None
        c.cart.locked = False
    else:
        attempt = PaymentAttempt(c.cart.total, c.reader_id, c.provider.name, payment_id="pi_3Ozzzzzzzzzzzzzz")
        attempt.state, attempt.message, attempt.cancel_outcome = state, message, outcome
        c.attempt = attempt
        c.cart.locked = state is not S.CANCELLED
    c.cart_changed.emit(c.cart)
    c.state_changed.emit(c.attempt)
    w._on_busy(busy, "Working…" if busy else "")
    if name in ("declined", "needs attention"):
        c.message.emit("warning", message)
    QApplication.processEvents()


def _problems(window, size) -> list[str]:
    W, H = size
    screen = QRect(0, 0, W, H)
    out = []
    hint = window.minimumSizeHint()
    if hint.width() > W or hint.height() > H:
        out.append(f"minimum size {hint.width()}×{hint.height()} does not fit")
    if (window.width(), window.height()) != (W, H):
        out.append(f"window is {window.width()}×{window.height()}")
    for name in KEY_WIDGETS:
        w = window.findChild(QWidget, name)
        if w is None:
            out.append(f"{name}: missing")
            continue
        if not w.isVisibleTo(window):
            out.append(f"{name}: hidden")
            continue
        rect = QRect(w.mapTo(window, QPoint(0, 0)), w.size())
        if not screen.contains(rect):
            out.append(f"{name}: {rect.getRect()} is off the screen")
        if w.visibleRegion().boundingRect() != w.rect():
            out.append(f"{name}: clipped to {w.visibleRegion().boundingRect().getRect()} of {w.rect().getRect()}")
        need = w.minimumSizeHint()
        if isinstance(w, QLabel) and w.wordWrap():
            if w.heightForWidth(w.width()) > w.height():
                out.append(f"{name}: text needs {w.heightForWidth(w.width())} px of height, has {w.height()}")
        elif w.width() < need.width() or w.height() < need.height():
            out.append(f"{name}: {w.width()}×{w.height()} is smaller than its text needs ({need.width()}×"
                       f"{need.height()})")
    return out


def _positions(window) -> dict:
    return {n: window.findChild(QWidget, n).mapTo(window, QPoint(0, 0)).toTuple() for n in STILL}


def test_every_state_fits_every_screen(env):
    _check_sizes(env, SIZES)


@pytest.mark.parametrize("language", ["es", "pt_BR"])
def test_longer_languages_fit_the_smallest_screen(qapp, tmp_path, language):
    """Spanish and Portuguese sentences run longer than English: at 1024×600 they still fit, nothing moves."""
    i18n.setup(language)  # before the window is built
    for provider, currency in (("demo_stripe", "USD"), ("demo_mercadopago", "ARS")):
        e = make_env(qapp, tmp_path / provider, provider=provider, currency=currency)
        try:
            assert e.widget("chargeButton").text() == i18n._("Charge") != "Charge"
            _check_sizes(e, [SIZES[0]])
        finally:
            close_env(e)


def _check_sizes(env, sizes) -> None:
    for sku in ("coffee", "croissant", "juice", "sandwich"):
        env.controller.add_to_cart(env.window.product_grid.product(sku))
    problems = []
    for size in sizes:
        env.window.resize(*size)
        QApplication.processEvents()
        first = None
        for name, *spec in STATES:
            _show(env, name, *spec)
            problems += [f"{size[0]}×{size[1]} {name}: {p}" for p in _problems(env.window, size)]
            where = _positions(env.window)
            first = first or where
            if where != first:
                problems.append(f"{size[0]}×{size[1]} {name}: moved from {first} to {where}")
    _show(env, "idle", *STATES[0][1:])
    assert not problems, "\n".join(problems)
