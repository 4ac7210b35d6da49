"""A copy of a running deployment's data directory signs no one in and reads no personal value.

The attack of issue 8: an attacker copies the data directory of a running server (the SQLite file with
its -wal and -shm, and the blob store) and tries to get in and read. Here a real ``cityid runserver``
process runs on a fresh data and key directory. Canary applicants come in through the importer and the
clerk's web form; staff sign in over HTTP (password and TOTP code), a supervisor approves and looks up the
card, counsel places a hold with a canary case name and a ``subject:<uuid>`` scope, someone fails to sign
in with a TOTP code. Then the directory is copied while the server runs, and:

* every byte of every copied file is searched for each personal value (names, addresses, document
  numbers, the card number, the hold's case name, index number, notes and subject scope, and the
  sign-in form's fields);
* every session key in the copied session table is replayed as a cookie against the running server, and
  gets the sign-in page (the signed-in staff's real cookies, the positive control, still work);
* the mode bits of the database files, the directories and the key and secret files are the owner's only.

Against the code before issue 8 the scan found the card number and the hold's case name, the replayed
session keys opened every staff page, and the database file was 0644.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.vault.test_at_rest import CANARIES, canary_lines, canary_photo, canary_scan, needles

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="copies the embedded (SQLite) deployment's data directory"
)

HOLD_CASE = "Canaryplaintiff v. City of Canaryville"
HOLD_INDEX = "CANARYINDEX-4242/2016"
HOLD_NOTES = "Canaryhold note: temporary restraining order"
WEB_CANARIES = ["Webcanarygiven", "Webcanaryfamily", "55 Webcanary Lane", "WEBCANARYDOC77", "WEBCANARYBILL88"]
STAFF_PAGES = ["/enrollment/new/", "/cards/", "/retention/holds/", "/accounts/staff/", "/enrollment/queue/"]
ROLES = ["clerk", "supervisor", "card_production", "counsel", "auditor", "admin"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _totp(secret: str, *, at: float | None = None) -> str:
    """The code of an authenticator holding ``secret`` (base32), now or at time ``at``."""
    from django_otp.oath import TOTP

    generator = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8)), step=30, t0=0, digits=6)
    if at is not None:
        generator.time = at
    return f"{generator.token():06d}"


class _Form(HTMLParser):
    """The named fields of the first <form> with a CSRF token, with their default values."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"file", "checkbox", "radio", "submit"}:
            self.fields.setdefault(name, a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


class Browser:
    """Just enough of a browser: cookies, CSRF tokens, form and multipart posts, no redirects followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str = "") -> tuple[int, str, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": "127.0.0.1", "Referer": f"http://127.0.0.1:{self.port}{path}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", "replace")
        connection.close()
        return response.status, response.getheader("Location") or "", text

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request("GET", path)

    def form(self, path: str) -> dict[str, str]:
        status, _, page = self.get(path)
        assert status == 200, (path, status)
        parser = _Form()
        parser.feed(page)
        return parser.fields

    def post(self, path: str, data: dict[str, str | list[str]], files: dict[str, tuple[str, bytes, str]] | None = None,
             *, form_from: str | None = None) -> tuple[int, str, str]:
        fields: dict[str, str | list[str]] = dict(self.form(form_from or path))
        fields.update(data)
        if not files:
            return self.request("POST", path, urlencode(fields, doseq=True).encode(),
                                "application/x-www-form-urlencoded")
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                parts.append(f"{head}{item}\r\n".encode())
        for name, (filename, content, mime) in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         f"Content-Type: {mime}\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")


class Deployment:
    """A data and key directory, the ``cityid`` command run on them, and a server process."""

    def __init__(self, root: Path) -> None:
        self.data, self.keys = root / "data", root / "keys"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("CITYID_") and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
        self.env.update(CITYID_DATA_DIR=str(self.data), CITYID_KEYS_DIR=str(self.keys), CITYID_DOCUMENT_COPIES="keep",
                        CITYID_ALLOWED_HOSTS="127.0.0.1", PYTHONUNBUFFERED="1")
        self.server: subprocess.Popen | None = None
        self.port = _free_port()
        self.posted_codes: list[str] = []

    def cityid(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "cityid", *args], env=self.env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
        return done.stdout

    def start(self) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-m", "cityid", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.server.poll() is None, "the server exited"
                time.sleep(0.1)
        raise AssertionError("the server did not start")

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=30)

    def add_staff(self, username: str, role: str) -> dict[str, str]:
        """A staff account made by the host operator: its one-time enrolment link, printed once."""
        out = self.cityid("staff", "add", username, "--role", role)
        (link,) = re.findall(r"^enrolment link:\s+(\S+)", out, flags=re.MULTILINE)
        return {"username": username, "link": link}

    def enrol(self, person: dict[str, str], step: int) -> None:
        """The staff member opens their link, reads the authenticator key off the page, chooses a password
        and confirms the code of time step ``step``."""
        browser = Browser(self.port)
        status, location, _ = browser.get(urlsplit(person["link"]).path)
        assert status == 302 and location.endswith("/accounts/enrol/"), (person["username"], status)
        status, _, page = browser.get("/accounts/enrol/")
        assert status == 200
        (secret,) = re.findall(r'<code id="enrol-secret">([A-Z2-7]+)</code>', page)
        person["secret"], person["password"] = secret, f"a long passphrase for {person['username']} 42"
        code = _totp(secret, at=step * 30 + 1)
        self.posted_codes.append(code)
        status, location, page = browser.post("/accounts/enrol/", {
            "new_password1": person["password"], "new_password2": person["password"], "otp_token": code})
        assert status == 302 and location.endswith("/accounts/login/"), (person["username"], status, page[:2000])

    def sign_in(self, person: dict[str, str], step: int) -> Browser:
        """Sign in over HTTP with the password and the TOTP code of time step ``step`` (each person's own
        step, so no code is refused as a replay), choosing a new password when asked to."""
        browser = Browser(self.port)
        code = _totp(person["secret"], at=step * 30 + 1)
        self.posted_codes.append(code)
        status, location, _ = browser.post("/accounts/login/", {
            "username": person["username"], "password": person["password"], "otp_token": code})
        assert status == 302, (person["username"], status)
        if location.endswith("/accounts/password/"):
            new = f"a long passphrase for {person['username']} 42"
            status, _, _ = browser.post("/accounts/password/", {
                "old_password": person["password"], "new_password1": new, "new_password2": new})
            assert status == 302
            person["password"] = new
        return browser


def _current_step() -> int:
    return int(time.time()) // 30


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    root = tmp_path_factory.mktemp("deployment")
    deployment = Deployment(root)
    deployment.cityid("migrate", "--no-input")
    staff = {role: deployment.add_staff(f"{role}_copy", role) for role in ROLES}
    base = root / "import"
    base.mkdir()
    (base / "people.jsonl").write_text("\n".join(json.dumps(line) for line in canary_lines(base)) + "\n")
    deployment.cityid("import", "applicants", str(base / "people.jsonl"), "--actor", "supervisor_copy")
    deployment.start()
    try:
        # TOTP codes are valid for their 30-second step and one either side, and django-otp refuses a code
        # twice: each person enrols with the current step's code and signs in at once with the next step's,
        # which both stay valid if a step ends in between (however slow the machine, one person takes less
        # than a step).
        browsers = {}
        for role in ROLES:
            step = _current_step()
            deployment.enrol(staff[role], step)
            browsers[role] = deployment.sign_in(staff[role], step + 1)

        # The clerk enrolls a canary applicant through the web form.
        clerk = browsers["clerk"]
        status, location, page = clerk.post("/enrollment/new/", {
            "application_type": "new", "given_name": "Webcanarygiven", "family_name": "Webcanaryfamily",
            "date_of_birth": "1988-07-09", "address_kind": "residential", "line1": "55 Webcanary Lane",
            "city": "Bronx", "postcode": "10451", "borough": "bronx",
            "doc-0-type": "foreign_passport", "doc-0-number": "WEBCANARYDOC77", "doc-0-expires": "2031-01-01",
            "doc-1-type": "utility_bill", "doc-1-number": "WEBCANARYBILL88",
        }, files={"photo": ("photo.jpg", canary_photo(), "image/jpeg"),
                  "doc-0-scan": ("scan.jpg", canary_scan(), "image/jpeg")})
        assert status == 302 and "/enrollment/submitted/" in location, (status, page[:3000])

        # The supervisor approves it from the queue, which issues its card.
        supervisor = browsers["supervisor"]
        reference = location.rstrip("/").rsplit("/", 1)[-1]
        status, _, _ = supervisor.post(f"/enrollment/applications/{reference}/", {"decision": "approve"})
        assert status == 302

        # Card production and the supervisor read card numbers; the supervisor finds one by number.
        _, _, listing = browsers["card_production"].get("/cards/")
        numbers = re.findall(r"<code>(\d{16})</code>", listing)
        assert len(numbers) == 2, "both approved applicants have a card"
        status, location, _ = supervisor.post("/cards/", {"number": numbers[0]})
        assert status == 302 and location.startswith("/cards/")

        # Counsel holds one canary applicant's records, by a scope naming them.
        with sqlite3.connect(deployment.data / "cityid.sqlite3") as db:
            (subject,) = db.execute("SELECT public_id FROM enrollment_applicant WHERE external_id = ?",
                                    ("AR-POSITIVE-0001",)).fetchone()
        subject = str(uuid.UUID(subject))
        status, _, page = browsers["counsel"].post("/retention/holds/new/", {
            "case_name": HOLD_CASE, "court": "Supreme Court, Queens County", "index_number": HOLD_INDEX,
            "order_date": "2016-12-05", "scope": f"subject:{subject}", "notes": HOLD_NOTES})
        assert status == 302, page[:2000]

        # Someone fails to sign in as the admin with a TOTP code (and a password typed as the user name).
        wrong = _totp(staff["admin"]["secret"], at=(_current_step() + 3) * 30 + 1)
        deployment.posted_codes.append(wrong)
        Browser(deployment.port).post("/accounts/login/", {
            "username": staff["admin"]["username"], "password": "not the password", "otp_token": wrong})
        Browser(deployment.port).post("/accounts/login/", {
            "username": "Canarytypedpassword 99", "password": "x", "otp_token": wrong})

        # The copy, taken while the server runs.
        copy = root / "copy"
        shutil.copytree(deployment.data, copy)
        yield {"deployment": deployment, "copy": copy, "staff": staff, "browsers": browsers, "numbers": numbers,
               "subject": subject}
    finally:
        deployment.stop()


def test_the_copy_holds_no_personal_value(deployment):
    copy: Path = deployment["copy"]
    files = sorted(p for p in copy.rglob("*") if p.is_file())
    assert (copy / "cityid.sqlite3") in files and any("blobs" in p.parts for p in files)
    data = {path: path.read_bytes() for path in files}
    with sqlite3.connect(copy / "cityid.sqlite3") as db:  # positive control: the scan reads the stored data
        assert db.execute("SELECT COUNT(*) FROM enrollment_applicant WHERE external_id = 'AR-POSITIVE-0001'").fetchone()
    assert any(b"AR-POSITIVE-0001" in content for content in data.values())

    values = [*CANARIES, *WEB_CANARIES, *deployment["numbers"], HOLD_CASE, HOLD_INDEX, HOLD_NOTES,
              f"subject:{deployment['subject']}", "Canarytypedpassword", "otp_token", "one-time password"]
    values += [person["password"] for person in deployment["staff"].values()]
    searched = [(repr(v), v.encode()) for v in values] + [(repr(v), v.encode("utf-16-le")) for v in values]
    searched += needles(canary_scan(), canary_photo())
    for path, content in data.items():
        for name, needle in searched:
            assert needle not in content, f"{name} found in {path.relative_to(copy)}"
        for code in deployment["deployment"].posted_codes:  # a code beside the name of its form field
            assert f"otp_token={code}".encode() not in content


def test_no_session_key_in_the_copy_opens_a_staff_page(deployment):
    port = deployment["deployment"].port
    with sqlite3.connect(deployment["copy"] / "cityid.sqlite3") as db:
        stolen = [row[0] for row in db.execute("SELECT session_key FROM django_session")]
    assert len(stolen) >= len(ROLES)
    for key in stolen:
        thief = Browser(port)
        thief.cookies["sessionid"] = key
        for page in STAFF_PAGES:
            status, location, _ = thief.get(page)
            assert status == 302 and "/accounts/login/" in location, (page, status)
    # Positive control: the staff members' own cookies, which only their browsers hold, still work.
    assert deployment["browsers"]["clerk"].get("/enrollment/new/")[0] == 200
    assert deployment["browsers"]["admin"].get("/accounts/staff/")[0] == 200


def test_the_copied_lockout_table_holds_no_sign_in_form(deployment):
    with sqlite3.connect(deployment["copy"] / "cityid.sqlite3") as db:
        rows = list(db.execute("SELECT username, get_data, post_data FROM axes_accessattempt"))
    assert len(rows) == 2  # the two failed sign-ins
    admin = deployment["staff"]["admin"]["username"]
    for username, get_data, post_data in rows:
        assert (get_data, post_data) == ("", "")
        assert username != admin and "Canarytypedpassword" not in username


def test_files_are_the_owners_only(deployment):
    dep = deployment["deployment"]

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(dep.data) == 0o700
    # SQLite removes the -wal and -shm files when its last connection closes (the server closes its own after
    # each request): a reader keeps them open, and SQLite creates them with the database file's mode.
    probe = (
        "import os, sqlite3, stat, sys, json\n"
        "reader = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "reader.execute('BEGIN'); reader.execute('SELECT COUNT(*) FROM django_session').fetchone()\n"
        "print(json.dumps({s: oct(stat.S_IMODE(os.stat(sys.argv[1] + s).st_mode)) for s in ('', '-wal', '-shm')}))\n"
    )
    modes = json.loads(subprocess.run([sys.executable, "-c", probe, str(dep.data / "cityid.sqlite3")],
                                      capture_output=True, text=True, check=True).stdout)
    assert modes == {"": "0o600", "-wal": "0o600", "-shm": "0o600"}
    blobs = [p for p in (dep.data / "blobs").rglob("*")]
    assert blobs
    for path in blobs:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), (path, oct(mode(path)))
    assert mode(dep.data / "blobs") == 0o700
    assert mode(dep.keys) == 0o700
    secrets = [p for p in dep.keys.iterdir() if p.is_file() and not p.name.endswith(".lock")]
    assert {p.name for p in secrets} >= {"keyring.json", "django-secret"}
    for path in secrets:
        assert mode(path) == 0o600, (path.name, oct(mode(path)))


def test_no_totp_seed_in_the_copy_yields_a_staff_members_codes(deployment):
    """No staff member's authenticator seed is in the copy, in any encoding: nobody computes their codes."""
    copy: Path = deployment["copy"]
    with sqlite3.connect(copy / "cityid.sqlite3") as db:  # positive control: the devices are in the copy
        assert db.execute("SELECT COUNT(*) FROM accounts_totpdevice WHERE confirmed").fetchone()[0] == len(ROLES)
    forms = []
    for person in deployment["staff"].values():
        seed = base64.b32decode(person["secret"] + "=" * (-len(person["secret"]) % 8))
        forms += [seed, seed.hex().encode(), seed.hex().upper().encode(), person["secret"].encode(),
                  base64.b64encode(seed).rstrip(b"=")]
    for path in (p for p in copy.rglob("*") if p.is_file()):
        content = path.read_bytes()
        for form in forms:
            assert form not in content, f"an authenticator seed is in {path.relative_to(copy)}"


def test_an_older_installations_files_are_narrowed_at_start(tmp_path):
    """A database file and blob directories left 0644/0755 by the code before are the owner's after start."""
    from cityid.vault.dbfile import make_private, make_private_directories

    data = tmp_path / "old"
    (data / "blobs" / "ab").mkdir(parents=True, mode=0o755)
    os.chmod(data / "blobs", 0o755)
    database = data / "cityid.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE t (x)")
    os.chmod(database, 0o644)
    make_private(database)
    make_private_directories(data / "blobs")
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert {stat.S_IMODE(p.stat().st_mode) for p in (data / "blobs", data / "blobs" / "ab")} == {0o700}
