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
itself. Each row also carries ``prev_hash`` and ``hash`` (SHA-256 over the
previous hash and the row's content), so a row altered or removed by someone
who bypasses the triggers (editing the file, dropping the triggers) breaks the
chain that :meth:`AuditLog.verify_chain` checks.

Every method opens its own connection, so one ``TokenStore`` or ``AuditLog``
may be shared by several threads (and processes may share the file).
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zeren.graph.settings import Settings

ROLES = ("investigator", "personnel", "analyst", "petition_bureau", "admin")

DB_FILE = "zeren.db"
TOKEN_PREFIX = "zrn"
GENESIS_HASH = "0" * 64
APPEND_ONLY_MESSAGE = "audit log is append-only"
MAX_NAME_LENGTH = 200
MAX_FIELD_LENGTH = 500
MAX_QUERY_LIMIT = 100_000

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
CREATE INDEX IF NOT EXISTS audit_matter ON audit (matter_id, seq);
CREATE INDEX IF NOT EXISTS audit_token ON audit (token_id, seq);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;
"""


def db_path(settings: Settings) -> Path:
    """The security database of a deployment: ``data_dir / "zeren.db"``."""
    return Path(settings.data_dir).expanduser() / DB_FILE


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


class _Database:
    """One SQLite file, created private (0600) with the schema, in WAL mode."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
        self._ready = False
        self._lock = threading.Lock()
        self._local = threading.local()

    def _create_file(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        os.chmod(self.path, 0o600)

    def _prepare(self) -> None:
        with self._lock:
            if self._ready:
                return
            self._create_file()
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
            finally:
                conn.close()
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
        if conn is None:
            self._prepare()
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
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


class TokenStore:
    """Issues, verifies and revokes API tokens; stores only hashes of secrets."""

    def __init__(self, path: Path) -> None:
        self._db = _Database(path)

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
        with self._db.transaction() as conn:
            cur = conn.execute("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                               (_iso(_now()), token_id))
            return cur.rowcount == 1

    def verify(self, token: str) -> Principal | None:
        """The principal of a valid token; None for a malformed, unknown,
        revoked or expired one. The secret is compared in constant time."""
        parsed = _parse_token(token)
        if parsed is None:
            return None
        token_id, secret = parsed
        row = self._db.reader().execute("SELECT name, role, secret_hash, expires, revoked FROM tokens WHERE id = ?",
                                        (token_id,)).fetchone()
        stored = row["secret_hash"] if row is not None else _DUMMY_HASH
        if not hmac.compare_digest(stored, _hash_secret(secret)) or row is None:
            return None
        if row["revoked"] is not None or row["role"] not in ROLES:
            return None
        if row["expires"] is not None and not _still_valid(row["expires"]):
            return None
        return Principal(token_id=token_id, name=row["name"], role=row["role"])

    def list(self) -> builtins.list[dict[str, Any]]:
        """Every token ever issued, oldest first: id, name, role, created,
        revoked (timestamp or None), expires (date or None). Never the hash."""
        with self._db.connect() as conn:
            rows = conn.execute("SELECT id, name, role, created, revoked, expires FROM tokens "
                                "ORDER BY created, id").fetchall()
        return [dict(row) for row in rows]


def _row_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the row's canonical JSON content."""
    body = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


_CONTENT_COLUMNS = ("seq", "ts", "token_id", "name", "role", "matter_id", "field", "action")


class AuditLog:
    """Append-only record of who read which protected field of which matter."""

    def __init__(self, path: Path) -> None:
        self._db = _Database(path)

    def record(self, principal: Principal, matter_id: str, field: str, *, action: str = "read") -> None:
        """Append one entry, chained to the previous one, timestamped now (UTC)."""
        content: dict[str, Any] = {
            "ts": _iso(_now()), "token_id": principal.token_id, "name": principal.name,
            "role": principal.role, "matter_id": _check_text("matter_id", matter_id, MAX_FIELD_LENGTH),
            "field": _check_text("field", field, MAX_FIELD_LENGTH),
            "action": _check_text("action", action, MAX_FIELD_LENGTH)}
        with self._db.transaction() as conn:
            last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            content["seq"] = last["seq"] + 1 if last else 1
            prev_hash = last["hash"] if last else GENESIS_HASH
            conn.execute(
                "INSERT INTO audit (seq, ts, token_id, name, role, matter_id, field, action, prev_hash, hash) "
                "VALUES (:seq, :ts, :token_id, :name, :role, :matter_id, :field, :action, :prev_hash, :hash)",
                {**content, "prev_hash": prev_hash, "hash": _row_hash(prev_hash, content)})

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

    def verify_chain(self) -> bool:
        """True when every entry is numbered without gaps from 1, links to the
        previous entry's hash and hashes to its stored value."""
        prev_hash, expected_seq = GENESIS_HASH, 1
        with self._db.connect() as conn:
            cursor = conn.execute(
                f"SELECT {', '.join(_CONTENT_COLUMNS)}, prev_hash, hash FROM audit ORDER BY seq")
            for row in cursor:
                if not _row_intact(row, expected_seq, prev_hash):
                    return False
                prev_hash, expected_seq = row["hash"], expected_seq + 1
        return True


def _row_intact(row: sqlite3.Row, expected_seq: int, prev_hash: str) -> bool:
    """One entry is in place, linked and unaltered. Values a tamperer may
    have stored with other types (blobs, numbers) count as altered."""
    content = {col: row[col] for col in _CONTENT_COLUMNS}
    if row["seq"] != expected_seq or row["prev_hash"] != prev_hash:
        return False
    stored = row["hash"]
    if not isinstance(stored, str) or not stored.isascii():
        return False
    try:
        return hmac.compare_digest(stored, _row_hash(prev_hash, content))
    except (TypeError, ValueError):
        return False
