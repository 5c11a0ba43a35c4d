#!/usr/bin/env python3
"""Connection flood from ONE address, for the connections-per-host test (test_hostile_flood.py).

Keeps --count TCP connections open to --target, every socket bound to --bind before connecting:
even-numbered ones stay silent (the handshake never comes), odd-numbered ones send a valid
BitTorrent handshake for --info-hash and then stay idle, reading and discarding what arrives. A
connection the target closes is opened again, at most --rate new connections a second in all,
so the pressure lasts. Stdlib only, one thread (selectors).

Prints, flushed: `flood: all <n> connected` once every slot connected at least once, and every
--stats-interval seconds (and at exit, on SIGTERM/SIGINT or --timeout) one line
`flood: open <n> silent_open <s> hs_open <h> answered_open <a> max_answered_open <m>
connects <c> closed_by_remote <r> answered_total <t>`, where `answered` means the target sent
back its own 68-byte handshake (it accepted the connection for the torrent) and `_open` counts
what is open now.
"""
import argparse
import errno
import os
import selectors
import signal
import socket
import sys
import time

HANDSHAKE_LEN = 68


def handshake(info_hash, n):
    peer_id = b'-FL0001-' + n.to_bytes(4, 'big') + os.urandom(8)
    return bytes([19]) + b'BitTorrent protocol' + bytes(8) + info_hash + peer_id


class Slot:
    def __init__(self, n):
        self.n = n
        self.silent = n % 2 == 0
        self.sock = None
        self.connected = False
        self.received = 0
        self.answered = False
        self.out = b''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--target', required=True, help='ip:port')
    ap.add_argument('--bind', required=True, help='source address of every connection')
    ap.add_argument('--info-hash', required=True, help='hex')
    ap.add_argument('--count', type=int, default=500)
    ap.add_argument('--rate', type=float, default=200.0, help='new connections per second, at most')
    ap.add_argument('--stats-interval', type=float, default=0.5)
    ap.add_argument('--timeout', type=float, default=600)
    args = ap.parse_args()
    host, port = args.target.rsplit(':', 1)
    target = (host, int(port))
    info_hash = bytes.fromhex(args.info_hash)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    sel = selectors.DefaultSelector()
    slots = [Slot(n) for n in range(args.count)]
    waiting = list(slots)          # slots to (re)connect, oldest first
    ever_connected = set()
    stats = {'connects': 0, 'closed_by_remote': 0, 'answered_total': 0, 'max_answered_open': 0}
    all_said = False
    tokens = float(args.count)     # the first round goes out at once
    last_refill = time.monotonic()

    def close(slot, by_remote):
        if slot.sock is None:
            return
        try:
            sel.unregister(slot.sock)
        except (KeyError, ValueError):
            pass
        slot.sock.close()
        slot.sock = None
        if by_remote:
            stats['closed_by_remote'] += 1
        slot.connected = False
        slot.received = 0
        slot.answered = False
        waiting.append(slot)

    def open_slot(slot):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((args.bind, 0))
            err = s.connect_ex(target)
        except OSError as e:
            err = e.errno
        if err not in (0, errno.EINPROGRESS):
            s.close()
            waiting.append(slot)
            return
        slot.sock = s
        slot.out = b'' if slot.silent else handshake(info_hash, slot.n)
        stats['connects'] += 1
        sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ, slot)

    def print_stats():
        open_ = [s for s in slots if s.connected]
        answered_open = sum(1 for s in open_ if s.answered)
        print(f'flood: open {len(open_)} silent_open {sum(1 for s in open_ if s.silent)} '
              f'hs_open {sum(1 for s in open_ if not s.silent)} answered_open {answered_open} '
              f'max_answered_open {stats["max_answered_open"]} connects {stats["connects"]} '
              f'closed_by_remote {stats["closed_by_remote"]} answered_total {stats["answered_total"]}',
              flush=True)

    deadline = time.monotonic() + args.timeout
    next_stats = 0.0
    while not stop and time.monotonic() < deadline:
        now = time.monotonic()
        tokens = min(float(args.count), tokens + (now - last_refill) * args.rate)
        last_refill = now
        while waiting and tokens >= 1.0:
            tokens -= 1.0
            open_slot(waiting.pop(0))
        for key, mask in sel.select(timeout=0.05):
            slot = key.data
            s = slot.sock
            if s is None:
                continue
            if not slot.connected and mask & selectors.EVENT_WRITE:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    close(slot, True)
                    continue
                slot.connected = True
                ever_connected.add(slot.n)
            if slot.connected and slot.out and mask & selectors.EVENT_WRITE:
                try:
                    sent = s.send(slot.out)
                    slot.out = slot.out[sent:]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    close(slot, True)
                    continue
            if slot.connected and not slot.out:
                sel.modify(s, selectors.EVENT_READ, slot)
            if mask & selectors.EVENT_READ:
                try:
                    data = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    close(slot, True)
                    continue
                if not data:
                    close(slot, True)
                    continue
                slot.received += len(data)
                if not slot.answered and slot.received >= HANDSHAKE_LEN:
                    slot.answered = True
                    stats['answered_total'] += 1
                    answered_open = sum(1 for x in slots if x.connected and x.answered)
                    stats['max_answered_open'] = max(stats['max_answered_open'], answered_open)
        if not all_said and len(ever_connected) == args.count:
            print(f'flood: all {args.count} connected', flush=True)
            all_said = True
        if now >= next_stats:
            print_stats()
            next_stats = now + args.stats_interval
    print_stats()
    print('flood: exiting', flush=True)


if __name__ == '__main__':
    sys.exit(main())
