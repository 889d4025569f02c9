"""Read workers: the store's read routes served by processes of their own, on the API's port.

A server that keeps blocks full keeps its event loop busy: every block settles a few hundred
requests at once, and a read queued behind them waits for all of them. Reads need nothing but
the store, so ``serve`` hands them to worker processes (``CARBON_LEDGER_READ_WORKERS``):

- ``dispatch.Dispatcher``, a thread of the main process, accepts every connection on the port
  and peeks at its first request line. A connection that opens with a read
  (``routing.is_read``) goes, as a file descriptor, to a worker; any other stays in the main
  process. Nothing is copied: the kernel hands the socket over, unread bytes included.
- ``primary.serve_with_readers`` wires the main process: the port, the dispatcher, the
  workers, and the private socket they forward to.
- ``worker.run`` is a worker: uvicorn over a read-only app (``create_app`` on the store alone).
  A request on a handed-over connection that is not a read (a keep-alive connection may mix
  them) is forwarded to the main process over a private Unix socket (``routing.ReadsOnly``).
"""
