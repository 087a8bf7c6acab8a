"""Which provider API addresses the app accepts (issue 9 D8), checked by both provider constructors.

Plain `http://` carries the API key and every payment in clear text and lets anyone on the path answer for the
provider, so it is accepted only for this computer (the built-in emulator, stripe-mock, a test server):
127.0.0.0/8, ::1 and `localhost`. Everything else must be `https://`.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from kiosk.domain.errors import ConfigurationError

PLAIN_HTTP_REFUSED = ("The payment provider address must start with https://. Plain http:// is only allowed for "
                      "this computer (127.0.0.1 or localhost). Correct the address in Settings or in --api-base.")
BAD_ADDRESS = "The payment provider address is not a web address. Correct it in Settings or in --api-base."


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback  # 127.0.0.0/8 and ::1
    except ValueError:
        return False


def require_safe_api_base(url: str, *, provider: str) -> str:
    """`url` if it is https://, or http:// to a loopback host; otherwise ConfigurationError with what to do."""
    scheme = host = None
    if isinstance(url, str):
        try:
            parts = urlsplit(url)
            _ = parts.port  # raises ValueError for a port that is not a number or out of range
            scheme, host = parts.scheme, parts.hostname
        except ValueError:
            pass
    if scheme not in ("http", "https") or not host:
        raise ConfigurationError(BAD_ADDRESS, detail=f"{provider} api base is not an http(s) URL")
    if scheme == "http" and not is_loopback_host(host):
        # The detail names only scheme and host: a URL's user-info or query may hold a secret.
        raise ConfigurationError(PLAIN_HTTP_REFUSED, detail=f"{provider} api base http://{host} is not loopback")
    return url
