"""API tokens with roles, and the append-only audit log of reads of protected fields.

Petitioner identity and accusation materials are visible only to the roles
entitled to them, and every read of them is recorded (DOMAIN.md,
Confidentiality; national art. 8, Chongqing art. 11(八)). Both tables live in
one SQLite file, ``settings.data_dir / "zeren.db"`` (mode 0600, WAL journal).

Tokens have the form ``zrn_<token_id>_<secret>``. Only the SHA-256 of the
secret is stored: the secret is 32 random bytes, so a fast hash is enough (no
password-style stretching is needed) and the token cannot be recovered from
the file. A token is valid through its expiry date (UTC) inclusive.

The audit table refuses ``UPDATE`` and ``DELETE`` by triggers in the database
itself, and is tamper-evident for someone who bypasses them (edits the file):

* keyed chain: each row carries ``prev_hash`` and ``hash``, an HMAC-SHA256
  over the previous hash and the row's content with a key derived from the
  data folder's secret (never stored in the database). Whoever can write the
  file but does not hold the secret cannot recompute the chain after editing,
  inserting or removing a row;
* anchor: the count of rows and the head hash are kept in a second file
  beside the database (``zeren.audit-anchor``), signed with the same key and
  replaced atomically after every append, under a lock file that orders the
  appends of every process. Deleting the last rows, or every row, leaves the
  chain valid but shorter than the anchor says; an older copy of the anchor
  put back is found when more than one entry follows it; and an older anchor
  together with a truncated log is found by ``verify(expect_head=...)`` with a
  head printed earlier and kept elsewhere (the practice of certificate
  transparency: heads are published, and a later log must contain them).

A log written by an earlier version (an unkeyed SHA-256 chain and no anchor)
is sealed the first time this version opens it: the anchor then records its
head, and the keyed chain continues from it. :meth:`AuditLog.verify` says
that those entries are vouched for as unchanged since the seal, not before.

Every method opens its own connection, so one ``TokenStore`` or ``AuditLog``
may be shared by several threads (and processes may share the file). No code
here opens the database file other than through SQLite: SQLite's locks are
POSIX advisory locks, which belong to the process, and closing any descriptor
of the file drops all of them (a raw ``os.open``/``os.close`` of the existing
file made every connection the service kept open lose its lock, so the next
CLI command to close its own connection deleted the WAL and shared-memory
files under the running service: "disk I/O error" on every later write).
"""

from __future__ import annotations

import builtins
import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zeren.api.roles import ROLES  # the one table of roles (re-exported here)

if TYPE_CHECKING:
    from zeren.config import Settings


DB_FILE = "zeren.db"
ANCHOR_SUFFIX = ".audit-anchor"
LOCK_SUFFIX = ".audit-lock"
AUDIT_KEY_PURPOSE = b"zeren audit chain v1"
WRITE_TIMEOUT_S = 30.0
TOKEN_PREFIX = "zrn"
GENESIS_HASH = "0" * 64
APPEND_ONLY_MESSAGE = "audit log is append-only"
MAX_NAME_LENGTH = 200
MAX_FIELD_LENGTH = 500
MAX_QUERY_LIMIT = 100_000
# Seconds a process keeps a token it found valid without reading its row again:
# a token revoked by another process (the CLI, another worker) is refused
# within this bound; one revoked through the same ``TokenStore`` at once, and
# one past its expiry date at once (the date is checked on every request).
TOKEN_CACHE_S = 1.0
TOKEN_CACHE_MAX = 1024  # tokens held per process; past it, the cache starts afresh

_TOKEN_ID_RE = re.compile(r"[0-9a-f]{12}", re.ASCII)
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)
_MAX_TOKEN_LENGTH = len(TOKEN_PREFIX) + 1 + 12 + 1 + 43
_DUMMY_HASH = hashlib.sha256(b"zeren: no such token").hexdigest()

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created     TEXT NOT NULL,
    expires     TEXT,
    revoked     TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    seq       INTEGER PRIMARY KEY,
    ts        TEXT NOT NULL,
    token_id  TEXT NOT NULL,
    name      TEXT NOT NULL,
    role      TEXT NOT NULL,
    matter_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    action    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_chain (
    keyed_from   INTEGER NOT NULL,
    sealed_count INTEGER NOT NULL,
    sealed_head  TEXT NOT NULL,
    sealed_at    TEXT
);
CREATE TABLE IF NOT EXISTS saved_queries (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    query       TEXT NOT NULL,
    examples    TEXT NOT NULL,
    author      TEXT NOT NULL,
    created     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_matter ON audit (matter_id, seq);
CREATE INDEX IF NOT EXISTS audit_token ON audit (token_id, seq);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;
"""


_log = logging.getLogger("zeren.audit")


class AuditUnavailable(RuntimeError):
    """The audit log could not be written, so the read it was for is not served."""

    http_status = 503


def db_path(settings: Settings) -> Path:
    """The security database of a deployment: ``data_dir / "zeren.db"``."""
    return Path(settings.data_dir).expanduser() / DB_FILE


def audit_key(settings: Settings) -> bytes:
    """The key of the audit chain and its anchor: derived (HKDF) from the
    configured secret, or from the data folder's ``secret.key`` (created once)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from zeren.graph.confidential import KEY_FILE, load_or_create_key

    secret = (settings.secret_key.encode("ascii") if settings.secret_key
              else load_or_create_key(Path(settings.data_dir).expanduser() / KEY_FILE))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=AUDIT_KEY_PURPOSE).derive(secret)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id, the holder's name and role."""

    token_id: str
    name: str
    role: str


def _now() -> datetime:
    """The current time, UTC (a function so tests can move the clock)."""
    return datetime.now(UTC)


def _today() -> date:
    """Today's date, UTC."""
    return _now().date()


def _iso(moment: datetime) -> str:
    """Fixed-width ISO form in UTC, so that text order is time order."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


# Files prepared by this process (created private, schema in place), whichever
# ``_Database`` object prepared them: the check and the creation run once per
# file and process, before any connection of this process to it.
_PREPARED: set[Path] = set()
_PREPARE_LOCK = threading.Lock()


class _Database:
    """One SQLite file, created private (0600) with the schema, in WAL mode."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
        self._ready = False
        self._local = threading.local()
        self._abandoned: list[sqlite3.Connection] = []

    def _create_file(self) -> None:
        """Create the file private (0600) if it does not exist. An existing file
        is never opened here: closing that descriptor would drop every SQLite
        lock this process holds on it (see the module's text)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            os.close(fd)
        os.chmod(self.path, 0o600)

    def _prepare(self) -> None:
        if self._ready:
            return
        with _PREPARE_LOCK:
            key = self.path.absolute()
            if key not in _PREPARED:
                self._create_file()
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
                finally:
                    conn.close()
                _PREPARED.add(key)
            self._ready = True

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection in autocommit mode; closed on exit."""
        self._prepare()
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()

    def reader(self) -> sqlite3.Connection:
        """A read-only connection kept open for the calling thread, so a check
        on every request does not open the file again. Autocommit: each read
        sees everything committed before it (a revocation takes effect on the
        next request), and under WAL a reader never waits for a writer."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid != os.getpid():
            # Inherited through fork: SQLite connections must not cross it. Kept
            # referenced, never closed here (closing runs SQLite's shutdown of
            # the parent's connection in this process).
            self._abandoned.append(conn)
            conn = None
        if conn is None:
            self._prepare()
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only = ON")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken up front (``BEGIN IMMEDIATE``), so that
        concurrent writers queue instead of interleaving."""
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")


def _parse_token(token: object) -> tuple[str, str] | None:
    """(token_id, secret) of a well-formed token, else None. Never raises."""
    if not isinstance(token, str) or len(token) != _MAX_TOKEN_LENGTH or not token.isascii():
        return None
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token_id, secret = parts[1], parts[2]
    if not _TOKEN_ID_RE.fullmatch(token_id) or not _SECRET_RE.fullmatch(secret):
        return None
    return token_id, secret


def _still_valid(expires: object) -> bool:
    """A stored expiry date is today or later (an unreadable one is not valid)."""
    try:
        return isinstance(expires, str) and date.fromisoformat(expires) >= _today()
    except ValueError:
        return False


def _expiry(expires: str | None) -> date | None:
    """A stored expiry date that ``_still_valid`` accepted, as a date."""
    return date.fromisoformat(expires) if expires is not None else None


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")


def _check_text(label: str, value: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{label} must be a non-empty string")
    value = value.strip()
    if len(value) > max_length:
        raise ValueError(f"{label} is longer than {max_length} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"{label} contains control characters")
    return value


@dataclass(frozen=True, slots=True)
class _Verified:
    """A token's row as ``verify`` found it valid, and when (``time.monotonic``)."""

    secret_hash: str
    principal: Principal
    expires: date | None
    read_at: float


class TokenStore:
    """Issues, verifies and revokes API tokens; stores only hashes of secrets.

    ``verify`` keeps each token it found valid for ``cache_s`` seconds
    (``TOKEN_CACHE_S``): within them the token's row is not read again (the
    check is a hash and two comparisons in memory, with no hand-off of the
    event loop's thread to SQLite). The secret is compared and the expiry date
    checked on every request; ``revoke`` drops the token from this store's
    cache; a revocation elsewhere is seen once ``cache_s`` have passed."""

    def __init__(self, path: Path, *, cache_s: float = TOKEN_CACHE_S) -> None:
        self._db = _Database(path)
        self.cache_s = cache_s
        self._verified: dict[str, _Verified] = {}
        self._revocations = 0  # revocations through this store: a row read before one is not kept

    def issue(self, name: str, role: str, *, expires: date | None = None) -> tuple[str, str]:
        """Create a token for ``name`` with ``role``; returns (token_id, token).

        The token is returned once and cannot be recovered later. ``expires``
        is the last day (UTC) on which it is valid."""
        name = _check_text("name", name, MAX_NAME_LENGTH)
        _check_role(role)
        if expires is not None and expires < _today():
            raise ValueError(f"expiry date {expires.isoformat()} is already past")
        secret = secrets.token_urlsafe(32)
        with self._db.transaction() as conn:
            token_id = self._fresh_id(conn)
            conn.execute(
                "INSERT INTO tokens (id, name, role, secret_hash, created, expires, revoked) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (token_id, name, role, _hash_secret(secret), _iso(_now()),
                 expires.isoformat() if expires else None))
        return token_id, f"{TOKEN_PREFIX}_{token_id}_{secret}"

    @staticmethod
    def _fresh_id(conn: sqlite3.Connection) -> str:
        while True:
            token_id = secrets.token_hex(6)
            if conn.execute("SELECT 1 FROM tokens WHERE id = ?", (token_id,)).fetchone() is None:
                return token_id

    def revoke(self, token_id: str) -> bool:
        """Revoke a token; False when it is unknown or already revoked."""
        if not isinstance(token_id, str) or not _TOKEN_ID_RE.fullmatch(token_id):
            return False
        try:
            with self._db.transaction() as conn:
                cur = conn.execute("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                                   (_iso(_now()), token_id))
                return cur.rowcount == 1
        finally:
            # A check of this process that read the row before the revocation keeps nothing of it.
            self._revocations += 1
            self._verified.pop(token_id, None)

    def verify(self, token: str) -> Principal | None:
        """The principal of a valid token; None for a malformed, unknown,
        revoked or expired one. The secret is compared in constant time."""
        parsed = _parse_token(token)
        if parsed is None:
            return None
        token_id, secret = parsed
        digest = _hash_secret(secret)
        now = time.monotonic()
        held = self._verified.get(token_id)
        if held is not None and now - held.read_at < self.cache_s:
            if not hmac.compare_digest(held.secret_hash, digest):
                return None
            if held.expires is not None and held.expires < _today():
                self._verified.pop(token_id, None)
                return None
            return held.principal
        revocations = self._revocations
        row = self._db.reader().execute("SELECT name, role, secret_hash, expires, revoked FROM tokens WHERE id = ?",
                                        (token_id,)).fetchone()
        stored = row["secret_hash"] if row is not None else _DUMMY_HASH
        if not hmac.compare_digest(stored, digest) or row is None:
            return None
        if row["revoked"] is not None or row["role"] not in ROLES:
            self._verified.pop(token_id, None)
            return None
        if row["expires"] is not None and not _still_valid(row["expires"]):
            self._verified.pop(token_id, None)
            return None
        principal = Principal(token_id=token_id, name=row["name"], role=row["role"])
        if len(self._verified) >= TOKEN_CACHE_MAX:
            self._verified = {}
        self._verified[token_id] = _Verified(stored, principal, _expiry(row["expires"]), now)
        if self._revocations != revocations:  # a revocation ran meanwhile: keep nothing read before it
            self._verified.pop(token_id, None)
        return principal

    def list(self) -> builtins.list[dict[str, Any]]:
        """Every token ever issued, oldest first: id, name, role, created,
        revoked (timestamp or None), expires (date or None). Never the hash."""
        with self._db.connect() as conn:
            rows = conn.execute("SELECT id, name, role, created, revoked, expires FROM tokens "
                                "ORDER BY created, id").fetchall()
        return [dict(row) for row in rows]


def _canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _row_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the row's canonical JSON content: the
    unkeyed chain of entries written by an earlier version."""
    return hashlib.sha256(f"{prev_hash}\n{_canonical(content)}".encode()).hexdigest()


def _row_mac(key: bytes, prev_hash: str, content: dict[str, Any]) -> str:
    """HMAC-SHA256 over the previous hash and the row's canonical JSON content."""
    return hmac.new(key, f"zeren audit row\n{prev_hash}\n{_canonical(content)}".encode(), hashlib.sha256).hexdigest()


_CONTENT_COLUMNS = ("seq", "ts", "token_id", "name", "role", "matter_id", "field", "action")


@dataclass(frozen=True)
class Anchor:
    """What the anchor file vouches for: ``count`` entries, the last with hash
    ``head``; entries from ``keyed_from`` on are keyed (earlier ones were
    written by an earlier version and sealed at ``sealed_at``)."""

    count: int
    head: str
    keyed_from: int
    sealed_at: str | None

    def signed(self, key: bytes) -> str:
        body = _canonical({"count": self.count, "head": self.head, "keyed_from": self.keyed_from,
                           "sealed_at": self.sealed_at})
        mac = hmac.new(key, f"zeren audit anchor\n{body}".encode(), hashlib.sha256).hexdigest()
        return json.dumps({"anchor": json.loads(body), "mac": mac}, sort_keys=True) + "\n"

    @classmethod
    def parse(cls, text: str, key: bytes) -> Anchor | None:
        """The anchor in ``text`` if it is well formed and signed with ``key``."""
        try:
            doc = json.loads(text)
            a = cls(**doc["anchor"])
            ok = hmac.compare_digest(json.loads(a.signed(key))["mac"], str(doc["mac"]))
            valid = isinstance(a.count, int) and isinstance(a.keyed_from, int) and isinstance(a.head, str)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return a if ok and valid else None


@dataclass
class ChainReport:
    """The outcome of :meth:`AuditLog.verify`: ``intact`` when no problem was
    found; ``problems`` say what was found, ``notes`` what is vouched for and
    what is not; the head is the last entry (its number and hash)."""

    intact: bool
    entries: int
    head_seq: int
    head_hash: str
    problems: builtins.list[str] = field(default_factory=list)
    notes: builtins.list[str] = field(default_factory=list)


_PROCESS_LOCKS: dict[Path, threading.Lock] = {}


class AuditLog:
    """Append-only, keyed and anchored record of who read which protected
    field of which matter (see the module's text). ``key`` is the secret of
    the chain (:func:`audit_key`), never stored in the database."""

    def __init__(self, path: Path, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) < 32:
            raise ValueError("the audit key must be at least 32 bytes (see audit_key)")
        self._db = _Database(path)
        self._key = key
        base = self._db.path.with_suffix("")
        self.anchor_path = base.with_name(base.name + ANCHOR_SUFFIX)
        self._lock_path = base.with_name(base.name + LOCK_SUFFIX)
        self._thread_lock = _PROCESS_LOCKS.setdefault(self._lock_path.absolute(), threading.Lock())
        self._sealed = False
        self._warned = False

    # --- the writers' lock and the anchor ------------------------------------------

    @contextmanager
    def _locked(self, *, shared: bool = False, timeout: float = WRITE_TIMEOUT_S) -> Iterator[None]:
        """The lock that orders appends and anchor updates across threads and
        processes: ``flock`` on a lock file of its own (never on the database
        file, whose POSIX locks SQLite owns)."""
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=timeout):
            raise AuditUnavailable(f"the audit log stayed locked for {timeout:.0f} s")
        try:
            self._lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                while True:
                    try:
                        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise AuditUnavailable(f"the audit log stayed locked for {timeout:.0f} s") from None
                        time.sleep(0.002)
                yield
            finally:
                os.close(fd)
        finally:
            self._thread_lock.release()

    def _read_anchor(self) -> tuple[Anchor | None, str | None]:
        """(anchor, None), or (None, why it cannot be used)."""
        try:
            text = self.anchor_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, f"the anchor file {self.anchor_path.name} is missing"
        except (OSError, UnicodeDecodeError) as e:
            return None, f"the anchor file {self.anchor_path.name} cannot be read ({e})"
        anchor = Anchor.parse(text, self._key)
        if anchor is None:
            return None, (f"the anchor file {self.anchor_path.name} is not signed with this data folder's key "
                          "(altered, or from another deployment)")
        return anchor, None

    def _write_anchor(self, anchor: Anchor) -> None:
        """Replace the anchor atomically: a private temporary file, synced, renamed."""
        tmp = self.anchor_path.with_name(f".{self.anchor_path.name}.{os.getpid()}.{threading.get_ident()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, anchor.signed(self._key).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.anchor_path)
        dir_fd = os.open(self.anchor_path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _seal(self) -> None:
        """Once per database: record how the chain is keyed, and write the first
        anchor. A log of an earlier version (rows, no record) is sealed as it is."""
        if self._sealed:
            return
        self._db._prepare()
        with self._locked(), self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM audit_chain").fetchone() is None:
                last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                count, head = (last["seq"], last["hash"]) if last else (0, GENESIS_HASH)
                sealed_at = _iso(_now()) if count else None
                conn.execute("INSERT INTO audit_chain (keyed_from, sealed_count, sealed_head, sealed_at) "
                             "VALUES (?, ?, ?, ?)", (count + 1, count, head, sealed_at))
                # Written before the commit: if the commit fails the anchor
                # still describes the rows, and the next start seals again.
                self._write_anchor(Anchor(count=count, head=head, keyed_from=count + 1, sealed_at=sealed_at))
                if count:
                    _log.warning("audit log: %d entries written by an earlier version (unkeyed chain) sealed, "
                                 "head %s", count, head)
        self._sealed = True

    @staticmethod
    def _anchor_holds(conn: sqlite3.Connection, anchor: Anchor | None, last_seq: int) -> bool:
        """The log as found before an append is the one the anchor vouches for
        (or one entry longer: a writer stopped between its commit and the anchor)."""
        if anchor is None or not anchor.count <= last_seq <= anchor.count + 1:
            return False
        if anchor.count == 0:
            return anchor.head == GENESIS_HASH
        row = conn.execute("SELECT hash FROM audit WHERE seq = ?", (anchor.count,)).fetchone()
        return row is not None and row["hash"] == anchor.head

    # --- appending and reading ------------------------------------------------------

    def record(self, principal: Principal, matter_id: str, field: str, *, action: str = "read") -> None:
        """Append one entry, chained to the previous one, timestamped now (UTC),
        and move the anchor to it. Raises :class:`AuditUnavailable` when the entry
        cannot be written: the read it records must then not be served."""
        content: dict[str, Any] = {
            "ts": _iso(_now()), "token_id": principal.token_id, "name": principal.name,
            "role": principal.role, "matter_id": _check_text("matter_id", matter_id, MAX_FIELD_LENGTH),
            "field": _check_text("field", field, MAX_FIELD_LENGTH),
            "action": _check_text("action", action, MAX_FIELD_LENGTH)}
        try:
            self._seal()
            with self._locked():
                anchor, _ = self._read_anchor()
                with self._db.transaction() as conn:
                    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                    content["seq"] = last["seq"] + 1 if last else 1
                    prev_hash = last["hash"] if last else GENESIS_HASH
                    holds = self._anchor_holds(conn, anchor, content["seq"] - 1)
                    row_hash = _row_mac(self._key, prev_hash, content)
                    conn.execute(
                        "INSERT INTO audit (seq, ts, token_id, name, role, matter_id, field, action, prev_hash, "
                        "hash) VALUES (:seq, :ts, :token_id, :name, :role, :matter_id, :field, :action, "
                        ":prev_hash, :hash)", {**content, "prev_hash": prev_hash, "hash": row_hash})
                if holds and anchor is not None:
                    self._write_anchor(Anchor(count=content["seq"], head=row_hash, keyed_from=anchor.keyed_from,
                                              sealed_at=anchor.sealed_at))
                elif not self._warned:
                    # Left as found, so the evidence stays for 'zeren audit --verify'.
                    _log.error("audit log: the anchor does not match the log (tampered with?); it is left as "
                               "found: run 'zeren audit --verify'")
                    self._warned = True
        except (sqlite3.Error, OSError) as e:
            raise AuditUnavailable(f"the audit log could not be written ({e})") from e

    def query(self, *, matter_id: str | None = None, token_id: str | None = None,
              since: datetime | None = None, until: datetime | None = None,
              limit: int = 1000) -> builtins.list[dict[str, Any]]:
        """Entries matching every given filter, newest first, at most ``limit``.
        ``since`` is inclusive, ``until`` exclusive; naive datetimes are UTC."""
        if not 1 <= limit <= MAX_QUERY_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_QUERY_LIMIT}")
        where, params = self._filters(matter_id, token_id, since, until)
        sql = (f"SELECT {', '.join(_CONTENT_COLUMNS)} FROM audit"
               f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY seq DESC LIMIT ?")
        with self._db.connect() as conn:
            rows = conn.execute(sql, (*params, limit)).fetchall()
        return [dict(row) for row in rows]

    @staticmethod
    def _filters(matter_id: str | None, token_id: str | None, since: datetime | None,
                 until: datetime | None) -> tuple[builtins.list[str], builtins.list[str]]:
        where: builtins.list[str] = []
        params: builtins.list[str] = []
        for clause, value in (("matter_id = ?", matter_id), ("token_id = ?", token_id),
                              ("ts >= ?", _iso(since) if since else None),
                              ("ts < ?", _iso(until) if until else None)):
            if value is not None:
                where.append(clause)
                params.append(value)
        return where, params

    # --- verification -----------------------------------------------------------------

    def verify(self, expect_head: tuple[int, str] | None = None) -> ChainReport:
        """Check every entry (numbered from 1 without gaps, linked to the one
        before, its keyed hash matching) and the log against its anchor, and,
        given ``expect_head`` (an entry's number and hash seen earlier), that
        the log still contains that entry."""
        self._seal()
        with self._db.connect() as conn:
            with self._locked(shared=True):
                anchor, anchor_problem = self._read_anchor()
                conn.execute("BEGIN")  # one snapshot, taken while no append is half done
                marker = conn.execute("SELECT keyed_from, sealed_at FROM audit_chain").fetchone()
            try:
                keyed_from = anchor.keyed_from if anchor else (marker["keyed_from"] if marker else 1)
                wanted = {s for s in (anchor.count if anchor else 0, expect_head[0] if expect_head else 0) if s}
                found, seen, problems = self._walk(conn, keyed_from, wanted)
            finally:
                conn.execute("COMMIT")
        count, head = (found[-1] if found else (0, GENESIS_HASH))
        notes: builtins.list[str] = []
        if anchor_problem:
            problems.append(f"{anchor_problem}: the log cannot be vouched complete (its last entries, or all of "
                            "them, may have been deleted)")
        elif anchor is not None:
            problems += self._against_anchor(anchor, count, seen, notes)
        if expect_head is not None:
            seq, h = expect_head
            if seen.get(seq) != h:
                problems.append(f"the head seen earlier (entry {seq}, {h[:16]}…) is not in the log: entries were "
                                "removed or rewritten (and the anchor put back to an older copy)")
        if keyed_from > 1:
            sealed_at = (anchor.sealed_at if anchor else marker["sealed_at"] if marker else None) or "?"
            notes.append(f"entries 1 to {keyed_from - 1} were written by an earlier version with an unkeyed chain "
                         f"and sealed on {sealed_at}: they are vouched for as unchanged since then, not before")
        return ChainReport(intact=not problems, entries=count, head_seq=count, head_hash=head,
                           problems=problems, notes=notes)

    def _walk(self, conn: sqlite3.Connection, keyed_from: int, wanted: set[int]
              ) -> tuple[builtins.list[tuple[int, str]], dict[int, str], builtins.list[str]]:
        """Walk the chain up to its first break: ([(last seq, hash)] of the
        intact part, the hashes of the ``wanted`` entries, problems)."""
        prev_hash, expected = GENESIS_HASH, 1
        seen: dict[int, str] = {}
        cursor = conn.execute(f"SELECT {', '.join(_CONTENT_COLUMNS)}, prev_hash, hash FROM audit ORDER BY seq")
        for row in cursor:
            problem = _row_problem(row, expected, prev_hash, self._key if expected >= keyed_from else None)
            if problem:
                return [(expected - 1, prev_hash)] if expected > 1 else [], seen, [problem]
            if expected in wanted:
                seen[expected] = row["hash"]
            prev_hash, expected = row["hash"], expected + 1
        return ([(expected - 1, prev_hash)] if expected > 1 else []), seen, []

    @staticmethod
    def _against_anchor(anchor: Anchor, count: int, seen: dict[int, str], notes: builtins.list[str]
                        ) -> builtins.list[str]:
        if count < anchor.count:
            gone = f"entry {anchor.count}" if count + 1 == anchor.count else f"entries {count + 1} to {anchor.count}"
            return [f"the log ends at entry {count} but its anchor vouches for {anchor.count} entries: {gone} "
                    "deleted (or cut off by a break in the chain)"]
        if anchor.count and seen.get(anchor.count) != anchor.head:
            return [f"entry {anchor.count} is not the one its anchor vouches for"]
        if count > anchor.count + 1:
            return [f"the anchor vouches for {anchor.count} entries but the log has {count}: an older copy of the "
                    "anchor was put back"]
        if count == anchor.count + 1:
            notes.append(f"entry {count} was written but the anchor not moved to it (a writer stopped between "
                         "the two); its keyed hash vouches for it")
        return []

    def verify_chain(self) -> bool:
        """True when :meth:`verify` finds no problem."""
        return self.verify().intact


def _row_problem(row: sqlite3.Row, expected_seq: int, prev_hash: str, key: bytes | None) -> str | None:
    """What is wrong with one entry (None: in place, linked and unaltered).
    ``key`` None checks the unkeyed chain of an earlier version. Values a
    tamperer may have stored with other types (blobs, numbers) count as altered."""
    if row["seq"] != expected_seq:
        return f"entry {expected_seq} is missing (the next entry is numbered {row['seq']})"
    if row["prev_hash"] != prev_hash:
        return f"entry {expected_seq} does not link to the entry before it (removed or rewritten)"
    content = {col: row[col] for col in _CONTENT_COLUMNS}
    stored = row["hash"]
    try:
        ok = isinstance(stored, str) and stored.isascii() and hmac.compare_digest(
            stored, _row_mac(key, prev_hash, content) if key is not None else _row_hash(prev_hash, content))
    except (TypeError, ValueError):
        ok = False
    return None if ok else f"entry {expected_seq} was altered (its {'keyed ' if key else ''}hash does not match)"
