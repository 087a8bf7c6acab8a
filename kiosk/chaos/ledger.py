"""The audit: every sale in the journal against the emulator's own ledger.

Stripe: the emulator's Stripe API, all pages (PaymentIntents, refunds, readers). Mercado Pago has no "list
orders" endpoint: its orders come from the chaos emulator's ledger window (simhost.py), read after a tick.

Anomalies (each is money that went wrong; the harness fails if any is found):
- charged_but_cancelled: a PaymentIntent with net money taken (received − succeeded refunds > 0) whose attempt
  (metadata `kiosk_attempt`) is in the journal but is not PAID.
- authorised_orphaned: a PaymentIntent left `requires_capture` (a hold on the customer's card nobody settles).
- paid_missing_from_journal: net money taken but no PAID attempt in the journal with that payment id.
- reader_left_busy: a reader whose payment action is still `in_progress` at the end (Mercado Pago: an order
  still `created`/`at_terminal`, i.e. the terminal still asks for a card).
- wedged_sale, authorised_while_running: found by the harness while the app runs (see harness.Watch).
The first and third are disjoint: a PI with money taken is counted once, in the first if its attempt is known.
Mercado Pago orders: "money taken" is paid_amount − refunded amount of a processed (or refunded) order; there is
no hold (Point captures on approval), so authorised_orphaned never applies to them.

Also reported, not counted as anomalies (no customer's money involved): PAID attempts whose PaymentIntent holds no
money (paid_not_charged), and attempts left unfinished (needs_attention) after the final recovery.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from kiosk.domain.payment import PaymentState
from kiosk.journal import Journal

MAX_PAGES = 1000  # 100 000 objects: far beyond any chaos run; stops a server that always says has_more
ANOMALY_KINDS = ("charged_but_cancelled", "authorised_orphaned", "paid_missing_from_journal", "reader_left_busy",
                 "wedged_sale", "authorised_while_running")


@dataclass
class Audit:
    anomalies: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in ANOMALY_KINDS})
    paid_not_charged: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    payment_intents: int = 0  # PaymentIntents (Stripe) or orders (Mercado Pago)
    noun: str = "payment intents"
    pi_statuses: Counter = field(default_factory=Counter)
    attempt_states: Counter = field(default_factory=Counter)
    refunds: int = 0
    money_taken: int = 0  # net minor units kept by PAID sales

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.anomalies.values())


def fetch_all(session: requests.Session, base: str, path: str, params: dict | None = None) -> list[dict]:
    items: list[dict] = []
    after = None
    for _ in range(MAX_PAGES):
        query = {"limit": 100, **(params or {})}
        if after:
            query["starting_after"] = after
        resp = session.get(f"{base}{path}", params=query, timeout=30)
        resp.raise_for_status()
        page = resp.json()
        data = page.get("data") or []
        items.extend(data)
        if not page.get("has_more") or not data:
            break
        after = data[-1]["id"]
    return items


def audit(api_base: str, api_key: str, journal_path: Path | list[Path]) -> Audit:
    """Read the ledger (after faults were cleared) and the journal; classify every payment."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {api_key}"
        intents = fetch_all(session, api_base, "/v1/payment_intents")
        refunds = fetch_all(session, api_base, "/v1/refunds")
        readers = fetch_all(session, api_base, "/v1/terminal/readers")
    return classify(intents, refunds, readers, journal_attempts(journal_path))


def journal_attempts(journal_paths: Path | list[Path]) -> list:
    """Every attempt of one journal, or of several (one per till when the harness runs lanes side by side)."""
    paths = [journal_paths] if isinstance(journal_paths, Path) else list(journal_paths)
    attempts: list = []
    for path in paths:
        with Journal.open(path) as journal:
            attempts.extend(journal.recent_attempts(limit=10**9))
    return attempts


def _journal_side(out: Audit, attempts: list) -> tuple[dict, dict]:
    """What both audits need from the journal: attempts by id, paid attempts by payment id; also fills `out`'s
    attempt counts and unfinished list."""
    out.attempt_states = Counter(a.state.value for a in attempts)
    out.unfinished = [a.id for a in attempts if not a.state.is_final]
    by_id = {a.id: a for a in attempts}
    paid_by_payment = {a.payment_id: a for a in attempts if a.state is PaymentState.PAID and a.payment_id}
    return by_id, paid_by_payment


def classify(intents: list[dict], refunds: list[dict], readers: list[dict], attempts: list) -> Audit:
    out = Audit(payment_intents=len(intents), refunds=len(refunds))
    refunded: Counter = Counter()
    for r in refunds:
        if r.get("status") == "succeeded":
            refunded[r.get("payment_intent")] += int(r.get("amount") or 0)
    by_id, paid_by_payment = _journal_side(out, attempts)
    net_by_pi: dict[str, int] = {}
    for pi in intents:
        out.pi_statuses[pi["status"]] += 1
        net = int(pi.get("amount_received") or 0) - refunded[pi["id"]]
        net_by_pi[pi["id"]] = net
        if pi["status"] == "requires_capture":
            out.anomalies["authorised_orphaned"].append(pi["id"])
        if net <= 0:
            continue
        ref = (pi.get("metadata") or {}).get("kiosk_attempt")
        attempt = by_id.get(ref)
        if pi["id"] in paid_by_payment and (attempt is None or attempt is paid_by_payment[pi["id"]]):
            out.money_taken += net
        elif attempt is not None and attempt.state is not PaymentState.PAID:
            out.anomalies["charged_but_cancelled"].append(f"{pi['id']} (attempt {attempt.id[:12]} {attempt.state.value})")
        else:
            out.anomalies["paid_missing_from_journal"].append(pi["id"])
    for payment_id, attempt in paid_by_payment.items():
        if net_by_pi.get(payment_id, 0) <= 0:
            out.paid_not_charged.append(f"{attempt.id[:12]} ({payment_id})")
    for reader in readers:
        action: Any = reader.get("action")
        if action and action.get("status") == "in_progress" and action.get("type") != "set_reader_display":
            out.anomalies["reader_left_busy"].append(reader["id"])
    return out


def mp_minor(amount) -> int:
    """An MP amount string ("12.34", or "1234" for CLP) in hundredths of the major unit."""
    if not amount:
        return 0
    whole, _, frac = str(amount).partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def fetch_ledger(ledger_url: str, *, tick: bool = False, holding: bool = False) -> dict:
    """The chaos emulator's ledger window (simhost.py): no faults, not counted as requests. holding=True: only the
    payments that hold a customer's money (what the per-second samples need)."""
    query = "&".join(q for q, on in (("tick=1", tick), ("holding=1", holding)) if on)
    resp = requests.get(f"{ledger_url}/ledger" + (f"?{query}" if query else ""), timeout=10)
    resp.raise_for_status()
    return resp.json()


def audit_mercadopago(ledger_url: str, journal_path: Path | list[Path]) -> Audit:
    orders = fetch_ledger(ledger_url, tick=True)["mercadopago"]["orders"]
    return classify_orders(orders, journal_attempts(journal_path))


def classify_orders(orders: list[dict], attempts: list) -> Audit:
    out = Audit(payment_intents=len(orders), noun="orders")
    by_id, paid_by_payment = _journal_side(out, attempts)
    net_by_order: dict[str, int] = {}
    for order in orders:
        out.pi_statuses[order["status"]] += 1
        out.refunds += 1 if order.get("refunded_minor") else 0
        net = mp_minor(order.get("paid_amount")) - int(order.get("refunded_minor") or 0)
        net_by_order[order["id"]] = net
        if order["status"] in ("created", "at_terminal"):
            out.anomalies["reader_left_busy"].append(f"{order['terminal_id']} ({order['id']} {order['status']})")
        if net <= 0:
            continue
        attempt = by_id.get(order.get("external_reference"))
        if order["id"] in paid_by_payment and (attempt is None or attempt is paid_by_payment[order["id"]]):
            out.money_taken += net
        elif attempt is not None and attempt.state is not PaymentState.PAID:
            out.anomalies["charged_but_cancelled"].append(
                f"{order['id']} (attempt {attempt.id[:12]} {attempt.state.value})")
        else:
            out.anomalies["paid_missing_from_journal"].append(order["id"])
    for payment_id, attempt in paid_by_payment.items():
        if net_by_order.get(payment_id, 0) <= 0:
            out.paid_not_charged.append(f"{attempt.id[:12]} ({payment_id})")
    return out
