"""The chaos checks themselves, on made-up records: a wedged sale and an authorisation left standing are seen
while the app runs (and only then), Mercado Pago orders are audited like PaymentIntents, and the harness's journal
lock really keeps the app from writing. Fast: no emulator, no worker."""
from __future__ import annotations

import sqlite3
from types import SimpleNamespace

from kiosk.chaos.harness import JournalLock, default_faults
from kiosk.chaos.ledger import classify_orders, mp_minor
from kiosk.chaos.watch import Watch
from kiosk.domain.payment import PaymentState


def state(attempt: str, value: str, pid: int = 10, payment: str | None = "pi_1") -> dict:
    return {"event": "state", "pid": pid, "session": 1, "attempt": attempt, "payment": payment, "state": value}


def stripe_ledger(*pis: tuple[str, str, str]) -> dict:
    return {"stripe": {"payment_intents": [{"id": i, "status": s, "metadata": {"kiosk_attempt": a}} for i, s, a in pis]},
            "mercadopago": {"orders": []}}


def test_a_sale_with_no_new_state_for_the_bound_is_wedged_once_and_only_while_its_app_runs():
    w = Watch("stripe", wedge_after=60)
    w.app_started(10)
    w.on_event(state("a1", "sending"), now=0)
    w.on_event(state("a2", "waiting_for_card", payment="pi_2"), now=0)
    w.on_event(state("a2", "needs_attention", payment="pi_2"), now=1)  # a person was asked: not wedged
    assert w.check_wedged(now=59) == []
    found = w.check_wedged(now=61)
    assert len(found) == 1 and found[0].startswith("a1") and "sending" in found[0]
    assert w.check_wedged(now=200) == [], "reported once"
    w2 = Watch("stripe", wedge_after=60)
    w2.app_started(10)
    w2.on_event(state("b1", "cancelling"), now=0)
    w2.app_stopped()  # killed: its recovery will settle the sale, nothing is wedged
    w2.app_started(11)
    assert w2.check_wedged(now=500) == []


def test_an_authorisation_counts_only_while_the_app_runs_and_is_not_recovering():
    w = Watch("stripe", hold_bound=30)
    held = stripe_ledger(("pi_1", "requires_capture", "a1"))
    w.app_started(10)
    w.on_event({"event": "recovering", "pid": 10}, now=0)
    assert w.sample(held, now=0) == []
    assert w.sample(held, now=40) == [], "recovery is settling it: not counted"
    w.on_event({"event": "recovered", "pid": 10, "results": []}, now=40)
    assert w.sample(held, now=69) == []
    found = w.sample(held, now=71)
    assert len(found) == 1 and found[0].startswith("pi_1")
    # captured / voided in time: no anomaly; an app that dies resets the clock
    w = Watch("stripe", hold_bound=30)
    w.app_started(10)
    w.on_event({"event": "recovered", "pid": 10, "results": []}, now=0)
    assert w.sample(held, now=1) == [] and w.sample(stripe_ledger(("pi_1", "succeeded", "a1")), now=20) == []
    assert w.sample(held, now=21) == []
    w.app_stopped()
    assert w.sample(held, now=100) == []


def test_mercado_pago_money_taken_on_a_sale_the_app_did_not_call_paid_is_standing():
    w = Watch("mercadopago", hold_bound=30)
    w.app_started(10)
    w.on_event({"event": "recovered", "pid": 10, "results": [["a0", "ORD0", "paid"]]}, now=0)
    w.on_event(state("a1", "cancelled", payment="ORD1"), now=0)
    orders = [{"id": "ORD0", "status": "processed", "external_reference": "a0", "paid_amount": "10.00",
               "refunded_minor": 0},
              {"id": "ORD1", "status": "processed", "external_reference": "a1", "paid_amount": "5.50",
               "refunded_minor": 0},
              {"id": "ORD2", "status": "refunded", "external_reference": "a2", "paid_amount": "5.50",
               "refunded_minor": 550}]
    ledger = {"stripe": {"payment_intents": []}, "mercadopago": {"orders": orders}}
    assert w.standing(ledger) == {"ORD1": "a1"}
    w.sample(ledger, now=1)
    assert [t.split()[0] for t in w.sample(ledger, now=32)] == ["ORD1"]


def test_orders_are_audited_like_payment_intents():
    A = SimpleNamespace
    attempts = [A(id="paid1", state=PaymentState.PAID, payment_id="ORDP"),
                A(id="canc1", state=PaymentState.CANCELLED, payment_id="ORDC"),
                A(id="open1", state=PaymentState.NEEDS_ATTENTION, payment_id="ORDW")]
    orders = [
        {"id": "ORDP", "status": "processed", "external_reference": "paid1", "terminal_id": "T", "paid_amount": "3.00",
         "refunded_minor": 0},
        {"id": "ORDC", "status": "processed", "external_reference": "canc1", "terminal_id": "T", "paid_amount": "3.00",
         "refunded_minor": 100},  # partly refunded: money still taken on a cancelled sale
        {"id": "ORDX", "status": "processed", "external_reference": "paid1", "terminal_id": "T", "paid_amount": "3.00",
         "refunded_minor": 0},  # a second charge for the paid sale
        {"id": "ORDW", "status": "at_terminal", "external_reference": "open1", "terminal_id": "T", "paid_amount": None,
         "refunded_minor": 0},
    ]
    out = classify_orders(orders, attempts)
    assert out.anomalies["charged_but_cancelled"] == ["ORDC (attempt canc1 cancelled)"]
    assert out.anomalies["paid_missing_from_journal"] == ["ORDX"]
    assert out.anomalies["reader_left_busy"] == ["T (ORDW at_terminal)"]
    assert out.anomalies["authorised_orphaned"] == [] and out.noun == "orders"
    assert out.unfinished == ["open1"] and out.money_taken == 300
    assert (mp_minor("12.3"), mp_minor("1234"), mp_minor(None)) == (1230, 123400, 0)


def test_the_harness_journal_lock_keeps_another_connection_from_writing(tmp_path):
    path = tmp_path / "journal.sqlite3"
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t(x)")
    lock = JournalLock(path)
    assert lock.take(60)
    conn.execute("PRAGMA busy_timeout=50")
    try:
        conn.execute("INSERT INTO t VALUES (1)")
        raise AssertionError("the write went through a held lock")
    except sqlite3.OperationalError as e:
        assert "locked" in str(e)
    lock.poll(lock.release_at + 1)
    assert lock.conn is None
    conn.execute("INSERT INTO t VALUES (1)")
    conn.close()


def test_default_faults_add_mercado_pagos_own_and_only_wire_faults_the_emulator_knows(monkeypatch):
    import kiosk.chaos.harness as h

    monkeypatch.setattr(h, "emulator_fault_kinds", lambda: ("error500", "nonutf8"))
    assert "nonutf8=" in default_faults("stripe") and "drip=" not in default_faults("stripe")
    assert "garbage=" in default_faults("mercadopago") and "garbage=" not in default_faults("stripe")


def lanes_harness(tmp_path, provider: str, lanes: int):
    from kiosk.chaos.harness import Harness, _args

    args = _args(["--sessions", "10", "--lanes", str(lanes), "--provider", provider, "--workdir", str(tmp_path)])
    h = Harness(args, tmp_path)
    h.make_lanes({"stripe": [f"tmr_{k}" for k in range(lanes)], "mercadopago": [f"T{k}" for k in range(lanes)]})
    return h


def test_lanes_split_the_sessions_and_each_sees_only_its_own_and_unclaimed_payments(tmp_path):
    h = lanes_harness(tmp_path, "stripe", 3)
    assert [lane.workdir for lane in h.lanes] == [tmp_path, tmp_path / "lane1", tmp_path / "lane2"]
    assert [lane.reader for lane in h.lanes] == ["tmr_0", "tmr_1", "tmr_2"]
    assert [lane.next_sessions(10, 3) for lane in h.lanes] == [(0, 4), (1, 3), (2, 3)]
    h.lanes[1].started.update({1, 4})  # lane 1 played 1 and 4 (say 4 was killed): it goes on at 7
    assert h.lanes[1].next_sessions(10, 3) == (7, 1)
    h.lanes[0].watch.on_event(state("a0", "waiting_for_card", payment="pi_0"), now=0)
    h.lanes[1].watch.on_event(state("a1", "waiting_for_card", payment="pi_1"), now=0)
    ledger = stripe_ledger(("pi_0", "requires_capture", "a0"), ("pi_1", "requires_capture", "a1"),
                           ("pi_x", "requires_capture", "ax"))  # ax: reported by no lane (yet)
    seen = [sorted(h.lanes[k].watch.standing(h.lane_view(ledger, h.lanes[k]))) for k in range(3)]
    assert seen == [["pi_0", "pi_x"], ["pi_1", "pi_x"], ["pi_x"]]
    one = lanes_harness(tmp_path / "one", "stripe", 1)
    assert one.lane_view(ledger, one.lanes[0]) is ledger and one.lanes[0].workdir == tmp_path / "one"


def test_the_per_second_sample_holds_only_what_can_hold_money():
    from kiosk.chaos.simhost import snapshot
    from kiosk.sim import Emulator

    emu = Emulator(seed=1)
    st = emu.stripe
    st.payment_intents["pi_a"] = {"id": "pi_a", "status": "requires_capture", "metadata": {"kiosk_attempt": "a"}}
    st.payment_intents["pi_b"] = {"id": "pi_b", "status": "canceled", "metadata": {"kiosk_attempt": "b"}}
    full, small = snapshot(emu), snapshot(emu, holding=True)
    assert {pi["id"] for pi in full["stripe"]["payment_intents"]} == {"pi_a", "pi_b"}
    assert [pi["id"] for pi in small["stripe"]["payment_intents"]] == ["pi_a"]
    assert small["stripe"]["readers"] == [] and full["stripe"]["readers"]
