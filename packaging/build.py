"""Build the one-folder app for this OS into dist/kiosk/ and run the frozen `kiosk --self-test`; non-zero on failure.

    python packaging/build.py            # build + frozen self-test (what CI runs)
    python packaging/build.py --deb      # … then dist/kiosk_<version>_<arch>.deb (Linux, needs dpkg-deb)
    python packaging/build.py --no-build # self-test an existing dist/kiosk

The self-test runs from a fresh temporary directory with temporary config/data/log folders and without
PYTHONPATH, so the frozen app cannot borrow the source tree, the venv or the user's settings (as Picard's CI runs
its frozen binary). Installers (Inno Setup, .dmg) wrap this same folder: see packaging/README.md."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
APP = DIST / "kiosk"
EXE = APP / ("kiosk.exe" if sys.platform == "win32" else "kiosk")
SELF_TEST_TIMEOUT_S = 240
# Both providers: Stripe runs through the stripe SDK, Mercado Pago through requests (+ certifi), each lazily imported.
PROVIDERS = ("demo_stripe", "demo_mercadopago")


def build() -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                    "--distpath", str(DIST), "--workpath", str(ROOT / "build" / "pyinstaller"),
                    str(ROOT / "packaging" / "kiosk.spec")], check=True, cwd=ROOT)
    return time.monotonic() - started


def folder_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def self_test_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "KIOSK_", "VIRTUAL_ENV"))}
    env.update(QT_QPA_PLATFORM="offscreen", KIOSK_CONFIG_DIR=str(tmp / "config"), KIOSK_DATA_DIR=str(tmp / "data"),
               KIOSK_LOG_DIR=str(tmp / "logs"))
    return env


def run_self_test(exe: Path = EXE, provider: str = PROVIDERS[0]) -> int:
    """Run the frozen app's --self-test from another directory; 0 only if it says `self-test ok` and was frozen."""
    if not exe.is_file():
        print(f"build.py: {exe} does not exist", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="kiosk-frozen-") as tmp:
        try:
            done = subprocess.run([str(exe), "--self-test", "--provider", provider], cwd=tmp, env=self_test_env(Path(tmp)),
                                  capture_output=True, text=True, timeout=SELF_TEST_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            print(f"build.py: the frozen self-test did not finish in {SELF_TEST_TIMEOUT_S} s", file=sys.stderr)
            return 1
    print(done.stdout, end="")
    print(done.stderr, end="", file=sys.stderr)
    # A windowed Windows build may have no stdout: then the exit status alone decides.
    said_ok = "self-test ok" in done.stdout or not done.stdout
    frozen = '"frozen": true' in done.stdout or not done.stdout
    if done.returncode != 0 or not said_ok or not frozen:
        print(f"build.py: frozen self-test ({provider}) FAILED (exit {done.returncode}"
              + ("" if frozen else ", and the app did not run frozen") + ")", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-build", action="store_true", help="self-test the existing dist/kiosk")
    ap.add_argument("--deb", action="store_true", help="also build a .deb from the bundle (Linux)")
    args = ap.parse_args(argv)
    if not args.no_build:
        seconds = build()
        print(f"build.py: built {APP} in {seconds:.0f} s, {folder_size(APP) / 2**20:.1f} MiB")
    status = max(run_self_test(provider=p) for p in PROVIDERS)
    if status == 0:
        print(f"build.py: frozen self-test passed ({', '.join(PROVIDERS)})")
    if status == 0 and args.deb:
        sys.path.insert(0, str(ROOT / "packaging" / "linux"))
        from build_deb import build_deb, inspect_deb

        deb = build_deb(APP, DIST)
        paths, _ = inspect_deb(deb)  # raises if the entry point, desktop entry or icons are missing
        print(f"build.py: wrote {deb} ({deb.stat().st_size / 2**20:.1f} MiB, {len(paths)} entries)")
    return status


if __name__ == "__main__":
    sys.exit(main())
