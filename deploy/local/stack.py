"""The local stack: a one-node Kafka broker (KRaft) and an Elasticsearch server on loopback.

Both come from Maven Central (no Docker here), are cached under the cache directory and run with
their data and logs under one run directory. `up` and `down` are idempotent.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy.artifacts import MavenArtifact, fetch, maven_dependencies
from deploy.paths import cache_dir, run_dir

HERE = Path(__file__).resolve().parent

KAFKA_VERSION = "4.1.2"
ES_VERSION = "8.19.21"
ES_DIST = MavenArtifact(
    "org.elasticsearch.distribution.integ-test-zip",
    "elasticsearch",
    ES_VERSION,
    "215d5f3dbf0609a149f6218a9e47b6ae2df34ebbff3c5754e35f15a5e5393c8a",
    extension="zip",
)
ES_USER = "newswire-es"
KAFKA_PORT = int(os.environ.get("NEWSWIRE_LOCAL_KAFKA_PORT", "9092"))
KAFKA_CONTROLLER_PORT = KAFKA_PORT + 1
# A second listener that demands SASL/SCRAM, so production-style authentication is tested
# against the real broker; the PLAINTEXT one stays for local convenience.
KAFKA_SASL_PORT = KAFKA_PORT + 2
SCRAM_USER = "newswire"
ES_PORT = int(os.environ.get("NEWSWIRE_LOCAL_ES_PORT", "9200"))
ES_HEAP = os.environ.get("NEWSWIRE_LOCAL_ES_HEAP", "1g")


class StackError(RuntimeError):
    """A local service could not be prepared, started or stopped."""


@dataclass
class ServiceStatus:
    name: str
    running: bool
    ready: bool
    pid: int | None
    endpoint: str
    detail: str = ""

    def line(self) -> str:
        state = "ready" if self.ready else ("starting" if self.running else "stopped")
        pid = f"pid {self.pid}" if self.pid else "-"
        return f"{self.name:<14} {state:<9} {self.endpoint:<24} {pid:<12} {self.detail}"


# ---------------------------------------------------------------------------------------------
# helpers


def _java_home() -> Path:
    java_home = os.environ.get("NEWSWIRE_JAVA_HOME") or os.environ.get("JAVA_HOME")
    java = Path(java_home) / "bin" / "java" if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise StackError(
            "Java 17+ is needed for Kafka and Elasticsearch: install a JDK or set JAVA_HOME"
        )
    home = Path(os.path.realpath(java)).parent.parent
    out = subprocess.run([str(home / "bin" / "java"), "-version"], capture_output=True, text=True)
    first = (out.stderr or out.stdout).splitlines()[0] if (out.stderr or out.stdout) else ""
    try:
        major = int(first.split('"')[1].split(".")[0])
    except (IndexError, ValueError) as exc:
        raise StackError(f"cannot read the Java version from: {first!r}") from exc
    if major < 17:
        raise StackError(f"Java {major} found at {home}; Kafka 4 and Elasticsearch 8 need Java 17+")
    return home


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _wait(predicate: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    raise StackError(f"{what} not ready after {timeout:.0f}s; last log lines from {log}:\n{tail}")


def _stop_pid(pid: int, timeout: float = 40.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.3)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)


class _LocalService:
    """What both services share: a pid file, a port, stop and status."""

    name: str
    port: int
    pid_file: Path

    @property
    def endpoint(self) -> str:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def pid(self) -> int | None:
        pid = _read_pid(self.pid_file)
        return pid if _pid_alive(pid) else None

    def stop(self) -> None:
        pid = self.pid()
        if pid:
            _stop_pid(pid)
        self.pid_file.unlink(missing_ok=True)

    def status(self) -> ServiceStatus:
        pid = self.pid()
        ready = self.ready() if pid else False
        foreign = not pid and _port_open(self.port)
        detail = "port taken by a process we did not start" if foreign else ""
        return ServiceStatus(self.name, bool(pid), ready, pid, self.endpoint, detail)


# ---------------------------------------------------------------------------------------------
# Kafka


class KafkaBroker(_LocalService):
    name = "kafka"
    port = KAFKA_PORT

    def __init__(self) -> None:
        self.home = run_dir() / "kafka"
        self.libs = cache_dir() / f"kafka-{KAFKA_VERSION}" / "libs"
        self.pid_file = self.home / "kafka.pid"
        self.log = run_dir() / "logs" / "kafka.log"

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{KAFKA_PORT}"

    def prepare(self) -> None:
        maven_dependencies(HERE / "kafka.pom.xml", self.libs, HERE / "kafka-jars.sha256")
        self.home.mkdir(parents=True, exist_ok=True)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        props = self.home / "server.properties"
        props.write_text(_kafka_properties(self.home / "data"))
        log4j = self.home / "log4j2.properties"
        log4j.write_text(
            (HERE / "kafka-log4j2.properties").read_text().replace("@LOG@", str(self.log))
        )
        if not (self.home / "data" / "meta.properties").exists():
            result = self._tool(
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                _kafka_cluster_id(),
                "-c",
                str(props),
                "--ignore-formatted",
            )
            if result.returncode != 0:
                raise StackError(f"kafka storage format failed:\n{result.stdout}{result.stderr}")

    def ready(self) -> bool:
        if not _port_open(KAFKA_PORT):
            return False
        try:
            from kafka import KafkaAdminClient

            admin = KafkaAdminClient(
                bootstrap_servers=self.endpoint, request_timeout_ms=3000, client_id="newswire-probe"
            )
            try:
                admin.list_topics()
            finally:
                admin.close()
            return True
        except Exception:
            return False

    def start(self) -> None:
        if self.pid():
            return
        if _port_open(KAFKA_PORT) or _port_open(KAFKA_CONTROLLER_PORT):
            raise StackError(
                f"port {KAFKA_PORT} or {KAFKA_CONTROLLER_PORT} is taken by another process; "
                "stop it or set NEWSWIRE_LOCAL_KAFKA_PORT"
            )
        self.prepare()
        java = _java_home() / "bin" / "java"
        with (run_dir() / "logs" / "kafka.stdout").open("ab") as out:
            proc = subprocess.Popen(
                [
                    str(java),
                    "-Xms256m",
                    "-Xmx512m",
                    "-XX:+UseG1GC",
                    "-cp",
                    f"{self.libs}/*",
                    f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
                    "kafka.Kafka",
                    str(self.home / "server.properties"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))

    def _tool(self, main_class: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of Kafka's command-line tools from the broker's jars."""
        return subprocess.run(
            [
                str(_java_home() / "bin" / "java"),
                "-cp",
                f"{self.libs}/*",
                f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
                main_class,
                *args,
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    @property
    def scram_password_file(self) -> Path:
        return self.home / "scram-password"

    def ensure_scram_user(self) -> None:
        """The SASL listener's user, created once per broker data directory."""
        marker = self.home / "data" / "newswire-scram-user"
        if marker.exists():
            return
        if not self.scram_password_file.exists():
            fd = os.open(self.scram_password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(18) + "\n")
        password = self.scram_password_file.read_text().strip()
        for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):  # one per request
            result = self._tool(
                "kafka.admin.ConfigCommand",
                "--bootstrap-server",
                self.endpoint,
                "--alter",
                # Briefly visible in `ps` on this machine: acceptable for the local dev
                # broker only (ConfigCommand takes no SCRAM credentials from a file).
                "--add-config",
                f"{mechanism}=[password={password}]",
                "--entity-type",
                "users",
                "--entity-name",
                SCRAM_USER,
            )
            if result.returncode != 0:
                output = (result.stdout + result.stderr).replace(password, "***")
                raise StackError(f"creating the SCRAM user failed:\n{output}")
        marker.write_text(SCRAM_USER + "\n")


def _kafka_cluster_id() -> str:
    # StorageTool wants a base64url UUID without padding (what `random-uuid` prints). One in 64
    # starts with "-", which the tool's argument parser reads as an option; Kafka's own
    # Uuid.randomUuid draws again in that case, and so do we.
    import base64

    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _kafka_properties(data_dir: Path) -> str:
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.bootstrap.servers=127.0.0.1:{KAFKA_CONTROLLER_PORT}",
            f"listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT},"
            f"CONTROLLER://127.0.0.1:{KAFKA_CONTROLLER_PORT},"
            f"SASL_PLAINTEXT://127.0.0.1:{KAFKA_SASL_PORT}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT},"
            f"SASL_PLAINTEXT://127.0.0.1:{KAFKA_SASL_PORT}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map="
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
            "sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512",
            "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            f"log.dirs={data_dir}",
            "num.partitions=3",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
            # Feeds send whole articles; allow up to 16 MiB so oversized ones reach the DLQ
            # with a reason instead of being refused at the broker.
            "message.max.bytes=16777216",
            "",
        ]
    )


# ---------------------------------------------------------------------------------------------
# Elasticsearch


class ElasticsearchServer(_LocalService):
    name = "elasticsearch"
    port = ES_PORT

    def __init__(self) -> None:
        self.base = run_dir() / "elasticsearch"
        self.home = self.base / f"elasticsearch-{ES_VERSION}"
        self.data = self.base / "data"
        self.logs = self.base / "logs"
        self.pid_file = self.base / "es.pid"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{ES_PORT}"

    @property
    def log(self) -> Path:
        return self.logs / "newswire-local.log"

    def _user(self) -> str | None:
        """The account ES runs as: a system user when we are root (ES refuses root)."""
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(ES_USER)
        except KeyError:
            result = subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    ES_USER,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise StackError(f"cannot create user {ES_USER}: {result.stderr.strip()}") from None
        return ES_USER

    def prepare(self) -> None:
        archive = fetch(ES_DIST)
        user = self._user()
        self.base.mkdir(parents=True, exist_ok=True)
        if not (self.home / "bin" / "elasticsearch").exists():
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(self.base)
            for script in (self.home / "bin").iterdir():
                script.chmod(0o755)
        for path in (self.data, self.logs):
            path.mkdir(parents=True, exist_ok=True)
        (self.home / "config" / "elasticsearch.yml").write_text(
            "\n".join(
                [
                    "cluster.name: newswire-local",
                    "node.name: newswire-local",
                    "discovery.type: single-node",
                    "network.host: 127.0.0.1",
                    f"http.port: {ES_PORT}",
                    "transport.port: 9300-9399",
                    f"path.data: {self.data}",
                    f"path.logs: {self.logs}",
                    "xpack.security.enabled: false",
                    "xpack.ml.enabled: false",
                    "cluster.routing.allocation.disk.threshold_enabled: false",
                    "action.destructive_requires_name: false",
                    "",
                ]
            )
        )
        jvm_dir = self.home / "config" / "jvm.options.d"
        jvm_dir.mkdir(exist_ok=True)
        (jvm_dir / "newswire-heap.options").write_text(f"-Xms{ES_HEAP}\n-Xmx{ES_HEAP}\n")
        os.chmod(run_dir(), 0o755)
        if user:
            record = pwd.getpwnam(user)
            for root, dirs, files in os.walk(self.base):
                os.chown(root, record.pw_uid, record.pw_gid)
                for name in dirs + files:
                    os.chown(
                        os.path.join(root, name),
                        record.pw_uid,
                        record.pw_gid,
                        follow_symlinks=False,
                    )

    def ready(self) -> bool:
        try:
            url = f"{self.endpoint}/_cluster/health?wait_for_status=yellow&timeout=1s"
            with urllib.request.urlopen(url, timeout=3) as response:
                return json.load(response).get("status") in ("yellow", "green")
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def start(self) -> None:
        if self.pid():
            return
        if _port_open(ES_PORT):
            raise StackError(
                f"port {ES_PORT} is taken by another process; stop it or set NEWSWIRE_LOCAL_ES_PORT"
            )
        self.prepare()
        env = dict(os.environ, ES_JAVA_HOME=str(_java_home()))
        env.pop("JAVA_HOME", None)
        cmd = [str(self.home / "bin" / "elasticsearch"), "-d", "-p", str(self.pid_file)]
        user = self._user()
        if user:
            cmd = ["runuser", "-u", user, "--", "env", f"ES_JAVA_HOME={env['ES_JAVA_HOME']}", *cmd]
        with (self.base.parent / "logs" / "elasticsearch.stdout").open("ab") as out:
            result = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        if result.returncode != 0:
            tail = (self.base.parent / "logs" / "elasticsearch.stdout").read_text(errors="replace")
            raise StackError(
                f"elasticsearch failed to start (exit {result.returncode}):\n{tail[-3000:]}"
            )


# ---------------------------------------------------------------------------------------------
# the stack


def services() -> list[KafkaBroker | ElasticsearchServer]:
    return [KafkaBroker(), ElasticsearchServer()]


def up(timeout: float = 180.0) -> list[ServiceStatus]:
    """Start what is not running and wait until every service answers."""
    (run_dir() / "logs").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    stack = services()
    for service in stack:
        service.start()
    for service in stack:
        log = service.log
        _wait(service.ready, timeout - (time.monotonic() - started), service.name, log)
        if isinstance(service, KafkaBroker):
            service.ensure_scram_user()
    return [service.status() for service in stack]


def down() -> list[ServiceStatus]:
    stack = services()
    for service in reversed(stack):
        service.stop()
    return [service.status() for service in stack]


def status() -> list[ServiceStatus]:
    return [service.status() for service in services()]
