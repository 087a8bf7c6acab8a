"""Plain-text receipt for a paid sale (printed on a Mercado Pago Point Smart through a terminal action)."""
from __future__ import annotations

from kiosk.domain.cart import Cart
from kiosk.domain.payment import PaymentAttempt

WIDTH = 32  # characters per line on the Point Smart's 58 mm printer


def format_receipt(cart: Cart, attempt: PaymentAttempt, shop: str = "kiosk") -> str:
    def row(left: str, right: str) -> str:
        left = left[: WIDTH - len(right) - 1]
        return left + " " * (WIDTH - len(left) - len(right)) + right

    lines = [shop.center(WIDTH), "-" * WIDTH]
    for line in cart.lines:
        lines.append(row(f"{line.quantity} x {line.product.name}", line.subtotal.format()))
    lines += ["-" * WIDTH, row("Subtotal", cart.subtotal.format()), row("Tax", cart.tax.format()),
              row("TOTAL", cart.total.format()), "", f"Payment {attempt.payment_id or ''}"[:WIDTH],
              f"Ref {attempt.id[:12]}", "Thank you!".center(WIDTH)]
    return "\n".join(lines)
