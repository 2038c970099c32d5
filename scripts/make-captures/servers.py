#!/usr/bin/env python3
"""The "internet" side of the demo network: plain HTTP on :80 and TLS on :443 and :5228 for every
address the namespace holds (it binds 0.0.0.0, and the public addresses sit on its loopback).

Answers what the real services answer, closely enough for a capture: an HTML page for the
visited site, 204 for the connectivity check, the JSON replies of Sensors Analytics, MiStat and
OneTrack, a small JSON body for any other request, and for the push channel (no HTTP) a short
binary reply to each frame. Usage: servers.py CERT KEY
"""
import json
import socket
import ssl
import sys
import threading

# Bytes read per recv: a TLS record is at most 16 KiB.
CHUNK = 16384
# Largest request body read: the demo uploads are a few KiB.
MAX_BODY = 1 << 20
# Seconds a silent connection is kept: longer than the push channel's heartbeat period.
IDLE_SECONDS = 120

PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>Private page</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>A private page</h1><p>Something one reads in incognito mode.</p></body></html>
"""


def reply_for(method, host, path):
    """(status, content type, body) for one request."""
    host = host.split(':')[0].lower()
    if path.startswith('/generate_204'):
        return 204, None, b''
    if host == 'example.org':
        if path == '/favicon.ico':
            return 404, 'text/html', b'<html><body>Not found</body></html>\n'
        return 200, 'text/html; charset=UTF-8', PAGE
    if host.startswith('sa.api.'):
        return 200, 'text/plain', b''
    if host.startswith('data.mistat.'):
        return 200, 'application/json', json.dumps({'status': 'ok', 'reason': '', 'data': {'delay': 60000}}).encode()
    if host.startswith('tracking.') and path.startswith('/track/key_get'):
        return 200, 'application/json', json.dumps({'code': 0, 'data': {'key': 'q2l7yVd0bM1Yq3kq9m8rGg==', 'sid': 'b1c9e2f4a7d3'}}).encode()
    if host.startswith('tracking.'):
        return 200, 'application/json', b'{"code":0,"message":"success"}'
    if method == 'POST':
        return 200, 'application/json', b'{}'
    return 200, 'application/json', b'{"ok":true}'


def read_request(conn, buf):
    """One HTTP request from conn (buf holds bytes already read); returns (request, rest) or None."""
    while b'\r\n\r\n' not in buf:
        data = conn.recv(CHUNK)
        if not data:
            return None
        buf += data
    head, _, rest = buf.partition(b'\r\n\r\n')
    lines = head.decode('latin1').split('\r\n')
    method, path = lines[0].split(' ')[:2]
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(':')
        headers[k.strip().lower()] = v.strip()
    length = min(int(headers.get('content-length', '0') or 0), MAX_BODY)
    while len(rest) < length:
        data = conn.recv(CHUNK)
        if not data:
            break
        rest += data
    return (method, headers.get('host', ''), path), rest[length:]


def respond(conn, method, host, path):
    status, ctype, body = reply_for(method, host, path)
    reason = {200: 'OK', 204: 'No Content', 404: 'Not Found'}[status]
    head = f'HTTP/1.1 {status} {reason}\r\nServer: nginx\r\nDate: {http_date()}\r\n'
    if ctype:
        head += f'Content-Type: {ctype}\r\n'
    head += f'Content-Length: {len(body)}\r\n\r\n'
    conn.sendall(head.encode() + body)


def http_date():
    import email.utils
    return email.utils.formatdate(usegmt=True)


def serve_conn(conn):
    conn.settimeout(IDLE_SECONDS)
    try:
        buf = conn.recv(CHUNK)
        if not buf:
            return
        if not buf.split(b' ', 1)[0].isalpha():
            # Not HTTP: the push channel. Answer each frame with a short frame, as a keep-alive ack.
            while buf:
                conn.sendall(b'\xc2\xfe\x00\x05\x00\x00\x00\x0bping-ack')
                buf = conn.recv(CHUNK)
            return
        while True:
            got = read_request(conn, buf)
            if got is None:
                return
            (method, host, path), buf = got
            respond(conn, method, host, path)
            if not buf:
                buf = conn.recv(CHUNK)
                if not buf:
                    return
    except (OSError, ValueError, IndexError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def listen(port, ctx):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port))
    s.listen(64)

    def loop():
        while True:
            raw, _ = s.accept()
            def run(raw=raw):
                conn = raw
                if ctx is not None:
                    try:
                        conn = ctx.wrap_socket(raw, server_side=True)
                    except (OSError, ssl.SSLError):
                        raw.close()
                        return
                serve_conn(conn)
            threading.Thread(target=run, daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    ctx.set_alpn_protocols(['http/1.1'])
    listen(80, None)
    listen(443, ctx)
    listen(5228, ctx)
    print('servers ready', flush=True)
    threading.Event().wait()


if __name__ == '__main__':
    main()
