"""Render resources/icons/kiosk.svg into the PNG sizes, the Windows .ico and the macOS .icns (committed outputs).

Run after editing the SVG: `python packaging/make_icons.py` (needs the `packaging` extra: Pillow)."""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)


def render(size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(ICONS / "kiosk.svg")).render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return bytes(data.data())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    images = {}
    for size in SIZES:
        png = render(size)
        images[size] = Image.open(io.BytesIO(png)).convert("RGBA")
        if size <= 512:
            (ICONS / f"kiosk-{size}.png").write_bytes(png)
    images[256].save(ICONS / "kiosk.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)],
                     append_images=[images[s] for s in (16, 24, 32, 48, 64, 128)])
    images[1024].save(ICONS / "kiosk.icns", append_images=[images[s] for s in (16, 32, 64, 128, 256, 512)])
    print(f"wrote {len(list(ICONS.iterdir()))} files in {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
