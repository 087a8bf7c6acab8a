"""Parse Stripe-style bracket-nested form bodies: `metadata[k]=v`, `cart[line_items][0][amount]=659`."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

_TOKEN = re.compile(r"\[([^\[\]]*)\]")


class FormError(ValueError):
    pass


def parse_nested(text: str) -> dict:
    """Decode an x-www-form-urlencoded string into nested dicts/lists (escaped or raw brackets)."""
    root: dict = {}
    for key, value in parse_qsl(text, keep_blank_values=True, strict_parsing=False):
        head, _, rest = key.partition("[")
        parts = [head] + (_TOKEN.findall("[" + rest) if rest else [])
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":  # `a[]=x` appends
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise FormError(f"conflicting keys at {key!r}")
                node = child
    return _listify(root)


def _listify(node):
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node
