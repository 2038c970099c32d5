#!/usr/bin/env python3
"""Plays one demo scenario as the "phone": real DNS look-ups, HTTP, TLS and QUIC connections from
real clients (curl, Python sockets, ngtcp2's gtlsclient), while writing the logcat lines a Xiaomi
phone would print at the same moments. Runs inside the phone network namespace (build.sh starts
it there, with tcpdump already capturing).

Usage: scenario.py NAME OUT_DIR     (NAME: incognito-leak | normal-browsing | ordinary-day)

Writes OUT_DIR/logcat.txt, meta.json and README.md; the capture itself is tcpdump's.
Payload formats follow research/xiaomi.md section 3 (Sensors Analytics gzip=1, MiStat v2 AES,
OneTrack v4 opaque); identifiers in them are synthetic.
"""
import base64
import gzip
import hashlib
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# ---- the phone ---------------------------------------------------------------------------------

TIME_ZONE = 'Europe/Moscow'
MODEL = 'Redmi Note 8'
ANDROID = '10'
MIUI = 'V12.0.3.0.QCOMIXM'
BUILD_ID = 'QKQ1.200114.002'
ANDROID_ID = '6f1c0b3a9d2e4875'
MISTAT_DEVICE_ID = '8A3F5C2E9B1D4F7A6C0E2B8D5F1A3C9E'
SA_DISTINCT_ID = '3e1f9a2c-7b64-4d0e-9c85-2a6f1b0d7e43'
DALVIK_UA = f'Dalvik/2.1.0 (Linux; U; Android {ANDROID}; {MODEL} MIUI/{MIUI})'
BROWSER_UA = (f'Mozilla/5.0 (Linux; U; Android {ANDROID}; en-us; {MODEL} Build/{BUILD_ID}) AppleWebKit/537.36 '
              '(KHTML, like Gecko) Version/4.0 Chrome/89.0.4389.116 Mobile Safari/537.36 XiaoMi/MiuiBrowser/13.5.40-gn')
OKHTTP_UA = 'okhttp/3.12.12'
SA_URL = 'http://sa.api.intl.miui.com/sa?project=global_browser_mini&r=RU'
MISTAT_URL = 'http://data.mistat.intl.xiaomi.com/mistats/v2'
ONETRACK = 'http://tracking.intl.miui.com'
PUSH_FALLBACK = '161.117.97.14'
# Seconds between push heartbeats: real MiPush pings every few minutes; the demo is short.
PUSH_HEARTBEAT_SECONDS = 8
# Seconds gtlsclient may take for one QUIC exchange before it is stopped.
QUIC_TIMEOUT_SECONDS = 6
# Background log lines per second of capture: a quiet phone prints a few.
NOISE_PER_SECOND = 3

# Process ids and uids (u0aNN = 10000 + NN).
SYSTEM_SERVER = 1520
SYSTEMUI = 2351
LAUNCHER, LAUNCHER_UID = 3127, 10063
GMS = 4410
XMSF = 3620
BROWSER, BROWSER_UID = 12455, 10085
WEATHER, WEATHER_UID = 13102, 10117
UPDATER = 13388


# Seconds the phone had been up when the scenario started (GMS's elapsed-seconds lines agree).
UPTIME_AT_START = 86_412.3
BOOT = [0.0]


def uptime_ms(ts):
    return int((ts - BOOT[0]) * 1000)


def local_time(ts):
    """threadtime with -v year -v zone: '2026-11-23 22:30:01.123 +0300'."""
    d = datetime.fromtimestamp(ts, ZoneInfo(TIME_ZONE))
    return d.strftime('%Y-%m-%d %H:%M:%S.') + f'{d.microsecond // 1000:03d}' + d.strftime(' %z')


class Phone:
    """Clients and the log, on the capture's clock."""

    def __init__(self, seed):
        self.log = []
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.threads = []

    def L(self, pid, tid, level, tag, msg, ts=None):
        self.log.append((time.time() if ts is None else ts, pid, tid, level, tag, msg))

    def probe(self, msg, ts=None):
        """A line of tattle's own live probe: written as tattle writes it (no pid: see write_log)."""
        self.log.append((time.time() if ts is None else ts, None, None, 'I', 'tattle.probe', msg))

    def curl(self, url, *, body=None, headers=(), ua=OKHTTP_UA, ctype=None):
        args = ['curl', '-sk', '-o', '/dev/null', '--max-time', '10', '-A', ua]
        for h in headers:
            args += ['-H', h]
        if body is not None:
            args += ['-X', 'POST', '-H', 'Expect:', '-H', f'Content-Type: {ctype or "application/x-www-form-urlencoded"}',
                     '--data-binary', '@-']
        subprocess.run(args + [url], input=body, check=False)

    def quic(self, host, url):
        subprocess.run(['timeout', str(QUIC_TIMEOUT_SECONDS), 'gtlsclient', '-q', '--exit-on-all-streams-close', host, '443', url],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def background(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    def tls_channel(self, host, port, hello, sni):
        """A long-lived TLS channel (MiPush, FCM): a hello, then a heartbeat until the scenario ends."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        addr = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
        raw = socket.create_connection(addr, timeout=30)
        s = ctx.wrap_socket(raw, server_hostname=sni)
        s.sendall(hello)
        s.recv(4096)
        while not self.stop.wait(PUSH_HEARTBEAT_SECONDS):
            s.sendall(b'\xc2\xfe\x00\x05\x00\x00\x00\x00')
            s.recv(4096)
        # Left open on purpose: the capture ends while the channel is still up, as on a phone.
        self.keep = getattr(self, 'keep', []) + [s]

    def noise(self, t0, t1, extra_gc_tag=None):
        for _ in range(int((t1 - t0) * NOISE_PER_SECOND)):
            ts = self.rng.uniform(t0, t1)
            make = self.rng.choices([f for _, f in NOISE], weights=[w for w, _ in NOISE])[0]
            pid, tid, level, tag, msg = make(self.rng, ts)
            self.L(pid, tid, level, tag, msg, ts)
        if extra_gc_tag:
            for _ in range(3):
                self.L(*gc_line(self.rng, *extra_gc_tag), ts=self.rng.uniform(t0, t1))

    def write_log(self, path):
        banners = ['--------- beginning of main', '--------- beginning of system', '--------- beginning of events']
        with open(path, 'w', encoding='utf8') as f:
            for b in banners:
                f.write(b + '\n')
            for ts, pid, tid, level, tag, msg in sorted(self.log, key=lambda r: r[0]):
                if pid is None:
                    # tattle's own lines, exactly as `tattle live` writes them into the logcat stream
                    # (source/sources/adb-live.ts, bundle-writer.ts formatLogLine): epoch time padded
                    # to 24 columns, uid pid tid 0.
                    f.write(f'{ts:24.3f}     0     0     0 {level} {tag}: {msg}\n')
                else:
                    f.write(f'{local_time(ts)} {pid:5d} {tid:5d} {level} {tag:<8}: {msg}\n')


def gc_line(rng, pid, tag):
    freed = rng.randint(8000, 60000)
    kb = rng.randint(600, 4000)
    used = rng.randint(4, 30)
    return (pid, pid + rng.randint(5, 9), 'I', tag,
            f'Background concurrent copying GC freed {freed}({kb}KB) AllocSpace objects, {rng.randint(0, 12)}({rng.randint(0, 900)}KB) LOS objects, '
            f'{rng.randint(40, 60)}% free, {used}MB/{used + rng.randint(4, 30)}MB, paused {rng.randint(40, 900)}us total {rng.uniform(20, 240):.3f}ms')


# Background lines of a quiet MIUI 12 phone (shapes from AOSP/GMS/MIUI logs; values random), with
# how often each comes relative to the others: Wi-Fi signal and chatty lines are common, GMS rarer.
NOISE = [
    (6, lambda r, ts: (SYSTEM_SERVER, SYSTEM_SERVER + r.randint(20, 90), 'I', 'chatty', f'uid=1000(system) Binder:{SYSTEM_SERVER}_{r.randint(1, 15):X} expire {r.randint(2, 9)} lines')),
    (6, lambda r, ts: (1105, 1105, 'I', 'wpa_supplicant', f'wlan0: CTRL-EVENT-SIGNAL-CHANGE above=1 signal=-{r.randint(48, 67)} noise=9999 txrate={r.choice([390000, 433300, 526500])}')),
    (2, lambda r, ts: (SYSTEM_SERVER, SYSTEM_SERVER + 43, 'D', 'BatteryService', 'Processing new values: info={.chargerAcOnline = false, .chargerUsbOnline = false, .batteryLevel = 62, .batteryVoltage = 3987, .batteryTemperature = 312}')),
    (2, lambda r, ts: (SYSTEMUI, SYSTEMUI, 'D', 'KeyguardUpdateMonitor', 'received broadcast android.intent.action.BATTERY_CHANGED')),
    (1, lambda r, ts: (GMS, GMS + r.randint(30, 60), 'I', 'NetworkScheduler.Stats', f'(REDACTED) Task com.google.android.gms/com.google.android.gms.measurement.PackageMeasurementTaskService started execution. cause:4 exec_start_elapsed_seconds: {uptime_ms(ts) // 1000}')),
    (1, lambda r, ts: (GMS, GMS + r.randint(30, 60), 'W', 'GCM', 'Mismatched messenger')),
    (3, lambda r, ts: gc_line(r, GMS, 'droid.gms.persistent'[-15:])),
    (3, lambda r, ts: gc_line(r, SYSTEMUI, 'com.android.systemui'[-15:])),
    (2, lambda r, ts: (SYSTEM_SERVER, SYSTEM_SERVER + 88, 'D', 'ConnectivityService', 'notifyType CAP_CHANGED for NetworkAgentInfo [WIFI () - 100]')),
    (1, lambda r, ts: (SYSTEMUI, SYSTEMUI + 41, 'D', 'NotificationEntryMgr', f'updateNotificationRanking: {r.randint(3, 8)} notifications')),
    (2, lambda r, ts: (850, 850, 'I', 'thermal-engine', f"TM Id 'SKIN-MID-MONITOR' Sensor 'quiet_therm' - alarm cleared 1 at {r.randint(36, 39)}")),
]


def java_hash(s):
    """Java String.hashCode (the Sensors Analytics `crc`)."""
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def sa_event(event, props, ts):
    base = {
        'uuid': SA_DISTINCT_ID, 'internet_status': 1, 'platform': 'AndroidApp', 'miui_version': MIUI, 'miui_region': 'RU',
        'system_language': 'ru', '$os': 'Android', '$os_version': ANDROID, '$manufacturer': 'Xiaomi', '$model': MODEL,
        '$screen_width': 1080, '$screen_height': 2340, '$device_id': ANDROID_ID, '$wifi': True, '$network_type': 'WIFI',
        '$is_first_day': False, '$app_version': '13.5.40-gn', '$lib': 'Android', '$lib_version': '3.2.0',
    }
    return {'_track_id': random.Random(event + str(ts)).randint(-2**31, 2**31 - 1), 'time': int(ts * 1000), 'type': 'track',
            'distinct_id': SA_DISTINCT_ID, 'lib': {'$lib': 'Android', '$lib_version': '3.2.0', '$app_version': '13.5.40-gn'},
            'event': event, 'properties': {**props, **base}}


def sa_body(events):
    data_list = base64.b64encode(gzip.compress(json.dumps(events, separators=(',', ':')).encode(), mtime=0)).decode()
    return f'crc={java_hash(data_list)}&gzip=1&data_list={urllib.parse.quote(data_list, safe="")}'.encode()


def mistat_body(app_id, app_key, events):
    key = hashlib.md5(f'seed:{app_id}-{app_key}-{MISTAT_DEVICE_ID}'.encode()).hexdigest().upper()[:16].encode()
    padder = padding.PKCS7(128).padder()
    plain = padder.update(json.dumps(events, separators=(',', ':')).encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    stat_value = (enc.update(plain) + enc.finalize()).hex()
    form = {'app_id': app_id, 'app_key': app_key, 'channel': 'MIUI', 'device_id': MISTAT_DEVICE_ID, 'id_type': '1',
            'interval': '-1', 'mistatv': '4', 'policy': '4', 'sdk_version': '1.9.16', 'size': str(len(events)), 'stat_value': stat_value}
    return urllib.parse.urlencode(sorted(form.items())).encode()


def onetrack(phone, sender):
    """Session-key exchange, then one opaque (gzip+AES) event batch with the OT_* headers."""
    rng = phone.rng
    secret = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(128))).decode()
    phone.curl(f'{ONETRACK}/track/key_get', body=f'secretKey={urllib.parse.quote(secret, safe="")}'.encode())
    blob = bytes(rng.getrandbits(8) for _ in range(16 * rng.randint(30, 45)))
    phone.curl(f'{ONETRACK}/track/v4', body=blob, ctype='application/octet-stream',
               headers=('OT_SID: b1c9e2f4a7d3', f'OT_ts: {int(time.time() * 1000)}', 'OT_net: WIFI', f'OT_sender: {sender}', 'OT_protocol: 3.0'))


def firebase_upload(phone, pid):
    url = 'https://firebaselogging-pa.googleapis.com/v1/firelog/legacy/batchlog'
    phone.L(pid, pid + 31, 'I', 'TRuntime.CctTransportBackend', f'Making request to: {url}')
    phone.curl(url, body=bytes(phone.rng.getrandbits(8) for _ in range(700)), ctype='application/x-protobuf', ua='datatransport/3.1.8 android/')
    phone.L(pid, pid + 31, 'I', 'TRuntime.CctTransportBackend', 'Status Code: 200')


def app_launch(phone, pkg, activity, pid, uid, displayed_ms, cold=True):
    """Launcher tap: START, process start (cold), Displayed, as ActivityTaskManager prints them on Android 10."""
    cmp = f'{pkg}/{activity}'
    phone.L(SYSTEM_SERVER, SYSTEM_SERVER + 12, 'I', 'ActivityTaskManager',
            f'START u0 {{act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp={cmp} bnds=[48,1203][291,1510]}} from uid {LAUNCHER_UID}')
    time.sleep(0.03)
    if cold:
        phone.L(SYSTEM_SERVER, SYSTEM_SERVER + 28, 'I', 'ActivityManager', f'Start proc {pid}:{pkg}/u0a{uid - 10000} for activity {{{cmp}}}')
        phone.L(SYSTEM_SERVER, SYSTEM_SERVER + 28, 'I', 'am_proc_start', f'[0,{pid},{uid},{pkg},activity,{{{cmp}}}]')
    start = time.time()
    # MIUI's Timeline lines print uptime in ms.
    phone.L(SYSTEM_SERVER, SYSTEM_SERVER + 17, 'I', 'Timeline', f'Timeline: Activity_launch_request time:{uptime_ms(start)}')
    ready = start + (displayed_ms - 21) / 1000
    phone.L(SYSTEM_SERVER, SYSTEM_SERVER + 17, 'I', 'Timeline', f'Timeline: App_transition_ready time:{uptime_ms(ready)}', ts=ready)
    phone.L(SYSTEM_SERVER, SYSTEM_SERVER + 14, 'I', 'ActivityTaskManager', f'Displayed {cmp}: +{displayed_ms}ms', ts=start + displayed_ms / 1000)


def go_home(phone):
    phone.L(SYSTEM_SERVER, SYSTEM_SERVER + 12, 'I', 'ActivityTaskManager',
            'START u0 {act=android.intent.action.MAIN cat=[android.intent.category.HOME] flg=0x10200000 cmp=com.miui.home/.launcher.Launcher (has extras)} from uid 1000')


def push_start(phone):
    phone.curl('https://resolver.msg.global.xiaomi.net/psc/?t=a', ua=DALVIK_UA)
    phone.background(phone.tls_channel, PUSH_FALLBACK, 443, b'\xc2\xfe\x00\x05' + os.urandom(180), None)


def connectivity_check(phone):
    t = time.time()
    phone.curl('http://connectivitycheck.gstatic.com/generate_204', ua='Dalvik/2.1.0 (Linux; U; Android 10; Redmi Note 8 MIUI/V12.0.3.0.QCOMIXM)')
    ms = int((time.time() - t) * 1000)
    phone.L(SYSTEM_SERVER, SYSTEM_SERVER + 71, 'D', 'NetworkMonitor/100',
            f'PROBE_HTTP http://connectivitycheck.gstatic.com/generate_204 time={ms}ms ret=204 headers={{null=[HTTP/1.1 204 No Content], Content-Length=[0]}}')


# ---- scenarios ---------------------------------------------------------------------------------

PRIVATE_URL = 'http://example.org/private-page'
SEARCH_TERM = 'hiv clinic anonymous test'
SEARCH_URL = 'https://www.google.com/search?q=' + urllib.parse.quote_plus(SEARCH_TERM)


def incognito_leak(phone):
    push_start(phone)
    connectivity_check(phone)
    time.sleep(1.5)
    app_launch(phone, 'com.mi.globalbrowser', 'com.android.browser.BrowserActivity', BROWSER, BROWSER_UID, 812)
    phone.curl('https://api.browser.intl.miui.com/bsr/api/v3/config?pkg=com.mi.globalbrowser&v=13.5.40', ua=OKHTTP_UA)
    phone.curl('https://app-measurement.com/a', body=os.urandom(412), ctype='application/x-www-form-urlencoded', ua=DALVIK_UA)
    time.sleep(2.5)
    # The user opens an incognito tab; tattle's live probe sees the browser's secure (FLAG_SECURE)
    # window in front (classify/incognito-probe.ts incognitoFromWindow).
    phone.probe('incognito-on pkg=com.mi.globalbrowser source=secure-window')
    time.sleep(2)
    visit = time.time()
    phone.curl(PRIVATE_URL, ua=BROWSER_UA, headers=('Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8', 'Accept-Language: ru-RU,ru;q=0.9,en-US;q=0.8'))
    phone.curl('http://example.org/favicon.ico', ua=BROWSER_UA, headers=('Accept: image/webp,image/apng,image/*,*/*;q=0.8',))
    time.sleep(1.2)
    done = time.time()
    phone.curl(SA_URL, body=sa_body([sa_event('page_load_event_start', {'url': PRIVATE_URL}, visit),
                                      sa_event('page_load_event_finish', {'url': PRIVATE_URL}, done)]), ua=DALVIK_UA)
    phone.curl(MISTAT_URL, body=mistat_body('2882303761517492012', '5601749255012', [
        {'category': 'browser', 'key': 'page_finish', 'type': 'count', 'value': 1, 'params': {'url': PRIVATE_URL, 'load_ms': int((done - visit) * 1000)}}]),
        ua=DALVIK_UA)
    phone.curl('https://app-measurement.com/a', body=os.urandom(536), ctype='application/x-www-form-urlencoded', ua=DALVIK_UA)
    phone.curl('https://graph.facebook.com/v12.0/1602183663354627/activities', ua='FBAndroidSDK.12.1.0',
               body=b'event=CUSTOM_APP_EVENTS&custom_events=' + os.urandom(300).hex().encode() + b'&advertiser_id=&anon_id=XZ' + os.urandom(16).hex().encode())
    firebase_upload(phone, BROWSER)
    time.sleep(2)
    # An incognito search (Google, over QUIC as Chromium-based browsers do).
    search = time.time()
    phone.quic('www.google.com', SEARCH_URL)
    time.sleep(0.8)
    phone.curl(SA_URL, body=sa_body([
        sa_event('search', {'used_searchengine': 'google', 'search_position': 'omnibox', 'search_method': 'input', 'search_word': SEARCH_TERM}, search),
        sa_event('page_load_event_finish', {'url': SEARCH_URL}, time.time())]), ua=DALVIK_UA)
    time.sleep(1.5)
    onetrack(phone, 'com.mi.globalbrowser')
    time.sleep(3)
    # The user closes the incognito tab: the browser's window in front is no longer secure.
    phone.probe('incognito-off pkg=com.mi.globalbrowser source=secure-window')
    time.sleep(1)
    go_home(phone)
    time.sleep(2)


NORMAL_URL = 'http://example.org/recipes/borscht'
FEED_URL = 'https://feed.browser.intl.miui.com/api/v2/feed/list?channel=recommend&region=RU'


def normal_browsing(phone):
    """incognito-leak's counterpart: the same phone and browser, a page visited in normal mode (no
    incognito tab, no search), the browser's news feed loaded (it is not loaded in incognito)."""
    push_start(phone)
    connectivity_check(phone)
    time.sleep(1.5)
    app_launch(phone, 'com.mi.globalbrowser', 'com.android.browser.BrowserActivity', BROWSER, BROWSER_UID, 798)
    phone.curl('https://api.browser.intl.miui.com/bsr/api/v3/config?pkg=com.mi.globalbrowser&v=13.5.40', ua=OKHTTP_UA)
    phone.curl('https://app-measurement.com/a', body=os.urandom(398), ctype='application/x-www-form-urlencoded', ua=DALVIK_UA)
    phone.curl(FEED_URL, ua=OKHTTP_UA)
    time.sleep(2.5)
    visit = time.time()
    phone.curl(NORMAL_URL, ua=BROWSER_UA, headers=('Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8', 'Accept-Language: ru-RU,ru;q=0.9,en-US;q=0.8'))
    phone.curl('http://example.org/favicon.ico', ua=BROWSER_UA, headers=('Accept: image/webp,image/apng,image/*,*/*;q=0.8',))
    time.sleep(1.2)
    done = time.time()
    phone.curl(SA_URL, body=sa_body([sa_event('page_load_event_start', {'url': NORMAL_URL}, visit),
                                      sa_event('page_load_event_finish', {'url': NORMAL_URL}, done)]), ua=DALVIK_UA)
    phone.curl(MISTAT_URL, body=mistat_body('2882303761517492012', '5601749255012', [
        {'category': 'browser', 'key': 'page_finish', 'type': 'count', 'value': 1, 'params': {'url': NORMAL_URL, 'load_ms': int((done - visit) * 1000)}}]),
        ua=DALVIK_UA)
    phone.curl('https://app-measurement.com/a', body=os.urandom(521), ctype='application/x-www-form-urlencoded', ua=DALVIK_UA)
    phone.curl('https://graph.facebook.com/v12.0/1602183663354627/activities', ua='FBAndroidSDK.12.1.0',
               body=b'event=CUSTOM_APP_EVENTS&custom_events=' + os.urandom(300).hex().encode() + b'&advertiser_id=&anon_id=XZ' + os.urandom(16).hex().encode())
    firebase_upload(phone, BROWSER)
    # The user reads the page (as long as the incognito run's search takes).
    time.sleep(4)
    onetrack(phone, 'com.mi.globalbrowser')
    time.sleep(3)
    go_home(phone)
    time.sleep(2)


def ordinary_day(phone):
    push_start(phone)
    connectivity_check(phone)
    phone.curl('https://android.googleapis.com/checkin', body=os.urandom(1200), ctype='application/x-protobuffer', ua=DALVIK_UA)
    phone.background(phone.tls_channel, 'mtalk.google.com', 5228, os.urandom(160), 'mtalk.google.com')
    time.sleep(2)
    app_launch(phone, 'com.miui.weather2', 'com.miui.weather2.ActivityWeatherMain', WEATHER, WEATHER_UID, 644)
    phone.curl('https://weatherapi.market.xiaomi.com/wtr-v3/weather/all?latitude=55.75&longitude=37.62&locale=ru_RU&appKey=weather20151024', ua=OKHTTP_UA)
    phone.curl('https://weatherapi.market.xiaomi.com/wtr-v3/location/city/geo?latitude=55.75&longitude=37.62&locale=ru_RU', ua=OKHTTP_UA)
    phone.curl('https://app-measurement.com/a', body=os.urandom(388), ctype='application/x-www-form-urlencoded', ua=DALVIK_UA)
    firebase_upload(phone, WEATHER)
    time.sleep(2)
    phone.quic('www.google.com', 'https://www.google.com/complete/search?q=weather+moscow&client=android')
    time.sleep(2)
    phone.L(SYSTEM_SERVER, SYSTEM_SERVER + 28, 'I', 'ActivityManager',
            f'Start proc {UPDATER}:com.android.updater/1000 for service {{com.android.updater/com.android.updater.UpdateService}}')
    phone.L(SYSTEM_SERVER, SYSTEM_SERVER + 28, 'I', 'am_proc_start', f'[0,{UPDATER},1000,com.android.updater,service,{{com.android.updater/com.android.updater.UpdateService}}]')
    phone.curl('https://update.intl.miui.com/updates/miota-2.php', body=b'q=' + os.urandom(240).hex().encode() + b'&s=1&t=', ua=OKHTTP_UA)
    time.sleep(2)
    phone.curl('https://data.mistat.intl.xiaomi.com/mistats/v2', body=mistat_body('2882303761517406040', '5411740684040', [
        {'category': 'systemui', 'key': 'notification_panel_expand', 'type': 'count', 'value': 2, 'params': {}}]), ua=DALVIK_UA)
    phone.curl('https://tracking.intl.miui.com/track/v4', body=os.urandom(544), ctype='application/octet-stream', ua=OKHTTP_UA,
               headers=('OT_SID: 4f2a9c1e7b30', 'OT_net: WIFI', 'OT_sender: com.miui.home', 'OT_protocol: 3.0'))
    time.sleep(2)
    phone.curl('https://play.googleapis.com/log/batch', body=os.urandom(900), ctype='application/x-protobuf', ua=DALVIK_UA)
    time.sleep(3)
    go_home(phone)
    phone.L(SYSTEM_SERVER, SYSTEM_SERVER + 55, 'I', 'ActivityManager', f'Killing {UPDATER}:com.android.updater/1000 (adj 999): empty #17')
    time.sleep(2)


SCENARIOS = {
    'incognito-leak': (incognito_leak, ('i.globalbrowser', BROWSER),
                       'A Redmi Note 8 (MIUI 12, Android 10) opens Mi Browser, switches to incognito, visits '
                       f'{PRIVATE_URL} and searches Google for "{SEARCH_TERM}"; the visited URL and the search then '
                       'leave the phone in Sensors Analytics and MiStat uploads, next to Firebase, Facebook and OneTrack uploads.'),
    'normal-browsing': (normal_browsing, ('i.globalbrowser', BROWSER),
                        'The incognito-leak phone (same serial, same identifiers) with Mi Browser in normal mode: it '
                        f'loads its news feed and visits {NORMAL_URL}; the URL leaves in Sensors Analytics and MiStat uploads '
                        'as in incognito, next to Firebase, Facebook and OneTrack uploads. No incognito tab, no search.'),
    'ordinary-day': (ordinary_day, ('com.miui.weather2'[-15:], WEATHER),
                     'The same kind of phone on an ordinary minute: push channels, the connectivity check, Google '
                     'check-in and logging, Mi Weather, a MIUI update check, MiStat and OneTrack over HTTPS. No incognito, no browsing.'),
}

READMES = {
    'incognito-leak': [
        'Incognito leak: Mi Browser in incognito visits http://example.org/private-page and searches Google; '
        'the URL goes out to sa.api.intl.miui.com (Sensors Analytics, base64+gzip) and data.mistat.intl.xiaomi.com (MiStat, AES with a key derivable from the same request).',
        '',
        'What to look for: the `tattle.probe incognito-on` log line (tattle\'s live probe saw Mi Browser\'s secure window in front), the HTTP GET of the private page, then the '
        'POSTs to sa.api.intl.miui.com and data.mistat.intl.xiaomi.com whose payloads decode to that URL '
        '(incognito-url-leak flags), and TLS uploads to app-measurement.com, graph.facebook.com and '
        'firebaselogging-pa.googleapis.com during incognito (incognito-tracker flags, encrypted: timing/size only). '
        'The QUIC connection to www.google.com is the search; its term is in the second Sensors Analytics upload. '
        'The TLS channel to 161.117.97.14:443 (no SNI) is the MiPush fallback address.',
        '',
        'How it was made: real traffic between two Linux network namespaces (a "phone" at 192.168.1.23 and an '
        '"internet" holding the public addresses in scripts/make-captures/hosts.tsv, with a DNS server at '
        '192.168.1.1), recorded with `tcpdump -i any` (SLL2) in the phone namespace; the logcat lines were written '
        'at the moments the clients acted. Rebuild with `sudo scripts/make-captures/build.sh`.',
        '',
        'Deliberate differences from a real phone, so the demo can be read without TLS keys: the Sensors Analytics '
        'upload goes over plain HTTP (real Mi Browser uses HTTPS for sa.api.intl.miui.com), MiStat v2 is plain HTTP '
        'as in old SDKs (1.9.16; international builds switch to HTTPS) and OneTrack /track/v4 is plain HTTP (real: '
        'HTTPS; its body is opaque either way). Addresses come from a fixed table chosen for their GeoIP/ASN (not '
        'measured resolutions), TLS servers use a self-signed certificate, and all identifiers are synthetic.',
    ],
    'normal-browsing': [
        'Normal browsing: the counterpart of incognito-leak for `tattle diff`: the same phone (serial a1b2c3d4, '
        'the same Android ID and Sensors Analytics ids) with Mi Browser in normal mode. It loads its news feed '
        f'(feed.browser.intl.miui.com, not loaded in incognito) and visits {NORMAL_URL}; no incognito tab, no search.',
        '',
        'What to look for: `tattle diff captures/normal-browsing captures/incognito-leak` shows feed.browser.intl.miui.com '
        'only in this run, www.google.com (the search) only in incognito, the search fields of the Sensors Analytics '
        'upload only in incognito, and the Android ID 6f1c0b3a9d2e4875 sent to sa.api.intl.miui.com in both runs.',
        '',
        'How it was made: as incognito-leak (scripts/make-captures/build.sh normal-browsing): real traffic between two '
        'Linux network namespaces, recorded with `tcpdump -i any` (SLL2) in the phone namespace; logcat lines written at '
        'the moments the clients acted. Plain HTTP where incognito-leak has it, for the same reason (readable without '
        'TLS keys); addresses from scripts/make-captures/hosts.tsv; identifiers are synthetic.',
    ],
    'ordinary-day': [
        'Ordinary day: the same kind of Xiaomi phone with no browsing and no incognito: push, connectivity check, '
        'Google check-in/logging, Mi Weather, a MIUI update check, MiStat and OneTrack uploads over HTTPS. No leak is expected.',
        '',
        'How it was made: real traffic between two Linux network namespaces (see scripts/make-captures/build.sh), '
        'recorded with `tcpdump -i any` (SLL2) in the phone namespace; logcat lines written at the moments the clients '
        'acted. Addresses come from the fixed table scripts/make-captures/hosts.tsv (chosen for their GeoIP/ASN, not '
        'measured), TLS servers use a self-signed certificate, identifiers are synthetic.',
    ],
}

SERIALS = {'incognito-leak': 'a1b2c3d4', 'normal-browsing': 'a1b2c3d4', 'ordinary-day': 'e5f6a7b8'}


def main():
    name, out = sys.argv[1], sys.argv[2]
    run, gc_tag, description = SCENARIOS[name]
    phone = Phone(seed=name)
    t0 = time.time()
    BOOT[0] = t0 - UPTIME_AT_START
    run(phone)
    phone.stop.set()
    t1 = time.time()
    phone.noise(t0, t1, extra_gc_tag=(gc_tag[1], gc_tag[0]))
    phone.write_log(os.path.join(out, 'logcat.txt'))
    meta = {
        'device': {'serial': SERIALS[name], 'model': MODEL, 'manufacturer': 'Xiaomi', 'android': ANDROID, 'timeZone': TIME_ZONE,
                   'build': f'{MIUI} ({BUILD_ID})'},
        'clockOffset': 0,
        'tool': {'name': 'tattle make-captures', 'version': '1', 'script': 'scripts/make-captures/build.sh'},
        'streams': {
            'pcap': 'tcpdump -i any -U -n -s 0 -w capture.pcap in the phone network namespace (LINUX_SLL2); real traffic to servers in a second namespace',
            'logcat': 'written by scripts/make-captures/scenario.py at the moments its clients acted, in adb logcat -v threadtime -v year -v zone shape (-b main,system,events)',
        },
        'description': description,
        'recorded': datetime.fromtimestamp(t0, ZoneInfo('UTC')).strftime('%Y-%m-%dT%H:%M:%SZ'),
    }
    with open(os.path.join(out, 'meta.json'), 'w', encoding='utf8') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')
    with open(os.path.join(out, 'README.md'), 'w', encoding='utf8') as f:
        f.write('\n'.join(READMES[name]) + '\n')


if __name__ == '__main__':
    main()
