"""The chaos "app": the real services (provider "stripe" at the emulator's URL, journal in the workdir), no Qt.

    python -m kiosk.chaos.worker --api-base URL --workdir DIR --seed S --first I --sessions K

The key comes from KIOSK_STRIPE_API_KEY (a fake sk_test_… set by the harness). It FIRST runs `reconcile` (as the
window does before enabling Charge), then plays K randomized cashier sessions numbered I, I+1, … on a plain asyncio
loop: add items, charge, wait a random moment, then tap an approved or a declined card, cancel (also while sending),
change the cart and charge again, let the card-wait timeout fire, take the reader offline and back… Progress goes
to DIR/progress.jsonl so the harness knows which session is running when it kills us.

Exit status: 0 all sessions played; 3 a payment stayed unfinished after the cashier's retries (the harness restarts
the app so recovery can settle it, as a shop would); 2 bad usage or set-up failure.
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
from kiosk.services.catalog import demo_products
from kiosk.services.context import Services, build_services
from kiosk.services.recovery import reconcile
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


class Cashier:
    """Plays one cashier (and the customer) against the controller, like the window would."""

    def __init__(self, services: Services, card_wait_timeout: float):
        self.s = services
        self.c = services.controller
        self.provider = services.provider
        self.wait_limit = card_wait_timeout  # the app's card-wait timeout, in seconds
        self.products = demo_products(self.c.cart.currency)

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
        try:
            await self.c.charge()
        except KioskError as e:
            log.info("charge refused: %s", e.code)
            return False
        return self.c.attempt is not None

    async def cancel(self) -> None:
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
        """Wait for a final state; on NEEDS_ATTENTION press what the message suggests (a few times)."""
        presses = 0
        deadline = time.monotonic() + self.wait_limit + 30
        while time.monotonic() < deadline:
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
            await asyncio.sleep(0.02)
        return False

    # --- scenarios -------------------------------------------------------------------------------------
    async def play(self, name: str, rng: random.Random) -> None:
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
        await asyncio.sleep(rng.uniform(0, 0.03))
        await self.cancel()
        await charging

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
            await self.wait(lambda: self.c.state.is_final, self.wait_limit + 10)

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


async def run(args: argparse.Namespace, progress: ProgressWriter) -> int:
    settings = Settings(provider="stripe", api_base=args.api_base, poll_interval_ms=args.poll_ms,
                        card_wait_timeout_s=args.card_wait_timeout)
    services = build_services(settings, api_base=args.api_base, journal_path=Path(args.workdir) / "journal.sqlite3")
    try:
        services.controller.idle_poll_interval = 0.5
        services.controller.settle_timeout = 10.0
        progress.write("recovering")
        report = await services.runner.run(reconcile, services.provider, services.journal,
                                           settle_timeout=5.0, poll_interval=0.05)
        progress.write("recovered", summary=report.summary(), results=len(report.results),
                       unresolved=len(report.needs_attention),
                       actions={a.value: n for a, n in report.counts().items()})
        if args.sessions <= 0:
            return 0
        services.controller.start()
        await services.controller.refresh_readers()
        cashier = Cashier(services, float(args.card_wait_timeout))
        names, weights = list(SCENARIOS), list(SCENARIOS.values())
        for number in range(args.first, args.first + args.sessions):
            rng = random.Random(f"{args.seed}:{number}")
            name = rng.choices(names, weights)[0]
            progress.write("start", session=number, scenario=name)
            try:
                await asyncio.wait_for(cashier.play(name, rng), timeout=60)
            except TimeoutError:
                log.error("session %d (%s) did not finish its script", number, name)
            settled = await cashier.settle()
            attempt = services.controller.attempt
            progress.write("end", session=number, scenario=name, state=attempt.state.value if attempt else "none",
                           attempt=attempt.id if attempt else None, message=attempt.message if attempt else "")
            if not settled:
                progress.write("stuck", session=number, state=attempt.state.value if attempt else "none")
                return EXIT_STUCK
        return 0
    finally:
        await services.aclose()


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m kiosk.chaos.worker", description=__doc__.splitlines()[0])
    ap.add_argument("--api-base", required=True, help="the emulator's URL (http://127.0.0.1:PORT)")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--first", type=int, default=0, help="number of the first session to play")
    ap.add_argument("--sessions", type=int, default=0, help="sessions to play (0: recovery only)")
    ap.add_argument("--card-wait-timeout", type=int, default=2, help="seconds before an unanswered reader is cancelled")
    ap.add_argument("--poll-ms", type=int, default=25)
    args = ap.parse_args(argv)
    if not args.api_base.startswith(("http://127.0.0.1:", "http://localhost:")):
        ap.error("the chaos worker only talks to a local emulator (http://127.0.0.1:PORT)")
    if not (os.environ.get("KIOSK_STRIPE_API_KEY") or "").startswith("sk_test_"):
        ap.error("set KIOSK_STRIPE_API_KEY to a fake sk_test_… key")
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
