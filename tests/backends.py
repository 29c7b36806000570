"""The Neo4j server the tests run on.

In order of preference:

1. ``NEO4J_URI`` is set (with ``NEO4J_USER``, ``NEO4J_PASSWORD``,
   ``NEO4J_DATABASE``): that Neo4j. The tests wipe its database, so it must be
   a disposable one: a database holding nodes at the start is refused.
2. Neo4j 5.26 LTS Community from Maven Central: the launcher in
   ``tests/neo4j-server`` (``neo4j-harness``, built by Maven, run by Java 17
   or later), started here as a subprocess on a free loopback port, with a
   random password and a private temporary folder. It is built on first use
   when Maven is at hand (``.ci/run`` builds it beforehand).
3. A Docker engine answers: Neo4j started by ``testcontainers``.

When none can be had, :class:`BackendUnavailable` says why; the tests using
Neo4j then skip with that reason, unless ``ZEREN_REQUIRE_NEO4J`` is set (CI
sets it), where they fail.

Run as a script (``python tests/backends.py``), it starts the Maven-built
server and prints the ``NEO4J_*`` variables to reach it (for the benchmarks),
until interrupted.
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

from neo4j import GraphDatabase

from zeren.config import Settings
from zeren.graph.store.embedded import terminate

DATABASE = "neo4j"
NEO4J_IMAGE = "neo4j:5.26"
LAUNCHER = Path(__file__).parent / "neo4j-server"
LAUNCHER_JAR = LAUNCHER / "target" / "neo4j-test-server.jar"
# The server's own bounds on every transaction (the launcher's arguments):
# seconds, MiB per transaction, MiB for all transactions together.
TX_TIMEOUT_S, TX_MEMORY_MB, TX_TOTAL_MEMORY_MB = 60, 256, 512


class BackendUnavailable(Exception):
    """No Neo4j server could be started or reached."""


@dataclass(frozen=True)
class BoltServer:
    """How to reach the Neo4j server."""

    uri: str
    user: str
    password: str
    database: str = DATABASE

    @property
    def port(self) -> int:
        return int(self.uri.rsplit(":", 1)[1])


def neo4j_settings(server: BoltServer, data_dir: Path, **more: object) -> Settings:
    """zeren's settings reaching ``server`` (its own keys and tokens in ``data_dir``)."""
    return Settings(graph=server.uri, neo4j_user=server.user, neo4j_password=server.password,
                    neo4j_database=server.database, data_dir=data_dir, **more)  # type: ignore[arg-type]


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers_queries(server: BoltServer) -> bool:
    """True if the server runs ``RETURN 1`` on its database."""
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


def _newest_source() -> float:
    files = [LAUNCHER / "pom.xml", *(LAUNCHER / "src").rglob("*.java")]
    return max(f.stat().st_mtime for f in files)


def build_launcher() -> Path:
    """The launcher's jar, built by Maven when missing or older than its sources."""
    if LAUNCHER_JAR.exists() and LAUNCHER_JAR.stat().st_mtime >= _newest_source():
        return LAUNCHER_JAR
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BackendUnavailable(f"Maven (mvn) is not installed, and {LAUNCHER_JAR.relative_to(LAUNCHER.parent.parent)} "
                                 "is not built: install Maven, or run 'mvn -q package' in tests/neo4j-server")
    done = subprocess.run([mvn, "-B", "-q", "package"], cwd=LAUNCHER, capture_output=True, text=True)
    if done.returncode != 0 or not LAUNCHER_JAR.exists():
        tail = (done.stdout + done.stderr).strip()[-1500:]
        raise BackendUnavailable(f"Maven could not build the Neo4j launcher (exit {done.returncode}): {tail}")
    return LAUNCHER_JAR


def java_command() -> str:
    """The ``java`` to run the launcher with: ``JAVA_HOME``'s, else the one on the path."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    if java is None:
        raise BackendUnavailable("Java is not installed: Neo4j 5.26 needs Java 17 or 21 (e.g. openjdk-17-jre)")
    return java


class MavenNeo4jServer:
    """Neo4j 5.26 Community in a Java process of its own (the launcher in
    ``tests/neo4j-server``), serving Bolt on a loopback port, with a random
    password (sent on its standard input, never on a command line) and a
    private temporary folder. It stops when its standard input closes, so it
    dies with the process that started it."""

    def __init__(self, wait_s: float = 180.0, *, quick_start: bool = True, heap_mb: int = 1024,
                 pagecache_mb: int | None = None, store_dir: Path | None = None,
                 tx_timeout_s: int = TX_TIMEOUT_S) -> None:
        self.wait_s = wait_s
        self.quick_start = quick_start
        self.heap_mb, self.pagecache_mb = heap_mb, pagecache_mb
        # A data directory of the caller's (e.g. written by neo4j-admin database import), kept when it stops.
        self.store_dir = store_dir
        self.tx_timeout_s = tx_timeout_s
        self.root: Path | None = None
        self.server: BoltServer | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def command(self, jar: Path, port: int) -> list[str]:
        assert self.root is not None
        # Quick start: the JIT's first tier only, which halved the CPU time to
        # start (8.4 s instead of 15.6 s) for the tests' short queries; the
        # benchmarks' server keeps the full JIT.
        jit = ["-XX:TieredStopAtLevel=1"] if self.quick_start else []
        return [java_command(), "-Xms256m", f"-Xmx{self.heap_mb}m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                *jit, "-jar", str(jar), str(port), str(self.root / "data"),
                str(self.tx_timeout_s), str(TX_MEMORY_MB), str(TX_TOTAL_MEMORY_MB),
                *([str(self.pagecache_mb or 0)] if self.pagecache_mb or self.store_dir else []),
                *([str(self.store_dir)] if self.store_dir else [])]

    def start(self) -> BoltServer:
        jar = build_launcher()
        self.root = Path(tempfile.mkdtemp(prefix="zeren-neo4j-"))  # mode 0700
        password = secrets.token_urlsafe(24)
        log_path = self.root / "server.log"
        log = open(log_path, "wb")  # noqa: SIM115 - the child keeps writing to it
        try:
            self._proc = subprocess.Popen(self.command(jar, free_port()), stdin=subprocess.PIPE, stdout=log,
                                          stderr=subprocess.STDOUT, cwd=self.root)
        except OSError as e:
            self.stop()
            raise BackendUnavailable(f"Neo4j could not be started: {e}") from e
        finally:
            log.close()
        atexit.register(self.stop)
        assert self._proc.stdin is not None
        self._proc.stdin.write(password.encode() + b"\n")
        self._proc.stdin.flush()
        uri = self._wait_for_uri(log_path)
        self.server = BoltServer(uri, "neo4j", password)
        if not answers_queries(self.server):
            reason = f"Neo4j announced {uri} but does not answer there: {self.log_tail()}"
            self.stop()
            raise BackendUnavailable(reason)
        return self.server

    def _wait_for_uri(self, log_path: Path) -> str:
        """The URI of the launcher's ``BOLT <uri>`` line, once it is printed."""
        assert self._proc is not None
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            for line in log_path.read_text(errors="replace").splitlines():
                if line.startswith("BOLT "):
                    return line.removeprefix("BOLT ").strip()
            if self._proc.poll() is not None:
                reason = f"Neo4j exited at start (code {self._proc.returncode}): {self.log_tail()}"
                self.stop()
                raise BackendUnavailable(reason)
            time.sleep(0.1)
        reason = f"Neo4j did not start within {self.wait_s:.0f} s: {self.log_tail()}"
        self.stop()
        raise BackendUnavailable(reason)

    def log_tail(self, chars: int = 1500) -> str:
        log = self.root / "server.log" if self.root else None
        return log.read_text(errors="replace")[-chars:].strip() if log and log.exists() else ""

    def stop(self) -> None:
        """Close the server's input (it stops and removes its store), SIGTERM it
        if it has not within 30 s, then remove the folder."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                terminate(proc)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> BoltServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def configured_neo4j() -> BoltServer | None:
    """The Neo4j named by ``NEO4J_URI`` and its companions, if set."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return None
    return BoltServer(uri, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""),
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
    """Neo4j in a container started by testcontainers."""
    try:
        from testcontainers.community.neo4j import Neo4jContainer  # testcontainers >= 4.15
    except ImportError:
        from testcontainers.neo4j import Neo4jContainer
    password = secrets.token_urlsafe(24)
    with Neo4jContainer(NEO4J_IMAGE, password=password, username="neo4j") as container:
        yield BoltServer(container.get_connection_url(), "neo4j", password)


@contextmanager
def neo4j_side_server() -> Iterator[BoltServer]:
    """The best Neo4j server available (see the module docstring)."""
    configured = configured_neo4j()
    if configured is not None:
        if not answers_queries(configured):
            raise BackendUnavailable(f"NEO4J_URI={configured.uri} does not answer on database "
                                     f"{configured.database!r}")
        if (n := node_count(configured)) > 0:
            raise BackendUnavailable(f"refusing to wipe database {configured.database!r} at {configured.uri}: "
                                     f"it holds {n} nodes (the tests need a disposable database)")
        yield configured
        return
    try:
        server = MavenNeo4jServer()
        started = server.start()
    except BackendUnavailable as e:
        if not docker_answers():
            raise BackendUnavailable(f"{e}; and no Docker engine answers for a Neo4j container") from e
        with neo4j_container() as container:
            yield container
        return
    try:
        yield started
    finally:
        server.stop()


if __name__ == "__main__":
    # For the benchmarks: heap and page cache within a budget (MiB), e.g.
    # ``python tests/backends.py 4096 8192`` for 12 GiB in all.
    import sys

    heap, cache = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (1024, None)
    server = MavenNeo4jServer(quick_start=False, heap_mb=heap, pagecache_mb=cache)
    with server as running:
        assert server._proc is not None
        print(f"NEO4J_URI={running.uri}\nNEO4J_USER={running.user}\nNEO4J_PASSWORD={running.password}\n"
              f"NEO4J_DATABASE={running.database}\nNEO4J_PID={server._proc.pid}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
