"""Beam runners the project can start by itself: Prism, built from Beam's Go module.

Beam's Python SDK would download a Prism binary from GitHub, which these machines cannot
reach; the same program builds from the Go module proxy with `go install`, once, into the
cache.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import apache_beam

from deploy.paths import cache_dir, run_dir


class RunnerUnavailable(RuntimeError):
    pass


def beam_version() -> str:
    return str(apache_beam.__version__)


def prism_binary() -> Path:
    """The Prism binary matching the installed Beam SDK, built on first use (about 3 min)."""
    version = beam_version()
    target = cache_dir() / f"prism-{version}"
    binary = target / "prism"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        raise RunnerUnavailable("building Prism needs Go (https://go.dev) on the PATH")
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GOBIN": str(target), "CGO_ENABLED": "0"}
    module = f"github.com/apache/beam/sdks/v2/go/cmd/prism@v{version}"
    result = subprocess.run(
        [go, "install", module], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not binary.exists():
        raise RunnerUnavailable(f"go install {module} failed:\n{result.stderr[-2000:]}")
    return binary


def _die_with_parent() -> None:
    """In the child before exec: own session (a terminal's Ctrl-C or a service manager's
    SIGTERM to our group must reach us, not the runner, so that we can settle in-flight work
    first), and SIGTERM when the launching process dies, even by SIGKILL."""
    os.setsid()
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def prism_server(log_file: Path | None = None) -> Iterator[str]:
    """A Prism job server for this process; yields its job endpoint."""
    binary = prism_binary()
    port = _free_port()
    log_path = log_file or run_dir() / "logs" / f"prism-{os.getpid()}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [
                str(binary),
                "--job_port",
                str(port),
                "--serve_http=false",
                "--log_level",
                "warn",
                "--idle_shutdown_timeout",
                "10m",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RunnerUnavailable(f"Prism exited at start; see {log_path}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RunnerUnavailable(f"Prism did not listen on port {port}; see {log_path}")
            time.sleep(0.1)
        yield f"localhost:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prism_args(endpoint: str) -> list[str]:
    return ["--runner=PrismRunner", f"--job_endpoint={endpoint}"]
