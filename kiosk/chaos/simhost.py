"""The chaos run's emulator process: `kiosk.sim.Emulator` plus a read-only ledger window for the harness.

    python -m kiosk.chaos.simhost --seed S --faults SPEC [--mp-pickup-after S] [--lanes L]

Prints three lines, then serves until SIGTERM/SIGINT:
    kiosk-sim listening on http://127.0.0.1:PORT      (the emulator, exactly as `python -m kiosk.sim`)
    chaos-ledger on http://127.0.0.1:PORT2            (GET /ledger → JSON snapshot, see `snapshot`)
    chaos-readers STRIPE_ID,… MP_ID,…                 (one Stripe reader and one Mercado Pago PDV terminal per lane)

With --lanes L > 1 the emulator gets L-1 more Stripe readers and PDV terminals, so L tills (the harness's lanes)
can sell side by side, each on its own reader, as the tills of one shop do.

Why not plain `python -m kiosk.sim`: the harness samples the ledger every second while the app runs (to see an
authorisation left standing). Reading it through the provider APIs would go through the fault injector — the
samples would be refused, dropped or delayed at random, would be counted as injected faults and would draw from
the seeded fault RNG, so the sampling itself would change which requests of the app fail. Mercado Pago has no
"list orders" endpoint either. This side channel reads the emulator's state under its lock, with no faults and no
request counting. Loopback only; the emulator process stays a child the harness can kill.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kiosk.sim import Emulator
from kiosk.sim.faults import FaultSpecError


def snapshot(emu: Emulator, *, tick: bool = False, holding: bool = False) -> dict[str, Any]:
    """What the emulator holds now: Stripe PaymentIntents, refunds, readers; Mercado Pago orders.

    tick=True first brings Mercado Pago orders up to emulator time (as any MP request would); the periodic
    samples don't, so sampling never moves an order along by itself. holding=True (the per-second samples): only
    what can hold a customer's money — PaymentIntents `requires_capture`, orders with money taken and not all
    refunded — and no refunds/readers/history, so a sample stays small however long the run (the full ledger
    grows by ~1 KB a sale and was serialised under the emulator's lock every second)."""
    with emu.lock:
        if tick:
            emu.mp.tick()
        st = emu.stripe
        intents = [{k: pi.get(k) for k in ("id", "status", "amount", "amount_received", "amount_capturable",
                                           "metadata", "created")} for pi in st.payment_intents.values()
                   if not holding or pi.get("status") == "requires_capture"]
        refunds = [] if holding else [{k: r.get(k) for k in ("id", "payment_intent", "amount", "status")}
                                      for r in st.refunds.values()]
        readers = [] if holding else [{"id": r.get("id"), "action": r.get("action"), "status": r.get("status")}
                                      for r in st.readers.values()]
        orders = [{"id": o.id, "status": o.status, "external_reference": o.external_reference,
                   "terminal_id": o.terminal_id, "amount": o.amount, "paid_amount": o.paid_amount,
                   "refunded_minor": o.refunded_minor, "history": [] if holding else list(o.history)}
                  for o in emu.mp.orders.values() if not holding or _holds_money(o)]
        return {"now": emu.now(), "requests": emu.request_count,
                "stripe": {"payment_intents": intents, "refunds": refunds, "readers": readers},
                "mercadopago": {"orders": orders}}


MP_PDV = "NEWLAND_N950__N950NCB801293324"  # the emulator's own PDV terminal: lane 0's


def add_lanes(emu: Emulator, lanes: int) -> tuple[list[str], list[str]]:
    """One Stripe reader and one Mercado Pago PDV terminal per lane (lane 0: the emulator's defaults)."""
    from kiosk.sim.mercadopago_api import Terminal

    stripe_readers = [emu.stripe.default_reader_id]
    mp_terminals = [MP_PDV]
    with emu.lock:
        for i in range(1, lanes):
            stripe_readers.append(emu.stripe._new_reader("simulated_wisepos_e", f"Till {i + 1}",
                                                         emu.stripe.default_location_id, {}))
            tid = f"NEWLAND_N950__CHAOSLANE{i:04d}"
            emu.mp.terminals[tid] = Terminal(tid, 23545700 + i, "12354567", f"SUC01{i:02d}CHAOS", "PDV")
            mp_terminals.append(tid)
    return stripe_readers, mp_terminals


def _holds_money(order) -> bool:
    """A Mercado Pago order with money taken and not all refunded (what Watch.standing looks for)."""
    from .ledger import mp_minor

    return mp_minor(order.paid_amount) - int(order.refunded_minor or 0) > 0


def serve_ledger(emu: Emulator) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/ledger":
                self.send_error(404)
                return
            body = json.dumps(snapshot(emu, tick="tick=1" in self.path, holding="holding=1" in self.path),
                              default=str).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="chaos-ledger",
                     daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m kiosk.chaos.simhost", description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--faults", default="")
    ap.add_argument("--mp-pickup-after", type=float, default=3.0)
    ap.add_argument("--lanes", type=int, default=1, help="readers/terminals to offer, one per till")
    args = ap.parse_args(argv)
    try:
        emu = Emulator(seed=args.seed, faults=args.faults or None, mp_pickup_after=args.mp_pickup_after)
    except FaultSpecError as e:
        print(f"kiosk-sim: bad --faults spec: {e}", file=sys.stderr)
        return 2
    emu.start(port=0)
    stripe_readers, mp_terminals = add_lanes(emu, max(1, args.lanes))
    ledger = serve_ledger(emu)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"kiosk-sim listening on {emu.url}", flush=True)
    print(f"chaos-ledger on http://127.0.0.1:{ledger.server_address[1]}", flush=True)
    print(f"chaos-readers {','.join(stripe_readers)} {','.join(mp_terminals)}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        ledger.shutdown()
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
