"""The chaos "app": the real services (provider at the emulator's URL, journal in the workdir), no Qt.

    python -m kiosk.chaos.worker --api-base URL --workdir DIR --seed S --first I --sessions K
                                 [--provider stripe|mercadopago] [--run R] [--clock-skew S] [--disk-full P]

The key comes from KIOSK_STRIPE_API_KEY (a fake sk_test_…) or KIOSK_MP_ACCESS_TOKEN (a fake TEST-…), set by the
harness. Like the window it FIRST runs the controller's recovery (`PaymentController.recover`) before any charge,
then plays K randomized cashier sessions numbered I, I+1, … on a plain asyncio loop: add items, charge, wait a
random moment, then tap an approved or a declined card, cancel (also while sending), change the cart and charge
again, let the card-wait timeout fire, take the reader offline and back, cancel on the Mercado Pago terminal…
Progress goes to DIR/progress.jsonl (session start/end, every state change of every sale, recovery, journal
faults) so the harness knows what runs when it kills us, and can tell a wedged sale.

Faults injected here, in the app's process (seeded by --seed and --run):
- clock skew: the journal's clock (`Journal.open(clock=…)`) runs --clock-skew seconds fast (or slow if < 0);
- disk full: at the start of a session, with probability --disk-full, the journal's connection gets
  `PRAGMA max_page_count` = its current size a moment later (a write needing a new page fails with SQLITE_FULL),
  and the cap is lifted 0.3–6 s later (as freeing space would; a restart opens a new connection without it).

Exit status: 0 all sessions played; 3 a payment stayed unfinished after the cashier's retries (the harness restarts
the app so recovery can settle it, as a shop would); 4 the journal could not be opened (locked by another
program, …: the app refuses to start; the harness starts it again); 2 bad usage or set-up failure.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
import time
from pathlib import Path

from kiosk.domain.errors import KioskError
from kiosk.domain.payment import PaymentState
from kiosk.journal.errors import JournalError
from kiosk.journal.writer import JournalWriter
from kiosk.services.catalog import demo_products
from kiosk.services.context import Services, build_services
from kiosk.services.settings import Settings

from .progress import ProgressWriter

log = logging.getLogger("kiosk.chaos.worker")
S = PaymentState

APPROVED = "4242424242424242"
DECLINES = ("4000000000000002", "4000000000009995", "4000000000000069", "4000000000000119")
# scenario → weight. Sessions are short: most of the money-safety risk sits in the cancel races.
SCENARIOS = {
    "approve": 26,
    "decline_then_approve": 8,
    "cancel_waiting": 14,
    "cancel_while_sending": 10,
    "cancel_then_change_cart": 8,
    "tap_and_cancel_together": 14,
    "card_wait_timeout": 4,
    "offline_then_cancel": 6,
    "offline_then_back_and_pay": 5,
    "cancel_after_approval": 5,
}
EXIT_STUCK = 3
EXIT_NO_JOURNAL = 4
MP_TERMINAL = "NEWLAND_N950__N950NCB801293324"  # the emulator's PDV terminal
# A sale whose state has not changed for this long is given up on by the cashier (exit 3). Longer than the
# harness's wedge bound (60 s by default), so a wedged sale is seen wedged before the app is restarted.
PATIENCE_S = 75.0


class Cashier:
    """Plays one cashier (and the customer) against the controller, like the window would."""

    def __init__(self, services: Services, card_wait_timeout: float, reader: str = ""):
        self.s = services
        self.reader = reader  # this till's reader (the harness's lanes each sell on their own)
        self.c = services.controller
        self.provider = services.provider
        self.wait_limit = card_wait_timeout  # the app's card-wait timeout, in seconds
        self.products = demo_products(self.c.cart.currency)
        self.last_change = time.monotonic()  # of the current sale's state
        self.rng = random.Random(0)  # the current session's, set by play()
        self.recovery: Recovery | None = None
        self._tasks: set[asyncio.Task] = set()  # cancels still running in the background
        self.c.state_changed.subscribe(self._changed)

    def _changed(self, attempt) -> None:
        self.last_change = time.monotonic()

    # --- the customer's side (test helpers) -------------------------------------------------------
    async def tap(self, card: str = APPROVED) -> None:
        try:
            reader = await self.c.runner.run(self.provider.present_card, self.c.reader_id, card)
        except KioskError as e:  # no action waiting, reader offline, injected fault: the tap did not register
            log.info("tap refused: %s", e.code)
            return
        self.c.show_reader(reader)

    async def set_online(self, online: bool) -> None:
        try:
            reader = await self.c.runner.run(self.provider.set_reader_online, self.c.reader_id, online)
            self.c.show_reader(reader)
        except KioskError as e:
            log.info("set_online(%s) failed: %s", online, e.code)

    async def ensure_reader(self) -> None:
        """A reader switched off by a previous session or by the `offline` fault is plugged back in."""
        for _ in range(5):
            try:
                if self.c.reader_id is None:
                    await self.c.refresh_readers()
                if self.reader and self.c.reader_id != self.reader:
                    await self.c.select_reader(self.reader)  # never another till's reader
                reader = await self.c.runner.run(self.provider.get_reader, self.c.reader_id)
                self.c.show_reader(reader)
                if reader.online:
                    return
                await self.set_online(True)
            except KioskError as e:
                log.info("reader check failed: %s", e.code)
                await asyncio.sleep(0.2)

    # --- the cashier's side --------------------------------------------------------------------------
    def fill_cart(self, rng: random.Random) -> None:
        if self.c.attempt is not None and self.c.attempt.state.is_final:
            self.c.new_sale()
        if self.c.cart.locked:
            return
        for _ in range(rng.randint(1, 3)):
            self.c.add_to_cart(rng.choice(self.products))

    async def charge(self) -> bool:
        if self.recovery is not None and self.charge_blocked_by_recovery():
            # Charge is disabled and the app says the last recovery did not run: press its Retry first.
            await asyncio.sleep(self.rng.uniform(0.1, 0.5))
            await self.recovery.run(retry=True)
        try:
            await self.c.charge()
        except KioskError as e:
            log.info("charge refused: %s", e.code)
            if isinstance(e, JournalError):
                await asyncio.sleep(0.5)  # "payments are paused until space is freed": the cashier reads it
            return False
        return self.c.attempt is not None

    def charge_blocked_by_recovery(self) -> bool:
        """Charge is disabled although the cart, the reader and the sale would allow it."""
        c = self.c
        if getattr(c, "recovery_needed", False) and not c.recovering:
            return True
        idle = c.attempt is None or (c.attempt.state.is_final and c.attempt.state is not S.PAID)
        return (self.recovery is not None and self.recovery.failed and not c.can_charge and idle
                and not c.cart.is_empty and c.reader is not None and c.reader.online)

    async def cancel(self) -> None:
        """Press Cancel. Like the window's button it starts the controller's cancel and stays responsive: the
        script goes on once the cancel is done, or the app asks for the terminal's own cancel (Mercado Pago) or
        for attention — the cancel may keep watching the payment in the background."""
        task = asyncio.ensure_future(self._cancel())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await self.wait(lambda: task.done() or self.c.state in (S.CANCEL_ON_TERMINAL, S.NEEDS_ATTENTION), 3600)

    async def _cancel(self) -> None:
        try:
            await self.c.cancel()
        except KioskError as e:
            log.warning("cancel raised %s: %s", e.code, e.detail)

    async def wait(self, predicate, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                return False
            await asyncio.sleep(0.01)
        return True

    async def settle(self) -> bool:
        """Wait for a final state; on NEEDS_ATTENTION press what the message suggests (a few times); on Mercado
        Pago's "cancel it on the terminal" press cancel on the terminal (or, sometimes, the customer pays anyway).

        Gives up (False) after 4 presses, or when the sale's state has not changed for PATIENCE_S."""
        presses = 0
        device_at = 0.0  # when to press cancel on the terminal (again)
        self.last_change = time.monotonic()
        while time.monotonic() - self.last_change < PATIENCE_S:
            attempt = self.c.attempt
            if attempt is None or attempt.state.is_final:
                return True
            if attempt.state is S.NEEDS_ATTENTION and not self.c.is_busy:
                if presses >= 4:
                    return False
                presses += 1
                await asyncio.sleep(0.1 * presses)
                try:
                    if "apture" in attempt.message:
                        await self.c.retry_capture()
                except KioskError as e:
                    log.info("retry_capture raised %s", e.code)
                if self.c.attempt is attempt and attempt.state is S.NEEDS_ATTENTION:
                    await self.cancel()
                continue
            if attempt.state is S.CANCEL_ON_TERMINAL and time.monotonic() >= device_at:
                # The screen says "cancel it on the terminal": the cashier does (again every few seconds while
                # the screen still says so); once in four the customer pays on the terminal first (→ refund).
                first = device_at == 0.0
                await asyncio.sleep(self.rng.uniform(0.1, 1.0) if first else 0)
                device_at = time.monotonic() + 3.0
                if self.c.attempt is attempt and attempt.state is S.CANCEL_ON_TERMINAL:
                    if first and self.rng.random() < 0.25:
                        await self.tap(APPROVED)
                    else:
                        await self.cancel_on_device()
                continue
            await asyncio.sleep(0.02)
        return False

    async def cancel_on_device(self) -> None:
        """Mercado Pago: the cashier presses cancel on the terminal (the demo panel's "Cancel on terminal")."""
        press = getattr(self.provider, "cancel_on_device", None)
        if press is None:
            return
        try:
            reader = await self.c.runner.run(press, self.c.reader_id)
        except KioskError as e:
            log.info("cancel on the terminal refused: %s", e.code)
            return
        self.c.show_reader(reader)

    # --- scenarios -------------------------------------------------------------------------------------
    async def play(self, name: str, rng: random.Random) -> None:
        self.rng = rng
        await self.ensure_reader()
        self.fill_cart(rng)
        await getattr(self, name)(rng)

    async def approve(self, rng):
        if await self.charge():
            await asyncio.sleep(rng.uniform(0, 0.5))
            await self.tap(APPROVED)

    async def decline_then_approve(self, rng):
        if not await self.charge():
            return
        await asyncio.sleep(rng.uniform(0, 0.3))
        await self.tap(rng.choice(DECLINES))
        declined = await self.wait(lambda: self.c.state.is_final, 5) and self.c.state is S.DECLINED
        if declined and await self.charge():  # "try another card"
            await asyncio.sleep(rng.uniform(0, 0.3))
            await self.tap(APPROVED)

    async def cancel_waiting(self, rng):
        if await self.charge():
            await asyncio.sleep(rng.uniform(0, 0.6))
            await self.cancel()

    async def cancel_while_sending(self, rng):
        charging = asyncio.ensure_future(self.charge())
        self._tasks.add(charging)
        charging.add_done_callback(self._tasks.discard)
        await asyncio.sleep(rng.uniform(0, 0.03))
        await self.cancel()
        # Like the window, the cashier is not blocked by the charge: when the app asks for the terminal's own
        # cancel (Mercado Pago) or for attention, the script goes on to do what it says.
        await self.wait(lambda: charging.done() or self.c.state in (S.CANCEL_ON_TERMINAL, S.NEEDS_ATTENTION), 3600)

    async def cancel_then_change_cart(self, rng):
        await self.cancel_waiting(rng)
        await self.settle()
        if self.c.attempt is not None and self.c.state in (S.CANCELLED, S.FAILED):
            self.c.add_to_cart(rng.choice(self.products))
            if await self.charge():
                await asyncio.sleep(rng.uniform(0, 0.3))
                if rng.random() < 0.6:
                    await self.tap(APPROVED)
                else:
                    await self.cancel()

    async def tap_and_cancel_together(self, rng):
        if not await self.charge():
            return
        await asyncio.sleep(rng.uniform(0, 0.3))
        first, second = (self.tap(APPROVED), self.cancel()) if rng.random() < 0.5 else (self.cancel(), self.tap(APPROVED))
        gap = rng.uniform(0, 0.05)

        async def later(coro):
            await asyncio.sleep(gap)
            await coro

        await asyncio.gather(first, later(second))

    async def card_wait_timeout(self, rng):
        if await self.charge():
            # Until the app's own timeout has fired and its cancel has ended — or the app asks the cashier for
            # something (Mercado Pago: "cancel it on the terminal"; attention), which settle() then does at once.
            # (Waiting for a final state only sat out the whole bound whenever the terminal held the order.)
            asks = (S.CANCEL_ON_TERMINAL, S.NEEDS_ATTENTION)
            await self.wait(lambda: self.c.state.is_final or self.c.state in asks, self.wait_limit + 10)

    async def offline_then_cancel(self, rng):
        if not await self.charge():
            return
        await asyncio.sleep(rng.uniform(0, 0.3))
        await self.set_online(False)
        await asyncio.sleep(rng.uniform(0, 0.3))
        await self.cancel()
        await self.settle()
        await self.set_online(True)

    async def offline_then_back_and_pay(self, rng):
        if not await self.charge():
            return
        await self.set_online(False)
        await asyncio.sleep(rng.uniform(0, 0.4))
        await self.set_online(True)
        await self.tap(APPROVED)

    async def cancel_after_approval(self, rng):
        """The card is approved and capture is under way when the cashier presses Cancel."""
        if not await self.charge():
            return
        await self.tap(APPROVED)
        await self.wait(lambda: self.c.state in (S.AUTHORISED, S.CAPTURING, S.PAID) or self.c.state.is_final,
                        rng.uniform(0, 0.5))
        await self.cancel()


class JournalFaults:
    """Disk full on the journal, injected from inside the app's process (seeded; see the module docstring)."""

    def __init__(self, writer: JournalWriter, rng: random.Random, rate: float, progress: ProgressWriter):
        self.writer = writer
        self.rng = rng
        self.rate = rate
        self.progress = progress
        self.full = False
        self._task: asyncio.Task | None = None

    def maybe_fill(self) -> None:
        """At a session start: perhaps fill the disk a moment from now, and free it again later."""
        if self.rate <= 0 or self.full or (self._task is not None and not self._task.done()):
            return
        if self.rng.random() >= self.rate:
            return
        self._task = asyncio.ensure_future(self._window(self.rng.uniform(0.0, 0.8), self.rng.uniform(0.3, 6.0)))

    async def _window(self, delay: float, duration: float) -> None:
        await asyncio.sleep(delay)
        try:
            pages = await self.writer.run(_cap_pages, None)
        except Exception as e:  # noqa: BLE001 - the journal may already be failing; then there is no window
            log.info("disk-full injection skipped: %s", e)
            return
        self.full = True
        self.progress.write("disk_full", pages=pages, seconds=round(duration, 2))
        try:
            await asyncio.sleep(duration)
        finally:
            try:
                await self.writer.run(_cap_pages, 2**30)
                self.full = False
                self.progress.write("disk_freed")
            except Exception as e:  # noqa: BLE001 - closed at exit: the next start opens without the cap
                log.info("disk-full lift failed: %s", e)

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001, S110 - cancelled on the way out
                pass


def _cap_pages(journal, pages: int | None) -> int:
    """On the journal's writer thread: cap the file at `pages` (None: at its current size, i.e. disk full).

    A chaos-only reach into the journal's connection: SQLite then fails any write that needs a new page with
    SQLITE_FULL, which the journal reports as JournalDiskFull — the same path as a real full disk."""
    conn = journal._conn  # test tool; Journal.open(max_page_count=…) only sets it at open
    if pages is None:
        pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    return int(conn.execute(f"PRAGMA max_page_count = {int(pages)}").fetchone()[0])


def make_settings(args: argparse.Namespace) -> Settings:
    common = {"poll_interval_ms": args.poll_ms, "card_wait_timeout_s": args.card_wait_timeout}
    if args.provider == "mercadopago":
        return Settings(provider="mercadopago", mp_api_base=args.api_base, default_reader=args.reader or MP_TERMINAL,
                        **common)
    return Settings(provider="stripe", api_base=args.api_base, default_reader=args.reader or "", **common)


def open_journal(args: argparse.Namespace) -> JournalWriter:
    skew = float(args.clock_skew)
    clock = (lambda: time.time() + skew) if skew else time.time
    return JournalWriter.open(Path(args.workdir) / "journal.sqlite3", clock=clock)


class Recovery:
    """The window's start-up recovery and its Retry button, pressed as a cashier would."""

    def __init__(self, services: Services, progress: ProgressWriter):
        self.c = services.controller
        self.progress = progress
        self.failed = False  # the last recover() raised
        self.unresolved = 0  # the last report's payments still needing attention (the banner shows Retry)

    async def run(self, *, retry: bool = False) -> None:
        self.progress.write("recovering", retry=retry)
        try:
            report = await self.c.recover()
        except KioskError as e:
            self.failed = True
            log.warning("recovery raised %s: %s", e.code, e.detail)
            self.progress.write("recovered", failed=True, error=e.code, unresolved=0, actions={}, results=[])
            return
        if report is None:  # nothing to do, or it could not run (then the app keeps Charge off and says why)
            error = getattr(self.c, "recovery_error", None)
            self.failed = bool(getattr(self.c, "recovery_needed", False))
            self.progress.write("recovered", failed=self.failed, error=getattr(error, "code", None), unresolved=0,
                                actions={}, results=[])
            return
        self.failed = False
        self.unresolved = len(report.needs_attention)
        self.progress.write("recovered", summary=report.summary(), unresolved=self.unresolved,
                            actions={a.value: n for a, n in report.counts().items()},
                            results=[[r.attempt_id, r.payment_id, r.final_state.value] for r in report.results])
        on_terminal = [r for r in report.needs_attention if "on the terminal" in r.message and r.reader_id]
        if on_terminal and not retry:
            # The banner says "cancel it on the terminal, then retry" (Mercado Pago: only the device can stop an
            # order it already has): the cashier does exactly that.
            for r in on_terminal:
                await self.cancel_on_device(r.reader_id)
            await self.run(retry=True)

    async def cancel_on_device(self, reader_id: str) -> None:
        press = getattr(self.c.provider, "cancel_on_device", None)
        if press is None:
            return
        try:
            await self.c.runner.run(press, reader_id)
        except KioskError as e:
            log.info("cancel on the terminal (after recovery) refused: %s", e.code)

    async def before_session(self, cashier: Cashier) -> None:
        """The banner lists payments still needing attention, with Retry: the cashier presses it. (If recovery
        itself failed, Retry is pressed only when Charge refuses to start: see Cashier.charge.)"""
        if self.unresolved:
            await asyncio.sleep(cashier.rng.uniform(0.1, 0.5))
            await self.run(retry=True)


async def run(args: argparse.Namespace, progress: ProgressWriter) -> int:
    settings = make_settings(args)
    # A short provider deadline: a dripping answer costs seconds, not 8-20 s, and still ends on the same path.
    services = build_services(settings, api_base=args.api_base, use_journal=False,
                              provider_deadline=args.deadline if args.deadline > 0 else None)
    try:
        journal = open_journal(args)
    except JournalError as e:
        await services.aclose()
        log.warning("journal unavailable at start: %s (%s)", e.code, e.detail)
        progress.write("journal_unavailable", error=e.code)
        return EXIT_NO_JOURNAL
    services.journal = journal  # the same wiring as build_services, with the chaos clock on the journal
    services.controller.journal = journal
    rng = random.Random(f"{args.seed}:run{args.run}:journal")
    faults = JournalFaults(journal, rng, args.disk_full, progress)
    session = {"n": None}

    def on_state(attempt) -> None:
        progress.write("state", session=session["n"], attempt=attempt.id, payment=attempt.payment_id,
                       state=attempt.state.value)

    try:
        c = services.controller
        c.idle_poll_interval = 0.5
        c.settle_timeout = 10.0
        c.state_changed.subscribe(on_state)
        recovery = Recovery(services, progress)
        if args.sessions <= 0:
            await recovery.run()
            return 0
        c.start()
        await recovery.run()  # the window runs it first; Charge waits for it
        try:
            await c.refresh_readers()
        except KioskError as e:  # the window shows the error and carries on; ensure_reader() tries again
            log.info("loading readers failed: %s", e.code)
        cashier = Cashier(services, float(args.card_wait_timeout), args.reader)
        cashier.recovery = recovery
        names, weights = list(SCENARIOS), list(SCENARIOS.values())
        for number in range(args.first, args.first + args.sessions * args.stride, args.stride):
            rng = random.Random(f"{args.seed}:{number}")
            name = rng.choices(names, weights)[0]
            session["n"] = number
            progress.write("start", session=number, scenario=name)
            cashier.rng = rng
            await recovery.before_session(cashier)
            faults.maybe_fill()
            try:
                await asyncio.wait_for(cashier.play(name, rng), timeout=60)
            except TimeoutError:
                log.error("session %d (%s) did not finish its script", number, name)
            settled = await cashier.settle()
            attempt = c.attempt
            progress.write("end", session=number, scenario=name, state=attempt.state.value if attempt else "none",
                           attempt=attempt.id if attempt else None, message=attempt.message if attempt else "")
            if not settled:
                progress.write("stuck", session=number, state=attempt.state.value if attempt else "none")
                return EXIT_STUCK
        return 0
    finally:
        await faults.aclose()
        await services.aclose()


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m kiosk.chaos.worker", description=__doc__.splitlines()[0])
    ap.add_argument("--api-base", required=True, help="the emulator's URL (http://127.0.0.1:PORT)")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--provider", choices=("stripe", "mercadopago"), default="stripe")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--run", type=int, default=0, help="number of this app run (seeds the in-process faults)")
    ap.add_argument("--first", type=int, default=0, help="number of the first session to play")
    ap.add_argument("--sessions", type=int, default=0, help="sessions to play (0: recovery only)")
    ap.add_argument("--stride", type=int, default=1, help="session numbers go first, first+stride, … (lanes)")
    ap.add_argument("--reader", default="", help="the reader / terminal this till sells on (default: the first)")
    ap.add_argument("--card-wait-timeout", type=int, default=2, help="seconds before an unanswered reader is cancelled")
    ap.add_argument("--poll-ms", type=int, default=25)
    ap.add_argument("--deadline", type=float, default=0.0,
                    help="the provider's overall deadline per request in seconds (0: the app's own, 8 s reads / 20 s "
                         "mutations)")
    ap.add_argument("--clock-skew", type=float, default=0.0, help="seconds the journal's clock is fast (< 0: slow)")
    ap.add_argument("--disk-full", type=float, default=0.0, help="probability per session of a disk-full window")
    args = ap.parse_args(argv)
    if not args.api_base.startswith(("http://127.0.0.1:", "http://localhost:")):
        ap.error("the chaos worker only talks to a local emulator (http://127.0.0.1:PORT)")
    if args.provider == "stripe" and not (os.environ.get("KIOSK_STRIPE_API_KEY") or "").startswith("sk_test_"):
        ap.error("set KIOSK_STRIPE_API_KEY to a fake sk_test_… key")
    if args.provider == "mercadopago" and not (os.environ.get("KIOSK_MP_ACCESS_TOKEN") or "").startswith("TEST-"):
        ap.error("set KIOSK_MP_ACCESS_TOKEN to a fake TEST-… token")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    workdir = Path(args.workdir)
    logging.basicConfig(level=logging.WARNING, filename=str(workdir / "worker.log"),
                        format=f"%(asctime)s [{os.getpid()}] %(name)s %(levelname)s %(message)s")
    logging.getLogger("kiosk.chaos").setLevel(logging.INFO)
    progress = ProgressWriter(workdir / "progress.jsonl")
    try:
        return asyncio.run(run(args, progress))
    except KioskError as e:
        log.error("worker set-up failed: %s (%s)", e.cashier_message, e.detail)
        print(f"kiosk-chaos worker: {e.cashier_message}", file=sys.stderr)
        return 2
    finally:
        progress.close()


if __name__ == "__main__":
    sys.exit(main())
