"""The embedded Apache Kafka broker: one KRaft node (broker + controller) on 127.0.0.1.

Its jars come from Maven Central through `infra/kafka/pom.xml` (no Debian or PyPI package ships a
broker), cached under `.cache/kafka/` keyed by the pom's hash. `make kafka-up`, `make demo` and the
test fixture all go through `LocalBroker`, so there is one way to start Kafka.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from acme.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)

POM = REPO_ROOT / "infra" / "kafka" / "pom.xml"
LOG4J_CONFIG = REPO_ROOT / "infra" / "kafka" / "log4j2.properties"
JAR_CACHE = REPO_ROOT / ".cache" / "kafka"


class BrokerError(RuntimeError):
    """The local broker could not be prepared, started or stopped; the message says why."""


def _require_tool(name: str, install_hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BrokerError(f"`{name}` not found on PATH: {install_hint}")
    return path


def _is_gone(pid: int) -> bool:
    """True once `pid` has exited; reaps it when it is our own child, which would otherwise stay
    a zombie that still answers signal 0."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return True
    except ChildProcessError:
        pass  # not our child (started by another `acme` process): signal 0 tells
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def broker_jars() -> Path:
    """Directory with the broker's jars, resolved by Maven on first use and reused afterwards."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    libs = JAR_CACHE / digest / "libs"
    done = libs / ".complete"
    if done.exists():
        return libs
    mvn = _require_tool("mvn", "install Maven (apt-get install -y maven)")
    _require_tool("java", "install Java 17+ (apt-get install -y openjdk-17-jre-headless)")
    print(
        f"Resolving Kafka broker jars from Maven Central into {libs} (first run only)...",
        file=sys.stderr,
        flush=True,
    )
    staging = libs.with_name("libs.partial")
    shutil.rmtree(staging, ignore_errors=True)
    result = subprocess.run(
        [
            mvn,
            "-B",
            "-q",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BrokerError(f"mvn could not resolve the Kafka jars:\n{result.stdout}{result.stderr}")
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    done.touch()
    return libs


@dataclass(frozen=True)
class LocalBroker:
    """A single-node KRaft Kafka whose state lives under `home`."""

    home: Path
    port: int
    controller_port: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalBroker:
        return cls(
            settings.local_kafka_home,
            settings.local_kafka_port,
            settings.local_kafka_controller_port,
        )

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def _pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    def _write_config(self) -> Path:
        config = self.home / "server.properties"
        config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    f"log.dirs={self.home / 'data'}",
                    "num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    # Allow the simulator's oversized-message robustness cases to reach the consumer.
                    "message.max.bytes=4194304",
                    "",
                ]
            )
        )
        return config

    def pid(self) -> int | None:
        """PID of the running broker started from this home, or None."""
        try:
            pid = int(self._pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return None if _is_gone(pid) else pid

    def is_answering(self) -> bool:
        """True when the broker accepts connections and reports itself in cluster metadata."""
        from kafka.admin import KafkaAdminClient
        from kafka.errors import KafkaError

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                pass
            admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap_servers,
                request_timeout_ms=3000,
                client_id="acme-healthcheck",
            )
        except (OSError, KafkaError):
            return False
        try:
            return bool(admin.describe_cluster().get("brokers"))
        except KafkaError:
            return False
        finally:
            admin.close()

    def start(self, timeout_s: float = 90.0) -> None:
        """Start the broker (formatting its storage on first start) and wait until it answers."""
        if self.pid() is not None and self.is_answering():
            return
        java = _require_tool(
            "java", "install Java 17+ (apt-get install -y openjdk-17-jre-headless)"
        )
        libs = broker_jars()
        self.home.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        classpath = f"{libs}/*"
        if not (self.home / "data" / "meta.properties").exists():
            subprocess.run(
                [
                    java,
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    "--standalone",
                    "-t",
                    uuid.uuid4().hex[:22],
                    "-c",
                    str(config),
                ],
                check=True,
                capture_output=True,
            )
        with self.log_file.open("ab") as log_out:
            process = subprocess.Popen(
                [
                    java,
                    "-Xms256m",
                    "-Xmx1g",
                    "-XX:+UseG1GC",
                    f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
                    f"-Dkafka.logs.dir={self.home}",
                    "-cp",
                    classpath,
                    "kafka.Kafka",
                    str(config),
                ],
                stdout=log_out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # outlives `make kafka-up`; stopped by `kafka-down`
            )
        self._pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BrokerError(
                    f"Kafka exited with code {process.returncode} at start; see {self.log_file}"
                )
            if self.is_answering():
                return
            time.sleep(0.5)
        self.stop()
        raise BrokerError(
            f"Kafka did not answer on {self.bootstrap_servers} within {timeout_s}s;"
            f" see {self.log_file}"
        )

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the broker gracefully (SIGTERM), killing it if it does not exit in time."""
        pid = self.pid()
        if pid is None:
            self._pid_file.unlink(missing_ok=True)
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while not _is_gone(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
        self._pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """Kill the broker at once (SIGKILL), as a crash would; its storage stays for a restart."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            while not _is_gone(pid):
                time.sleep(0.05)
        self._pid_file.unlink(missing_ok=True)
