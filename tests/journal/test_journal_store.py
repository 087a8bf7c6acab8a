"""Journal API: write-ahead order, crash between begin and finish, round trip to domain objects, guards."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.domain.errors import InvalidInput, KioskError
from kiosk.domain.money import Money
from kiosk.domain.payment import CancelOutcome, PaymentAttempt, PaymentState
from kiosk.journal import (
    SCHEMA_VERSION,
    Journal,
    JournalClosed,
    JournalConflict,
    UnknownJournalRecord,
    journal_path,
    load_attempt,
)

S = PaymentState


def new_attempt(minor: int = 2490, currency: str = "USD", provider: str = "stripe") -> PaymentAttempt:
    return PaymentAttempt(Money(minor, currency), "tmr_FAKE123", provider)


def raw(path: Path, sql: str, *args):
    """Read the file through a separate connection: what is really on disk, not what our connection caches."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_default_location_is_kiosk_data_dir_and_pragmas_are_set(tmp_path):
    with Journal.open() as j:
        assert j.path == tmp_path / "data" / "journal.sqlite3"  # conftest sets KIOSK_DATA_DIR per test
        conn = j._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert j.schema_version() == SCHEMA_VERSION


def test_explicit_path_overrides_env(tmp_path):
    explicit = tmp_path / "elsewhere" / "j.db"
    with Journal.open(explicit) as j:
        assert j.path == explicit
    assert explicit.is_file()
    assert not (tmp_path / "data" / "journal.sqlite3").exists()
    folder = tmp_path / "folder"
    folder.mkdir()
    assert journal_path(folder) == folder / "journal.sqlite3"


def test_call_row_is_pending_on_disk_before_finish(tmp_path):
    with Journal.open() as j:
        a = new_attempt()
        j.record_attempt(a, {"lines": [{"sku": "tea", "qty": 2}]})
        call_id = j.begin_call(a.id, "start_payment", a.idempotency_key("start"), {"reader": a.reader_id})
        # Another connection sees the committed pending row: it was written before the provider is called.
        rows = raw(j.path, "SELECT status, operation, idempotency_key, finished_at FROM calls WHERE id = ?", call_id)
        assert rows == [("pending", "start_payment", f"kiosk-{a.id}-start", None)]
        j.finish_call(call_id, True, {"payment_id": "pi_123", "status": "waiting"})
        rows = raw(j.path, "SELECT status, payment_id, finished_at IS NOT NULL FROM calls WHERE id = ?", call_id)
        assert rows == [("ok", "pi_123", 1)]
        # the payment id learned by the call is kept on the attempt too
        assert j.attempt(a.id).payment_id == "pi_123"


def test_crash_between_begin_and_finish_is_found_at_next_open():
    a = new_attempt(1500, "BRL", "mercadopago")
    j = Journal.open()
    j.record_attempt(a, capture_manual=False)
    a.to(S.SENDING, "Sending…")
    j.update_attempt(a)
    done = j.begin_call(a.id, "create", a.idempotency_key("create"), {"amount": a.amount})
    j.finish_call(done, True, {"payment_id": "ORD01HZZZZZZZZZZZZZZZZZZZZZZZ"})
    a.to(S.WAITING_FOR_CARD)
    j.update_attempt(a)
    a.to(S.CANCELLING, "Cancelling…")
    j.update_attempt(a)
    pending = j.begin_call(a.id, "cancel", a.idempotency_key("cancel"), {"payment_id": "ORD01HZZZZZZZZZZZZZZZZZZZZZZZ"})
    j.close()  # "crash": the cancel's outcome was never written

    with Journal.open() as j2:
        unfinished = j2.unfinished_attempts()
        assert [u.id for u in unfinished] == [a.id]
        rec = unfinished[0]
        assert rec.state is S.CANCELLING and rec.message == "Cancelling…"
        assert rec.payment_id == "ORD01HZZZZZZZZZZZZZZZZZZZZZZZ"
        assert rec.capture_manual is False
        assert [(c.id, c.operation, c.status, c.idempotency_key) for c in rec.pending_calls] == [
            (pending, "cancel", "pending", a.idempotency_key("cancel"))
        ]
        assert [c.id for c in j2.pending_calls()] == [pending]
        # recovery resolves the call; the attempt stays unfinished until its state is final
        j2.finish_call(pending, False, {"note": "reconciled after restart"}, "unknown_after_restart")
        assert j2.pending_calls(a.id) == []
        assert [c.status for c in j2.calls(a.id)] == ["ok", "error"]


def test_load_attempt_round_trip_keeps_id_money_state_and_idempotency_keys():
    a = new_attempt(12990, "CLP", "mercadopago")
    a.to(S.SENDING)
    a.to(S.WAITING_FOR_CARD)
    a.to(S.CANCELLING)
    a.to(S.CANCELLED, "Cancelled — card hold released.")
    a.payment_id = "ORD01HQQQQQQQQQQQQQQQQQQQQQQQ"
    a.cancel_outcome = CancelOutcome.VOIDED
    a.decline_code = None
    with Journal.open() as j:
        j.record_attempt(a)
        rec = j.attempt(a.id)
    back = load_attempt(rec)
    assert isinstance(back.amount, Money) and back.amount == Money(12990, "CLP")
    assert back.state is S.CANCELLED and back.cancel_outcome is CancelOutcome.VOIDED
    assert (back.id, back.provider, back.reader_id, back.payment_id, back.message) == (
        a.id, a.provider, a.reader_id, a.payment_id, a.message)
    for op in ("create", "cancel", "refund", "void"):
        assert back.idempotency_key(op) == a.idempotency_key(op)
    assert rec.to_attempt().id == a.id
    # the state machine continues from the recorded state
    assert not back.can(S.PAID)


def test_unfinished_means_not_final_including_needs_attention():
    states = {
        S.PAID: [S.SENDING, S.WAITING_FOR_CARD, S.AUTHORISED, S.CAPTURING, S.PAID],
        S.CANCELLED: [S.SENDING, S.WAITING_FOR_CARD, S.CANCELLING, S.CANCELLED],
        S.DECLINED: [S.SENDING, S.WAITING_FOR_CARD, S.DECLINED],
        S.FAILED: [S.SENDING, S.FAILED],
        S.NEEDS_ATTENTION: [S.SENDING, S.NEEDS_ATTENTION],
        S.AUTHORISED: [S.SENDING, S.WAITING_FOR_CARD, S.AUTHORISED],
        S.IDLE: [],
    }
    ids = {}
    with Journal.open() as j:
        for final, path in states.items():
            a = new_attempt()
            j.record_attempt(a)
            for s in path:
                a.to(s)
                j.update_attempt(a)
            ids[final] = a.id
        unfinished = {u.id for u in j.unfinished_attempts()}
        assert unfinished == {ids[S.NEEDS_ATTENTION], ids[S.AUTHORISED], ids[S.IDLE]}
        assert len(j.recent_attempts(3)) == 3
        assert [r.id for r in j.recent_attempts(100)][0] == ids[S.IDLE]  # newest first
        assert j.recent_attempts(100)[-1].id == ids[S.PAID]


def test_summaries_never_store_secrets(tmp_path):
    with Journal.open() as j:
        a = new_attempt()
        j.record_attempt(a)
        call_id = j.begin_call(a.id, "create", a.idempotency_key("create"), {
            "api_key": "sk_test_abc", "headers": {"Authorization": "Bearer xyz"},
            "note": "sk_live_leaked", "token": "TEST-123", "amount": 2490, "expand": ["payment_intent"],
        })
        j.finish_call(call_id, True, {"echo": "APP_USR-1234-secret", "status": "waiting"})
    blob = Path(j.path).read_bytes() + (Path(str(j.path) + "-wal").read_bytes()
                                        if Path(str(j.path) + "-wal").exists() else b"")
    for secret in (b"sk_test_abc", b"Bearer xyz", b"sk_live_leaked", b"TEST-123", b"APP_USR-1234"):
        assert secret not in blob
    with Journal.open() as j:
        call = j.calls(a.id)[0]
        assert call.summary["amount"] == 2490 and call.summary["expand"] == ["payment_intent"]
        assert call.summary["api_key"] == "[redacted]" and call.outcome["status"] == "waiting"


def test_misuse_gets_typed_errors_and_changes_nothing():
    with Journal.open() as j:
        a = new_attempt()
        j.record_attempt(a)
        with pytest.raises(JournalConflict):
            j.record_attempt(a)
        with pytest.raises(UnknownJournalRecord):
            j.update_attempt(new_attempt())
        with pytest.raises(UnknownJournalRecord):
            j.begin_call("no-such-attempt", "create", "k", {})
        with pytest.raises(UnknownJournalRecord):
            j.finish_call(999, True)
        with pytest.raises(InvalidInput):
            j.begin_call(a.id, "../drop table", "k", {})
        with pytest.raises(InvalidInput):
            j.record_attempt({"id": "x"})  # type: ignore[arg-type]
        call_id = j.begin_call(a.id, "cancel", a.idempotency_key("cancel"), {})
        j.finish_call(call_id, True)
        with pytest.raises(JournalConflict):
            j.finish_call(call_id, False, error_code="late")
        assert j.calls(a.id)[0].status == "ok"
        assert j.attempt("no-such-attempt") is None
        # a call without an attempt (e.g. show_cart before a sale) is allowed
        j.finish_call(j.begin_call(None, "show_cart", None, {"lines": 2}), True)
    with pytest.raises(JournalClosed) as info:
        j.record_attempt(new_attempt())
    assert isinstance(info.value, KioskError) and info.value.cashier_message


def test_events_log_for_recovery_summaries():
    with Journal.open() as j:
        a = new_attempt()
        j.record_attempt(a)
        j.log_event("recovery", "found 1 unfinished attempt", data={"count": 1})
        j.log_event("reconciled", "voided after restart", attempt_id=a.id, data={"payment_id": "pi_9"})
        assert [(e.kind, e.data) for e in j.events()] == [("recovery", {"count": 1}), ("reconciled", {"payment_id": "pi_9"})]
        assert [e.kind for e in j.events(a.id)] == ["reconciled"]
        assert [e.kind for e in j.events(limit=1)] == ["reconciled"]


def test_without_override_the_platform_user_data_folder_is_used(tmp_path, monkeypatch):
    import platformdirs

    monkeypatch.delenv("KIOSK_DATA_DIR")
    expected = Path(platformdirs.user_data_dir("kiosk", "kiosk")) / "journal.sqlite3"
    assert journal_path() == expected
    if expected.is_relative_to(tmp_path):  # Linux: conftest points XDG_DATA_HOME into tmp_path
        with Journal.open() as j:
            assert j.path == expected and expected.is_file()
