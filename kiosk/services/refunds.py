"""Refunds of earlier sales, for the controller: figures, checks, the journal record, then the Settler.

The path is the payment's: the refund row is journaled (pending) before anything is sent, the call goes through
JournaledCalls (write-ahead, key `kiosk-<sale>-refund-<refund id>`), and what the provider shows for our refund
decides its state (domain/refunds.py). One refund of a sale at a time (a per-sale lock, and no new refund while one
is still open), so two refunds can't both pass the "what is left" check. Recovery settles open refunds at start
(services/recovery.py) through the same Settler.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from kiosk.domain.errors import JournalError, KioskError
from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentState
from kiosk.domain.refunds import RefundRefused, RefundState, check_refund, check_refundable_sale, refundable
from kiosk.i18n import _
from kiosk.journal.records import JournalAttempt, JournalRefund, load_attempt
from kiosk.journal.store import Journal

if TYPE_CHECKING:
    from .controller import PaymentController

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SaleRefunds:
    """A paid sale's refund figures, for the dialog and the checks."""

    sale: JournalAttempt
    refunds: tuple[JournalRefund, ...]
    paid: Money  # what the card paid (sale + tip), as the provider says when it could be read
    refunded: Money  # confirmed refunded (the journal's, or the provider's if larger: refunds made elsewhere)
    pending: Money  # refunds asked for and not confirmed yet
    left: Money
    checked: bool  # the provider was read just now
    problem: str = ""  # why it could not be

    @property
    def open_refunds(self) -> list[JournalRefund]:
        return [r for r in self.refunds if r.refund_state.is_open]


class SaleRefunder:
    def __init__(self, controller: PaymentController):
        self.c = controller
        self._locks: dict[str, asyncio.Lock] = {}

    def _journal(self):
        if self.c.journal is None:
            raise RefundRefused(_("Refunds need the payment journal, which is not open."), detail="no journal")
        return self.c.journal

    async def _j(self, fn, *args):
        return await self._journal().run(fn, *args)  # the JournalWriter's thread

    async def figures(self, attempt_id: str) -> SaleRefunds:
        sale = await self._j(Journal.attempt, attempt_id)
        if sale is None:
            raise RefundRefused(_("That sale is not in the payment journal."), detail=f"no attempt {attempt_id}")
        refunds = tuple(await self._j(Journal.refunds, attempt_id))
        zero = Money.zero(sale.currency)
        paid, provider_refunded, checked, problem = zero.minor, 0, False, ""
        if sale.state is PaymentState.PAID:
            paid = sale.amount_minor + int(getattr(sale, "tip_minor", 0) or 0)
            if sale.provider == self.c.provider.name and sale.payment_id:
                try:
                    info = await self.c.read(self.c.provider.get_payment, sale.payment_id)
                except KioskError as e:
                    problem = e.cashier_message
                else:
                    paid = info.amount_received or paid  # captured: sale + tip
                    provider_refunded = info.amount_refunded + int(info.extra.get("refund_pending") or 0)
                    checked = True
        states = [(r.refund_state, r.amount_minor) for r in refunds]
        done = sum(m for s, m in states if s is RefundState.SUCCEEDED)
        opened = sum(m for s, m in states if s.is_open)
        left = refundable(paid, states, provider_refunded)
        return SaleRefunds(sale, refunds, Money(paid, sale.currency), Money(max(done, provider_refunded), sale.currency),
                           Money(opened, sale.currency), Money(left, sale.currency), checked, problem)

    def _lock(self, attempt_id: str) -> asyncio.Lock:
        return self._locks.setdefault(attempt_id, asyncio.Lock())

    async def refund(self, attempt_id: str, amount: Money | None, reason: str) -> JournalRefund:
        reason = (reason or "").strip()
        async with self._lock(attempt_id):
            figures = await self.figures(attempt_id)
            sale = figures.sale
            check_refundable_sale(sale.state, sale.cancel_outcome, len(figures.open_refunds))
            if sale.provider != self.c.provider.name:
                raise RefundRefused(_("This sale was paid with %(provider)s; switch to that provider to refund it.")
                                    % {"provider": sale.provider}, detail="refund with another provider")
            amount = figures.left if amount is None else amount
            check_refund(amount, figures.left, reason)
            try:  # no refund is sent without its journal row (the payment's write-ahead rule)
                record = await self._j(Journal.record_refund, secrets.token_hex(8), attempt_id, amount.minor,
                                       amount.currency, reason, _("Sending the refund…"))
            except JournalError as e:
                self.c._journal_failed(e)  # the same pause as a payment's: new sales wait for the disk too
                raise
            self.c.refunds_changed.emit(record)
            log.info("refund %s of %s: %s asked (%s left)", record.id, attempt_id[:8], amount, figures.left)
            # The caller may give up (a closed dialog); the refund itself runs to its end as the controller's task.
            return await asyncio.shield(self.c.spawn(self._settle(sale, record, figures), name="kiosk-refund"))

    async def retry(self, refund_id: str) -> JournalRefund:
        """Settle an open refund again: look it up, and send it (same key) only if the provider has none."""
        record = await self._j(Journal.refund, refund_id)
        if record is None:
            raise RefundRefused(_("That refund is not in the payment journal."), detail=f"no refund {refund_id}")
        async with self._lock(record.attempt_id):
            record = await self._j(Journal.refund, refund_id)
            if not record.refund_state.is_open:
                return record
            figures = await self.figures(record.attempt_id)
            return await asyncio.shield(self.c.spawn(self._settle(figures.sale, record, figures), name="kiosk-refund"))

    async def _settle(self, sale: JournalAttempt, record: JournalRefund, figures: SaleRefunds) -> JournalRefund:
        others = frozenset(r.provider_refund_id for r in figures.refunds
                           if r.id != record.id and r.provider_refund_id)
        outcome = await self.c.runner.run(functools.partial(
            self.c.settler.settle_refund, load_attempt(sale), record.id, record.amount, record.reason, others=others))
        decision = outcome.decision
        assert decision.state is not None
        try:
            saved = await self._j(Journal.update_refund, record.id, decision.state.value, decision.message,
                                  outcome.provider_refund_id)
        except JournalError as e:  # the row stays pending on disk: recovery finds the refund by its id at start
            self.c._journal_failed(e)
            saved = replace(record, state=decision.state.value, message=decision.message,
                            provider_refund_id=outcome.provider_refund_id or record.provider_refund_id)
        log.info("refund %s of %s → %s", record.id, sale.id[:8], saved.state)
        self.c.refunds_changed.emit(saved)
        return saved


__all__ = ["SaleRefunder", "SaleRefunds"]
