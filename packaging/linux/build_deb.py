"""A .deb from the PyInstaller folder (dist/kiosk): /opt/kiosk, /usr/bin/kiosk, a desktop entry and the icons.

Why a .deb and not an AppImage: counter PCs are managed Debian/Ubuntu machines (apt, unattended upgrades); a
.deb installs system-wide for every cashier account, declares the system libraries the bundle leaves out (see
kiosk.spec), and needs no FUSE. `python packaging/build.py --deb` calls build_deb(); tests/packaging runs it on a
stand-in folder and reads the result back with `dpkg-deb`."""
from __future__ import annotations

import importlib.metadata
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ICONS = HERE.parents[1] / "resources" / "icons"
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
# The libraries kiosk.spec leaves to the system (what the PySide6 wheel itself expects on the machine).
DEPENDS = ("libc6, libstdc++6, libgl1, libegl1, libfontconfig1, libfreetype6, libdbus-1-3, libglib2.0-0 | libglib2.0-0t64, "
           "libx11-6, libx11-xcb1, libxcb1, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, "
           "libxcb-randr0, libxcb-render-util0, libxcb-shape0, libxcb-xfixes0, libxcb-xkb1, libxkbcommon0, "
           "libxkbcommon-x11-0, libwayland-client0, libwayland-cursor0, libwayland-egl1")


def control(version: str, size_kib: int) -> str:
    return (f"Package: kiosk\nVersion: {version}\nArchitecture: {ARCH}\nMaintainer: kiosk maintainers\n"
            f"Installed-Size: {size_kib}\nDepends: {DEPENDS}\nSection: misc\nPriority: optional\n"
            "Description: card-present payments at the counter (Stripe Terminal, Mercado Pago Point)\n"
            " Counter and self-service payments that get cancel right; demo mode with a built-in emulator.\n")


def build_deb(bundle: Path, out_dir: Path, version: str | None = None) -> Path:
    version = version or importlib.metadata.version("kiosk")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kiosk-deb-") as tmp:
        root = Path(tmp) / "root"
        shutil.copytree(bundle, root / "opt" / "kiosk", symlinks=True)
        (root / "usr" / "bin").mkdir(parents=True)
        (root / "usr" / "bin" / "kiosk").symlink_to("/opt/kiosk/kiosk")
        apps = root / "usr" / "share" / "applications"
        apps.mkdir(parents=True)
        shutil.copy2(HERE / "kiosk.desktop", apps / "kiosk.desktop")
        hicolor = root / "usr" / "share" / "icons" / "hicolor"
        for png in ICONS.glob("kiosk-*.png"):
            size = png.stem.split("-")[1]
            (hicolor / f"{size}x{size}" / "apps").mkdir(parents=True)
            shutil.copy2(png, hicolor / f"{size}x{size}" / "apps" / "kiosk.png")
        (hicolor / "scalable" / "apps").mkdir(parents=True)
        shutil.copy2(ICONS / "kiosk.svg", hicolor / "scalable" / "apps" / "kiosk.svg")
        size_kib = sum(p.lstat().st_size for p in root.rglob("*") if p.is_file()) // 1024
        (root / "DEBIAN").mkdir()
        (root / "DEBIAN" / "control").write_text(control(version, size_kib), encoding="utf-8")
        for p in root.rglob("*"):  # dpkg wants 0755 folders and no group/other-writable files
            if not p.is_symlink():
                p.chmod(0o755 if p.is_dir() or p.stat().st_mode & 0o111 else 0o644)
        deb = out_dir / f"kiosk_{version}_{ARCH}.deb"
        # gzip: xz takes minutes for 120 MB on two busy cores; apt installs either.
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb)], check=True,
                       capture_output=True)
    return deb


REQUIRED = ("./opt/kiosk/kiosk", "./usr/bin/kiosk", "./usr/share/applications/kiosk.desktop",
            "./usr/share/icons/hicolor/256x256/apps/kiosk.png", "./usr/share/icons/hicolor/scalable/apps/kiosk.svg")


def inspect_deb(deb: Path) -> tuple[list[str], str]:
    """Read the package back with dpkg-deb: (paths, control); ValueError if a required path is missing."""
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], check=True, capture_output=True, text=True).stdout
    paths = [line.split()[5] for line in listing.splitlines() if len(line.split()) >= 6]
    control_text = subprocess.run(["dpkg-deb", "-f", str(deb)], check=True, capture_output=True, text=True).stdout
    missing = [p for p in REQUIRED if p not in paths]
    if missing:
        raise ValueError(f"{deb.name} lacks {', '.join(missing)}")
    return paths, control_text
