"""The `ttx` command line (DESIGN §9)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from app.settings import get_settings
from app.textsafe import SafeStream

if TYPE_CHECKING:
    from sqlmodel import Session

    from app.i18n import Lang
    from app.schemas.directory import ImportReport


def main(argv: Sequence[str] | None = None) -> int:
    # Whatever a command prints (centre names, a referral's text) reaches a terminal.
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(sys.stdout), SafeStream(sys.stderr)
    try:
        parser = _parser()
        args = parser.parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except KeyboardInterrupt:
        return 130
    finally:
        sys.stdout, sys.stderr = saved


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ttx", description="Trouve ton X service")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the API (with the embedded dispatcher)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-dispatcher", action="store_true", help="do not deliver webhooks")
    serve.set_defaults(handler=_serve)

    sub.add_parser("worker", help="run the dispatcher alone").set_defaults(handler=_worker)
    sub.add_parser("migrate", help="upgrade the database to the latest schema").set_defaults(
        handler=_migrate
    )
    sub.add_parser(
        "doctor", help="check the database and report stored data that cannot be delivered"
    ).set_defaults(handler=_doctor)

    seed = sub.add_parser("seed-demo", help="load the demo directory")
    seed.add_argument("--if-empty", action="store_true", help="only when there is no centre yet")
    seed.set_defaults(handler=_seed_demo)

    imp = sub.add_parser(
        "import", help="import centres from an .xlsx workbook, a CSV or a JSON file"
    )
    imp.add_argument("file", type=Path, nargs="?")
    imp.add_argument("--dry-run", action="store_true", help="say what would change; save nothing")
    imp.add_argument("--sheet", help="the workbook's sheet to read (default: the first)")
    imp.add_argument("--template", type=Path, metavar="FILE.xlsx", help="write the template")
    imp.add_argument("--lang", choices=["fr", "en"], help="messages' language (default: LANG)")
    imp.set_defaults(handler=_import)

    export = sub.add_parser("export", help="write the directory to a file")
    export.add_argument("--format", choices=["hsds"], required=True, help="hsds: HSDS 3.0")
    export.add_argument("--lang", choices=["fr", "en"], default="fr", help="language of texts")
    export.add_argument("file", type=Path, help="where to write it (- for standard output)")
    export.set_defaults(handler=_export)

    keys = sub.add_parser("keys", help="API keys").add_subparsers(required=True, metavar="ACTION")
    create = keys.add_parser("create", help="create a key (printed once)")
    create.add_argument("--role", required=True, choices=["admin", "centre", "partner"])
    create.add_argument("--centre", help="the centre's ref, for a centre key")
    create.add_argument("--label")
    create.set_defaults(handler=_keys_create)
    keys.add_parser("list", help="list keys").set_defaults(handler=_keys_list)
    revoke = keys.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key_id")
    revoke.set_defaults(handler=_keys_revoke)

    staff = sub.add_parser("staff", help="staff accounts of the console (/admin)")
    staff_actions = staff.add_subparsers(required=True, metavar="ACTION")
    add = staff_actions.add_parser("add", help="let this address sign in to the console")
    add.add_argument("email")
    add.add_argument("--name")
    add.set_defaults(handler=_staff_add)
    staff_actions.add_parser("list", help="list staff accounts").set_defaults(handler=_staff_list)
    remove = staff_actions.add_parser("remove", help="close an account (its sessions end)")
    remove.add_argument("email")
    remove.set_defaults(handler=_staff_remove)
    reset = staff_actions.add_parser("reset-totp", help="forget an account's second factor")
    reset.add_argument("email")
    reset.set_defaults(handler=_staff_reset_totp)

    sub.add_parser("purge", help="anonymise data past the retention period").set_defaults(
        handler=_purge
    )
    sub.add_parser(
        "rotate-keys", help="re-encrypt personal data with the newest TTX_SECRET_KEY"
    ).set_defaults(handler=_rotate_keys)
    inbox = sub.add_parser("demo-inbox", help="a local webhook receiver that prints referrals")
    inbox.add_argument("--host", default="127.0.0.1")
    inbox.add_argument("--port", type=int, default=8765)
    inbox.add_argument("--secret", help="whsec_… (default: the demo secret)")
    inbox.set_defaults(handler=_demo_inbox)
    mailbox = sub.add_parser("demo-mailbox", help="a local SMTP server that prints each message")
    mailbox.add_argument("--host", default="127.0.0.1")
    mailbox.add_argument("--port", type=int, default=8025)
    mailbox.set_defaults(handler=_demo_mailbox)
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app
    from app.ops import logs
    from app.server import uvicorn_options

    settings = get_settings()
    logs.configure(settings.logs_as, settings.log_level)
    app = create_app(embedded_dispatcher=False if args.no_dispatcher else None)
    # Our own access line (app.ops.middleware: route template, request id, no query string)
    # replaces uvicorn's; its other messages go through the same handler as ours.
    options = uvicorn_options(settings) | {"log_config": None, "access_log": False}
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", **options)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from app.db import get_engine
    from app.dispatcher import DispatcherFault, run_worker
    from app.ops import logs
    from app.services.sweeper import Sweeper, install_hooks

    settings = get_settings()
    logs.configure(settings.logs_as, settings.log_level)
    if settings.worker_metrics_port is not None:
        from prometheus_client import start_http_server

        from app.dispatcher.metrics import REGISTRY

        # Its own attempts and slots; the backlog is read by the API's /metrics.
        start_http_server(
            settings.worker_metrics_port, addr=settings.worker_metrics_host, registry=REGISTRY
        )
    install_hooks()
    sweeper = Sweeper(get_engine(), settings).start()
    try:
        run_worker(settings, engine=get_engine())
    except DispatcherFault as exc:
        # Its own fault, never a receiver's: exit non-zero for the supervisor to restart it.
        print(f"error: the worker stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        sweeper.stop()
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from app.db import get_engine
    from app.services.doctor import refused_inbox_urls
    from app.services.health import upgrade_to_head

    upgrade_to_head(get_engine())
    print("database at the latest migration")
    with Session(get_engine()) as session:
        findings = refused_inbox_urls(session, production=get_settings().env == "production")
    for finding in findings:
        print(f"warning: {finding.text}", file=sys.stderr)
    if findings:
        print(f"{len(findings)} inbox URL(s) need fixing: see `ttx doctor`", file=sys.stderr)
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from app.db import get_engine
    from app.services.doctor import diagnose

    findings = diagnose(get_engine(), get_settings())
    for finding in findings:
        print(f"{finding.level}: {finding.text}")
    problems = sum(1 for f in findings if f.level == "problem")
    print(f"{problems} problem(s), {len(findings) - problems} notice(s)")
    return 1 if problems else 0


def _seed_demo(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from app.models import Centre

    with _session() as session:
        if args.if_empty and session.scalar(select(func.count()).select_from(Centre)):
            print("centres already present: demo directory not loaded")
            return 0
    from app.i18n import lang_of
    from app.paths import data_dir

    return _import_file(data_dir() / "demo_centres.json", lang=lang_of(_env_lang()))


def _import(args: argparse.Namespace) -> int:
    from app.i18n import gettext, lang_of

    lang = lang_of(args.lang or _env_lang())
    if args.template:
        return _write_template(args.template, lang)
    if args.file is None:
        print(gettext("import.cli.file_needed", lang), file=sys.stderr)
        return 2
    return _import_file(args.file, lang=lang, dry_run=args.dry_run, sheet=args.sheet)


def _env_lang() -> str | None:
    import os

    return os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")


def _write_template(path: Path, lang: Lang) -> int:
    from app.i18n import gettext
    from app.services.import_template import template_xlsx

    try:
        path.write_bytes(template_xlsx())
    except OSError as exc:
        print(
            gettext("import.cli.cannot_read", lang, path=path, reason=exc.strerror), file=sys.stderr
        )
        return 1
    print(gettext("import.cli.template_written", lang, path=path))
    return 0


def _import_file(
    path: Path, *, lang: Lang = "fr", dry_run: bool = False, sheet: str | None = None
) -> int:
    from tqdm import tqdm

    from app.errors import AppError, InvalidInput
    from app.i18n import gettext
    from app.services import importer
    from app.services.centres import Rules

    try:
        raw = path.read_bytes()
    except OSError as exc:
        print(
            gettext("import.cli.cannot_read", lang, path=path, reason=exc.strerror), file=sys.stderr
        )
        return 1
    try:
        loaded = importer.load(raw, filename=path.name, sheet=sheet, max_records=None)
        steps = len(loaded.records)
        with (
            _session() as session,
            tqdm(total=steps, unit="centre", disable=steps < 200, file=sys.stderr) as bar,
        ):
            rules = Rules.from_settings(get_settings())
            report = importer.import_records(
                session,
                loaded,
                rules=rules,
                dry_run=dry_run,
                lang=lang,
                progress=bar.update,
            )
    except AppError as exc:
        print(gettext("import.cli.error", lang, detail=exc.text(lang)), file=sys.stderr)
        if isinstance(exc, InvalidInput):
            for line in importer.describe_errors(exc, lang):
                print(line, file=sys.stderr)
        return 1
    _print_report(report, lang)
    return 0


def _print_report(report: ImportReport, lang: Lang, shown: int = 50) -> None:
    from app.i18n import gettext

    for note in report.notes:
        print(note)
    lines = []
    for change in report.changes:
        ref = change.ref
        if change.action == "new":
            lines.append(gettext("import.cli.change_new", lang, ref=ref, row=change.row))
        elif change.action == "updated":
            fields = ", ".join(change.fields)
            lines.append(
                gettext(
                    "import.cli.change_updated", lang, ref=change.ref, row=change.row, fields=fields
                )
            )
        elif change.action == "deactivated":
            lines.append(
                gettext("import.cli.change_deactivated", lang, ref=change.ref, row=change.row)
            )
    for line in lines[:shown]:
        print(line)
    if len(lines) > shown:
        print(gettext("import.cli.more", lang, n=len(lines) - shown))
    print(
        gettext(
            "import.cli.summary",
            lang,
            total=len(report.changes),
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            deactivated=report.deactivated,
        )
    )
    print(gettext("import.cli.would" if report.dry_run else "import.cli.done", lang))


def _export(args: argparse.Namespace) -> int:
    """The active directory as an HSDS 3.0 data package (JSON tables, docs/hsds.md)."""
    from app.db import get_engine
    from app.hsds import package
    from app.services.directory_index import DirectoryIndex

    directory = DirectoryIndex(get_engine(), 0.1).get()
    doc = package.export(directory.centres_by_name, args.lang)
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if str(args.file) == "-":
        sys.stdout.write(text)
    else:
        args.file.write_text(text, encoding="utf-8")
    print(f"{len(doc['organization'])} centres written as HSDS 3.0", file=sys.stderr)
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    from app.errors import AppError
    from app.services import keys

    try:
        with _session() as session:
            row, plaintext = keys.create_key(
                session, role=args.role, centre_ref=args.centre, label=args.label
            )
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    print(plaintext)
    print(f"key {row.id} ({row.role}) created; it is shown only this once", file=sys.stderr)
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    from app.services import keys

    with _session() as session:
        for row in keys.list_keys(session):
            state = "revoked" if row.revoked_at else "active"
            print(
                json.dumps(
                    {
                        "id": str(row.id),
                        "prefix": row.prefix,
                        "role": row.role,
                        "centre_id": str(row.centre_id) if row.centre_id else None,
                        "state": state,
                    }
                )
            )
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    import uuid

    from app.errors import AppError
    from app.services import keys

    try:
        with _session() as session:
            keys.revoke_key(session, uuid.UUID(args.key_id))
    except (AppError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("revoked")
    return 0


def _staff_add(args: argparse.Namespace) -> int:
    from app.errors import AppError
    from app.services import staff_members

    try:
        with _session() as session:
            member = staff_members.add(session, args.email, name=args.name)
            email = member.email
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    print(f"{email} may sign in to the console (/admin) by e-mailed link")
    return 0


def _staff_list(args: argparse.Namespace) -> int:
    from app.services import staff_members

    with _session() as session:
        for member in staff_members.list_members(session, include_removed=True):
            print(
                json.dumps(
                    {
                        "id": str(member.id),
                        "email": member.email,
                        "name": member.name,
                        "state": "removed" if member.removed_at else "active",
                        "totp": staff_members.has_totp(member),
                        "last_signin_at": member.last_signin_at.isoformat()
                        if member.last_signin_at
                        else None,
                    }
                )
            )
    return 0


def _staff_remove(args: argparse.Namespace) -> int:
    from app.errors import AppError
    from app.services import staff_members

    try:
        with _session() as session:
            staff_members.remove(session, args.email)
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    print("removed")
    return 0


def _staff_reset_totp(args: argparse.Namespace) -> int:
    from app.services import staff_members

    with _session() as session:
        member = staff_members.find_active(session, args.email)
        if member is None:
            print(f"error: no active staff account for {args.email}", file=sys.stderr)
            return 1
        staff_members.reset_totp(session, member)
    print("second factor forgotten: it is set up again at the next sign-in")
    return 0


def _purge(args: argparse.Namespace) -> int:
    from app.services import privacy

    settings = get_settings()
    with _session() as session:
        count = privacy.purge(session, settings)
    print(f"anonymised {count} requests older than {settings.retention_days} days")
    return 0


def _rotate_keys(args: argparse.Namespace) -> int:
    from app.services import privacy

    with _session() as session:
        count = privacy.rotate_keys(session, get_settings())
    print(f"re-encrypted {count} requests with the newest key")
    return 0


def _demo_inbox(args: argparse.Namespace) -> int:
    from app.dispatcher.demo_inbox import serve_demo_inbox

    serve_demo_inbox(args.host, args.port, args.secret)
    return 0


def _demo_mailbox(args: argparse.Namespace) -> int:
    from app.mail.demo_mailbox import serve_demo_mailbox

    serve_demo_mailbox(args.host, args.port)
    return 0


def _session() -> AbstractContextManager[Session]:
    from app.db import get_engine, session_scope

    return session_scope(get_engine())


if __name__ == "__main__":
    raise SystemExit(main())
