"""What the benchmark scripts share: the hardware line and a reference server in a subprocess."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devtune_contract.closing import Closing

STARTUP_TIMEOUT = 20.0


def hardware_line() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def wait_until_listening(process: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    """Whether ``process`` listens on ``port`` within ``timeout`` seconds (False if it died)."""
    deadline = time.monotonic() + timeout
    while not listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class ServerProcess(Closing):
    """``devtune-contract serve`` on a free loopback port, in its own process (its own core)."""

    def __init__(self, *options: str) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="devtune-bench-")
        scratch = Path(self._directory.name)
        self.port = free_port()
        env_file = scratch / "credentials.env"
        command = [
            sys.executable,
            "-m",
            "devtune_contract.cli",
            "serve",
            "--port",
            str(self.port),
            "--db",
            str(scratch / "state.sqlite"),
            "--env-file",
            str(env_file),
            *options,
        ]
        self._process = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if not wait_until_listening(self._process, self.port, STARTUP_TIMEOUT):
            self.close()
            raise RuntimeError("the reference server did not start")
        self.environment = dict(
            line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line
        )

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)
        self._directory.cleanup()
