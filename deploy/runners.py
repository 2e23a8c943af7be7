"""Beam runners the project can start by itself.

- Prism, Beam's local runner: Beam's Python SDK would download a binary from GitHub, which
  these machines cannot reach; the same program builds from the Go module proxy with
  `go install`, once, into the cache.
- Flink, embedded in Beam's Flink job server (`--flink-master=[local]`): the job server's
  classpath is assembled from Maven Central jars (deploy/flink/), checked against a manifest.
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
def _job_server(command: list[str], port: int, name: str, stop_timeout: float) -> Iterator[str]:
    """Start a job server for this process only, wait until it listens; yield its endpoint."""
    log_path = run_dir() / "logs" / f"{name}-{os.getpid()}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
    try:
        _wait_for_port(process, port, log_path, name)
        yield f"localhost:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def prism_server() -> Iterator[str]:
    """A Prism job server for this process; yields its job endpoint."""
    port = _free_port()
    command = [
        str(prism_binary()),
        "--job_port",
        str(port),
        "--serve_http=false",
        "--log_level",
        "warn",
        "--idle_shutdown_timeout",
        "10m",
    ]
    with _job_server(command, port, "prism", stop_timeout=10) as endpoint:
        yield endpoint


def prism_args(endpoint: str) -> list[str]:
    return ["--runner=PrismRunner", f"--job_endpoint={endpoint}"]


FLINK_HERE = Path(__file__).resolve().parent / "flink"
FLINK_JOB_SERVER = "beam-runners-flink-1.19-2.70.0"


def flink_classpath() -> Path:
    from deploy.artifacts import maven_dependencies

    return maven_dependencies(
        FLINK_HERE / "flink-job-server.pom.xml",
        cache_dir() / f"flink-job-server-{FLINK_JOB_SERVER}",
        FLINK_HERE / "flink-jars.sha256",
    )


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path, what: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RunnerUnavailable(f"{what} exited at start; see {log}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise RunnerUnavailable(f"{what} did not listen on port {port}; see {log}")
        time.sleep(0.2)


@contextlib.contextmanager
def flink_job_server() -> Iterator[str]:
    """Beam's Flink job server with an embedded Flink cluster; yields its job endpoint."""
    from deploy.local.stack import _java_home

    libs = flink_classpath()
    port = _free_port()
    command = [
        str(_java_home() / "bin" / "java"),
        "-Xmx1g",
        # Flink 1.19 reflects into these on Java 17.
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED",
        "-cp",
        f"{libs}/*",
        "org.apache.beam.runners.flink.FlinkJobServerDriver",
        "--flink-master=[local]",
        f"--job-port={port}",
        "--artifact-port=0",
        "--expansion-port=0",
    ]
    with _job_server(command, port, "flink-job-server", stop_timeout=20) as endpoint:
        yield endpoint


def flink_args(endpoint: str, parallelism: int = 2) -> list[str]:
    return [
        "--runner=PortableRunner",
        f"--job_endpoint={endpoint}",
        "--environment_type=LOOPBACK",
        f"--parallelism={parallelism}",
    ]
