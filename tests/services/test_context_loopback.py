"""Which servers count as "this machine" (the TEST SERVER banner): the same rule that allows plain http."""
import pytest

from kiosk.providers.endpoints import require_safe_api_base
from kiosk.services.context import is_loopback


@pytest.mark.parametrize("url", ["http://127.0.0.1:12111", "http://127.0.0.2:8080", "http://[::1]:12111",
                                 "http://localhost:12111"])
def test_every_loopback_server_is_recognised(url):
    require_safe_api_base(url, provider="stripe")  # allowed as plain http, so it must count as local too
    assert is_loopback(url)


@pytest.mark.parametrize("url", ["https://api.stripe.com", "http://10.0.0.5:80", "http://[bad", "", "http://localhost.evil.com"])
def test_other_servers_are_not(url):
    assert not is_loopback(url)
