#!/usr/bin/env python3
"""A seeder that slips one corrupt block into each piece and never sends a whole piece (stdlib
only, asyncio, TCP, loopback): the peer a smart ban must catch.

Listens on --ip:--port; tessera dials it. Answers the dialer's handshake, sends a full bitfield
and unchoke. For each `request` while unchoked: the first request of a piece is answered with
that block read from --data with its first --flip bytes inverted, then `choke`; any later
request of a piece already answered gets only `choke` (a peer may drop requests by choking,
BEP 3). --pause seconds after each choke it unchokes again; requests that arrive while it
chokes are dropped. So it sends at most one block of every piece, every one of them wrong, and
is never the only sender of a piece of more than one block.

Prints, flushed, each line starting with `liar_peer `:
  liar_peer listening IP:PORT
  liar_peer conn N accepted from IP:PORT at <unix time>
  liar_peer conn N lied: piece P begin B
  liar_peer conn N closed by remote (eof|reset) after <t> s at <unix time>, <k> lies
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


def out(line):
    print(line, flush=True)


def msg(mid, body=b''):
    return struct.pack('>IB', 1 + len(body), mid) + body


class Conn:
    def __init__(self, a, n, reader, writer):
        self.a, self.n = a, n
        self.reader, self.writer = reader, writer
        self.choked = False
        self.lied_pieces = set()
        self.lies = 0
        self.accepted = time.monotonic()

    def log(self, what):
        out(f'liar_peer conn {self.n} {what}')

    def bitfield(self):
        n = self.a.num_pieces
        bits = bytearray(b'\xff' * ((n + 7) // 8))
        if n % 8:
            bits[-1] = (0xff << (8 - n % 8)) & 0xff
        return bytes(bits)

    def read_block(self, piece, begin, length):
        with open(self.a.data, 'rb') as f:
            f.seek(piece * self.a.piece_length + begin)
            data = bytearray(f.read(length))
        for i in range(min(self.a.flip, len(data))):
            data[i] ^= 0xff
        return bytes(data)

    async def unchoke_later(self):
        await asyncio.sleep(self.a.pause)
        if self.writer.is_closing():
            return
        self.choked = False
        self.writer.write(msg(1))

    async def run(self):
        peer = self.writer.get_extra_info('peername')
        self.log(f'accepted from {peer[0]}:{peer[1]} at {time.time():.3f}')
        how = 'eof'
        try:
            hs = await self.reader.readexactly(68)
            if hs[28:48] != bytes.fromhex(self.a.info_hash):
                self.log('ended: handshake for another info-hash')
                return
            pid = b'-LI0001-' + bytes(random.randrange(256) for _ in range(12))
            self.writer.write(PSTR + bytes(8) + hs[28:48] + pid + msg(5, self.bitfield()) + msg(1))
            await self.writer.drain()
            while True:
                (ln,) = struct.unpack('>I', await self.reader.readexactly(4))
                if ln > (1 << 20):
                    self.log(f'ended: absurd length {ln}')
                    return
                body = await self.reader.readexactly(ln) if ln else b''
                if len(body) != 13 or body[0] != 6 or self.choked:
                    continue
                piece, begin, length = struct.unpack('>III', body[1:])
                if piece >= self.a.num_pieces or length > 16384:
                    continue
                reply = b''
                if piece not in self.lied_pieces:
                    self.lied_pieces.add(piece)
                    self.lies += 1
                    reply = msg(7, struct.pack('>II', piece, begin) + self.read_block(piece, begin, length))
                    self.log(f'lied: piece {piece} begin {begin}')
                self.choked = True
                self.writer.write(reply + msg(0))
                await self.writer.drain()
                asyncio.get_running_loop().create_task(self.unchoke_later())
        except asyncio.IncompleteReadError:
            how = 'eof'
        except (ConnectionError, OSError):
            how = 'reset'
        self.log(f'closed by remote ({how}) after {time.monotonic() - self.accepted:.3f} s at '
                 f'{time.time():.3f}, {self.lies} lies')
        self.writer.close()


async def main_async(a):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    count = [0]

    def handler(reader, writer):
        count[0] += 1
        return Conn(a, count[0], reader, writer).run()

    await asyncio.start_server(handler, a.ip, a.port)
    out(f'liar_peer listening {a.ip}:{a.port}')
    try:
        await asyncio.wait_for(stop.wait(), a.timeout)
    except asyncio.TimeoutError:
        out('liar_peer: timeout')
    out('liar_peer: exiting')
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ip', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--info-hash', required=True, help='40 hex digits')
    ap.add_argument('--num-pieces', type=int, required=True)
    ap.add_argument('--piece-length', type=int, required=True)
    ap.add_argument('--data', required=True, help='the single file of the torrent (the true bytes)')
    ap.add_argument('--flip', type=int, default=8, help='bytes inverted at the start of each block')
    ap.add_argument('--pause', type=float, default=0.05, help='seconds choked after each request')
    ap.add_argument('--timeout', type=float, default=300)
    a = ap.parse_args()
    asyncio.run(main_async(a))


if __name__ == '__main__':
    sys.exit(main())
