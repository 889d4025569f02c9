"""The dispatcher on real sockets: each connection goes, whole and unread, to a worker channel
or to the main process, by its first request line."""

from __future__ import annotations

import queue
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from api.readers import dispatch
from api.readers.dispatch import Dispatcher

READ = b"GET /v1/stats HTTP/1.1\r\nHost: ledger\r\n\r\n"
WRITE = b"POST /v1/issuances HTTP/1.1\r\nHost: ledger\r\nContent-Length: 2\r\n\r\n{}"


class Rig:
    def __init__(self, workers: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(workers)]
        self.channels = [ours for ours, _ in pairs]
        self.workers = [theirs for _, theirs in pairs]
        self.kept: queue.Queue[socket.socket] = queue.Queue()
        self.counts: dict[str, int] = {}
        self.dispatcher = Dispatcher(self.listener, self.channels, self.kept.put, self.counts)
        self.dispatcher.start()

    def connect(self, data: bytes = b"") -> socket.socket:
        client = socket.create_connection(("127.0.0.1", self.port))
        if data:
            client.sendall(data)
        return client

    def received(self, worker: int, timeout: float = 5) -> socket.socket:
        self.workers[worker].settimeout(timeout)
        _, fds, _, _ = socket.recv_fds(self.workers[worker], 16, 4)
        assert len(fds) == 1
        return socket.socket(fileno=fds[0])

    def close(self) -> None:
        self.dispatcher.close()
        self.listener.close()
        for s in self.channels + self.workers:
            s.close()


def _eventually(check: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.01)


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig(workers=2)
    yield r
    r.close()


def _read_all(conn: socket.socket, size: int) -> bytes:
    conn.settimeout(5)
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        assert chunk
        data += chunk
    return data


def test_a_read_goes_to_a_worker_with_nothing_consumed(rig: Rig) -> None:
    client = rig.connect(READ)
    conn = rig.received(0)
    assert _read_all(conn, len(READ)) == READ  # the worker reads the request itself
    conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")  # and answers on the client's connection
    client.settimeout(5)
    assert client.recv(100) == b"HTTP/1.1 200 OK\r\n\r\n"
    _eventually(lambda: rig.counts == {"worker": 1, "main": 0})
    assert rig.kept.empty()


def test_reads_take_turns_across_the_workers(rig: Rig) -> None:
    clients = [rig.connect(READ) for _ in range(4)]
    got = [rig.received(i % 2) for i in range(4)]
    assert len(got) == len(clients)
    _eventually(lambda: rig.counts["worker"] == 4)


def test_anything_else_stays_in_the_main_process(rig: Rig) -> None:
    clients = [rig.connect(WRITE), rig.connect(b"GET /readyz HTTP/1.1\r\n\r\n")]
    for _ in range(2):
        kept = rig.kept.get(timeout=5)
        assert kept.getblocking()  # as an accepted socket would be
        assert kept.recv(4, socket.MSG_PEEK) in (b"POST", b"GET ")
    assert rig.counts == {"worker": 0, "main": 2} and clients


def test_a_request_line_in_pieces_is_waited_for(rig: Rig) -> None:
    client = rig.connect(b"GET /v1/ser")
    time.sleep(0.05)
    assert rig.counts == {"worker": 0, "main": 0}  # not routed on half a line
    client.sendall(b"ials/VCS/1 HTTP/1.1\r\n\r\n")
    conn = rig.received(0)
    assert _read_all(conn, 11).startswith(b"GET /v1/ser")


def test_a_silent_connection_is_left_to_the_main_process(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "FIRST_BYTES_TIMEOUT_S", 0.2)
    client = rig.connect()
    kept = rig.kept.get(timeout=5)  # its keep-alive timeout will close it
    client.sendall(READ)
    assert _read_all(kept, len(READ)) == READ
    assert rig.counts["main"] == 1


def test_a_connection_closed_before_its_request_is_dropped(rig: Rig) -> None:
    rig.connect().close()
    client = rig.connect(READ)
    rig.received(0)  # the dispatcher went on
    _eventually(lambda: rig.counts == {"worker": 1, "main": 0})
    assert rig.kept.empty() and client


def test_a_gone_worker_is_skipped_and_without_workers_all_stays(rig: Rig) -> None:
    rig.workers[0].close()
    clients = [rig.connect(READ)]
    rig.received(1)
    rig.workers[1].close()
    clients.append(rig.connect(READ))
    assert rig.kept.get(timeout=5).recv(3, socket.MSG_PEEK) == b"GET"
    assert rig.counts == {"worker": 1, "main": 1}


def test_garbage_and_oversized_lines_go_to_the_main_process(rig: Rig) -> None:
    clients = [
        rig.connect(b"\x16\x03\x01\x02\x00\x01\x00\r\n"),  # TLS to a plain-HTTP port
        rig.connect(b"GET /" + b"a" * dispatch.PEEK_BYTES),  # no line end within the peek
    ]
    rig.kept.get(timeout=5)
    rig.kept.get(timeout=5)
    assert rig.counts == {"worker": 0, "main": 2} and clients


def test_a_stuck_worker_does_not_stop_the_accepting() -> None:
    rig = Rig(workers=1)
    try:
        rig.channels[0].setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1)  # fills at once
        clients = [rig.connect(READ) for _ in range(60)]  # the worker never takes any
        _eventually(lambda: sum(rig.counts.values()) == len(clients))
        assert rig.counts["worker"] >= 1 and rig.counts["main"] >= 1
        assert rig.kept.get(timeout=5).recv(3, socket.MSG_PEEK) == b"GET"
        assert rig.dispatcher.channels  # still in the rotation: it is slow, not gone
    finally:
        rig.close()
