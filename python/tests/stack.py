"""The real local stack as separate OS processes for the end-to-end test: the embedded Kafka broker
(``latentwatch kafka``), the Apicurio Registry server, the Java node and the Java monitor.

Each piece needs the Java build; :func:`missing` says what is absent so the test can skip with a
reason instead of failing on a machine without it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from conftest import REPO

CLI_JAR = REPO / "cli/target/latentwatch.jar"
REGISTRY_HOME = REPO / "schemas/target/apicurio-registry"
STORIES = REPO.parent / "shared/models/stories260K"


def registry_jar() -> Path | None:
    return next(iter(sorted(REGISTRY_HOME.rglob("*-runner.jar"))), None) if REGISTRY_HOME.is_dir() else None


def missing() -> str | None:
    if shutil.which("java") is None:
        return "no java on PATH"
    if not CLI_JAR.is_file():
        return f"{CLI_JAR} is not built (./mvnw -B -q -DskipTests package -pl cli -am)"
    if registry_jar() is None:
        return f"no Apicurio Registry runner jar under {REGISTRY_HOME} (./mvnw -B verify -pl schemas unpacks it)"
    if not (STORIES / "stories260K.bin").is_file():
        return f"no stories260K checkpoint at {STORIES}"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Stack:
    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []
        self.dir = Path(tempfile.mkdtemp(prefix="latentwatch-e2e-"))

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = self.dir / f"{name}.log"
        p = subprocess.Popen(
            args,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            start_new_session=True,
        )
        self.procs.append((name, p, log))
        return p

    def log(self, name: str) -> str:
        for n, _, log in self.procs:
            if n == name:
                return log.read_text(errors="replace")[-4000:]
        return ""

    def wait_for(self, name: str, check, timeout: float) -> object:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        proc = next(p for n, p, _ in self.procs if n == name)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log(name)}")
            try:
                v = check()
                if v:
                    return v
            except OSError:
                pass
            time.sleep(0.25)
        raise TimeoutError(f"{name} not ready after {timeout:.0f} s:\n{self.log(name)}")

    def kafka(self) -> str:
        port = free_port()
        java = ["java", "-Xmx512m", "-XX:TieredStopAtLevel=1", "-jar", str(CLI_JAR)]
        self.start("kafka", [*java, "kafka", "--port", str(port), "--duration", "10m"])
        self._kafka_port = port
        return f"127.0.0.1:{port}"

    def await_kafka(self, timeout: float = 60) -> None:
        self.wait_for("kafka", lambda: re.search(r"bootstrap\.servers=", self.log("kafka")), timeout)

    def registry(self) -> str:
        port = free_port()
        jar = registry_jar()
        assert jar is not None
        self.start(
            "registry",
            [
                "java",
                "-Xmx384m",
                "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.host=127.0.0.1",
                f"-Dquarkus.http.port={port}",
                "-Dquarkus.log.level=WARN",
                "-jar",
                str(jar),
            ],
        )
        return f"http://127.0.0.1:{port}"

    def await_http(self, name: str, url: str, timeout: float = 90) -> None:
        def ok() -> bool:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200

        self.wait_for(name, ok, timeout)

    def java(self, name: str, args: list[str], heap: str = "768m") -> None:
        self.start(name, ["java", f"-Xmx{heap}", "-Dai.djl.offline=true", "-jar", str(CLI_JAR), *args])

    def run_java(self, name: str, args: list[str], timeout: float = 180, heap: str = "768m") -> None:
        """Runs a one-shot command of the CLI to completion; its log is kept like a service's."""
        p = self.start(name, ["java", f"-Xmx{heap}", "-Dai.djl.offline=true", "-jar", str(CLI_JAR), *args])
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            raise TimeoutError(f"{name} did not finish in {timeout:.0f} s:\n{self.log(name)}") from None
        if rc != 0:
            raise RuntimeError(f"{name} exited with {rc}:\n{self.log(name)}")

    def close(self) -> None:
        for _, p, _ in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for _, p, _ in reversed(self.procs):
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        if os.environ.get("LATENTWATCH_E2E_KEEP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)


def post_json(url: str, body: dict, headers: dict[str, str] | None = None) -> dict:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())
