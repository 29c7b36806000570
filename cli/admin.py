"""Administration commands: ``zeren token issue|revoke|list`` and ``zeren audit``.

They work on the security database of the configured data folder
(``ZEREN_DATA_DIR``), see :mod:`zeren.api.security`.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from zeren.api.security import ROLES, AuditLog, ChainReport, TokenStore, audit_key, db_path

token_app = typer.Typer(no_args_is_help=True, help="Issue, list and revoke API tokens.")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def _db() -> Path:
    """The security database of the data folder configured in the environment."""
    from zeren.config import Settings

    return db_path(Settings())


def _audit_log() -> AuditLog:
    """The audit log of the configured data folder, with its key."""
    from zeren.config import Settings

    settings = Settings()
    return AuditLog(db_path(settings), audit_key(settings))


def _parse_head(value: str) -> tuple[int, str]:
    seq, _, head = value.partition(":")
    if not seq.isdigit() or int(seq) < 1 or len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
        raise typer.BadParameter(f"{value!r} is not a head ENTRY:HASH as 'zeren audit --verify' prints it",
                                 param_hint="--expect-head")
    return int(seq), head


def _err() -> Console:
    return Console(stderr=True)


def _parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from None


def _parse_moment(value: str, option: str) -> datetime:
    """A date (midnight UTC) or an ISO date-time (naive means UTC)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD or an ISO date-time",
                                 param_hint=option) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _print_table(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if row[col] is None else str(row[col]) for col in columns))
    Console(width=200).print(table)


@token_app.command("issue")
def issue_command(
        name: Annotated[str, typer.Option("--name", help="who holds the token (person or service)")],
        role: Annotated[str, typer.Option("--role", help=f"one of: {', '.join(ROLES)}")],
        expires: Annotated[Optional[str], typer.Option(
            "--expires", help="last day of validity, YYYY-MM-DD (UTC); default: no expiry")] = None) -> None:
    """Issue a token. The token is printed once, on standard output; only its hash is kept."""
    until = _parse_date(expires, "--expires") if expires else None
    try:
        token_id, token = TokenStore(_db()).issue(name, role, expires=until)
    except ValueError as e:
        _err().print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    typer.echo(token)
    _err().print(f"issued token [bold]{token_id}[/bold] to {name} ({role}). "
                 "[yellow]Store it now: it is not shown again.[/yellow]")


@token_app.command("revoke")
def revoke_command(token_id: Annotated[str, typer.Argument(help="id of the token (see 'zeren token list')")]) -> None:
    """Revoke a token: it is refused from now on."""
    if not TokenStore(_db()).revoke(token_id):
        _err().print(f"[red]error:[/red] no active token with id {token_id!r}")
        raise typer.Exit(1)
    typer.echo(f"revoked {token_id}")


@token_app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """List every token issued (never its secret)."""
    rows = TokenStore(_db()).list()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _print_table("API tokens", rows, ("id", "name", "role", "created", "expires", "revoked"))


def audit_command(
        matter: Annotated[Optional[str], typer.Option("--matter", help="only reads of this matter")] = None,
        token: Annotated[Optional[str], typer.Option("--token", help="only reads with this token id")] = None,
        since: Annotated[Optional[str], typer.Option(
            "--since", help="from this date or ISO date-time (UTC unless an offset is given)")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, max=100_000, help="most recent entries shown")] = 100,
        as_json: JsonOpt = False,
        verify: Annotated[bool, typer.Option(
            "--verify", help="also check the keyed chain and its anchor; exit 1 if the log was tampered with")] = False,
        expect_head: Annotated[Optional[str], typer.Option(
            "--expect-head", help="with --verify: a head ENTRY:HASH printed by an earlier --verify (kept elsewhere); "
                                  "the log must still contain it")] = None) -> None:
    """Show the audit log of reads of protected fields, newest first."""
    start = _parse_moment(since, "--since") if since else None
    head = _parse_head(expect_head) if expect_head else None
    if head and not verify:
        raise typer.BadParameter("needs --verify", param_hint="--expect-head")
    log = _audit_log()
    rows = log.query(matter_id=matter, token_id=token, since=start, limit=limit)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _print_table("Audit log", rows, ("seq", "ts", "token_id", "name", "role", "matter_id", "field", "action"))
    if verify:
        _report_chain(log.verify(expect_head=head))


def _report_chain(report: ChainReport) -> None:
    err = _err()
    for note in report.notes:
        err.print(f"note: {note}", highlight=False)
    if report.intact:
        err.print(f"hash chain intact: {report.entries} entries, matching the signed anchor", highlight=False)
        err.print(f"head: {report.head_seq}:{report.head_hash} (keep it elsewhere; a later "
                  f"'zeren audit --verify --expect-head {report.head_seq}:{report.head_hash}' checks the log "
                  "still holds it)", highlight=False, soft_wrap=True)
        return
    err.print("[red]hash chain broken: the audit log was altered outside the application[/red]")
    for problem in report.problems:
        err.print(f"[red]- {problem}[/red]", highlight=False)
    raise typer.Exit(1)
