"""Reader.state: the three looks the UI styles by."""
from __future__ import annotations

import pytest

from kiosk.domain.reader import ActionStatus, Reader, ReaderAction


def _action(status: ActionStatus) -> ReaderAction:
    return ReaderAction("process_payment_intent", status, payment_id="pi_1")


@pytest.mark.parametrize(
    "online, action, state",
    [
        (False, None, "offline"),
        (False, _action(ActionStatus.IN_PROGRESS), "offline"),  # offline wins: a busy reader we can't reach
        (True, None, "idle"),
        (True, _action(ActionStatus.IN_PROGRESS), "busy"),
        (True, _action(ActionStatus.SUCCEEDED), "idle"),  # a finished action leaves the reader free
        (True, _action(ActionStatus.FAILED), "idle"),
    ],
)
def test_state(online, action, state):
    assert Reader("tmr_1", "Front", online, action=action).state == state


def test_is_idle_means_no_action_at_all():
    assert Reader("tmr_1", "Front", True).is_idle
    assert not Reader("tmr_1", "Front", True, action=_action(ActionStatus.SUCCEEDED)).is_idle


def test_extra_does_not_affect_equality():
    assert Reader("tmr_1", "Front", True, extra={"a": 1}) == Reader("tmr_1", "Front", True, extra={"b": 2})
