"""A TCP proxy on loopback to a PostgreSQL server's Unix socket, for connections lost on the
client's side only: cut() resets every client connection while the server's side stays open,
as a network fault the server has not noticed leaves its session (and its locks) alive."""
import socket
import struct
import threading


class CutProxy:
    def __init__(self, upstream, host="127.0.0.1"):
        """host: the loopback address it listens on (one a test may make vanish)."""
        self.upstream = upstream
        self.lsock = socket.socket()
        self.lsock.bind((host, 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs = []  # (client, server) sockets
        self.kept = []  # server sides of cut connections, left open
        self.flowing = threading.Event()  # cleared by pause(): client bytes are not read
        self.flowing.set()
        self.marker = None  # hold_after's
        self.hold_next = False
        self.holding = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            u = socket.socket(socket.AF_UNIX)
            u.connect(self.upstream)
            with self.lock:
                self.pairs.append((c, u))
            threading.Thread(target=self._pump, args=(c, u, self.flowing), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c), daemon=True).start()

    def _pump(self, src, dst, flowing=None):
        try:
            while True:
                if flowing:
                    flowing.wait()
                data = src.recv(65536)
                if not data:
                    break
                if flowing and self.hold_next:
                    self.hold_next = False
                    flowing.clear()
                    self.holding.set()
                    flowing.wait()
                dst.sendall(data)
                if flowing and self.marker and self.marker in data:
                    self.marker, self.hold_next = None, True
        except OSError:
            pass

    def hold_after(self, marker):
        """Holds what a client sends next after a message holding marker (bytes of its SQL),
        until resume(); self.holding is set once it is held. libpq sends a statement only once
        the one before it had its reply: the statement of marker is then done (committed,
        when it was alone in its transaction), and the client stopped before its next."""
        self.marker = marker

    def pause(self):
        """Stops reading what clients send (a server alive but not reading: its kernel still
        acknowledges, with a window that closes); resume() reads on."""
        self.flowing.clear()

    def resume(self):
        self.flowing.set()

    def cut(self):
        """Resets every client connection; the server's sides stay open, unread."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for c, u in pairs:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # SHUT_RD first wakes the pump blocked reading it: a socket closed under a blocked
            # reader lives on until that read returns, still taking the client's bytes
            c.shutdown(socket.SHUT_RD)
            c.close()  # RST: the client's connection is lost
            self.kept.append(u)
        return len(pairs)

    def close(self):
        self.lsock.close()
        for s in self.kept:
            s.close()
