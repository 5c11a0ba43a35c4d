"""Waiting for python3-libtorrent 2.0 alerts without session.wait_for_alert(), which crashes.

session.wait_for_alert() returns a pointer to the first alert of the queue libtorrent's network
thread is still appending to, after the queue's lock is released; the Python binding then reads
that alert's vtable to pick its Python class. When the network thread appends the next alert
and the queue outgrows its storage, the storage is moved and freed in between: the binding reads
freed memory and the process dies of SIGSEGV (13 runs of 30 of test_fast_extension, right when
tessera's handshake burst made libtorrent post a dozen peer-log alerts at once; the core's top
frame is the binding's `caller_py_function_impl<... alert const* (*)(session&, int) ...>`
reading the vtable of an alert whose storage was freed and reused). What the peer sends matters
only through the alerts it makes libtorrent post: with the Python thread held 50 ms between the
call's return and that read, a raw handshake with all-zero reserved bytes crashes it every time.

AlertWaiter waits on set_alert_fd instead: libtorrent writes one byte to a socket when an alert
lands in an empty queue, and no alert pointer crosses into Python except through pop_alerts().

Rule for callers (libtorrent's too): an alert from pop_alerts() is freed by the next
pop_alerts(); use it at once, never keep it (keep the strings or numbers read from it).
"""
import select
import socket

# The sockets stay open until the interpreter exits: libtorrent writes to the raw fd number
# until its session is gone, and a closed number could be reused by a file libtorrent opens.
_KEEP = []


class AlertWaiter:
    """wait(seconds): until libtorrent posts an alert (or the timeout); then pop_alerts()."""

    def __init__(self, ses):
        r, w = socket.socketpair()
        r.setblocking(False)
        # libtorrent writes from its network thread, holding its alert lock: never block there.
        w.setblocking(False)
        _KEEP.append((r, w))
        self._r = r
        ses.set_alert_fd(w.fileno())

    def wait(self, seconds):
        select.select([self._r], [], [], seconds)
        try:
            while self._r.recv(4096):
                pass
        except BlockingIOError:
            pass
