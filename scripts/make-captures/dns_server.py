#!/usr/bin/env python3
"""A small authoritative-looking DNS responder for the demo network (UDP 53).

Answers A queries from hosts.tsv (following CNAME rows, as a recursive resolver would), gives
NOERROR with no records for other types (AAAA: the demo network is IPv4-only) and NXDOMAIN for
names it does not know. Usage: dns_server.py HOSTS_TSV LISTEN_ADDR
"""
import socket
import struct
import sys

# Seconds a client may cache an answer: 300 is what many CDNs hand out.
TTL = 300
# Longest CNAME chain followed: the table has chains of one; a loop must not hang the server.
MAX_CHAIN = 8


def load(path):
    table = {}
    with open(path, encoding='utf8') as f:
        for line in f:
            if not line.strip() or line.startswith('#'):
                continue
            name, target = line.rstrip('\n').split('\t')[:2]
            table[name.lower()] = target
    return table


def is_ip(s):
    try:
        socket.inet_aton(s)
        return s.count('.') == 3
    except OSError:
        return False


def encode_name(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\x00'


def parse_question(msg):
    i = 12
    labels = []
    while msg[i] != 0:
        n = msg[i]
        labels.append(msg[i + 1:i + 1 + n].decode('ascii', 'replace'))
        i += 1 + n
    qtype, qclass = struct.unpack('!HH', msg[i + 1:i + 5])
    return '.'.join(labels), qtype, qclass, msg[12:i + 5]


def answer(table, msg):
    qid, flags = struct.unpack('!HH', msg[:4])
    name, qtype, _qclass, question = parse_question(msg)
    records = []
    rcode = 0
    cur = name.lower()
    if cur not in table:
        rcode = 3
    elif qtype == 1:
        for _ in range(MAX_CHAIN):
            target = table.get(cur)
            if target is None:
                break
            if is_ip(target):
                records.append(encode_name(cur) + struct.pack('!HHIH', 1, 1, TTL, 4) + socket.inet_aton(target))
                break
            rdata = encode_name(target)
            records.append(encode_name(cur) + struct.pack('!HHIH', 5, 1, TTL, len(rdata)) + rdata)
            cur = target.lower()
    # QR, opcode copied, AA off, RD copied, RA on.
    rflags = 0x8000 | (flags & 0x7900) | 0x0080 | rcode
    header = struct.pack('!HHHHHH', qid, rflags, 1, len(records), 0, 0)
    return header + question + b''.join(records)


def main():
    table = load(sys.argv[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((sys.argv[2], 53))
    while True:
        msg, peer = sock.recvfrom(1500)
        try:
            sock.sendto(answer(table, msg), peer)
        except (IndexError, struct.error, UnicodeError):
            continue


if __name__ == '__main__':
    main()
