#!/usr/bin/env python3
"""A v2 peer whose BEP 52 `hashes` replies are garbage (stdlib only, asyncio, TCP, loopback): the
peer a hash check must catch.

Listens on --ip:--port; tessera dials it. Answers the handshake with the v2 bit (reserved byte 7
0x10), has no piece and never unchokes; answers every `hash request` (21) with a `hashes` (22)
message of the right size (length + uncles) whose hashes are random. Prints, flushed:
  bad_hashes_peer listening IP:PORT
  bad_hashes_peer conn N accepted from IP:PORT
  bad_hashes_peer conn N answered: layer L index I length N proof P
  bad_hashes_peer conn N closed by remote
Runs until SIGTERM/SIGINT or --timeout seconds.
"""
import argparse
import asyncio
import os
import random
import signal
import struct

PSTR = b'\x13BitTorrent protocol'


def out(line):
    print(line, flush=True)


def uncles(length, proof_layers):
    k = length.bit_length() - 1
    return max(0, proof_layers - k + 1)


async def serve(a, n, reader, writer):
    peer = writer.get_extra_info('peername')
    out(f'bad_hashes_peer conn {n} accepted from {peer[0]}:{peer[1]}')
    try:
        hs = await reader.readexactly(68)
        if hs[28:48] != bytes.fromhex(a.info_hash):
            out(f'bad_hashes_peer conn {n} ended: another info-hash')
            return
        reserved = bytes([0, 0, 0, 0, 0, 0, 0, 0x10])
        pid = b'-BH0001-' + bytes(random.randrange(256) for _ in range(12))
        writer.write(PSTR + reserved + hs[28:48] + pid)
        await writer.drain()
        while True:
            (ln,) = struct.unpack('>I', await reader.readexactly(4))
            if ln > (1 << 20):
                return
            body = await reader.readexactly(ln) if ln else b''
            if len(body) != 49 or body[0] != 21:
                continue
            root = body[1:33]
            base, index, length, proof = struct.unpack('>iiii', body[33:49])
            count = length + uncles(length, proof)
            payload = root + struct.pack('>iiii', base, index, length, proof) + os.urandom(32 * count)
            writer.write(struct.pack('>IB', 1 + len(payload), 22) + payload)
            await writer.drain()
            out(f'bad_hashes_peer conn {n} answered: layer {base} index {index} length {length} proof {proof}')
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        pass
    out(f'bad_hashes_peer conn {n} closed by remote')
    writer.close()


async def main_async(a):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    count = [0]

    def handler(reader, writer):
        count[0] += 1
        return serve(a, count[0], reader, writer)

    await asyncio.start_server(handler, a.ip, a.port)
    out(f'bad_hashes_peer listening {a.ip}:{a.port}')
    try:
        await asyncio.wait_for(stop.wait(), a.timeout)
    except asyncio.TimeoutError:
        out('bad_hashes_peer: timeout')
    os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ip', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--info-hash', required=True, help='the 20 bytes of the handshake, 40 hex digits')
    ap.add_argument('--timeout', type=float, default=300)
    asyncio.run(main_async(ap.parse_args()))


if __name__ == '__main__':
    main()
