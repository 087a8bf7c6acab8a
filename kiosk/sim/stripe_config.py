"""Terminal Configurations on the emulator's Stripe side: on-reader tipping.

Stripe keeps a store's tip suggestions (three percentages, three fixed amounts, a smart-tip threshold, per currency)
in a Configuration object assigned to a location (`configuration_overrides`) or the account default; the reader
shows them when `process_payment_intent` does not say `skip_tipping`. The simulated customer picks one with
`present_payment_method[amount_tip]` (Stripe's test helper) or, when that is absent, by `tip_choice` (an emulator
setting: the index of the suggestion the customer taps; None = "No tip").
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from .server import Request, Response
from .stripe_wire import Params, fail, invalid, missing, paginate

if TYPE_CHECKING:
    from .stripe_api import StripeBackend

_ID = r"(?P<id>[^/]+)"
# The currencies Stripe's Configuration.tipping lists (stripe-python 16.1 `Configuration.Tipping`).
TIPPING_CURRENCIES = ("aed", "aud", "cad", "chf", "czk", "dkk", "eur", "gbp", "gip", "hkd", "huf", "jpy", "mxn",
                      "myr", "nok", "nzd", "pln", "ron", "sek", "sgd", "usd")
TIP_KEYS = ("fixed_amounts", "percentages", "smart_tip_threshold")
MAX_SUGGESTIONS = 3


class ConfigurationBackend:
    """Routes and state for /v1/terminal/configurations, and the tip suggestions a reader shows."""

    def __init__(self, stripe: StripeBackend):
        self.stripe = stripe
        self.emu = stripe.emu
        self.configurations: dict[str, dict] = {}
        self.tip_choice: int | None = None  # the suggestion the simulated customer taps (None: "No tip")
        route, api = self.emu.route, stripe.api
        stripe.post(r"/v1/terminal/configurations", self.create)
        route("GET", r"/v1/terminal/configurations", api)(self.list)
        route("GET", rf"/v1/terminal/configurations/{_ID}", api)(self.get)
        stripe.post(rf"/v1/terminal/configurations/{_ID}", self.update)
        route("DELETE", rf"/v1/terminal/configurations/{_ID}", api, idempotent=True)(self.delete)
        self.default_id = self._new("Default", {}, is_default=True)

    def _new(self, name: str | None, tipping: dict, *, is_default: bool = False) -> str:
        cfg_id = self.emu.new_id("tmc_", 14)
        self.configurations[cfg_id] = {"id": cfg_id, "object": "terminal.configuration",
                                       "is_account_default": is_default, "livemode": False, "name": name,
                                       "tipping": tipping}
        return cfg_id

    def get_config(self, cfg_id: str, *, param: str | None = None) -> dict:
        cfg = self.configurations.get(cfg_id)
        if cfg is None:
            raise missing("terminal.configuration", cfg_id, param=param)
        return cfg

    def _tipping(self, p: Params) -> dict | None:
        sub = p.sub("tipping", TIPPING_CURRENCIES)
        if sub is None:
            return {} if p.raw("tipping") == "" else None  # tipping="" unsets it, as Stripe's empty-string rule
        out: dict[str, dict] = {}
        for cur in TIPPING_CURRENCIES:
            per = sub.sub(cur, TIP_KEYS)
            if per is None:
                continue
            entry: dict = {}
            for key in ("fixed_amounts", "percentages"):
                values = per.list(key)
                if values is None:
                    continue
                if len(values) > MAX_SUGGESTIONS:
                    raise invalid(400, None, f"Invalid tipping[{cur}][{key}]: at most {MAX_SUGGESTIONS} values",
                                  param=f"tipping[{cur}][{key}]")
                hi = 100 if key == "percentages" else 99_999_999
                entry[key] = [self._int(v, f"tipping[{cur}][{key}]", hi) for v in values]
            threshold = per.int("smart_tip_threshold", lo=0, hi=99_999_999)
            if threshold is not None:
                entry["smart_tip_threshold"] = threshold
            out[cur] = entry
        keys = {frozenset(v) for v in out.values()}
        if len(keys) > 1:  # Stripe's docs: every currency must carry the same configuration keys
            raise invalid(400, None, "Invalid tipping: every currency must specify the same keys.", param="tipping")
        return out

    @staticmethod
    def _int(value, param: str, hi: int) -> int:
        if not isinstance(value, str) or not value.isdigit() or not 0 <= int(value) <= hi:
            raise invalid(400, None, f"Invalid {param}: integers from 0 to {hi}", param=param)
        return int(value)

    def create(self, req: Request) -> Response:
        p = Params(req.form, {"name", "tipping", "bbpos_wisepos_e", "stripe_s700", "offline", "reboot_window",
                              "wifi"})
        cfg_id = self._new(p.str("name", max_len=100), self._tipping(p) or {})
        return Response(200, copy.deepcopy(self.configurations[cfg_id]))

    def list(self, req: Request) -> Response:
        p = Params(req.form, {"is_account_default", "limit", "starting_after", "ending_before"})
        default = p.bool("is_account_default")
        items = [c for c in reversed(self.configurations.values())
                 if default is None or c["is_account_default"] == default]
        return Response(200, paginate(items, req.form, "/v1/terminal/configurations", render=copy.deepcopy,
                                      allowed={"is_account_default"}))

    def get(self, req: Request) -> Response:
        Params(req.form, ())
        return Response(200, copy.deepcopy(self.get_config(req.params["id"])))

    def update(self, req: Request) -> Response:
        cfg = self.get_config(req.params["id"])
        p = Params(req.form, {"name", "tipping", "bbpos_wisepos_e", "stripe_s700", "offline", "reboot_window",
                              "wifi"})
        if p.str("name"):
            cfg["name"] = p.str("name", max_len=100)
        tipping = self._tipping(p)
        if tipping is not None:
            cfg["tipping"] = tipping
        return Response(200, copy.deepcopy(cfg))

    def delete(self, req: Request) -> Response:
        cfg = self.get_config(req.params["id"])
        if cfg["is_account_default"]:
            raise fail(400, None, "The account's default configuration cannot be deleted.")
        del self.configurations[cfg["id"]]
        for loc in self.stripe.locations.values():
            if loc.get("configuration_overrides") == cfg["id"]:
                del loc["configuration_overrides"]
        return Response(200, {"id": cfg["id"], "object": "terminal.configuration", "deleted": True})

    # ==== what the reader shows ==============================================================================
    def suggestions(self, reader: dict, currency: str, amount_eligible: int) -> list[int]:
        """The three tips (minor units) the reader offers, from the configuration of its location (else the
        account's default); [] when nothing is configured for `currency`. Smart tipping: below the threshold the
        fixed amounts, at or above it the percentages of `amount_eligible` (rounded half up)."""
        loc = self.stripe.locations.get(reader.get("location") or "")
        cfg = self.configurations.get((loc or {}).get("configuration_overrides") or self.default_id)
        tip = ((cfg or {}).get("tipping") or {}).get(currency) or {}
        fixed, percent = tip.get("fixed_amounts"), tip.get("percentages")
        threshold = tip.get("smart_tip_threshold")
        if fixed and (not percent or (threshold is not None and amount_eligible < threshold)):
            return list(fixed)
        if percent:
            return [(amount_eligible * pct + 50) // 100 for pct in percent]
        return []

    def chosen_tip(self, reader: dict, currency: str, amount_eligible: int) -> int:
        options = self.suggestions(reader, currency, amount_eligible)
        if self.tip_choice is None or not 0 <= self.tip_choice < len(options):
            return 0
        return options[self.tip_choice]
