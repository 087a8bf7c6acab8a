"""The provider-neutral retry policy (kiosk/providers/retry.py): bounded, backoff with jitter, Retry-After."""
from __future__ import annotations

import pytest

from kiosk.providers.retry import backoff_delay, parse_retry_after, retry_call


class Transient(Exception):
    def __init__(self, retry_after=None):
        super().__init__("transient")
        self.retry_after = retry_after


class Permanent(Exception):
    pass


def flaky(failures: list[Exception], result="ok"):
    calls = []

    def fn(*args):
        calls.append(args)
        if failures:
            raise failures.pop(0)
        return result

    return fn, calls


def run(fn, sleeps, **kw):
    kw.setdefault("max_attempts", 4)
    return retry_call(fn, is_retryable=lambda e: isinstance(e, Transient),
                      retry_after=lambda e: getattr(e, "retry_after", None), base_delay=0.1, max_delay=1.0,
                      sleep=sleeps.append, rng=lambda: 0.5, **kw)


def test_succeeds_after_transient_failures():
    sleeps = []
    fn, calls = flaky([Transient(), Transient()])
    assert run(fn, sleeps) == "ok"
    assert len(calls) == 3 and len(sleeps) == 2 and sleeps[1] > sleeps[0]  # exponential


def test_permanent_error_is_not_retried():
    sleeps = []
    fn, calls = flaky([Permanent()])
    with pytest.raises(Permanent):
        run(fn, sleeps)
    assert len(calls) == 1 and sleeps == []


def test_gives_up_after_max_attempts_with_the_last_error():
    sleeps = []
    last = Transient()
    fn, calls = flaky([Transient(), Transient(), Transient(), last, Transient()])
    with pytest.raises(Transient) as info:
        run(fn, sleeps)
    assert info.value is last and len(calls) == 4 and len(sleeps) == 3


def test_retry_after_is_honoured_and_capped():
    sleeps = []
    fn, _ = flaky([Transient(retry_after=0.8)])
    run(fn, sleeps)
    assert sleeps == [0.8]
    sleeps = []
    fn, calls = flaky([Transient(retry_after=30)])  # more than max_delay: surface it instead of hanging
    with pytest.raises(Transient):
        run(fn, sleeps)
    assert len(calls) == 1 and sleeps == []


def test_total_wait_budget_is_bounded():
    sleeps = []
    fn, calls = flaky([Transient(retry_after=0.9)] * 10)
    with pytest.raises(Transient):
        run(fn, sleeps, max_attempts=10, max_total_wait=2.0)
    assert sum(sleeps) <= 2.0 and len(calls) == 3


def test_pass_attempt_numbers_attempts_from_one():
    sleeps = []
    fn, calls = flaky([Transient(), Transient()])
    run(fn, sleeps, pass_attempt=True)
    assert calls == [(1,), (2,), (3,)]


def test_backoff_is_capped_and_jittered():
    assert backoff_delay(1, 0.5, 5.0, rng=lambda: 0.0) == 0.25
    assert backoff_delay(1, 0.5, 5.0, rng=lambda: 1.0) == 0.5
    assert backoff_delay(10, 0.5, 5.0, rng=lambda: 1.0) == 5.0
    with pytest.raises(ValueError):
        retry_call(lambda: 1, is_retryable=lambda e: True, max_attempts=0)


@pytest.mark.parametrize("value,expected", [("1", 1.0), (" 2.5 ", 2.5), ("-1", None), ("nan", None), ("inf", None),
                                            ("Wed, 21 Oct 2015 07:28:00 GMT", None), (None, None), (3, 3.0)])
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected
