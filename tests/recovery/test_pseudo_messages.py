"""The services speak through the catalogue: under the pseudo locale every sentence a live sale, a cancel, a card
timeout and start-up recovery produce is pseudo-translated (real controller, provider, journal and emulator)."""
from __future__ import annotations

import pytest
from test_money_core_defects import Till

from kiosk import i18n
from kiosk.domain.payment import PaymentState
from kiosk.i18n import PSEUDO, is_pseudo
from kiosk.journal import JournalWriter
from kiosk.services.admin_pin import pin_shape_problem
from kiosk.services.recovery import reconcile

S = PaymentState


@pytest.fixture(autouse=True)
def pseudo_locale():
    i18n.setup(PSEUDO)


def test_a_live_sale_and_a_cancel_say_only_translated_sentences(emu, tmp_path):
    till = Till(emu, JournalWriter.open(tmp_path / "journal.sqlite3"))
    said: list[str] = []
    till.c.state_changed.subscribe(lambda attempt: said.append(attempt.message))

    async def scenario():
        till.c.start()
        said.append(till.c.charge_blocker)  # recovery has not run yet
        await till.c.recover()
        await till.c.refresh_readers()
        said.append(till.c.charge_blocker)  # empty cart
        till.add()
        await till.c.charge()
        await till.until(lambda: till.c.state is S.WAITING_FOR_CARD, "the card wait")
        await till.c.cancel()
        await till.until(lambda: till.c.state.is_final, "the cancel")
        assert till.c.state is S.CANCELLED
        till.c.new_sale()
        till.add()
        await till.c.charge()
        await till.tap()
        await till.until(lambda: till.c.state.is_final, "the payment")
        assert till.c.state is S.PAID

    till.run(scenario)
    texts = [t for t in said if t] + [text for _level, text in till.messages]
    assert len(texts) >= 6
    assert [t for t in texts if not is_pseudo(t)] == []


def test_recovery_results_and_summary_are_translated(crash, fresh_provider):
    waiting = crash.started(S.WAITING_FOR_CARD)
    crash.tap()  # approved while the app was closed → voided at recovery
    crash.started(S.WAITING_FOR_CARD)  # never tapped → not charged
    report = reconcile(fresh_provider, crash.journal)
    assert report.results[0].attempt_id == waiting.id
    assert all(is_pseudo(r.message) for r in report.results), [r.message for r in report.results]
    assert is_pseudo(report.summary())


def test_admin_pin_rules_are_translated():
    assert is_pseudo(pin_shape_problem("12")) and is_pseudo(pin_shape_problem("12ab56"))
