#!/usr/bin/env python3
"""Scripted hostile BitTorrent peers for interop tests (stdlib only, asyncio, TCP, loopback).

One process runs one listener per `--listen IP:PORT:MODE`. Each accepted connection reads the
dialer's 68-byte handshake, answers with a handshake (or garbage, or a wrong info-hash), then
misbehaves as MODE says, and keeps reading until the other side closes, logging what it gets.
Every line is flushed and starts with `hostile <MODE> `, times are seconds as floats:

  hostile M listening IP:PORT
  hostile M conn N accepted from IP:PORT
  hostile M conn N misbehaved: <what was sent>
  hostile M conn N rx <message> ...              (interested, request, cancel, keep-alive ...)
  hostile M conn N closed by remote (eof|reset) <t> s after misbehaving, <u> s after accept,
                 at <unix time>
  hostile M conn N still open at exit, <t> s after misbehaving
  hostile M conn N ended: <why>                  (an error on our side, e.g. bad handshake)

Modes (what is sent after the handshake):
  oversized          length prefix 10 MiB (id 7 and 1 KiB of it follow)
  have_short         `have` with a 3-byte body
  request_badlen     `request` with an 11-byte body
  bitfield_long      bitfield one byte longer than the torrent needs
  bitfield_short     bitfield one byte shorter than the torrent needs
  bitfield_spare     bitfield of the right length with the spare bits set
  have_range         `have` for piece index = number of pieces
  unsolicited_piece  bitfield (all), stays choking, sends `piece` blocks of garbage for pieces
                     never requested (block 0 of every piece), twice (at once and after 1 s)
  request_outside    `request` for piece index = number of pieces
  request_past_end   `request` running past the end of the last piece (and of the torrent)
  request_huge       `request` of 128 KiB inside piece 0 (BEP 3: more than 16 KiB is refused)
  stall              bitfield (all) and unchoke; serves (real data from --data) the first half of
                     the first batch of requests, then never answers again
  garbage_handshake  68 random bytes instead of a handshake
  wrong_infohash     a well-formed handshake with another info-hash
  idle               correct handshake, then nothing at all (keep-alive / timeout test)
  backlog_flood      a listener with a tiny receive buffer (SO_RCVBUF 4 KiB, set before listen);
                     handshake with the extension bit, reads the dialer's messages up to its
                     extended handshake (for its ut_metadata id), sends its own, then never
                     reads again and streams ut_metadata requests and block requests as fast as
                     it can (up to --flood-bytes, then one request every 0.5 s to notice a close)

Runs until SIGTERM/SIGINT or --timeout seconds.
"""
import argparse
import asyncio
import os
import random
import re
import signal
import socket
import struct
import sys
import time

PSTR = b'\x13BitTorrent protocol'
BLOCK = 16 * 1024
MSG_NAMES = {0: 'choke', 1: 'unchoke', 2: 'interested', 3: 'not_interested', 4: 'have',
             5: 'bitfield', 6: 'request', 7: 'piece', 8: 'cancel', 9: 'port', 20: 'extended'}


def out(line):
    print(line, flush=True)


class Torrent:
    def __init__(self, a):
        self.info_hash = bytes.fromhex(a.info_hash)
        self.num_pieces = a.num_pieces
        self.piece_length = a.piece_length
        self.total_size = a.total_size
        self.data = a.data
        self.flood_bytes = a.flood_bytes

    def piece_size(self, p):
        return min(self.piece_length, self.total_size - p * self.piece_length)

    def full_bitfield(self, spare=False):
        n = (self.num_pieces + 7) // 8
        bits = bytearray(b'\xff' * n)
        rem = self.num_pieces % 8
        if rem and not spare:
            bits[-1] = (0xff << (8 - rem)) & 0xff
        return bytes(bits)

    def read(self, piece, begin, length):
        with open(self.data, 'rb') as f:
            f.seek(piece * self.piece_length + begin)
            return f.read(length)


def msg(mid, body=b''):
    return struct.pack('>IB', 1 + len(body), mid) + body


def handshake(info_hash, extensions=False):
    pid = b'-HO0001-' + bytes(random.randrange(256) for _ in range(12))
    reserved = bytearray(8)
    if extensions:
        reserved[5] |= 0x10  # BEP 10
    return PSTR + bytes(reserved) + info_hash + pid


class Conn:
    def __init__(self, mode, n, tor, reader, writer):
        self.mode, self.n, self.tor = mode, n, tor
        self.reader, self.writer = reader, writer
        self.accepted = time.monotonic()
        self.misbehaved = None
        self.closed = False
        self.requests = []          # (piece, begin, length) received
        self.stalled = False

    def log(self, what):
        out(f'hostile {self.mode} conn {self.n} {what}')

    def mark(self, what):
        if self.misbehaved is None:
            self.misbehaved = time.monotonic()
        self.log(f'misbehaved: {what}')

    async def send(self, data):
        self.writer.write(data)
        await self.writer.drain()

    async def run(self):
        peer = self.writer.get_extra_info('peername')
        self.log(f'accepted from {peer[0]}:{peer[1]}')
        try:
            hs = await asyncio.wait_for(self.reader.readexactly(68), 30)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError) as e:
            self.log(f'ended: no handshake from the dialer ({type(e).__name__})')
            return self.finish()
        if not hs.startswith(PSTR) or hs[28:48] != self.tor.info_hash:
            self.log(f'ended: unexpected handshake from the dialer {hs[:48].hex()}')
            return self.finish()
        try:
            if self.mode == 'backlog_flood':
                await self.backlog_flood()
            else:
                await self.behave()
                await self.read_until_closed()
        except (ConnectionError, OSError) as e:
            self.report_closed('reset', e)
        except asyncio.CancelledError:
            raise
        return self.finish()

    async def behave(self):
        t, m = self.tor, self.mode
        if m == 'garbage_handshake':
            junk = bytes(random.randrange(256) for _ in range(68))
            junk = b'\x42' + junk[1:]  # never a valid pstrlen of 19
            self.mark('68 random bytes instead of a handshake')
            await self.send(junk)
            return
        if m == 'wrong_infohash':
            other = bytes(x ^ 0xff for x in t.info_hash)
            self.mark(f'handshake with info-hash {other.hex()}')
            await self.send(handshake(other))
            return
        await self.send(handshake(t.info_hash))
        if m == 'idle':
            self.mark('nothing after the handshake')
            return
        if m == 'oversized':
            self.mark('length prefix 10485760 (10 MiB), id 7, 1 KiB of body')
            await self.send(struct.pack('>IB', 10 * 1024 * 1024, 7) + bytes(1024))
        elif m == 'have_short':
            self.mark('have with a 3-byte body (length prefix 4)')
            await self.send(struct.pack('>IB', 4, 4) + b'\x00\x00\x01')
        elif m == 'request_badlen':
            self.mark('request with an 11-byte body (length prefix 12)')
            await self.send(struct.pack('>IB', 12, 6) + struct.pack('>II', 0, 0) + b'\x00\x40\x00')
        elif m == 'bitfield_long':
            bf = t.full_bitfield() + b'\x00'
            self.mark(f'bitfield of {len(bf)} bytes for {t.num_pieces} pieces')
            await self.send(msg(5, bf))
        elif m == 'bitfield_short':
            bf = t.full_bitfield()[:-1]
            self.mark(f'bitfield of {len(bf)} bytes for {t.num_pieces} pieces')
            await self.send(msg(5, bf))
        elif m == 'bitfield_spare':
            bf = t.full_bitfield(spare=True)
            self.mark(f'bitfield of {len(bf)} bytes for {t.num_pieces} pieces, last byte '
                      f'{bf[-1]:#04x} (spare bits set)')
            await self.send(msg(5, bf))
        elif m == 'have_range':
            self.mark(f'have {t.num_pieces} (pieces are 0..{t.num_pieces - 1})')
            await self.send(msg(4, struct.pack('>I', t.num_pieces)))
        elif m == 'request_outside':
            self.mark(f'request piece {t.num_pieces} begin 0 length {BLOCK}')
            await self.send(msg(6, struct.pack('>III', t.num_pieces, 0, BLOCK)))
        elif m == 'request_past_end':
            last = t.num_pieces - 1
            begin = t.piece_size(last) - 8
            self.mark(f'request piece {last} begin {begin} length 16 (last piece is '
                      f'{t.piece_size(last)} bytes)')
            await self.send(msg(6, struct.pack('>III', last, begin, 16)))
        elif m == 'request_huge':
            self.mark('request piece 0 begin 0 length 131072')
            await self.send(msg(6, struct.pack('>III', 0, 0, 128 * 1024)))
        elif m == 'unsolicited_piece':
            await self.send(msg(5, t.full_bitfield()))
            await self.unsolicited()
            asyncio.get_running_loop().create_task(self.unsolicited_later())
        elif m == 'stall':
            await self.send(msg(5, t.full_bitfield()) + msg(1))
        else:
            raise SystemExit(f'unknown mode {m}')

    async def backlog_flood(self):
        """Mode backlog_flood: a peer that asks and asks but never reads (its window stays shut)."""
        t = self.tor
        rcvbuf = self.writer.get_extra_info('socket').getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        await self.send(handshake(t.info_hash, extensions=True))
        their_id = await self.read_extended_handshake_id()
        await self.send(msg(20, b'\x00' + b'd1:md11:ut_metadatai3eee'))
        chunk = bytearray()
        req = msg(20, bytes([their_id]) + b'd8:msg_typei0e5:piecei0ee')  # every torrent has piece 0
        for i in range(2000):
            chunk += req
            if i % 4 == 0:
                p = (i // 4) % t.num_pieces
                chunk += msg(6, struct.pack('>III', p, 0, min(BLOCK, t.piece_size(p))))
        chunk = bytes(chunk)
        self.mark(f'receive buffer {rcvbuf} bytes, never reads; streams ut_metadata requests '
                  f'(id {their_id}) and block requests, {len(chunk)} bytes a batch')
        sent = 0
        next_report = 1 << 20
        try:
            while sent < t.flood_bytes:
                await self.send(chunk)
                sent += len(chunk)
                if sent >= next_report:
                    self.log(f'flood sent {sent} bytes')
                    next_report *= 2
            self.log(f'flood sent {sent} bytes (budget reached)')
            while True:  # a write fails once the other side closed: that is how we notice
                await asyncio.sleep(0.5)
                await self.send(req)
        finally:
            self.log(f'flood total {sent} bytes')

    async def read_extended_handshake_id(self):
        """Reads the dialer's messages until its extended handshake; its ut_metadata id."""
        deadline = time.monotonic() + 20
        while True:
            (ln,) = struct.unpack('>I', await asyncio.wait_for(
                self.reader.readexactly(4), max(0.1, deadline - time.monotonic())))
            body = await self.reader.readexactly(ln) if ln else b''
            if len(body) >= 2 and body[0] == 20 and body[1] == 0:
                m = re.search(rb'11:ut_metadatai(\d+)e', body)
                if not m:
                    raise SystemExit('the dialer offers no ut_metadata')
                return int(m.group(1))

    async def unsolicited(self):
        blocks = []
        for p in range(self.tor.num_pieces):
            ln = min(BLOCK, self.tor.piece_size(p))
            blocks.append(msg(7, struct.pack('>II', p, 0) + random.randbytes(ln)))
        self.mark(f'{len(blocks)} unrequested piece messages of garbage (block 0 of every piece)')
        await self.send(b''.join(blocks))

    async def unsolicited_later(self):
        await asyncio.sleep(1.0)
        if self.closed:
            return
        try:
            await self.unsolicited()
        except (ConnectionError, OSError):
            pass

    async def on_request(self, piece, begin, length):
        self.requests.append((piece, begin, length))
        if self.mode != 'stall' or self.stalled:
            return
        if len(self.requests) == 1:
            # Collect the first batch (the reader goes on meanwhile), serve half of it, stall.
            asyncio.get_running_loop().create_task(self.serve_half_then_stall())

    async def serve_half_then_stall(self):
        await asyncio.sleep(0.5)
        batch = list(self.requests)
        serve = batch[:(len(batch) + 1) // 2] if len(batch) > 1 else []
        try:
            for (p, b, ln) in serve:
                await self.send(msg(7, struct.pack('>II', p, b) + self.tor.read(p, b, ln)))
        except (ConnectionError, OSError):
            return
        self.stalled = True
        self.mark(f'stalled after serving {len(serve)} of {len(batch)} requested blocks '
                  f'(served {serve}, withheld {batch[len(serve):]})')

    async def read_until_closed(self):
        buf = b''
        while True:
            data = await self.reader.read(65536)
            if not data:
                self.report_closed('eof')
                return
            buf += data
            while len(buf) >= 4:
                (ln,) = struct.unpack('>I', buf[:4])
                if ln > 1 << 20:
                    self.log(f'rx absurd length {ln}')
                    buf = b''
                    break
                if len(buf) < 4 + ln:
                    break
                body, buf = buf[4:4 + ln], buf[4 + ln:]
                await self.on_message(body)

    async def on_message(self, body):
        since = time.monotonic() - self.accepted
        if not body:
            self.log(f'rx keep-alive at {since:.3f} s')
            return
        mid = body[0]
        name = MSG_NAMES.get(mid, f'id{mid}')
        if mid in (6, 8) and len(body) == 13:
            p, b, ln = struct.unpack('>III', body[1:])
            self.log(f'rx {name} {p} {b} {ln} at {since:.3f} s')
            if mid == 6:
                await self.on_request(p, b, ln)
        elif mid == 4 and len(body) == 5:
            self.log(f'rx have {struct.unpack(">I", body[1:])[0]} at {since:.3f} s')
        else:
            self.log(f'rx {name} ({len(body) - 1} byte body) at {since:.3f} s')

    def report_closed(self, how, e=None):
        if self.closed:
            return
        self.closed = True
        now = time.monotonic()
        since_mis = f'{now - self.misbehaved:.3f}' if self.misbehaved is not None else 'never'
        self.log(f'closed by remote ({how}) {since_mis} s after misbehaving, '
                 f'{now - self.accepted:.3f} s after accept, at {time.time():.3f}'
                 + (f' [{e!r}]' if e else ''))

    def finish(self):
        self.closed = True
        try:
            self.writer.close()
        except Exception:
            pass

    def report_open(self):
        if self.closed:
            return
        since_mis = f'{time.monotonic() - self.misbehaved:.3f}' if self.misbehaved is not None else 'never'
        self.log(f'still open at exit, {since_mis} s after misbehaving')


async def main_async(a):
    tor = Torrent(a)
    conns = []
    counters = {}
    servers = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)

    for spec in a.listen:
        ip, port, mode = spec.split(':')

        def handler(reader, writer, mode=mode):
            counters[mode] = counters.get(mode, 0) + 1
            c = Conn(mode, counters[mode], tor, reader, writer)
            conns.append(c)
            return c.run()

        if mode == 'backlog_flood':
            # The receive buffer must be small before listen(): the window scale of the
            # connection is chosen from it in the SYN-ACK, and accepted sockets inherit it.
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            ls.bind((ip, int(port)))
            ls.listen(16)
            srv = await asyncio.start_server(handler, sock=ls)
        else:
            srv = await asyncio.start_server(handler, ip, int(port))
        servers.append(srv)
        out(f'hostile {mode} listening {ip}:{port}')
    try:
        await asyncio.wait_for(stop.wait(), a.timeout)
    except asyncio.TimeoutError:
        out('hostile: timeout')
    for c in conns:
        c.report_open()
    out('hostile: exiting')
    os._exit(0)  # do not wait for connection tasks


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--listen', action='append', required=True, help='IP:PORT:MODE, repeatable')
    ap.add_argument('--info-hash', required=True, help='40 hex digits')
    ap.add_argument('--num-pieces', type=int, required=True)
    ap.add_argument('--piece-length', type=int, required=True)
    ap.add_argument('--total-size', type=int, required=True)
    ap.add_argument('--data', help='the single file of the torrent (stall mode serves from it)')
    ap.add_argument('--timeout', type=float, default=300)
    ap.add_argument('--flood-bytes', type=int, default=256 << 20,
                    help='backlog_flood: bytes of requests sent before slowing down')
    a = ap.parse_args()
    asyncio.run(main_async(a))


if __name__ == '__main__':
    sys.exit(main())
