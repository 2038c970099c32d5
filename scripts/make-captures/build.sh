#!/usr/bin/env bash
# Builds the demo capture bundles in captures/ from REAL traffic.
#
#   sudo scripts/make-captures/build.sh [incognito-leak|normal-browsing|ordinary-day ...]   (default: all three)
#
# How: two Linux network namespaces joined by a veth pair.
#   tt-phone : the phone, 192.168.1.23 on "wlan0", default route via 192.168.1.1, resolv.conf -> 192.168.1.1
#   tt-inet  : the router and the internet: 192.168.1.1 on "eth0", and every public address of
#              hosts.tsv on its loopback, so the phone's packets carry the real addresses.
# In tt-inet: dns_server.py (UDP 53, answers from hosts.tsv), servers.py (HTTP :80, TLS :443 and :5228
# with a self-signed certificate) and ngtcp2's gtlsserver (QUIC/HTTP3 on UDP 443).
# In tt-phone: `tcpdump -i any` (LINUX_SLL2, as Android's tcpdump on `any`) records while
# scenario.py plays the scenario with real clients (curl, Python TLS sockets, gtlsclient) and
# writes logcat.txt, meta.json and README.md at the same moments.
#
# Needs root, iproute2, tcpdump, curl, python3 with `cryptography`, openssl, and the Debian
# packages ngtcp2-client + ngtcp2-server for QUIC (without them the QUIC step is skipped).
# Re-runnable: namespaces, /etc/netns/tt-phone and every process it started are removed on exit.
# CI does not run this (no root there): the bundles it writes are committed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT_ROOT="${OUT_ROOT:-$ROOT/captures}"
PHONE=tt-phone
INET=tt-inet
PHONE_IP=192.168.1.23
ROUTER_IP=192.168.1.1
WORK="$(mktemp -d /tmp/make-captures.XXXXXX)"
PIDS=()
# A bundle must stay small (the repo ships it); the builder refuses to keep a bigger one.
MAX_BUNDLE_BYTES=$((2 * 1024 * 1024))
# Seconds for tcpdump to write out its last packets after the scenario ends.
DRAIN_SECONDS=1

cleanup() {
	local pid
	for pid in "${PIDS[@]:-}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]:-}"; do
		[ -n "$pid" ] && wait "$pid" 2>/dev/null || true
	done
	ip netns del "$PHONE" 2>/dev/null || true
	ip netns del "$INET" 2>/dev/null || true
	rm -rf "/etc/netns/$PHONE" "$WORK"
	rmdir /etc/netns 2>/dev/null || true
}
trap cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "build.sh: needs root (network namespaces)" >&2; exit 1; }
for tool in ip tcpdump curl python3 openssl; do
	command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing" >&2; exit 1; }
done
python3 -c 'import cryptography' 2>/dev/null || { echo "build.sh: python3 needs the cryptography package" >&2; exit 1; }

setup_network() {
	ip netns del "$PHONE" 2>/dev/null || true
	ip netns del "$INET" 2>/dev/null || true
	ip netns add "$PHONE"
	ip netns add "$INET"
	ip link add tt-wlan0 type veth peer name tt-eth0
	ip link set tt-wlan0 netns "$PHONE"
	ip link set tt-eth0 netns "$INET"
	ip -n "$PHONE" link set tt-wlan0 name wlan0
	ip -n "$INET" link set tt-eth0 name eth0
	# A phone-like MAC (Xiaomi OUI 64:cc:2e) and a router's.
	ip -n "$PHONE" link set wlan0 address 64:cc:2e:5a:91:07
	ip -n "$INET" link set eth0 address 50:d4:f7:3b:20:01
	ip -n "$PHONE" addr add "$PHONE_IP/24" dev wlan0
	ip -n "$INET" addr add "$ROUTER_IP/24" dev eth0
	for ns in "$PHONE" "$INET"; do
		# IPv4 only: keeps the demo to the addresses in hosts.tsv (no link-local IPv6 chatter).
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip -n "$PHONE" link set wlan0 up
	ip -n "$INET" link set eth0 up
	ip -n "$PHONE" route add default via "$ROUTER_IP"
	local addr
	for addr in $(grep -v '^#' "$HERE/hosts.tsv" | cut -f2 | grep -E '^[0-9.]+$' | sort -u) 161.117.97.14; do
		ip -n "$INET" addr add "$addr/32" dev lo 2>/dev/null || true
	done
	mkdir -p "/etc/netns/$PHONE"
	echo "nameserver $ROUTER_IP" > "/etc/netns/$PHONE/resolv.conf"
}

start_servers() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=demo.invalid" \
		-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
	ip netns exec "$INET" python3 "$HERE/dns_server.py" "$HERE/hosts.tsv" "$ROUTER_IP" &
	PIDS+=($!)
	ip netns exec "$INET" python3 "$HERE/servers.py" "$WORK/cert.pem" "$WORK/key.pem" > "$WORK/servers.log" 2>&1 &
	PIDS+=($!)
	if command -v gtlsserver >/dev/null; then
		mkdir -p "$WORK/htdocs/complete"
		printf '<!doctype html><title>Google Search</title><p>results</p>\n' > "$WORK/htdocs/search"
		printf ')]}\x27\n["weather moscow",[]]\n' > "$WORK/htdocs/complete/search"
		ip netns exec "$INET" gtlsserver -q -d "$WORK/htdocs" '*' 443 "$WORK/key.pem" "$WORK/cert.pem" > /dev/null 2>&1 &
		PIDS+=($!)
	fi
	# Wait until the TLS server answers (python start-up on a busy machine takes a moment).
	local i
	for i in $(seq 1 50); do
		grep -q ready "$WORK/servers.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "build.sh: servers did not start" >&2
	cat "$WORK/servers.log" >&2
	exit 1
}

build_bundle() {
	local name="$1" out="$OUT_ROOT/$1" tmp="$WORK/$1"
	mkdir -p "$tmp"
	ip netns exec "$PHONE" tcpdump -i any -U -n -s 0 -w "$tmp/capture.pcap" 2> "$WORK/tcpdump-$name.log" &
	local dump=$!
	PIDS+=($dump)
	sleep 1
	ip netns exec "$PHONE" python3 "$HERE/scenario.py" "$name" "$tmp"
	sleep "$DRAIN_SECONDS"
	kill -INT "$dump"
	wait "$dump" || true
	local size
	size=$(du -cb "$tmp"/* | tail -1 | cut -f1)
	if [ "$size" -gt "$MAX_BUNDLE_BYTES" ]; then
		echo "build.sh: $name is $size bytes, over $MAX_BUNDLE_BYTES" >&2
		exit 1
	fi
	rm -rf "$out"
	mkdir -p "$out"
	cp "$tmp"/capture.pcap "$tmp"/logcat.txt "$tmp"/meta.json "$tmp"/README.md "$out"/
	echo "$name: $(grep -c . "$out/logcat.txt") log lines, $(tail -1 "$WORK/tcpdump-$name.log")"
}

NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(incognito-leak normal-browsing ordinary-day)
setup_network
start_servers
for name in "${NAMES[@]}"; do
	build_bundle "$name"
done
