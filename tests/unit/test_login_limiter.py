"""The failed-login limiter: growing delays per (name, address) pair and per address, on the
clock it is given (never the wall clock)."""

from __future__ import annotations

from prospect_tui.serve.auth import LoginLimiter


def fail(limiter: LoginLimiter, times: int, user: str, address: str) -> None:
    for _ in range(times):
        limiter.failed(user, address)


def test_a_name_failing_from_one_address_waits_there_only(clock):
    limiter = LoginLimiter(clock)
    fail(limiter, 4, "ann", "10.0.0.66")
    assert limiter.retry_after("ann", "10.0.0.66") == 0
    fail(limiter, 1, "ann", "10.0.0.66")
    assert limiter.retry_after("ann", "10.0.0.66") == 60
    assert limiter.retry_after("ann", "10.0.0.7") == 0
    assert limiter.retry_after("bob", "10.0.0.66") == 0


def test_the_delay_follows_the_injected_clock_and_doubles(clock):
    limiter = LoginLimiter(clock)
    fail(limiter, 5, "ann", "10.0.0.66")
    clock.advance(seconds=45)
    assert limiter.retry_after("ann", "10.0.0.66") == 15
    clock.advance(seconds=15)
    assert limiter.retry_after("ann", "10.0.0.66") == 0
    fail(limiter, 1, "ann", "10.0.0.66")
    assert limiter.retry_after("ann", "10.0.0.66") == 120
    fail(limiter, 20, "ann", "10.0.0.66")
    assert limiter.retry_after("ann", "10.0.0.66") == 3600  # capped at one hour
    clock.advance(hours=25)
    fail(limiter, 1, "ann", "10.0.0.66")  # a day without failure: counting starts again
    assert limiter.retry_after("ann", "10.0.0.66") == 0


def test_many_names_from_one_address_throttle_that_address(clock):
    limiter = LoginLimiter(clock)
    for n in range(19):
        limiter.failed(f"name{n}", "10.0.0.66")
    assert limiter.retry_after("sue", "10.0.0.66") == 0
    limiter.failed("name19", "10.0.0.66")
    assert limiter.retry_after("sue", "10.0.0.66") == 60
    assert limiter.retry_after("sue", "10.0.0.7") == 0


def test_a_success_clears_the_pair_but_not_the_address(clock):
    limiter = LoginLimiter(clock)
    fail(limiter, 4, "ann", "10.0.0.66")
    for n in range(15):
        limiter.failed(f"name{n}", "10.0.0.66")
    limiter.succeeded("ann", "10.0.0.66")
    fail(limiter, 1, "ann", "10.0.0.66")
    assert limiter.retry_after("ann", "10.0.0.66") == 60  # the address's 20th failure
    assert limiter.retry_after("ann", "10.0.0.7") == 0
