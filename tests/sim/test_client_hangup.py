"""A client that resets a kept-alive connection (wrk stopping, a till killed mid-request) is normal traffic: the
emulator must not print a traceback for it (it did, once per connection, in the benchmark's wrk run)."""
from __future__ import annotations

import socket
import struct
import time

from kiosk.sim import Emulator


def test_connection_reset_by_client_prints_nothing(capfd):
    with Emulator(seed=1).start() as emu:
        host, port = emu.url.removeprefix("http://").split(":")
        for _ in range(3):
            s = socket.create_connection((host, int(port)))
            s.sendall(b"POST /v1/terminal/readers/x/cancel_action HTTP/1.1\r\nHost: x\r\n")  # half a request
            time.sleep(0.05)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close → RST
            s.close()
        time.sleep(0.3)  # let the handler threads read the reset
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ConnectionResetError" not in err, err
