"""The whole app embedded in the test process: main() reuses the QApplication and the self-test passes."""
import json

from PySide6.QtWidgets import QApplication

from kiosk.app import main


def test_self_test_drives_the_real_window(qapp, capsys):
    code = main(["--self-test"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0, out
    assert QApplication.instance() is qapp, "main() must reuse the existing QApplication"
    assert out[-2] == "self-test ok"
    timings = json.loads(out[-1])
    assert timings["click_to_idle_ms"] > 0 and timings["raw_sdk_cancel_ms"]["n"] == 20
    assert timings["provider"] == "demo_stripe"


def test_bad_arguments_exit_with_usage(qapp, capsys):
    try:
        main(["--provider", "paypal"])
    except SystemExit as e:
        assert e.code == 2
    assert "invalid choice" in capsys.readouterr().err
