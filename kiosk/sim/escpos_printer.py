"""A stand-in ESC/POS network printer (raw TCP, as on port 9100) that decodes what it receives.

Tests print to it and assert the decoded receipt; demo mode can print to it too. It understands what a receipt
uses — text in the selected code page, styles, alignment, feeds, cuts, native QR codes (GS ( k), raster images
(GS v 0) and the real-time status query (DLE EOT n), answered like an Epson printer — and records any other
command byte as unknown, so a test sees a stream it could not read. Modes: `paper_out` (the status says no
paper), `silent` (status queries get no answer, as on printers that never report), `drop_after` (close the
connection after n bytes: a printer switched off mid-receipt). Imports nothing of ours.
"""
from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass, field
from typing import Self

# ESC t n → Python codec (Epson's numbering; the pages python-escpos's default profile switches between)
CODE_PAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 13: "cp857", 14: "cp737", 15: "iso8859_7",
              16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858", 39: "iso8859_2", 40: "iso8859_15", 45: "cp1250",
              46: "cp1251", 47: "cp1253", 48: "cp1254", 49: "cp1255", 50: "cp1256", 51: "cp1257", 52: "cp1258"}
PAPER_OK, PAPER_OUT = 0x12, 0x72  # DLE EOT 4 answers: sensors clear / roll end (python-escpos RT_MASK_*)
ONLINE = 0x12
# ESC/GS commands with a fixed number of parameter bytes that only change how text looks
_ESC_ARGS = {b"!": 1, b"E": 1, b"G": 1, b"-": 1, b"M": 1, b"a": 1, b"{": 1, b"t": 1, b"d": 1, b"J": 1, b"3": 1,
             b"2": 0, b"@": 0, b"V": 1, b" ": 1, b"$": 2, b"p": 3, b"c": 2, b"D": None}
_GS_ARGS = {b"!": 1, b"B": 1, b"b": 1, b"L": 2, b"W": 2, b"H": 1, b"f": 1, b"h": 1, b"w": 1}


@dataclass
class Printout:
    """What one connection printed, decoded."""

    lines: list[str] = field(default_factory=list)  # text lines as printed (LF-terminated)
    bold_lines: list[str] = field(default_factory=list)
    centred_lines: list[str] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    images: list[tuple[int, int]] = field(default_factory=list)  # (width, height) in dots
    cuts: int = 0
    status_queries: int = 0
    initialised: int = 0
    unknown: list[bytes] = field(default_factory=list)
    raw: bytes = b""

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class _Decoder:
    def __init__(self, answer) -> None:
        self.out = Printout()
        self.answer = answer  # callable(bytes) sending a status reply
        self.buf = b""
        self.line = bytearray()
        self.codec = "cp437"
        self.bold = self.centre = False
        self.qr_data = b""
        self.parts: list[str] = []

    def feed(self, data: bytes) -> None:
        self.out.raw += data
        self.buf += data
        while self.buf:
            used = self._step(self.buf)
            if used == 0:  # an incomplete command: wait for more bytes
                return
            self.buf = self.buf[used:]

    def _flush_text(self) -> None:
        if self.line:
            self.parts.append(self.line.decode(self.codec, errors="replace"))
            self.line.clear()

    def _newline(self) -> None:
        self._flush_text()
        text = "".join(self.parts)
        self.parts = []
        self.out.lines.append(text)
        if self.bold:
            self.out.bold_lines.append(text)
        if self.centre:
            self.out.centred_lines.append(text)

    def _step(self, b: bytes) -> int:
        c = b[0]
        if c == 0x0A:
            self._newline()
            return 1
        if c == 0x0D:
            return 1
        if c == 0x10:  # DLE EOT n: real-time status
            if len(b) < 3:
                return 0
            if b[1:2] == b"\x04":
                self.out.status_queries += 1
                self.answer(b[2])
                return 3
            self.out.unknown.append(b[:2])
            return 2
        if c == 0x1B:
            if len(b) < 2:
                return 0
            cmd = b[1:2]
            n = _ESC_ARGS.get(cmd, -1)
            if n == -1:
                self.out.unknown.append(b[:2])
                return 2
            if n is None:  # ESC D tabs: a NUL-terminated list
                end = b.find(b"\x00", 2)
                return 0 if end < 0 else end + 1
            if len(b) < 2 + n:
                return 0
            arg = b[2] if n else 0
            self._flush_text()
            if cmd == b"@":
                self.out.initialised += 1
                self.bold = self.centre = False
                self.codec = "cp437"
            elif cmd == b"E":
                self.bold = bool(arg & 1)
            elif cmd == b"a":
                self.centre = arg in (1, 49)
            elif cmd == b"t":
                self.codec = CODE_PAGES.get(arg, "cp437")
            elif cmd == b"d":
                for _ in range(arg):
                    self._newline()
            return 2 + n
        if c == 0x1D:
            if len(b) < 2:
                return 0
            cmd = b[1:2]
            if cmd == b"V":  # cut: m (0, 1, 48, 49) or m n (65, 66)
                if len(b) < 3:
                    return 0
                size = 4 if b[2] in (65, 66) else 3
                if len(b) < size:
                    return 0
                self._flush_text()
                self.out.cuts += 1
                return size
            if cmd == b"(":  # GS ( k pL pH cn fn [m] data
                if len(b) < 5:
                    return 0
                size = 5 + b[3] + 256 * b[4]
                if len(b) < size:
                    return 0
                if b[2:3] == b"k":
                    self._code_2d(b[5:size])
                else:
                    self.out.unknown.append(b[:3])
                return size
            if cmd == b"v":  # GS v 0 m xL xH yL yH data: raster image, x bytes per row
                if len(b) < 8:
                    return 0
                width, height = b[4] + 256 * b[5], b[6] + 256 * b[7]
                size = 8 + width * height
                if len(b) < size:
                    return 0
                self._flush_text()
                self.out.images.append((width * 8, height))
                return size
            n = _GS_ARGS.get(cmd)
            if n is None:
                self.out.unknown.append(b[:2])
                return 2
            return 0 if len(b) < 2 + n else 2 + n
        if c < 0x20 and c not in (0x09,):
            self.out.unknown.append(b[:1])
            return 1
        self.line.append(c)
        return 1

    def _code_2d(self, body: bytes) -> None:
        cn, fn = body[0:1], body[1:2]
        if cn != b"1":  # not a QR code (PDF417, MaxiCode…)
            self.out.unknown.append(b"\x1d(k" + cn)
        elif fn == b"P":  # store the data (after the m byte)
            self.qr_data = body[3:]
        elif fn == b"Q":  # print the stored symbol
            self._flush_text()
            self.out.qr_codes.append(self.qr_data.decode("utf-8", errors="replace"))


class EscposPrinter:
    """`with EscposPrinter() as printer:` → printer.port; printer.printouts (one per connection, decoded)."""

    def __init__(self, host: str = "127.0.0.1", *, paper_out: bool = False, silent: bool = False,
                 drop_after: int | None = None) -> None:
        self.paper_out, self.silent, self.drop_after = paper_out, silent, drop_after
        self.printouts: list[Printout] = []
        self._sock = socket.create_server((host, 0))
        self._sock.settimeout(0.2)
        self.host, self.port = self._sock.getsockname()[:2]
        self._stop = threading.Event()
        self._done = threading.Condition()
        self._thread = threading.Thread(target=self._serve, name="kiosk-escpos-printer", daemon=True)
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[Printout]:
        """The printouts, once `count` connections have been closed."""
        with self._done:
            self._done.wait_for(lambda: len(self.printouts) >= count, timeout)
        return list(self.printouts)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                self._receive(conn)

    def _receive(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)

        def answer(n: int) -> None:
            if not self.silent:
                conn.sendall(bytes([(PAPER_OUT if self.paper_out else PAPER_OK) if n == 4 else ONLINE]))

        decoder = _Decoder(answer)
        received = 0
        while not self._stop.is_set():
            try:
                data = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if self.drop_after is not None and received + len(data) > self.drop_after:
                decoder.feed(data[: self.drop_after - received])
                # the printer went away mid-receipt: reset the connection (RST), as a power cut does
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                break
            received += len(data)
            decoder.feed(data)
        decoder._flush_text()
        with self._done:
            self.printouts.append(decoder.out)
            self._done.notify_all()
