"""Bodies are bounded while they are read, before authentication: 100 MB sent chunked (no
Content-Length) to the running API, with and without a token, as JSON and as an upload, is
cut off at its limit with a 413, and the server's memory and its data folder stay flat."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import free_port, start_logged, wait_healthy

pytestmark = pytest.mark.e2e

HUNDRED_MB = 100 * 1024 * 1024
CHUNK = 256 * 1024


def resident_mb(pid: int) -> float:
    """The process's resident memory in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def folder_bytes(folder: Path) -> int:
    """Everything stored under a folder."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def send_chunked(
    port: int, path: str, headers: dict[str, str], opening: bytes
) -> tuple[int, bytes]:
    """Stream up to 100 MB of body with chunked encoding; returns how much went out before
    the server stopped taking it, and what it answered."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    sock.sendall(head.encode() + b"%x\r\n" % len(opening) + opening + b"\r\n")
    piece = b"%x\r\n" % CHUNK + b"1," * (CHUNK // 2) + b"\r\n"
    sent = 0
    try:
        while sent < HUNDRED_MB:
            sock.sendall(piece)
            sent += CHUNK
    except OSError:
        pass  # the server answered and closed: it will not read the rest
    answer = b""
    try:
        sock.settimeout(10)
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    sock.close()
    return sent, answer


UPLOAD_OPENING = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
    b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
)


@pytest.mark.parametrize(
    ("path", "content_type", "opening"),
    [
        ("/cases", "application/json", b"[1,"),
        ("/cases/1/documents", "multipart/form-data; boundary=x", UPLOAD_OPENING),
    ],
    ids=["json", "upload"],
)
def test_a_hundred_megabytes_chunked_is_cut_off_with_memory_flat(
    tmp_path: Path, path: str, content_type: str, opening: bytes
) -> None:
    """No token, a wrong token and a good one: each is answered (401 unread, or 413 at the
    limit) and the connection closed long before 100 MB."""
    port = free_port()
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PROCURE_"))}
    env.update(PROCURE_DATA_DIR=str(data), PROCURE_API_PORT=str(port))
    created = subprocess.run(
        [sys.executable, "-m", "api.cli", "users", "create", "--name", "Rita Patel"]
        + ["--email", "rita@council.example", "--role", "requester"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    token = created.stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    server = start_logged([sys.executable, "-m", "api.cli", "api"], env, tmp_path / "api.log")
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health", what="the API")
        httpx.get(f"http://127.0.0.1:{port}/register", timeout=10)
        before_memory, before_disk = resident_mb(server.pid), folder_bytes(data)
        for authorization in ("", "Bearer wrong", token):
            headers = {"Content-Type": content_type}
            if authorization:
                headers["Authorization"] = (
                    authorization if " " in authorization else (f"Bearer {authorization}")
                )
            started = time.monotonic()
            sent, answer = send_chunked(port, path, headers, opening)
            assert sent < HUNDRED_MB / 2, f"the server read {sent} bytes"
            if answer:  # a reset can lose the answer; it is never another one
                assert answer.split(b" ")[1] in (b"401", b"413"), answer[:200]
                assert b"connection: close" in answer.lower()
            assert time.monotonic() - started < 60
            grown = resident_mb(server.pid) - before_memory
            assert grown < 40, f"the API grew by {grown:.0f} MB"
        assert folder_bytes(data) - before_disk < 1024 * 1024
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
