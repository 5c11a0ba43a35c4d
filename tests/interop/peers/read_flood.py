#!/usr/bin/env python3
"""A peer that makes a seeder read as much as it can (stdlib only, asyncio, TCP, loopback).

Dials the seeder once per `--source IP` (each connection bound to its own 127.0.0.x), sends a
handshake, `interested`, and, while unchoked, keeps `--depth` requests of one 16 KiB block in
flight. Each request asks for a block in another piece and another 528 KiB stretch of it than the
ones before (piece = i mod N, offset = (i div N) x 528 KiB mod piece size, block-aligned), so no
two requests in a row fall in the same piece, nor in the same 512 KiB read window: a seeder that
reads more than the block for a request (a whole 64 MiB piece) must read it again and again. The
data is thrown away.

Prints, flushed, each line starting with `read_flood `:
  read_flood conn K connected from IP:PORT to IP:PORT
  read_flood conn K unchoked at <t> s
  read_flood conn K served <blocks> blocks (<bytes> bytes) from <pieces> pieces and <windows> windows
      (every second, and once at the end)
  read_flood conn K closed by remote (eof|reset) after <t> s
Runs until SIGTERM/SIGINT or --timeout seconds.
"""
import argparse
import asyncio
import os
import random
import signal
import struct
import sys
import time

PSTR = b'\x13BitTorrent protocol'
BLOCK = 16 * 1024
STRIDE = 512 * 1024 + BLOCK


def out(line):
    print(line, flush=True)


def msg(mid, body=b''):
    return struct.pack('>IB', 1 + len(body), mid) + body


class Flood:
    def __init__(self, a, k, source):
        self.a, self.k, self.source = a, k, source
        self.info_hash = bytes.fromhex(a.info_hash)
        self.unchoked = asyncio.Event()
        self.outstanding = 0
        self.slot = asyncio.Condition()
        self.blocks = 0
        self.bytes = 0
        self.seen = set()       # (piece, 512 KiB window) served
        self.next = 0
        self.started = time.monotonic()
        self.closed = False

    def log(self, what):
        out(f'read_flood conn {self.k} {what}')

    def piece_size(self, p):
        return min(self.a.piece_length, self.a.total_size - p * self.a.piece_length)

    def next_request(self):
        n = self.a.num_pieces
        i = self.next
        self.next += 1
        p = i % n
        size = self.piece_size(p)
        begin = ((i // n) * STRIDE) % size // BLOCK * BLOCK
        return p, begin, min(BLOCK, size - begin)

    def report(self):
        pieces = len({p for p, _ in self.seen})
        self.log(f'served {self.blocks} blocks ({self.bytes} bytes) from {pieces} pieces and '
                 f'{len(self.seen)} windows')

    async def run(self):
        try:
            reader, writer = await asyncio.open_connection(
                self.a.host, self.a.port, local_addr=(self.source, 0))
        except OSError as e:
            self.log(f'connect failed: {e!r}')
            return
        local = writer.get_extra_info('sockname')
        self.log(f'connected from {local[0]}:{local[1]} to {self.a.host}:{self.a.port}')
        pid = b'-RF0001-' + bytes(random.randrange(256) for _ in range(12))
        writer.write(PSTR + bytes(8) + self.info_hash + pid + msg(2))  # handshake, interested
        await writer.drain()
        sender = asyncio.get_running_loop().create_task(self.send_requests(writer))
        ticker = asyncio.get_running_loop().create_task(self.tick())
        how = 'eof'
        try:
            hs = await reader.readexactly(68)
            if hs[28:48] != self.info_hash:
                self.log('ended: handshake for another info-hash')
                return
            while True:
                head = await reader.readexactly(4)
                (ln,) = struct.unpack('>I', head)
                if ln == 0:
                    continue
                if ln > (1 << 20):
                    self.log(f'ended: absurd length {ln}')
                    return
                body = await reader.readexactly(ln)
                await self.on_message(body)
        except asyncio.IncompleteReadError:
            how = 'eof'
        except (ConnectionError, OSError):
            how = 'reset'
        finally:
            self.closed = True
            sender.cancel()
            ticker.cancel()
            self.report()
            self.log(f'closed by remote ({how}) after {time.monotonic() - self.started:.3f} s')
            writer.close()

    async def on_message(self, body):
        mid = body[0]
        if mid == 1:  # unchoke
            if not self.unchoked.is_set():
                self.log(f'unchoked at {time.monotonic() - self.started:.3f} s')
            self.unchoked.set()
        elif mid == 0:  # choke: outstanding requests are dropped by the seeder
            self.unchoked.clear()
            async with self.slot:
                self.outstanding = 0
                self.slot.notify_all()
        elif mid == 7 and len(body) >= 9:
            p, b = struct.unpack('>II', body[1:9])
            self.blocks += 1
            self.bytes += len(body) - 9
            self.seen.add((p, b // (512 * 1024)))
            async with self.slot:
                self.outstanding = max(0, self.outstanding - 1)
                self.slot.notify_all()

    async def send_requests(self, writer):
        while not self.closed:
            await self.unchoked.wait()
            async with self.slot:
                await self.slot.wait_for(lambda: self.outstanding < self.a.depth)
                n = self.a.depth - self.outstanding
                self.outstanding += n
            batch = b''.join(msg(6, struct.pack('>III', *self.next_request())) for _ in range(n))
            writer.write(batch)
            await writer.drain()

    async def tick(self):
        while True:
            await asyncio.sleep(1.0)
            self.report()


async def main_async(a):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    floods = [Flood(a, k + 1, src) for k, src in enumerate(a.source)]
    tasks = [loop.create_task(f.run()) for f in floods]
    try:
        await asyncio.wait_for(stop.wait(), a.timeout)
    except asyncio.TimeoutError:
        out('read_flood: timeout')
    for f in floods:
        if not f.closed:
            f.report()
    out('read_flood: exiting')
    os._exit(0)  # do not wait for the connection tasks (`tasks` keeps them referenced until here)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--host', required=True, help="the seeder's address")
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--source', action='append', required=True,
                    help='local address of one connection (repeatable: one connection each)')
    ap.add_argument('--info-hash', required=True, help='40 hex digits')
    ap.add_argument('--num-pieces', type=int, required=True)
    ap.add_argument('--piece-length', type=int, required=True)
    ap.add_argument('--total-size', type=int, required=True)
    ap.add_argument('--depth', type=int, default=64, help='requests kept in flight per connection')
    ap.add_argument('--timeout', type=float, default=300)
    a = ap.parse_args()
    asyncio.run(main_async(a))


if __name__ == '__main__':
    sys.exit(main())
