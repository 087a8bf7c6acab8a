"""The Z report from journal rows: figures, time zone bounds, old snapshots, closings."""
from __future__ import annotations

from datetime import date

import pytest

from kiosk.domain.errors import InvalidInput
from kiosk.domain.payment import CancelOutcome
from kiosk.domain.payment import PaymentState as S
from kiosk.domain.report import DayAlreadyClosed, RefundLine, SaleLine, build_report
from kiosk.journal import Journal
from kiosk.journal.sales import attempts_between
from kiosk.services.day_report import close_day, day_bounds, parse_day, report_for
from tests.report.journal_day import ZONE, Clock, at, sale

DAY = "2026-03-14"

NEW_CART = {"currency": "USD", "lines": [{"sku": "a", "name": "Tea", "quantity": 2, "unit_minor": 500,
            "subtotal_minor": 1000, "discount_minor": 100, "discount_reason": "staff", "tax_category": "std",
            "tax_bp": 1000, "tax_minor": 90}], "subtotal_minor": 1000, "discount_minor": 100,
            "discount_reason": "staff", "tax_minor": 90,
            "taxes": [{"category": "std", "rate_bp": 1000, "base_minor": 900, "tax_minor": 90}],
            "prices_include_tax": False, "total_minor": 990}


@pytest.fixture
def day_journal(tmp_path):
    clock = Clock(at(DAY, 8))
    journal = Journal.open(tmp_path / "journal.sqlite3", clock=clock)
    yield journal, clock
    journal.close()


def test_a_day_of_sales_adds_up_by_provider_state_tax_tip_hour_and_attention(day_journal):
    journal, clock = day_journal
    sale(journal, clock, at(DAY, 9, 5), 990, S.PAID, cart=NEW_CART)
    sale(journal, clock, at(DAY, 9, 40), 1500, S.PAID, tip=300)
    sale(journal, clock, at(DAY, 13), 700, S.PAID, provider="mercadopago")
    sale(journal, clock, at(DAY, 14), 400, S.DECLINED)
    sale(journal, clock, at(DAY, 15), 800, S.CANCELLED, outcome=CancelOutcome.VOIDED)
    stuck = sale(journal, clock, at(DAY, 16), 650, S.NEEDS_ATTENTION)
    sale(journal, clock, at(DAY, 0, 0) - 1, 9999, S.PAID)  # 23:59:59 the day before: not this day
    sale(journal, clock, at("2026-03-15", 0, 0), 8888, S.PAID)  # midnight after: the next day

    report = report_for(journal, date.fromisoformat(DAY), "USD", ZONE)

    assert report.sales.count == 3 and report.sales.amount_minor == 990 + 1800 + 700
    assert report.tips.amount_minor == 300 and report.tips.count == 1
    assert report.discounts.amount_minor == 100
    assert report.tax_minor == 90 and [(t.rate_bp, t.base_minor, t.tax_minor) for t in report.taxes] == [(1000, 900, 90)]
    assert {
        k: (v.count, v.amount_minor) for k, v in report.by_provider.items()} == {"mercadopago": (1, 700),
                                                                                "stripe": (2, 2790)}
    assert {k: v.count for k, v in report.by_state.items()} == {"paid": 3, "declined": 1, "cancelled": 1,
                                                                "needs_attention": 1}
    assert report.hours[9].count == 2 and report.hours[9].amount_minor == 2790 and report.hours[13].count == 1
    assert sum(h.count for h in report.hours) == 3
    assert [a.id for a in report.attention] == [stuck.id]
    assert report.time_zone == "America/Santiago"


def test_old_snapshots_without_tax_or_discount_still_count_as_sales(day_journal):
    journal, clock = day_journal
    old = {"currency": "USD", "lines": [{"sku": "a", "name": "Tea", "qty": 2, "unit_minor": 250}], "total_minor": 500}
    sale(journal, clock, at(DAY, 10), 500, S.PAID, cart=old)
    report = report_for(journal, date.fromisoformat(DAY), "USD", ZONE)
    assert (report.sales.count, report.sales.amount_minor, report.tax_minor, report.discounts.count) == (1, 500, 0, 0)


def test_a_day_with_no_sales_is_an_empty_report_not_an_error(day_journal):
    journal, _clock = day_journal
    report = report_for(journal, date.fromisoformat(DAY), "EUR", ZONE)
    assert report.is_empty and report.sales.count == 0 and report.currency == "EUR" and report.net_minor == 0


def test_refunds_made_that_day_are_taken_off_and_waiting_ones_listed_apart():
    sales = [SaleLine("a", "stripe", "paid", 1000, "USD", 10)]
    refunds = [RefundLine("r1", "a", 300, "USD", "succeeded"), RefundLine("r2", "a", 200, "USD", "pending"),
               RefundLine("r3", "a", 100, "USD", "failed")]
    report = build_report(DAY, "UTC", "USD", sales, refunds)
    assert report.refunds.amount_minor == 300 and report.refunds_waiting.amount_minor == 200
    assert report.net_minor == 700


def test_a_sale_in_another_currency_is_counted_apart_not_added():
    report = build_report(DAY, "UTC", "USD", [SaleLine("a", "stripe", "paid", 1000, "USD", 10),
                                              SaleLine("b", "stripe", "paid", 5000, "EUR", 10)])
    assert report.sales.amount_minor == 1000 and report.other_currency == 1


def test_closings_are_numbered_and_a_closed_day_keeps_its_report_and_refuses_a_second_close(day_journal):
    journal, clock = day_journal
    sale(journal, clock, at(DAY, 10), 1000, S.PAID)
    clock.at = at("2026-03-16", 9)
    first = close_day(journal, date.fromisoformat(DAY), "USD", ZONE)
    second = close_day(journal, date.fromisoformat("2026-03-15"), "USD", ZONE)  # a day with no sales closes too
    assert (first.closing_number, second.closing_number) == (1, 2)
    assert second.is_empty

    clock.at = at(DAY, 11)  # a row that appears after closing (a clock set back): the kept report stands
    sale(journal, clock, at(DAY, 11), 5000, S.PAID)
    clock.at = at("2026-03-16", 10)
    kept = report_for(journal, date.fromisoformat(DAY), "USD", ZONE)
    assert kept.sales.amount_minor == 1000 and kept.closing_number == 1 and kept.closed_at == at("2026-03-16", 9)

    with pytest.raises(DayAlreadyClosed) as refused:
        close_day(journal, date.fromisoformat(DAY), "USD", ZONE)
    assert "already closed" in refused.value.cashier_message


def test_a_day_that_has_not_begun_cant_be_closed(day_journal):
    journal, _clock = day_journal
    with pytest.raises(InvalidInput, match="has not begun"):
        close_day(journal, date.fromisoformat("2026-03-20"), "USD", ZONE)


def test_bad_dates_say_what_is_expected():
    for text in ("2026-02-30", "14/03/2026", "", "2026-3-1"):
        with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
            parse_day(text)


def test_a_daylight_saving_day_has_its_real_length():
    # Chile left summer time at midnight ending 2026-04-04 (clocks back to 23:00): that local day lasted 25 hours.
    since, until = day_bounds(date(2026, 4, 4), ZONE)
    assert until - since == 25 * 3600


def test_a_year_of_sales_finds_one_day_quickly(tmp_path):
    import time

    journal = Journal.open(tmp_path / "journal.sqlite3")
    start = at("2025-01-01", 9)
    rows = [(f"a{i:06d}", "stripe", "tmr", 1000, "USD", "paid", start + i * 450.0, start + i * 450.0)
            for i in range(70_000)]  # ~192 a day for a year
    with journal._transaction() as conn:
        conn.executemany("INSERT INTO attempts (id, provider, reader_id, amount_minor, currency, state, created_at,"
                         " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    since, until = day_bounds(date(2025, 6, 1), ZONE)
    began = time.perf_counter()
    found = attempts_between(journal, since, until)
    elapsed = time.perf_counter() - began
    plan = journal._conn.execute("EXPLAIN QUERY PLAN SELECT * FROM attempts WHERE created_at >= ? AND created_at < ?"
                                 " ORDER BY created_at DESC", (since, until)).fetchall()
    journal.close()
    assert 150 < len(found) < 250
    assert any("attempts_created" in str(tuple(r)) for r in plan), [tuple(r) for r in plan]
    assert elapsed < 0.5, elapsed


def test_the_journals_refunds_of_the_day_are_in_its_report_whatever_day_the_sale_was(day_journal):
    journal, clock = day_journal
    earlier = sale(journal, clock, at("2026-03-13", 10), 2000, S.PAID)
    today = sale(journal, clock, at(DAY, 10), 1000, S.PAID)
    clock.at = at(DAY, 12)
    journal.record_refund("r1", earlier.id, 500, "USD", "damaged")
    journal.update_refund("r1", "succeeded", "Refunded", "re_1")
    journal.record_refund("r2", today.id, 300, "USD", "changed mind")  # still pending
    clock.at = at("2026-03-15", 9)
    journal.record_refund("r3", today.id, 100, "USD", "next day")
    journal.update_refund("r3", "succeeded", "Refunded", "re_3")

    report = report_for(journal, date.fromisoformat(DAY), "USD", ZONE)
    assert (report.refunds.count, report.refunds.amount_minor) == (1, 500)
    assert (report.refunds_waiting.count, report.refunds_waiting.amount_minor) == (1, 300)
    assert report.net_minor == 1000 - 500


def test_the_tip_is_journaled_with_the_attempt_and_an_older_file_gains_v4(tmp_path):
    import sqlite3

    from kiosk.domain.money import Money
    from kiosk.domain.payment import PaymentAttempt
    from kiosk.journal import schema

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    schema.migrate(conn, target=3)  # a file from before the closings step
    conn.execute("INSERT INTO attempts (id, provider, reader_id, amount_minor, currency, state, created_at, updated_at)"
                 " VALUES ('old', 'stripe', 'tmr', 500, 'USD', 'paid', 1, 1)")
    conn.commit()
    conn.close()
    with Journal.open(path) as journal:
        assert journal.schema_version() == schema.SCHEMA_VERSION
        assert journal.attempt("old").tip_minor is None and journal.attempt("old").tip is None
        attempt = PaymentAttempt(Money(1000, "USD"), "tmr", "stripe")
        journal.record_attempt(attempt)
        attempt.tip = Money(250, "USD")
        journal.update_attempt(attempt)
        attempt.tip = None  # a later save of an attempt object that lost it never erases the journaled tip
        journal.update_attempt(attempt)
        assert journal.attempt(attempt.id).tip == Money(250, "USD")
        assert journal.attempt(attempt.id).to_attempt().tip == Money(250, "USD")
