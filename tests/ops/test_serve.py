"""``cityid serve``: the production server, started as an operator would, as a subprocess on a free port."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CITYID = str(Path(sys.executable).parent / "cityid")
MiB = 2**20


def server_env(root: Path, **extra: str) -> dict[str, str]:
    """The environment of a production host: its own data and key directories, a secret, no debug."""
    # Not the test process's own: its database, test mode, and the browser tests' async override.
    dropped = {"DATABASE_URL", "CITYID_TESTING", "CITYID_DEBUG", "CITYID_HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    env.update(CITYID_DATA_DIR=str(root / "data"), CITYID_KEYS_DIR=str(root / "keys"),
               CITYID_SECRET_KEY=secrets.token_urlsafe(50), CITYID_EMAIL_DIR=str(root / "outbox"))
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``cityid migrate`` then ``cityid serve`` on a free port; yields the base URL."""
    root = tmp_path_factory.mktemp("serve")
    env = server_env(root)
    subprocess.run([CITYID, "migrate", "-v", "0"], env=env, cwd=root, check=True, capture_output=True)
    port = _free_port()
    log = (root / "serve.log").open("w+")
    process = subprocess.Popen([CITYID, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
                               env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"cityid serve exited with {process.returncode}: {log.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("cityid serve did not listen within a minute")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)
    log.close()


def _get(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers, response.read()


def test_serves_the_login_page_and_static_files(served):
    status, headers, body = _get(f"{served}/accounts/login/")
    assert status == 200
    assert b'name="username"' in body and b'name="otp_token"' in body
    assert headers["Server"] == "gunicorn"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    status, headers, body = _get(f"{served}/static/cityid/site.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert b".cityid-facts" in body
    status, headers, body = _get(f"{served}/static/vendor/htmx/htmx.min.js")
    assert status == 200 and b"htmx" in body


def _send_partial_body(base: str, head: bytes, sent_body: bytes) -> tuple[bytes, int]:
    """Send request headers and only the start of the body, then read what the server answers."""
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head)
        conn.sendall(sent_body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer, len(sent_body)


def test_a_120_mib_body_is_refused_before_the_client_has_sent_it(served):
    announced = 120 * MiB
    head = (b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: %d\r\n\r\n" % announced)
    answer, sent = _send_partial_body(served, head, b"x" * MiB)
    # The answer came back while the client had sent 1 MiB of the 120 it announced: the server
    # decided from the headers and did not wait for (let alone read) the rest.
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert sent < announced


def test_a_body_without_length_is_refused(served):
    head = b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer, _sent = _send_partial_body(served, head, b"100000\r\n" + b"x" * MiB)
    assert answer.startswith(b"HTTP/1.1 411 "), answer[:200]


@pytest.mark.parametrize(("setting", "reason"), [
    ({"CITYID_DEBUG": "1"}, "CITYID_DEBUG is on"),
    ({"CITYID_TESTING": "1", "CITYID_SECRET_KEY": ""}, "no secret key"),
    ({"CITYID_SECRET_KEY": "short"}, "too weak"),
    ({"CITYID_ALLOWED_HOSTS": "*"}, "CITYID_ALLOWED_HOSTS"),
])
def test_refuses_to_serve_with_unsafe_settings(tmp_path, setting, reason):
    env = server_env(tmp_path, **setting)
    if not env["CITYID_SECRET_KEY"]:
        del env["CITYID_SECRET_KEY"]
    result = subprocess.run([CITYID, "serve", "--bind", f"127.0.0.1:{_free_port()}"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to serve" in lines[0] and reason in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "Serving" not in result.stdout


def test_refuses_to_serve_while_enrolment_emails_land_in_the_data_directory(tmp_path):
    """Without an SMTP host each enrolment email is a file holding a live link: under the data directory, a
    copy of it would let whoever holds the copy enrol as a new or reset staff member."""
    env = server_env(tmp_path)
    del env["CITYID_EMAIL_DIR"]  # the default: DATA_DIR/mail
    result = subprocess.run([CITYID, "serve", "--bind", f"127.0.0.1:{_free_port()}"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "Serving" not in result.stdout
    assert "refusing to serve" in result.stderr and "CITYID_EMAIL_HOST" in result.stderr, result.stderr
