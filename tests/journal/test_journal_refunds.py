"""Journal v3: refund rows — written before the provider call, settled after, listed by sale and by day."""
from __future__ import annotations

import sqlite3

import pytest

from kiosk.domain.errors import InvalidInput
from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt, PaymentState
from kiosk.journal import Journal, JournalConflict, JournalWriter, UnknownJournalRecord


def paid_attempt(j: Journal, minor: int = 2490) -> PaymentAttempt:
    a = PaymentAttempt(Money(minor, "USD"), "tmr_FAKE123", "stripe", state=PaymentState.PAID, payment_id="pi_1")
    j.record_attempt(a)
    return a


def test_refund_round_trip_and_filters(tmp_path):
    now = [1000.0]
    path = tmp_path / "j.sqlite3"
    with Journal.open(path, clock=lambda: now[0]) as j:
        a, b = paid_attempt(j), paid_attempt(j, 990)
        r1 = j.record_refund("r1", a.id, 500, "USD", "damaged")
        assert (r1.state, r1.amount, r1.provider_refund_id, r1.reason) == ("pending", Money(500, "USD"), None, "damaged")
        now[0] = 2000.0
        j.record_refund("r2", b.id, 990, "USD", "wrong item")
        done = j.update_refund("r1", "succeeded", "Refunded", "re_123")
        assert (done.state, done.provider_refund_id, done.updated_at) == ("succeeded", "re_123", 2000.0)
        # a later update without the provider id keeps it (the handle on the money is never lost)
        assert j.update_refund("r1", "succeeded", "again").provider_refund_id == "re_123"
        assert [r.id for r in j.refunds()] == ["r1", "r2"]
        assert [r.id for r in j.refunds(attempt_id=a.id)] == ["r1"]
        assert [r.id for r in j.refunds(since=1500.0)] == ["r2"]
        assert [r.id for r in j.refunds(until=1500.0)] == ["r1"]
        assert [r.id for r in j.open_refunds()] == ["r2"]
    with Journal.open(path) as j:  # on disk
        assert j.refund("r1").message == "again"


def test_refund_guards(tmp_path):
    with Journal.open(tmp_path / "j.sqlite3") as j:
        a = paid_attempt(j)
        j.record_refund("r1", a.id, 100, "USD", "x")
        with pytest.raises(JournalConflict):
            j.record_refund("r1", a.id, 100, "USD", "x")
        with pytest.raises(JournalConflict):  # no refund of a sale the journal does not know
            j.record_refund("r2", "nope", 100, "USD", "x")
        for bad in (0, -5, 1.5, True):
            with pytest.raises(InvalidInput):
                j.record_refund("r3", a.id, bad, "USD", "x")
        with pytest.raises(InvalidInput):
            j.update_refund("r1", "refunded-ish", "")
        with pytest.raises(UnknownJournalRecord):
            j.update_refund("zz", "failed", "")


def test_writer_shortcuts(tmp_path):
    import asyncio

    async def main():
        with JournalWriter.open(tmp_path / "w.sqlite3") as w:
            a = PaymentAttempt(Money(700, "EUR"), "tmr_FAKE123", "stripe", state=PaymentState.PAID)
            await w.record_attempt(a)
            await w.record_refund("r1", a.id, 700, "EUR", "x")
            await w.update_refund("r1", "failed", "no")
            return await w.refunds(attempt_id=a.id)

    (r,) = asyncio.run(main())
    assert (r.state, r.message) == ("failed", "no")


def test_v2_file_gains_the_refunds_table(tmp_path):
    from kiosk.journal import schema

    path = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(path)
    schema.migrate(conn, target=2)  # a real v2 file, whatever steps later branches add after v3
    conn.execute("INSERT INTO attempts (id, provider, reader_id, amount_minor, currency, state, created_at,"
                 " updated_at) VALUES ('a', 'stripe', 'tmr', 500, 'USD', 'paid', 1, 1)")
    conn.commit()
    conn.close()
    with Journal.open(path) as j:
        assert j.refunds() == []
        assert len(j.recent_attempts()) == 1
