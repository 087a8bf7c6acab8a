"""Plain-text receipt for a paid sale (printed on a Mercado Pago Point Smart through a terminal action)."""
from __future__ import annotations

from kiosk.domain.cart import Cart
from kiosk.domain.payment import PaymentAttempt
from kiosk.domain.pricing import tax_figures
from kiosk.i18n import _

WIDTH = 32  # characters per line on the Point Smart's 58 mm printer


def _plain(text: str) -> str:
    """CLDR puts no-break spaces in amounts ("R$ 3,50"); a receipt printer's font may not have them."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def format_receipt(cart: Cart, attempt: PaymentAttempt, shop: str = "kiosk") -> str:
    def row(left: str, right: str) -> str:
        left = left[: WIDTH - len(right) - 1]
        return left + " " * (WIDTH - len(left) - len(right)) + right

    lines = [shop.center(WIDTH), "-" * WIDTH]
    for line in cart.lines:
        item = _("%(quantity)d x %(product)s") % {"quantity": line.quantity, "product": line.product.name}
        lines.append(row(item, _plain(line.subtotal.format())))
    t = cart.totals()
    lines += ["-" * WIDTH, row(_("Subtotal"), _plain(t.subtotal.format()))]
    if t.discount.minor:  # every discount, so the figures printed add up to the total
        lines.append(row(_("Discount"), "-" + _plain(t.discount.format())))
    lines += [row(name, _plain(tax.format())) for name, tax in tax_figures(t, cart.policy.prices_include_tax)]
    lines += [row(_("TOTAL"), _plain(t.total.format())), "",
              (_("Payment %(id)s") % {"id": attempt.payment_id or ""})[:WIDTH],
              _("Ref %(ref)s") % {"ref": attempt.id[:12]}, _("Thank you!").center(WIDTH)]
    return "\n".join(lines)
