"""The Neo4j-side server the store contract tests run on.

In order of preference:

1. ``NEO4J_URI`` is set (with ``NEO4J_USER``, ``NEO4J_PASSWORD``,
   ``NEO4J_DATABASE``): that real Neo4j. The tests wipe its database, so it
   must be a disposable one: a database holding nodes at the start is refused.
2. A Docker engine answers: a real Neo4j started by ``testcontainers``.
3. Otherwise ArcadeDB, a Bolt server that installs with pip
   (``arcadedb-embedded``), started here as a subprocess on a free loopback
   port, with a random root password and a private temporary folder. It
   announces itself as Neo4j compatible but does not enforce READ access mode
   or query timeouts, so tests of those need the real thing.

When none can be had, :class:`BackendUnavailable` says why; the tests using the
Neo4j side then skip with that reason.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from neo4j import GraphDatabase

from zeren.graph.store.embedded import terminate

DATABASE = "neo4j"  # ArcadeDB serves only the databases it was told to create; pass it on every call
NEO4J_IMAGE = "neo4j:5.26"


class BackendUnavailable(Exception):
    """No Neo4j-side server could be started or reached."""


@dataclass(frozen=True)
class BoltServer:
    """How to reach the Neo4j-side server, and what it really is."""

    kind: Literal["neo4j", "arcadedb"]
    uri: str
    user: str
    password: str
    database: str = DATABASE

    @property
    def is_real_neo4j(self) -> bool:
        return self.kind == "neo4j"


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers_queries(server: BoltServer) -> bool:
    """True once the server runs ``RETURN 1`` on its database (the Bolt port
    opens before ArcadeDB has created the database)."""
    try:
        # An auto-commit query: one attempt, none of execute_query's retries.
        with GraphDatabase.driver(server.uri, auth=(server.user, server.password),
                                  connection_timeout=5) as driver, driver.session(database=server.database) as s:
            record = s.run("RETURN 1 AS one").single()
            return record is not None and record["one"] == 1
    except Exception:
        return False


def node_count(server: BoltServer) -> int:
    with GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
        records, _, _ = driver.execute_query("MATCH (n) RETURN count(n) AS c", database_=server.database)
        return int(records[0]["c"])


class ArcadeDBServer:
    """ArcadeDB from the installed ``arcadedb_embedded`` package, serving Bolt
    (and its HTTP API, which it always starts) on loopback only."""

    def __init__(self, wait_s: float = 60.0) -> None:
        self.wait_s = wait_s
        self.root: Path | None = None
        self.server: BoltServer | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def package_dir() -> Path:
        """The installed ``arcadedb_embedded`` folder (its Java runtime and jars)."""
        try:
            import arcadedb_embedded
        except ImportError as e:
            raise BackendUnavailable(f"arcadedb-embedded is not installed ({e})") from e
        return Path(arcadedb_embedded.__file__).parent

    @staticmethod
    def environment(password: str) -> dict[str, str]:
        """The root password goes to the Java launcher through the environment
        (``JDK_JAVA_OPTIONS``), so it never shows on a command line."""
        return {**os.environ, "JDK_JAVA_OPTIONS": f"-Darcadedb.server.rootPassword={password}"}

    @staticmethod
    def command(pkg: Path, root: Path, bolt_port: int, http_port: int) -> list[str]:
        return [
            str(pkg / "jre" / "bin" / "java"),
            "-Xmx1g",
            f"-Darcadedb.server.rootPath={root}",
            "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "-Darcadedb.bolt.host=127.0.0.1",
            f"-Darcadedb.bolt.port={bolt_port}",
            "-Darcadedb.server.httpIncomingHost=127.0.0.1",
            f"-Darcadedb.server.httpIncomingPort={http_port}",
            f"-Darcadedb.server.defaultDatabases={DATABASE}[root]",
            "-cp", f"{pkg / 'jars'}/*",
            "com.arcadedb.server.ArcadeDBServer",
        ]

    def start(self) -> BoltServer:
        pkg = self.package_dir()
        self.root = Path(tempfile.mkdtemp(prefix="zeren-arcadedb-"))  # mode 0700
        password = secrets.token_urlsafe(24)
        bolt_port = free_port()
        cmd = self.command(pkg, self.root, bolt_port, free_port())
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 - the child keeps writing to it
        try:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.root,
                                          env=self.environment(password))
        except OSError as e:
            self.stop()
            raise BackendUnavailable(f"ArcadeDB could not be started: {e}") from e
        finally:
            log.close()
        atexit.register(self.stop)
        self.server = BoltServer("arcadedb", f"bolt://127.0.0.1:{bolt_port}", "root", password)
        self._wait_until_ready(self.server)
        return self.server

    def _wait_until_ready(self, server: BoltServer) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                reason = f"ArcadeDB exited at start (code {self._proc.returncode}): {self.log_tail()}"
                self.stop()
                raise BackendUnavailable(reason)
            if answers_queries(server):
                return
            time.sleep(0.2)
        reason = f"ArcadeDB did not answer within {self.wait_s:.0f} s: {self.log_tail()}"
        self.stop()
        raise BackendUnavailable(reason)

    def log_tail(self, chars: int = 1500) -> str:
        log = self.root / "server.log" if self.root else None
        return log.read_text(errors="replace")[-chars:].strip() if log and log.exists() else ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 30 s) and remove its folder."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None:
            terminate(proc)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> BoltServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def configured_neo4j() -> BoltServer | None:
    """The real Neo4j named by ``NEO4J_URI`` and its companions, if set."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return None
    return BoltServer("neo4j", uri, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""),
                      os.environ.get("NEO4J_DATABASE", DATABASE))


def docker_answers() -> bool:
    """True if a Docker engine answers a ping within a few seconds."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if host.startswith("unix://") and not Path(host.removeprefix("unix://")).exists():
        return False  # no engine here (and the docker client would leak its socket finding out)
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@contextmanager
def neo4j_container() -> Iterator[BoltServer]:
    """A real Neo4j in a container started by testcontainers."""
    try:
        from testcontainers.community.neo4j import Neo4jContainer  # testcontainers >= 4.15
    except ImportError:
        from testcontainers.neo4j import Neo4jContainer
    password = secrets.token_urlsafe(24)
    with Neo4jContainer(NEO4J_IMAGE, password=password, username="neo4j") as container:
        yield BoltServer("neo4j", container.get_connection_url(), "neo4j", password)


@contextmanager
def neo4j_side_server() -> Iterator[BoltServer]:
    """The best Neo4j-side server available (see the module docstring)."""
    configured = configured_neo4j()
    if configured is not None:
        if not answers_queries(configured):
            raise BackendUnavailable(f"NEO4J_URI={configured.uri} does not answer on database "
                                     f"{configured.database!r}")
        if (n := node_count(configured)) > 0:
            raise BackendUnavailable(f"refusing to wipe database {configured.database!r} at {configured.uri}: "
                                     f"it holds {n} nodes (the contract tests need a disposable database)")
        yield configured
    elif docker_answers():
        with neo4j_container() as server:
            yield server
    else:
        with ArcadeDBServer() as server:
            yield server
