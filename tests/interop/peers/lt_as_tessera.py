#!/usr/bin/python3
"""Stand-in for the tessera CLI, for checking the harness's tessera code path before tessera
works: accepts `download <file.torrent> -o DIR [--port N] [--peer IP:PORT]... [--max-peers N]`
and runs lt_leech.py on 127.0.0.1 (tessera has no bind-address option either), which prints the
same `checked`, `progress` and `complete ... downloaded` lines as the tessera contract.
Usage: test_X.py --tessera tests/interop/peers/lt_as_tessera.py"""
import argparse
import os
import sys

ap = argparse.ArgumentParser()
ap.add_argument('command', choices=['download'])
ap.add_argument('torrent')
ap.add_argument('-o', '--output', default='.')
ap.add_argument('--port', type=int, default=6881)
ap.add_argument('--peer', action='append', default=[])
ap.add_argument('--max-peers', type=int, default=0)
ap.add_argument('--no-lsd', action='store_true', help='accepted; lt_leech.py never uses LSD')
ap.add_argument('--state-dir', help='accepted; lt_leech.py keeps no resume data')
a = ap.parse_args()
argv = [sys.executable, '-u', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lt_leech.py'),
        '--torrent', a.torrent, '--save-path', a.output, '--ip', '127.0.0.1', '--port', str(a.port),
        '--progress-interval', '2']
for p in a.peer:
    argv += ['--peer', p]
os.execv(sys.executable, argv)
