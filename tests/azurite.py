"""Azurite, Microsoft's local Azure Storage emulator, as a real Blob endpoint for the tests.

Installed pinned by `make azurite` (`npm ci --prefix tools/azurite`, which `make test` runs).
One Blob service per test session: on a port the OS picks, with its data in the session's
temporary folder, started with `--skipApiVersionCheck` (the Python SDK speaks a newer API
version than Azurite knows) and `--loose`. It is stopped by its PID when the session ends; where
util-linux's `setpriv` is there (it is on Debian), the kernel also stops it if the test process
dies first (parent-death signal), so a killed test run leaves no server behind.

The access log (Azurite's stdout) is kept: tests read it to count the requests the code made.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

REPO = Path(__file__).resolve().parents[1]
AZURITE_BLOB = REPO / "tools" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "devstoreaccount1"
# Azurite's published development key (in Microsoft's Azurite documentation): not a secret.
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
START_TIMEOUT_S = 60.0
_LISTENING = re.compile(rb"successfully listens on http://127\.0\.0\.1:(\d+)")
_REQUEST = re.compile(r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[\d.]+" (?P<status>\d{3})')


class AzuriteError(RuntimeError):
    """Azurite is not installed, or did not start."""


@dataclass(frozen=True)
class Request:
    """One request from Azurite's access log."""

    method: str
    path: str
    query: dict[str, str]
    status: int


@dataclass
class Azurite:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def blob_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.blob_endpoint};"
        )

    def requests(self, container: str) -> list[Request]:
        """Every request Azurite has logged for `container`, oldest first."""
        self._wait_for_log()
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            m = _REQUEST.search(line)
            if m is None:
                continue
            path, _, query = m["target"].partition("?")
            path = unquote(path)
            if path != f"/{ACCOUNT}/{container}" and not path.startswith(
                f"/{ACCOUNT}/{container}/"
            ):
                continue
            params = dict(
                (unquote(k), unquote(v)) for k, _, v in (p.partition("=") for p in query.split("&"))
            )
            out.append(Request(m["method"], path, params, int(m["status"])))
        return out

    def _wait_for_log(self, quiet_s: float = 0.3, limit_s: float = 5.0) -> None:
        """Azurite writes its log asynchronously: a request answered a moment ago may not be in
        the file yet. Wait until the file has not grown for `quiet_s` (at most `limit_s`)."""
        deadline = time.monotonic() + limit_s
        size, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now_size = self.log.stat().st_size if self.log.exists() else 0
            if now_size != size:
                size, quiet_since = now_size, time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_s:
                return
            time.sleep(0.05)

    def list_requests(self, container: str) -> list[Request]:
        """The blob-listing requests (`comp=list` on the container) made for `container`."""
        return [r for r in self.requests(container) if r.query.get("comp") == "list"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _log_tail(log: Path) -> str:
    text = log.read_text(errors="replace").strip() if log.exists() else ""
    return " | ".join(text.splitlines()[-5:]) or "(no output)"


def start_azurite(workdir: Path) -> Azurite:
    """Start Azurite's Blob service with its data in `workdir`; return once it answers."""
    if not AZURITE_BLOB.exists():
        raise AzuriteError(
            f"Azurite is not installed ({AZURITE_BLOB} is missing): run `make azurite` "
            "(npm ci --prefix tools/azurite), which `make test` does"
        )
    if shutil.which("node") is None:
        raise AzuriteError("Azurite needs Node.js, and `node` is not on PATH")
    log = workdir / "azurite.log"
    setpriv = shutil.which("setpriv")
    die_with_us = [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *die_with_us,
                str(AZURITE_BLOB),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",
                "--skipApiVersionCheck",
                "--loose",
                "--location",
                str(workdir / "data"),
                "--disableTelemetry",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = None
    try:
        server = _wait_until_listening(process, log)
        return server
    finally:
        if server is None:
            Azurite(process, 0, log).stop()


def _wait_until_listening(process: subprocess.Popen, log: Path) -> Azurite:
    deadline = time.monotonic() + START_TIMEOUT_S
    port = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AzuriteError(f"Azurite exited with status {process.returncode}: {_log_tail(log)}")
        if port is None:
            m = _LISTENING.search(log.read_bytes())
            port = int(m[1]) if m else None
        if port is not None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return Azurite(process, port, log)
            except OSError:
                pass
        time.sleep(0.1)
    raise AzuriteError(f"Azurite did not answer within {START_TIMEOUT_S:g} s: {_log_tail(log)}")
