"""The ``cityid`` console script: Django management with the settings preset."""

import os
import sys

PROJECT_APPS = ("accounts", "enrollment", "vault", "audit", "cards", "retention", "ops")


def _project_help() -> str:
    from django.core.management import get_commands, load_command_class

    lines = ["Usage: cityid COMMAND [options]", "", "cityid commands:"]
    for name, app in sorted(get_commands().items()):
        if app.startswith("cityid.") and app.split(".")[-1] in PROJECT_APPS:
            summary = load_command_class(app, name).help.strip().splitlines()[0]
            lines.append(f"  {name:<12} {summary}")
    lines += [
        "",
        "Django's own commands (migrate, runserver, ...): cityid help --all",
        "One command: cityid COMMAND --help",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityid.settings")
    argv = list(sys.argv if argv is None else argv)
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # The data directory is the owner's alone (0700), as its database file (0600) and blob directories are.
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
        if settings.DATA_DIR.stat().st_mode & 0o077 and settings.DATA_DIR.stat().st_uid == os.getuid():
            settings.DATA_DIR.chmod(0o700)
    except OSError as exc:
        sys.exit(f"cityid: cannot create the data directory {settings.DATA_DIR}: {exc.strerror}")
    from cityid.vault.dbfile import make_private_database

    make_private_database()

    try:
        if len(argv) < 2 or argv[1] in {"-h", "--help"} or argv[1:] == ["help"]:
            django.setup()
            print(_project_help())
            return
        if argv[1:3] == ["help", "--all"]:
            argv = [argv[0], "help"]
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        sys.exit(f"cityid: configuration error: {str(exc).splitlines()[0]}")


if __name__ == "__main__":
    main()
