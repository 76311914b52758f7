"""``jili backup`` and ``jili restore``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from jili.backups import services
from jili.backups.services import BackupError


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@click.command("backup")
@click.option(
    "--to",
    "to",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the backup to this file (default: instance/backups/jili-<UTC time>).",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=None,
    help="Afterwards keep only this many of the newest backups in instance/backups/.",
)
@with_appcontext
def backup_command(to: Path | None, keep: int | None):
    """Back up the whole database (every tenant) to one file."""
    backups_dir = Path(current_app.instance_path) / "backups"
    try:
        path = to or services.default_path(backups_dir)
        taken = services.take_backup(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"backed up {services.target_description()} to {taken.path} "
        f"({_size(taken.size)}, migration {taken.revision or 'none'})"
    )
    if keep:
        for old in services.prune(backups_dir, keep):
            click.echo(f"removed old backup {old}")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Really replace the database with the backup.")
@with_appcontext
def restore_command(path: Path, yes: bool):
    """Replace the whole database (every tenant) with the backup in PATH."""
    try:
        backup = services.read_backup(path)
        heads = services.check_restorable(backup)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    target = services.target_description()
    if not yes:
        raise click.ClickException(
            f"this would replace every row of {target} with {path} "
            f"(migration {backup.revision or 'none'}); nothing was changed. "
            "Stop Jili (web and worker), then run again with --yes."
        )
    try:
        done = services.restore_backup(backup)
    except BackupError as exc:
        raise click.ClickException(f"{exc}\nnothing was changed") from None
    click.echo(f"restored {target} from {path} (migration {backup.revision or 'none'})")
    if backup.revision is None:
        click.echo(
            "the backup has no migration revision: if the tables match this code, run "
            "`flask --app jili.wsgi:app db stamp head`"
        )
    elif done.upgrade_needed:
        click.echo(
            f"the backup is at migration {backup.revision}, this code at "
            f"{', '.join(sorted(heads))}: run `flask --app jili.wsgi:app db upgrade` "
            "before starting Jili"
        )
