"""API tokens with roles, and the append-only, hash-chained audit log."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zeren.api import security
from zeren.cli import app
from zeren.api.security import ROLES, AuditLog, Principal, TokenStore
from zeren.config import Settings

KEY = bytes(range(32))  # the chain's key in these tests (in service: derived from the data folder's secret)
ALICE = Principal(token_id="aaaaaaaaaaaa", name="Alice", role="investigator")
BOB = Principal(token_id="bbbbbbbbbbbb", name="Bob", role="analyst")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "private" / "zeren.db"


@pytest.fixture
def tokens(db: Path) -> TokenStore:
    return TokenStore(db)


@pytest.fixture
def audit(db: Path) -> AuditLog:
    return AuditLog(db, KEY)


def _set_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(security, "_now", lambda: moment)


def _db_bytes(db: Path) -> bytes:
    """The main file and any WAL/shared-memory companions."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


# --- tokens -------------------------------------------------------------------

def test_issued_token_verifies_to_its_holder_and_role(tokens: TokenStore) -> None:
    token_id, token = tokens.issue("Wang Fang", "personnel")
    assert token.startswith(f"zrn_{token_id}_")
    assert len(token_id) == 12
    assert tokens.verify(token) == Principal(token_id=token_id, name="Wang Fang", role="personnel")


def test_every_role_can_be_issued_and_tokens_are_distinct(tokens: TokenStore) -> None:
    issued = [tokens.issue(f"holder {role}", role) for role in ROLES]
    assert len({token for _, token in issued}) == len(ROLES)
    assert [tokens.verify(token).role for _, token in issued] == list(ROLES)  # type: ignore[union-attr]


def test_unknown_role_is_refused_with_the_list_of_roles(tokens: TokenStore) -> None:
    with pytest.raises(ValueError, match="petition_bureau") as info:
        tokens.issue("Mallory", "superuser")
    assert all(role in str(info.value) for role in ROLES)
    assert tokens.list() == []


def test_empty_holder_name_is_refused(tokens: TokenStore) -> None:
    with pytest.raises(ValueError, match="name"):
        tokens.issue("   ", "analyst")


def test_revoked_token_no_longer_verifies(tokens: TokenStore) -> None:
    token_id, token = tokens.issue("Li Ming", "analyst")
    assert tokens.revoke(token_id) is True
    assert tokens.verify(token) is None
    assert tokens.revoke(token_id) is False


def test_revoking_an_unknown_token_reports_false(tokens: TokenStore) -> None:
    assert tokens.revoke("0123456789ab") is False
    assert tokens.revoke("not an id") is False


def test_revoking_one_token_leaves_the_others_valid(tokens: TokenStore) -> None:
    first_id, _ = tokens.issue("A", "analyst")
    _, second = tokens.issue("B", "analyst")
    tokens.revoke(first_id)
    assert tokens.verify(second) is not None


def test_token_is_valid_through_its_expiry_date_and_refused_after(
        tokens: TokenStore, monkeypatch: pytest.MonkeyPatch) -> None:
    last_day = date(2030, 6, 30)
    _set_clock(monkeypatch, datetime(2030, 6, 1, tzinfo=UTC))
    _, token = tokens.issue("Zhao Lei", "investigator", expires=last_day)
    _set_clock(monkeypatch, datetime(2030, 6, 30, 23, 59, tzinfo=UTC))
    assert tokens.verify(token) is not None
    _set_clock(monkeypatch, datetime(2030, 7, 1, 0, 0, tzinfo=UTC))
    assert tokens.verify(token) is None


class _Clock:
    """``time.monotonic`` of the security module, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    c = _Clock()
    monkeypatch.setattr(security.time, "monotonic", c)
    return c


def test_a_token_revoked_through_the_store_that_just_verified_it_is_refused_at_once(
        tokens: TokenStore, clock: _Clock) -> None:
    token_id, token = tokens.issue("Li Ming", "analyst")
    assert tokens.verify(token) is not None  # now held in this process's cache
    tokens.revoke(token_id)
    assert tokens.verify(token) is None


def test_a_token_revoked_by_another_process_is_refused_once_the_cache_bound_has_passed(
        db: Path, clock: _Clock) -> None:
    service, cli = TokenStore(db), TokenStore(db)
    token_id, token = cli.issue("Li Ming", "petition_bureau")
    assert service.verify(token) is not None
    cli.revoke(token_id)
    clock.now += security.TOKEN_CACHE_S * 0.9
    assert service.verify(token) is not None  # within the stated bound: still the row read before
    clock.now += security.TOKEN_CACHE_S * 0.2
    assert service.verify(token) is None
    clock.now += security.TOKEN_CACHE_S * 10
    assert service.verify(token) is None  # a refused token is not held as valid


def test_the_cache_bound_is_at_most_a_few_seconds() -> None:
    assert 0 < security.TOKEN_CACHE_S <= 5
    assert TokenStore(Path("unused.db")).cache_s == security.TOKEN_CACHE_S


def test_a_held_token_is_refused_from_the_day_after_its_expiry(
        tokens: TokenStore, clock: _Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    _set_clock(monkeypatch, datetime(2030, 6, 30, 23, 59, tzinfo=UTC))
    _, token = tokens.issue("Zhao Lei", "investigator", expires=date(2030, 6, 30))
    assert tokens.verify(token) is not None
    _set_clock(monkeypatch, datetime(2030, 7, 1, 0, 0, tzinfo=UTC))
    assert tokens.verify(token) is None  # the same instant of the monotonic clock: the cache still holds it


def test_a_held_token_with_another_secret_is_refused(tokens: TokenStore, clock: _Clock) -> None:
    token_id, token = tokens.issue("Li Ming", "analyst")
    assert tokens.verify(token) is not None
    forged = f"zrn_{token_id}_{'A' * 43}"
    assert tokens.verify(forged) is None
    assert tokens.verify(token) is not None


def test_a_held_token_gives_the_role_it_was_issued_with_and_reads_no_row_within_the_bound(
        tokens: TokenStore, db: Path, clock: _Clock) -> None:
    token_id, token = tokens.issue("Wang Fang", "petition_bureau")
    first = tokens.verify(token)
    with sqlite3.connect(db) as conn:  # the row changed behind the store's back: seen only after the bound
        conn.execute("UPDATE tokens SET role = 'analyst' WHERE id = ?", (token_id,))
    assert tokens.verify(token) == first
    clock.now += security.TOKEN_CACHE_S
    assert tokens.verify(token) == Principal(token_id=token_id, name="Wang Fang", role="analyst")


def test_a_token_revoked_while_its_row_was_being_read_is_not_held(
        tokens: TokenStore, clock: _Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    token_id, token = tokens.issue("Li Ming", "analyst")
    real = security._Database.reader

    def reader_revoking_meanwhile(self: object) -> sqlite3.Connection:
        conn = real(self)  # type: ignore[arg-type]
        row = conn.execute("SELECT * FROM tokens WHERE id = ?", (token_id,)).fetchone()
        monkeypatch.setattr(security._Database, "reader", real)
        tokens.revoke(token_id)  # commits after this check's read below would have begun

        class Stale:
            def execute(self, *args: object) -> object:
                return type("Cursor", (), {"fetchone": lambda _self: row})()
        return Stale()  # type: ignore[return-value]

    monkeypatch.setattr(security._Database, "reader", reader_revoking_meanwhile)
    assert tokens.verify(token) is not None  # the check that raced the revocation
    assert tokens.verify(token) is None  # the next one, within the bound, reads the row again


def test_expiry_in_the_past_is_refused(tokens: TokenStore) -> None:
    with pytest.raises(ValueError, match="past"):
        tokens.issue("Late", "analyst", expires=date.today() - timedelta(days=2))


def test_database_holds_no_token_secret(tokens: TokenStore, db: Path) -> None:
    secrets_issued = [tokens.issue(f"holder {i}", "analyst")[1] for i in range(3)]
    stored = _db_bytes(db)
    for token in secrets_issued:
        secret = token.split("_", 2)[2]
        assert secret.encode() not in stored
        assert token.encode() not in stored


def test_token_list_shows_metadata_but_never_the_hash(tokens: TokenStore, db: Path) -> None:
    token_id, token = tokens.issue("Sun Li", "admin", expires=date(2099, 1, 1))
    tokens.revoke(token_id)
    (entry,) = tokens.list()
    assert set(entry) == {"id", "name", "role", "created", "revoked", "expires"}
    assert (entry["id"], entry["name"], entry["role"], entry["expires"]) == (token_id, "Sun Li", "admin",
                                                                             "2099-01-01")
    assert entry["revoked"] is not None and entry["created"]
    assert token.split("_", 2)[2] not in json.dumps(entry)


def test_database_file_is_private(tokens: TokenStore, db: Path) -> None:
    tokens.issue("X", "analyst")
    for path in db.parent.glob(db.name + "*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_schema_creation_is_idempotent(db: Path) -> None:
    _, token = TokenStore(db).issue("Once", "analyst")
    AuditLog(db, KEY).record(ALICE, "M-1", "petitioner_name")
    assert TokenStore(db).verify(token) is not None
    assert len(AuditLog(db, KEY).query()) == 1


@pytest.mark.parametrize("bad", [
    "", "garbage", "zrn_", "zrn__", "zrn_0123456789ab_", "Bearer zrn_x_y", "x" * 1_000_000,
    "zrn_" + "a" * 12 + "_" + "b" * 10_000, "zrn_令牌令牌令牌令牌令牌令牌_" + "a" * 43, "😀" * 61,
    "' OR 1=1 --", "zrn_' OR 1=1 --_" + "a" * 43, "zrn_aaaaaaaaaaaa_" + "a" * 42 + "\x00",
    "zrn_AAAAAAAAAAAA_" + "a" * 43, "\udcff" * 61,
])
def test_malformed_tokens_verify_to_none(tokens: TokenStore, bad: str) -> None:
    tokens.issue("Someone", "admin")
    assert tokens.verify(bad) is None


def test_token_with_a_wrong_secret_or_unknown_id_verifies_to_none(tokens: TokenStore) -> None:
    token_id, token = tokens.issue("Someone", "admin")
    secret = token.split("_", 2)[2]
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert tokens.verify(f"zrn_{token_id}_{flipped}") is None
    assert tokens.verify(f"zrn_{'0' * 12}_{secret}") is None
    assert tokens.verify(token.upper()) is None


def test_non_string_input_verifies_to_none(tokens: TokenStore) -> None:
    assert tokens.verify(None) is None  # type: ignore[arg-type]
    assert tokens.verify(b"zrn_x") is None  # type: ignore[arg-type]


# --- audit log ----------------------------------------------------------------

def test_audit_records_are_returned_newest_first_with_who_what_when(audit: AuditLog,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _set_clock(monkeypatch, datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    audit.record(ALICE, "M-1", "petitioner_name")
    _set_clock(monkeypatch, datetime(2025, 3, 2, 8, 0, tzinfo=UTC))
    audit.record(BOB, "M-2", "accusation_text", action="export")
    newest, oldest = audit.query()
    assert newest == {"seq": 2, "ts": "2025-03-02T08:00:00.000000+00:00", "token_id": BOB.token_id,
                      "name": "Bob", "role": "analyst", "matter_id": "M-2", "field": "accusation_text",
                      "action": "export"}
    assert (oldest["seq"], oldest["action"], oldest["name"]) == (1, "read", "Alice")


def test_audit_query_filters_by_matter_token_and_time(audit: AuditLog, monkeypatch: pytest.MonkeyPatch) -> None:
    for day, who, matter in [(1, ALICE, "M-1"), (2, BOB, "M-1"), (3, ALICE, "M-2"), (4, BOB, "M-2")]:
        _set_clock(monkeypatch, datetime(2025, 3, day, 12, 0, tzinfo=UTC))
        audit.record(who, matter, "petitioner_name")
    assert [r["seq"] for r in audit.query(matter_id="M-1")] == [2, 1]
    assert [r["seq"] for r in audit.query(token_id=ALICE.token_id)] == [3, 1]
    assert [r["seq"] for r in audit.query(since=datetime(2025, 3, 2, 12, 0, tzinfo=UTC))] == [4, 3, 2]
    assert [r["seq"] for r in audit.query(until=datetime(2025, 3, 2, 12, 0, tzinfo=UTC))] == [1]
    assert [r["seq"] for r in audit.query(since=datetime(2025, 3, 2), until=datetime(2025, 3, 4))] == [3, 2]
    assert [r["seq"] for r in audit.query(matter_id="M-2", token_id=BOB.token_id)] == [4]
    assert [r["seq"] for r in audit.query(limit=2)] == [4, 3]
    assert audit.query(matter_id="M-404") == []


def test_audit_since_with_an_offset_is_compared_in_utc(audit: AuditLog, monkeypatch: pytest.MonkeyPatch) -> None:
    _set_clock(monkeypatch, datetime(2025, 3, 1, 1, 0, tzinfo=UTC))
    audit.record(ALICE, "M-1", "petitioner_name")
    beijing = timezone(timedelta(hours=8))
    assert len(audit.query(since=datetime(2025, 3, 1, 9, 0, tzinfo=beijing))) == 1
    assert audit.query(since=datetime(2025, 3, 1, 9, 1, tzinfo=beijing)) == []


def test_audit_query_rejects_a_nonsensical_limit(audit: AuditLog) -> None:
    with pytest.raises(ValueError, match="limit"):
        audit.query(limit=0)


def test_database_refuses_update_and_delete_of_audit_rows(audit: AuditLog, db: Path) -> None:
    audit.record(ALICE, "M-1", "petitioner_name")
    conn = sqlite3.connect(db)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit SET name = 'nobody'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit")
        conn.rollback()
        assert conn.execute("SELECT name FROM audit").fetchall() == [("Alice",)]
    finally:
        conn.close()
    assert audit.verify_chain() is True


def _tamper(db: Path, sql: str) -> None:
    """What an attacker with the file can do: drop the triggers, then edit."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def three_reads(audit: AuditLog) -> AuditLog:
    for matter in ("M-1", "M-2", "M-3"):
        audit.record(ALICE, matter, "petitioner_name")
    assert audit.verify_chain() is True
    return audit


@pytest.mark.parametrize("sql", [
    "UPDATE audit SET name = 'Nobody' WHERE seq = 2",
    "UPDATE audit SET ts = '2000-01-01T00:00:00.000000+00:00' WHERE seq = 1",
    "UPDATE audit SET matter_id = X'4d2d31' WHERE seq = 1",
    "DELETE FROM audit WHERE seq = 2",
    "DELETE FROM audit WHERE seq = 1",
    # change the first hex digit of the last hash, whatever it is (a fixed 'f' is a no-op 1 time in 16)
    "UPDATE audit SET hash = CASE WHEN substr(hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(hash, 2) WHERE seq = 3",
])
def test_verify_chain_detects_rows_altered_behind_the_triggers(three_reads: AuditLog, db: Path, sql: str) -> None:
    _tamper(db, sql)
    assert three_reads.verify_chain() is False


def test_verify_chain_detects_a_row_rewritten_with_a_recomputed_own_hash(three_reads: AuditLog, db: Path) -> None:
    row = dict(three_reads.query(matter_id="M-2")[0], name="Nobody")
    conn = sqlite3.connect(db)
    prev = conn.execute("SELECT prev_hash FROM audit WHERE seq = 2").fetchone()[0]
    conn.close()
    forged = security._row_hash(prev, row)
    _tamper(db, f"UPDATE audit SET name = 'Nobody', hash = '{forged}' WHERE seq = 2")
    assert three_reads.verify_chain() is False


def test_empty_audit_log_verifies(audit: AuditLog) -> None:
    assert audit.verify_chain() is True


# --- keyed chain and anchor: what someone with write access to the database file can do

def _problems(log: AuditLog, expect_head: tuple[int, str] | None = None) -> str:
    report = log.verify(expect_head=expect_head)
    assert report.intact is False, "the tampering went unnoticed"
    return " ".join(report.problems)


@pytest.fixture
def five_reads(audit: AuditLog) -> AuditLog:
    for matter in ("M-1", "M-2", "M-3", "M-4", "M-5"):
        audit.record(ALICE, matter, "petitioner_name")
    report = audit.verify()
    assert report.intact and report.entries == 5 and report.notes == []
    return audit


@pytest.mark.parametrize(("sql", "found"), [
    ("UPDATE audit SET name = 'Nobody' WHERE seq = 3", "entry 3 was altered"),
    ("DELETE FROM audit WHERE seq = 3", "entry 3 is missing"),
    ("DELETE FROM audit WHERE seq >= 4", "ends at entry 3 but its anchor vouches for 5 entries: entries 4 to 5 deleted"),
    ("DELETE FROM audit", "ends at entry 0 but its anchor vouches for 5 entries"),
], ids=["edit a middle row", "delete a middle row", "delete the last rows", "delete every row"])
def test_verify_detects_rows_edited_or_deleted_anywhere(five_reads: AuditLog, db: Path, sql: str, found: str) -> None:
    _tamper(db, sql)
    assert found in _problems(five_reads)


def _recompute_unkeyed(db: Path) -> None:
    """Renumber the rows and recompute the chain as the previous version hashed it."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM audit ORDER BY seq")]
        conn.execute("DELETE FROM audit")
        prev = security.GENESIS_HASH
        for seq, row in enumerate(rows, start=1):
            content = {c: row[c] for c in security._CONTENT_COLUMNS} | {"seq": seq}
            digest = security._row_hash(prev, content)
            conn.execute("INSERT INTO audit VALUES (:seq, :ts, :token_id, :name, :role, :matter_id, :field, :action, "
                         ":prev_hash, :hash)", {**content, "prev_hash": prev, "hash": digest})
            prev = digest
        conn.commit()
    finally:
        conn.close()


def test_verify_detects_a_row_deleted_and_the_chain_recomputed_without_the_key(five_reads: AuditLog,
                                                                                db: Path) -> None:
    _tamper(db, "DELETE FROM audit WHERE seq = 5")
    _recompute_unkeyed(db)
    assert "entry 1 was altered (its keyed hash does not match)" in _problems(five_reads)


def test_verify_detects_a_chain_recomputed_with_another_key(five_reads: AuditLog, db: Path) -> None:
    _tamper(db, "DELETE FROM audit WHERE seq = 2")
    conn = sqlite3.connect(db)
    rows = [dict(zip(("seq", "ts", "token_id", "name", "role", "matter_id", "field", "action"), r))
            for r in conn.execute(f"SELECT {', '.join(security._CONTENT_COLUMNS)} FROM audit ORDER BY seq")]
    conn.close()
    _tamper(db, "DELETE FROM audit")
    forger = AuditLog(db, b"\x01" * 32)
    forger._sealed = True  # writes straight into the table, as a forger with a guessed key would
    for row in rows:
        forger.record(Principal(row["token_id"], row["name"], row["role"]), row["matter_id"], row["field"])
    assert "entry 1 was altered" in _problems(five_reads)


def test_verify_detects_an_older_anchor_put_back(five_reads: AuditLog, db: Path) -> None:
    older = five_reads.anchor_path.read_bytes()
    five_reads.record(BOB, "M-6", "petitioner_name")
    five_reads.record(BOB, "M-7", "petitioner_name")
    five_reads.anchor_path.write_bytes(older)
    assert "the anchor vouches for 5 entries but the log has 7: an older copy" in _problems(five_reads)


def test_an_older_anchor_with_the_log_cut_to_match_is_found_with_a_head_kept_elsewhere(five_reads: AuditLog,
                                                                                       db: Path) -> None:
    older = five_reads.anchor_path.read_bytes()
    five_reads.record(BOB, "M-6", "petitioner_name")
    kept = five_reads.verify()
    _tamper(db, "DELETE FROM audit WHERE seq = 6")
    five_reads.anchor_path.write_bytes(older)
    # From the two files alone this is the log as it was before entry 6 ...
    assert five_reads.verify().intact is True
    # ... but not against a head printed earlier and kept elsewhere.
    assert "the head seen earlier (entry 6" in _problems(five_reads, (kept.head_seq, kept.head_hash))


@pytest.mark.parametrize("damage", ["delete", "forge", "garble"])
def test_verify_detects_a_missing_or_unsigned_anchor(five_reads: AuditLog, damage: str) -> None:
    anchor = five_reads.anchor_path
    if damage == "delete":
        anchor.unlink()
    elif damage == "forge":
        anchor.write_text(security.Anchor(count=3, head="0" * 64, keyed_from=1, sealed_at=None).signed(b"\x02" * 32))
    else:
        anchor.write_text("{not json")
    problems = _problems(five_reads)
    assert "anchor file" in problems and "cannot be vouched complete" in problems


def test_an_append_after_rows_were_deleted_leaves_the_anchor_as_evidence(five_reads: AuditLog, db: Path) -> None:
    _tamper(db, "DELETE FROM audit WHERE seq >= 4")
    five_reads.record(BOB, "M-6", "petitioner_name")
    five_reads.record(BOB, "M-7", "petitioner_name")
    # The log is 5 entries long again, but the anchor still names the deleted entry 5.
    assert "entry 5 is not the one its anchor vouches for" in _problems(five_reads)


def test_the_anchor_file_is_private_and_holds_no_key(five_reads: AuditLog) -> None:
    assert stat.S_IMODE(five_reads.anchor_path.stat().st_mode) == 0o600
    assert KEY.hex() not in five_reads.anchor_path.read_text()
    assert json.loads(five_reads.anchor_path.read_text())["anchor"]["count"] == 5


def test_a_writer_stopped_between_its_commit_and_the_anchor_leaves_an_intact_log(
        five_reads: AuditLog, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(anchor: security.Anchor) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(five_reads, "_write_anchor", disk_full)
        with pytest.raises(security.AuditUnavailable, match="No space left"):
            five_reads.record(BOB, "M-6", "petitioner_name")
    report = five_reads.verify()
    assert report.intact and report.entries == 6
    assert "entry 6 was written but the anchor not moved to it" in report.notes[0]
    five_reads.record(BOB, "M-7", "petitioner_name")  # the next append moves the anchor on
    assert five_reads.verify().notes == [] and five_reads.verify().entries == 7


def test_a_write_that_fails_raises_audit_unavailable(audit: AuditLog, monkeypatch: pytest.MonkeyPatch) -> None:
    @contextmanager
    def broken(self: object) -> Iterator[sqlite3.Connection]:
        raise sqlite3.OperationalError("disk I/O error")
        yield  # pragma: no cover

    monkeypatch.setattr(security._Database, "transaction", broken)
    with pytest.raises(security.AuditUnavailable, match="could not be written .disk I/O error"):
        audit.record(ALICE, "M-1", "petitioner_name")


def _legacy_log(db: Path, n: int) -> None:
    """A log as the previous version wrote it: the unkeyed chain, no anchor, no chain record."""
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE audit (seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, token_id TEXT NOT NULL, "
                       "name TEXT NOT NULL, role TEXT NOT NULL, matter_id TEXT NOT NULL, field TEXT NOT NULL, "
                       "action TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);")
    prev = security.GENESIS_HASH
    for seq in range(1, n + 1):
        content = {"seq": seq, "ts": f"2024-01-0{seq}T00:00:00.000000+00:00", "token_id": ALICE.token_id,
                   "name": "Alice", "role": "petition_bureau", "matter_id": f"M-{seq}", "field": "petitioner",
                   "action": "read"}
        digest = security._row_hash(prev, content)
        conn.execute("INSERT INTO audit VALUES (:seq, :ts, :token_id, :name, :role, :matter_id, :field, :action, "
                     ":prev_hash, :hash)", {**content, "prev_hash": prev, "hash": digest})
        prev = digest
    conn.commit()
    conn.close()


def test_a_log_of_the_previous_version_is_sealed_once_and_verify_says_what_it_vouches_for(db: Path) -> None:
    _legacy_log(db, 3)
    log = AuditLog(db, KEY)
    log.record(BOB, "M-9", "petitioner_name")
    report = log.verify()
    assert report.intact and report.entries == 4
    assert report.notes and "entries 1 to 3 were written by an earlier version with an unkeyed chain" in report.notes[0]
    assert "unchanged since then, not before" in report.notes[0]
    AuditLog(db, KEY).record(BOB, "M-10", "petitioner_name")  # opened again: not sealed a second time
    assert AuditLog(db, KEY).verify().notes == report.notes
    _tamper(db, "UPDATE audit SET matter_id = 'M-X' WHERE seq = 2")
    assert "entry 2 was altered (its hash does not match)" in _problems(log)


def test_concurrent_records_keep_the_chain_intact(db: Path) -> None:
    log = AuditLog(db, KEY)
    errors: list[BaseException] = []

    def reader(i: int) -> None:
        try:
            for j in range(15):
                log.record(Principal(f"{i:012x}", f"user {i}", "analyst"), f"M-{j}", "petitioner_name")
        except BaseException as e:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [r["seq"] for r in log.query()] == list(range(120, 0, -1))
    assert log.verify_chain() is True


# --- command line ---------------------------------------------------------------

@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "zeren-data"
    monkeypatch.setenv("ZEREN_DATA_DIR", str(data))
    return data


def _cli_audit_log(data: Path) -> AuditLog:
    """The audit log the CLI sees: keyed with the data folder's secret."""
    return AuditLog(data / "zeren.db", security.audit_key(Settings(data_dir=data)))


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_issue_prints_a_token_that_verifies_and_warns_it_is_shown_once(cli_env: Path) -> None:
    code, out, err = _run("token", "issue", "--name", "Chen Jing", "--role", "petition_bureau",
                          "--expires", "2099-12-31")
    assert code == 0, err
    token = out.strip()
    principal = TokenStore(cli_env / "zeren.db").verify(token)
    assert principal is not None and (principal.name, principal.role) == ("Chen Jing", "petition_bureau")
    assert "not shown again" in err


def test_cli_list_shows_the_token_without_its_secret(cli_env: Path) -> None:
    _, out, _ = _run("token", "issue", "--name", "Chen Jing", "--role", "analyst")
    token = out.strip()
    token_id, secret = token.split("_", 2)[1:]
    code, table, _ = _run("token", "list")
    assert code == 0 and token_id in table and "Chen Jing" in table and secret not in table
    code, as_json, _ = _run("token", "list", "--json")
    (entry,) = json.loads(as_json)
    assert entry["id"] == token_id and secret not in as_json


def test_cli_revoke_makes_the_token_invalid(cli_env: Path) -> None:
    _, out, _ = _run("token", "issue", "--name", "Chen Jing", "--role", "analyst")
    token = out.strip()
    token_id = token.split("_", 2)[1]
    code, _, _ = _run("token", "revoke", token_id)
    assert code == 0
    assert TokenStore(cli_env / "zeren.db").verify(token) is None
    code, _, err = _run("token", "revoke", token_id)
    assert code == 1 and "no active token" in err


def test_cli_refuses_an_unknown_role_and_a_bad_date(cli_env: Path) -> None:
    code, out, err = _run("token", "issue", "--name", "X", "--role", "god")
    assert code == 2 and "unknown role" in err and out == ""
    code, out, _ = _run("token", "issue", "--name", "X", "--role", "analyst", "--expires", "31/12/2099")
    assert code == 2 and out == ""
    assert TokenStore(cli_env / "zeren.db").list() == []


def test_cli_audit_prints_the_rows_filtered(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _cli_audit_log(cli_env)
    _set_clock(monkeypatch, datetime(2025, 3, 1, tzinfo=UTC))
    log.record(ALICE, "M-1", "petitioner_name")
    _set_clock(monkeypatch, datetime(2025, 3, 5, tzinfo=UTC))
    log.record(BOB, "M-2", "accusation_text")
    code, out, _ = _run("audit")
    assert code == 0 and "M-1" in out and "M-2" in out and "accusation_text" in out
    code, out, _ = _run("audit", "--matter", "M-1", "--json")
    assert code == 0 and [r["matter_id"] for r in json.loads(out)] == ["M-1"]
    code, out, _ = _run("audit", "--token", BOB.token_id, "--json")
    assert [r["name"] for r in json.loads(out)] == ["Bob"]
    code, out, _ = _run("audit", "--since", "2025-03-02", "--json")
    assert [r["seq"] for r in json.loads(out)] == [2]
    code, out, _ = _run("audit", "--limit", "1", "--json")
    assert [r["seq"] for r in json.loads(out)] == [2]


def test_cli_audit_verify_reports_a_broken_chain(cli_env: Path) -> None:
    db = cli_env / "zeren.db"
    _cli_audit_log(cli_env).record(ALICE, "M-1", "petitioner_name")
    code, _, err = _run("audit", "--verify")
    assert code == 0 and "intact" in err
    _tamper(db, "UPDATE audit SET field = 'nothing' WHERE seq = 1")
    code, _, err = _run("audit", "--verify")
    assert code == 1 and "broken" in err
