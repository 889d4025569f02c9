"""A real read worker process: it serves the reads on a connection handed to it, forwards the
other requests on that connection to the main process, and exits when its channel closes."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.readers._handoff import send_connection
from api.readers.routing import CLIENT_HEADER
from api.readers.worker import WorkerJob, start_workers, stop_workers
from api.settings import Settings
from chain.store.engine import open_store


class FakePrimary:
    """The main process's private socket: answers every request with what it received."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = dict(line.split(": ", 1) for line in lines[1:])
                length = int(headers.get("content-length", "0"))
                while len(body) < length:
                    body += conn.recv(65536)
                answer = json.dumps(
                    {"line": lines[0], "headers": headers, "body": body.decode()}
                ).encode()
                conn.sendall(
                    b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer)
                )

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[tuple[socket.socket, FakePrimary]]:
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    open_store(store).dispose()  # the main process migrates before starting workers
    primary = FakePrimary(tmp_path / "main.sock")
    processes, channels = start_workers(WorkerJob(Settings(dev=True), store, str(primary.path)), 1)
    yield channels[0], primary
    stop_workers(processes, channels)
    assert [p.exitcode for p in processes] == [0]  # it left when its channel closed
    primary.close()


def _handed_over(channel: socket.socket) -> http.client.HTTPConnection:
    """A client connection whose server end the worker was given."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
    send_connection(channel, accepted)
    accepted.close()
    conn = http.client.HTTPConnection("ledger", timeout=30)
    conn.sock = client
    return conn


def test_reads_are_served_and_the_rest_forwarded_on_one_connection(
    worker: tuple[socket.socket, FakePrimary],
) -> None:
    channel, _ = worker
    conn = _handed_over(channel)
    conn.request("GET", "/v1/stats")
    answer = conn.getresponse()
    assert answer.status == 200
    assert json.loads(answer.read())["totals"]["batches"] == 0

    # The same keep-alive connection, now a write: the main process answers it.
    host, port = conn.sock.getsockname()
    client_address = f"{host}:{port}"
    conn.request(
        "POST",
        "/v1/keys?x=1",
        body=b'{"role": "auditor"}',
        headers={"Authorization": "Bearer k", CLIENT_HEADER: "198.51.100.1:1"},
    )
    answer = conn.getresponse()
    assert answer.status == 201
    seen = json.loads(answer.read())
    assert seen["line"] == "POST /v1/keys?x=1 HTTP/1.1"
    assert seen["body"] == '{"role": "auditor"}'
    assert seen["headers"]["authorization"] == "Bearer k"
    # The address the worker saw, never one the client claims.
    assert seen["headers"][CLIENT_HEADER] == client_address

    conn.request("GET", "/v1/batches?limit=1")  # and reads again, after the forwarded one
    answer = conn.getresponse()
    assert answer.status == 200 and json.loads(answer.read())["items"] == []
    conn.close()


def test_a_problem_from_a_read_is_the_worker_own(
    worker: tuple[socket.socket, FakePrimary],
) -> None:
    conn = _handed_over(worker[0])
    conn.request("GET", "/v1/batches/999")
    answer = conn.getresponse()
    assert answer.status == 404
    assert answer.getheader("content-type") == "application/problem+json"
    answer.read()
    conn.close()
