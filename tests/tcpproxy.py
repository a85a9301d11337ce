"""A TCP proxy on 127.0.0.1 for fault tests: put it in front of a server, then cut it.

`cut()` closes every open connection and stops listening, so clients see what they would see
when a database host goes away: reset connections, then refused ones. `restore()` listens
again on the same port. With several targets, each new connection goes to the next one in
turn, as a round-robin load balancer would send them.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections import Counter


class TcpProxy:
    def __init__(self, *targets: tuple[str, int]) -> None:
        self.targets = targets
        self.port = 0
        self.connections: Counter[tuple[str, int]] = Counter()  # accepted, per target
        self._turn = itertools.cycle(targets)
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()

    def start(self) -> TcpProxy:
        self._listen()
        return self

    def cut(self) -> None:
        """Close the listener and every connection through the proxy."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._open = self._open, set()
        if listener is not None:
            _close(listener)  # shutdown() also wakes the thread blocked in accept()
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        self._listen()

    def stop(self) -> None:
        self.cut()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by cut()
                return
            target = next(self._turn)
            try:
                upstream = socket.create_connection(target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    _close(client)
                    _close(upstream)
                    return
                self.connections[target] += 1
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
