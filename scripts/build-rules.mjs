// Seeds source/classify/rules/*.json from the research table (xiaomi-hosts.tsv) plus the hand-written
// rules below (research/xiaomi.md section 5 and common owners). The JSON files are the source of truth
// in the repo; re-run this only to re-import the table:  node scripts/build-rules.mjs [path/to/xiaomi-hosts.tsv]
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

// The table lives in the shared folder beside the clone (../shared, or TATTLE_SHARED), as for the tests.
const SHARED = process.env.TATTLE_SHARED ?? fileURLToPath(new URL('../../shared/', import.meta.url));
const TSV = process.argv[2] ?? path.join(SHARED, 'research', 'xiaomi-hosts.tsv');
const OUT = new URL('../source/classify/rules/', import.meta.url);
const TABLE = 'research/xiaomi-hosts.tsv';

// The table has categories we do not: map them, keep the original in the note.
const CATEGORY_MAP = {
	'ad-config': ['advertising', 'ad SDK configuration (table category: ad-config)'],
	location: ['other', 'location service (table category: location)'],
	'vendor-other': ['first-party', 'vendor catch-all, purpose not documented (table category: vendor-other)'],
};

const FAMILY_BY_OWNER = [
	[/^Xiaomi|Xiaomi TV partner/, 'xiaomi'],
	[/^Google/, 'google'],
	[/^Meta/, 'facebook'],
	[/^(AppsFlyer|Adjust|Branch)/, 'attribution'],
	[/^(Huawei|Honor)/, 'huawei'],
	[/^Samsung/, 'samsung'],
	[/^OPPO/, 'oppo'],
	[/^vivo/, 'vivo'],
	[/./, 'sdk-analytics'],
];

const TITLES = {
	xiaomi: 'Xiaomi / MIUI / HyperOS and Mi Browser',
	google: 'Google, Android platform, Chrome, Firebase',
	facebook: 'Meta (Facebook, Instagram, WhatsApp)',
	attribution: 'Mobile attribution SDKs (AppsFlyer, Adjust, Branch)',
	huawei: 'Huawei and Honor',
	samsung: 'Samsung',
	oppo: 'OPPO, realme, OnePlus (HeyTap / ColorOS)',
	vivo: 'vivo',
	'sdk-analytics': 'Third-party analytics, crash and push SDKs',
	common: 'Common infrastructure and big owners (so ordinary traffic is named)',
};

const OWNER_RULE = 'owner rule (domain registrant); category chosen by tattle, not taken from a list';
const CATCH_ALL = 'catch-all owner rule; category is a default, not a measurement';
const FCM = 'https://firebase.google.com/docs/cloud-messaging/network-configuration (FCM hostnames to open)';
const AOSP_NM = 'github:aosp-mirror/platform_frameworks_base services/core/java/com/android/server/connectivity/NetworkMonitor.java';
const CHROMIUM_METRICS = 'github:chromium/chromium components/metrics/url_constants.cc';
const LEITH = 'github:doug-leith/android-protobuf-decoding addon.py';
const MISTAT = 'research/xiaomi.md section 2.4 (decompiled MiStat SDK, public code search) [unverified but consistent]';
const ONETRACK = 'github:Little-W/miui-home-sourse smali_classes2/com/xiaomi/onetrack/util/x.smali';

const r = (pattern, owner, category, source, note, path) => ({pattern, owner, category, ...(path ? {path} : {}), ...(note ? {note} : {}), source});

const EXTRA = {
	xiaomi: [
		r('data.mistat.xiaomi.com', 'Xiaomi', 'crash-report', MISTAT, 'MiStat crash upload (device_uuid, Android version)', '/micrash'),
		r('data.mistat.intl.xiaomi.com', 'Xiaomi', 'crash-report', MISTAT, 'MiStat crash upload (international)', '/micrash'),
		r('data.mistat.xiaomi.com', 'Xiaomi', 'config', MISTAT, 'MiStat config fetch', '/getconfig'),
		r('data.mistat.intl.xiaomi.com', 'Xiaomi', 'config', MISTAT, 'MiStat config fetch (international)', '/get_all_config'),
		r('dev.mi.com', 'Xiaomi', 'analytics', MISTAT, 'MiStat dynamic event upload', '/mistats'),
		...['tracking.miui.com', 'tracking.intl.miui.com', 'tracking.rus.miui.com', 'tracking.india.miui.com'].flatMap(host => [
			r(host, 'Xiaomi', 'config', ONETRACK, 'OneTrack remote config', '/api/v4/detail/config'),
			r(host, 'Xiaomi', 'config', ONETRACK, 'OneTrack remote config', '/api/v4/detail/config_common'),
		]),
		r('connect.rom.miui.com', 'Xiaomi', 'other', 'github:mrzack99s/cocong vars/captive_portal.go (captive-portal probe URL list)', 'captive-portal probe', '/generate_204'),
		r('111.13.142.153', 'Xiaomi', 'push', 'research/xiaomi.md section 2.6 (decompiled MiPush SDK) [unverified]', 'hard-coded MiPush China fallback :443; hosting not verified'),
		r('111.202.1.252', 'Xiaomi', 'push', 'research/xiaomi.md section 2.6 (decompiled MiPush SDK) [unverified]', 'hard-coded MiPush China fallback :443; hosting not verified'),
		r('111.202.1.250', 'Xiaomi', 'push', 'research/xiaomi.md section 2.6 (decompiled MiPush SDK) [unverified]', 'hard-coded MiPush China fallback :443; hosting not verified'),
		r('123.125.102.213', 'Xiaomi', 'push', 'research/xiaomi.md section 2.6 (decompiled MiPush SDK) [unverified]', 'hard-coded MiPush China fallback :443; hosting not verified'),
	],
	google: [
		r('clients4.google.com', 'Google', 'analytics', CHROMIUM_METRICS, 'Chrome UMA (legacy/desktop)', '/uma/v2'),
		r('clients4.google.com', 'Google', 'browsing-data', CHROMIUM_METRICS, 'Chrome UKM: URL-keyed metrics', '/ukm'),
		r('clientservices.googleapis.com', 'Google', 'config', CHROMIUM_METRICS, 'Chrome variations seed', '/chrome-variations'),
		r('play.googleapis.com', 'Google', 'analytics', LEITH, 'Google Play services Clearcut log batch', '/log'),
		r('play.googleapis.com', 'Google', 'analytics', LEITH, 'Google Play services Clearcut log batch', '/vn/log'),
		r('android.clients.google.com', 'Google', 'config', LEITH, 'Android checkin', '/checkin'),
		r('android.googleapis.com', 'Google', 'config', LEITH, 'Android checkin', '/checkin'),
		r('android.googleapis.com', 'Google', 'account', LEITH, 'Google account token exchange', '/auth'),
		r('app-measurement.com', 'Google', 'analytics', LEITH, 'Firebase Analytics upload', '/a'),
		r('*.app-measurement.com', 'Google', 'analytics', 'owner rule; see app-measurement.com (Firebase Analytics)', CATCH_ALL),
		r('*.crashlytics.com', 'Google', 'crash-report', 'owner rule; see e.crashlytics.com / reports.crashlytics.com (Perflyst/PiHoleBlocklist android-tracking.txt)', CATCH_ALL),
		r('*.google-analytics.com', 'Google', 'analytics', 'owner rule; see www.google-analytics.com (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.googleadservices.com', 'Google', 'advertising', 'owner rule; see www.googleadservices.com (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.googletagmanager.com', 'Google', 'analytics', OWNER_RULE, 'Google Tag Manager'),
		r('*.googletagservices.com', 'Google', 'advertising', OWNER_RULE, 'Google ad tag serving'),
		r('fcm.googleapis.com', 'Google', 'push', FCM, 'Firebase Cloud Messaging'),
		r('iid.googleapis.com', 'Google', 'push', FCM, 'FCM instance ID / topic subscription'),
		r('mtalk.google.com', 'Google', 'push', FCM, 'FCM persistent connection (ports 5228-5230, 443)'),
		r('mtalk4.google.com', 'Google', 'push', FCM, 'FCM persistent connection'),
		...[1, 2, 3, 4, 5, 6, 7, 8].map(n => r(`alt${n}-mtalk.google.com`, 'Google', 'push', FCM, 'FCM persistent connection')),
		r('android.apis.google.com', 'Google', 'push', FCM, 'FCM'),
		r('device-provisioning.googleapis.com', 'Google', 'config', FCM, 'device provisioning (listed for FCM)'),
		r('accounts.google.com', 'Google', 'account', FCM, 'Google sign-in'),
		r('connectivitycheck.gstatic.com', 'Google', 'other', AOSP_NM, 'captive-portal probe (generate_204)'),
		r('connectivitycheck.android.com', 'Google', 'other', AOSP_NM, 'captive-portal probe (generate_204)'),
		r('www.gstatic.com', 'Google', 'other', AOSP_NM, 'captive-portal probe', '/generate_204'),
		r('clients3.google.com', 'Google', 'other', AOSP_NM, 'captive-portal probe', '/generate_204'),
		r('www.google.com', 'Google', 'other', AOSP_NM, 'captive-portal probe', '/gen_204'),
		r('www.google.com', 'Google', 'browsing-data', 'Chrome/Android search suggestion endpoint (typed text is sent as q=)', 'search suggestions: carries what the user types', '/complete/search'),
		r('time.android.com', 'Google', 'other', 'github:aosp-mirror/platform_frameworks_base core/res/res/values/config.xml (config_ntpServer)', 'NTP time'),
		r('safebrowsing.googleapis.com', 'Google', 'security-scan', 'https://developers.google.com/safe-browsing', 'Safe Browsing hash-prefix look-ups'),
		r('update.googleapis.com', 'Google', 'update', 'github:chromium/chromium components/update_client (Omaha update checks)', 'Chrome / component updater'),
		r('content-autofill.googleapis.com', 'Google', 'browser-service', 'github:chromium/chromium components/autofill (autofill crowdsourcing server)', 'form signatures for autofill'),
		r('datasaver.googleapis.com', 'Google', 'browser-service', OWNER_RULE, 'Chrome Data Saver / Lite mode'),
		r('*.googlezip.net', 'Google', 'browser-service', OWNER_RULE, 'Chrome Data Saver proxy: proxied page loads pass through it'),
		r('semanticlocation-pa.googleapis.com', 'Google', 'other', OWNER_RULE, 'location history service'),
		r('beacons.gvt2.com', 'Google', 'analytics', 'github:chromium/chromium components/domain_reliability', 'Chrome Domain Reliability network-error beacons'),
		r('*.beacons.gvt2.com', 'Google', 'analytics', 'github:chromium/chromium components/domain_reliability', 'Chrome Domain Reliability network-error beacons'),
		r('*.nel.goog', 'Google', 'analytics', OWNER_RULE, 'Network Error Logging reports'),
		r('dns.google', 'Google', 'other', 'https://developers.google.com/speed/public-dns/docs/dns-over-tls', 'Google Public DNS (DoT/DoH)'),
		r('play.google.com', 'Google', 'app-store', OWNER_RULE, 'Google Play'),
		r('play-fe.googleapis.com', 'Google', 'app-store', OWNER_RULE, 'Google Play front end'),
		r('android.clients.google.com', 'Google', 'app-store', 'github:NoMore201/googleplay-api (Play Store API base /fdfe)', 'Play Store API', '/fdfe'),
		r('*.gvt1.com', 'Google', 'update', OWNER_RULE, 'Google download CDN (Chrome, Play, component updates)'),
		r('*.google.com', 'Google', 'content', OWNER_RULE, CATCH_ALL),
		r('*.googleapis.com', 'Google', 'first-party', OWNER_RULE, 'Google APIs catch-all (Android platform services); ' + CATCH_ALL),
		r('*.android.com', 'Google', 'first-party', OWNER_RULE, CATCH_ALL),
		r('*.gstatic.com', 'Google', 'content', OWNER_RULE, 'Google static content; ' + CATCH_ALL),
		r('*.googleusercontent.com', 'Google', 'content', OWNER_RULE, CATCH_ALL),
		r('*.ggpht.com', 'Google', 'content', OWNER_RULE, CATCH_ALL),
		r('*.gvt2.com', 'Google', 'content', OWNER_RULE, CATCH_ALL),
		r('*.youtube.com', 'Google', 'content', OWNER_RULE, 'YouTube'),
		r('*.googlevideo.com', 'Google', 'content', OWNER_RULE, 'YouTube video'),
		r('*.ytimg.com', 'Google', 'content', OWNER_RULE, 'YouTube images'),
		r('youtubei.googleapis.com', 'Google', 'content', OWNER_RULE, 'YouTube app API'),
		r('*.firebaseio.com', 'Google', 'cloud', OWNER_RULE, 'Firebase Realtime Database (the app developer\'s data)'),
	],
	facebook: [
		r('*.facebook.com', 'Meta (Facebook)', 'content', OWNER_RULE, CATCH_ALL),
		r('*.fbcdn.net', 'Meta (Facebook)', 'content', OWNER_RULE, 'Facebook CDN'),
		r('*.facebook.net', 'Meta (Facebook)', 'advertising', 'owner rule; see connect.facebook.net (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.instagram.com', 'Meta (Facebook)', 'content', OWNER_RULE, 'Instagram'),
		r('*.cdninstagram.com', 'Meta (Facebook)', 'content', OWNER_RULE, 'Instagram CDN'),
		r('*.whatsapp.net', 'Meta (Facebook)', 'content', OWNER_RULE, 'WhatsApp messaging'),
		r('*.whatsapp.com', 'Meta (Facebook)', 'content', OWNER_RULE, 'WhatsApp'),
	],
	attribution: [
		r('*.branch.io', 'Branch Metrics', 'attribution', 'owner rule; see api.branch.io (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.app.link', 'Branch Metrics', 'attribution', OWNER_RULE, 'Branch deep links'),
		r('*.adjust.net.in', 'Adjust', 'attribution', 'owner rule; see github:adjust/android_sdk UrlStrategy.java', CATCH_ALL),
		r('*.adjust.world', 'Adjust', 'attribution', 'owner rule; see github:adjust/android_sdk UrlStrategy.java', CATCH_ALL),
	],
	'sdk-analytics': [
		r('*.umeng.com', 'Alibaba (Umeng)', 'analytics', 'owner rule; see alog.umeng.com (Perflyst/PiHoleBlocklist android-tracking.txt)', CATCH_ALL),
		r('*.umengcloud.com', 'Alibaba (Umeng)', 'analytics', 'owner rule; see alog.umengcloud.com (Perflyst/PiHoleBlocklist android-tracking.txt)', CATCH_ALL),
		r('*.mixpanel.com', 'Mixpanel', 'analytics', 'owner rule; see api.mixpanel.com (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.amplitude.com', 'Amplitude', 'analytics', 'owner rule; see api.amplitude.com (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.segment.io', 'Segment', 'analytics', 'owner rule; see api.segment.io (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.onesignal.com', 'OneSignal', 'push', 'owner rule; see api.onesignal.com (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.sentry.io', 'Sentry', 'crash-report', 'owner rule; see ingest.sentry.io (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.bugsnag.com', 'Bugsnag', 'crash-report', 'owner rule; see notify.bugsnag.com (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.flurry.com', 'Yahoo (Flurry)', 'analytics', 'owner rule; see data.flurry.com (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.appmetrica.yandex.net', 'Yandex', 'analytics', 'owner rule; see appmetrica.yandex.net (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
		r('*.appcenter.ms', 'Microsoft (App Center)', 'analytics', 'owner rule; see in.appcenter.ms (duckduckgo/tracker-blocklists app/android-tds.json)', CATCH_ALL),
	],
	huawei: [
		r('*.hicloud.com', 'Huawei', 'first-party', OWNER_RULE, CATCH_ALL),
		r('*.dbankcloud.com', 'Huawei', 'first-party', OWNER_RULE, CATCH_ALL),
		r('*.dbankcloud.cn', 'Huawei', 'first-party', OWNER_RULE, CATCH_ALL),
		r('*.huawei.com', 'Huawei', 'first-party', OWNER_RULE, CATCH_ALL),
		r('*.hihonorcloud.com', 'Honor', 'first-party', OWNER_RULE, CATCH_ALL),
	],
	samsung: [
		r('dls-account.di.atlas.samsung.com', 'Samsung', 'analytics', 'research/xiaomi.md section 5 (hagezi/dns-blocklists hosts/native.samsung.txt)'),
		r('*.samsung.com', 'Samsung', 'first-party', OWNER_RULE, CATCH_ALL),
		r('*.samsungcloud.com', 'Samsung', 'cloud', OWNER_RULE, 'Samsung Cloud'),
		r('*.samsungapps.com', 'Samsung', 'app-store', OWNER_RULE, 'Galaxy Store'),
		r('*.samsungdm.com', 'Samsung', 'first-party', OWNER_RULE, 'device management; ' + CATCH_ALL),
	],
	oppo: [
		...['heytapmobi.com', 'heytapmobile.com', 'oppomobile.com', 'coloros.com', 'allawnos.com', 'oppo.com', 'realme.com', 'oneplus.com'].map(d =>
			r(`*.${d}`, 'OPPO/realme/OnePlus (HeyTap)', 'first-party', OWNER_RULE, CATCH_ALL),
		),
	],
	vivo: [
		r('*.vivo.com', 'vivo', 'first-party', OWNER_RULE, CATCH_ALL),
		r('*.vivo.com.cn', 'vivo', 'first-party', OWNER_RULE, CATCH_ALL),
	],
	common: [
		r('*.in-addr.arpa', undefined, 'other', 'RFC 1035 section 3.5 (IPv4 reverse mapping)', 'reverse DNS look-up'),
		r('*.ip6.arpa', undefined, 'other', 'RFC 3596 section 2.5 (IPv6 reverse mapping)', 'reverse DNS look-up'),
		r('*.ntp.org', 'NTP Pool Project', 'other', OWNER_RULE, 'network time'),
		r('*.cloudflare.com', 'Cloudflare', 'content', OWNER_RULE, CATCH_ALL),
		r('cloudflare-dns.com', 'Cloudflare', 'other', 'https://developers.cloudflare.com/1.1.1.1/encryption/', 'Cloudflare DNS over HTTPS/TLS'),
		r('one.one.one.one', 'Cloudflare', 'other', 'https://developers.cloudflare.com/1.1.1.1/encryption/', 'Cloudflare DNS over TLS'),
		r('cloudflare-ech.com', 'Cloudflare', 'content', 'https://blog.cloudflare.com/announcing-encrypted-client-hello/', 'public name of TLS Encrypted Client Hello: the real site is hidden'),
		r('*.cloudflare.net', 'Cloudflare', 'content', OWNER_RULE, CATCH_ALL),
		...['akamai.net', 'akamaihd.net', 'akamaized.net', 'akamaiedge.net', 'edgesuite.net', 'edgekey.net', 'akadns.net'].map(d =>
			r(`*.${d}`, 'Akamai', 'content', OWNER_RULE, 'CDN: the customer is not known from the name'),
		),
		r('*.amazonaws.com', 'Amazon (AWS)', 'cloud', OWNER_RULE, 'AWS hosting: the customer is not known from the name'),
		r('mobileanalytics.us-east-1.amazonaws.com', 'Amazon (AWS)', 'analytics', OWNER_RULE, 'AWS Mobile Analytics (Amplify/Pinpoint) event upload'),
		r('*.cloudfront.net', 'Amazon (AWS)', 'content', OWNER_RULE, 'CDN: the customer is not known from the name'),
		r('*.amazon.com', 'Amazon', 'content', OWNER_RULE, CATCH_ALL),
		r('*.media-amazon.com', 'Amazon', 'content', OWNER_RULE, CATCH_ALL),
		r('*.ssl-images-amazon.com', 'Amazon', 'content', OWNER_RULE, CATCH_ALL),
		r('*.amazon-adsystem.com', 'Amazon', 'advertising', OWNER_RULE, 'Amazon advertising'),
		r('*.apple.com', 'Apple', 'content', OWNER_RULE, CATCH_ALL),
		r('*.icloud.com', 'Apple', 'cloud', OWNER_RULE, 'iCloud'),
		r('*.mzstatic.com', 'Apple', 'content', OWNER_RULE, CATCH_ALL),
		r('*.microsoft.com', 'Microsoft', 'content', OWNER_RULE, CATCH_ALL),
		r('*.live.com', 'Microsoft', 'account', OWNER_RULE, 'Microsoft account / Outlook'),
		r('*.office.com', 'Microsoft', 'content', OWNER_RULE, CATCH_ALL),
		r('*.skype.com', 'Microsoft', 'content', OWNER_RULE, CATCH_ALL),
		r('*.windows.net', 'Microsoft', 'cloud', OWNER_RULE, 'Azure hosting: the customer is not known from the name'),
		r('*.msftconnecttest.com', 'Microsoft', 'other', 'github:mrzack99s/cocong vars/captive_portal.go (captive-portal probe URL list)', 'captive-portal probe'),
		r('*.fastly.net', 'Fastly', 'content', OWNER_RULE, 'CDN: the customer is not known from the name'),
		r('*.kakao.com', 'Kakao', 'content', OWNER_RULE, CATCH_ALL),
		r('*.webex.com', 'Cisco (Webex)', 'content', OWNER_RULE, CATCH_ALL),
	],
};

const rows = readFileSync(TSV, 'utf8').split('\n').filter(line => line.trim() !== '').slice(1);
const families = Object.fromEntries(Object.keys(TITLES).map(name => [name, []]));
for (const line of rows) {
	const [pattern, owner, category, source] = line.split('\t');
	const family = FAMILY_BY_OWNER.find(([re]) => re.test(owner))[1];
	const [ours, note] = CATEGORY_MAP[category] ?? [category, undefined];
	const unverified = !source.includes('[unverified]') ? undefined : source.includes(' ; ') ? 'one of the sources is unverified' : 'unverified: single weak source';
	families[family].push(r(pattern, owner, ours, `${source} (via ${TABLE})`, [note, unverified].filter(Boolean).join('; ') || undefined));
}
for (const [family, extra] of Object.entries(EXTRA)) families[family].push(...extra);

for (const [name, rules] of Object.entries(families)) {
	const clean = rules.map(rule => Object.fromEntries(Object.entries(rule).filter(([, v]) => v !== undefined)));
	writeFileSync(new URL(`${name}.json`, OUT), JSON.stringify({name: TITLES[name], rules: clean}, null, '\t') + '\n');
	console.log(`${name}.json: ${clean.length} rules`);
}
