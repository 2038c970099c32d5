import {execFileSync} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import {
	pcapdroidPlan,
	pcapdroidStartArgs,
	pcapdroidStartCommand,
	pcapdroidStartExtras,
	pcapdroidStatusCommand,
	pcapdroidStopCommand,
	shellJoin,
} from '../../source/sources/pcapdroid-api.js';

const COMPONENT = 'com.emanuelef.remote_capture/.activities.CaptureCtrl';

describe('PCAPdroid capture API commands', () => {
	it('starts the UDP exporter as docs/app_api.md shows, with extensions on', () => {
		expect(pcapdroidStartCommand({mode: 'udp', collectorHost: '127.0.0.1', port: 5123, appFilter: ['org.mozilla.firefox']})).toBe(
			'am start -e action start -e pcap_dump_mode udp_exporter -e collector_ip_address 127.0.0.1 -e collector_port 5123 ' +
				'-e app_filter org.mozilla.firefox -e dump_extensions true -e pcapdroid_trailer true -n ' +
				COMPONENT,
		);
	});

	it('tcp exporter and http server modes use their own extras', () => {
		const tcp = Object.fromEntries(pcapdroidStartExtras({mode: 'tcp', port: 1234, pcapng: true, snaplen: 1500, apiKey: 'k3y-ABC'}));
		expect(tcp).toMatchObject({action: 'start', pcap_dump_mode: 'tcp_exporter', collector_ip_address: '127.0.0.1', collector_port: '1234', pcapng_format: 'true', snaplen: '1500', api_key: 'k3y-ABC'});
		const http = Object.fromEntries(pcapdroidStartExtras({mode: 'http', extensions: false}));
		expect(http).toMatchObject({pcap_dump_mode: 'http_server', http_server_port: '8080', dump_extensions: 'false'});
		expect(http).not.toHaveProperty('collector_ip_address');
	});

	it('every extra is a -e string pair and the component comes last', () => {
		const argv = pcapdroidStartArgs({mode: 'udp', appFilter: ['a.b', 'c.d']});
		expect(argv.slice(0, 2)).toEqual(['am', 'start']);
		expect(argv.slice(-2)).toEqual(['-n', COMPONENT]);
		const middle = argv.slice(2, -2);
		for (let i = 0; i < middle.length; i += 3) expect(middle[i]).toBe('-e');
		expect(argv).toContain('a.b,c.d');
	});

	it('stop and status', () => {
		expect(pcapdroidStopCommand()).toBe(`am start -e action stop -n ${COMPONENT}`);
		expect(pcapdroidStopCommand('abc')).toBe(`am start -e action stop -e api_key abc -n ${COMPONENT}`);
		expect(pcapdroidStatusCommand()).toBe(`am start -e action get_status -n ${COMPONENT}`);
	});

	it('refuses values that are not what they claim (no shell injection through options)', () => {
		expect(() => pcapdroidStartCommand({mode: 'udp', collectorHost: '1.2.3.4; reboot'})).toThrow(/IP address/);
		expect(() => pcapdroidStartCommand({mode: 'udp', collectorHost: 'phone.local'})).toThrow(/IP address/);
		expect(() => pcapdroidStartCommand({mode: 'udp', appFilter: ['org.x;rm -rf /']})).toThrow(/package/);
		expect(() => pcapdroidStartCommand({mode: 'tcp', port: 70000})).toThrow(/port/);
		expect(() => pcapdroidStartCommand({mode: 'tcp', snaplen: 0})).toThrow(/snaplen/);
		expect(() => pcapdroidStopCommand("x'y")).toThrow(/api_key/);
		expect(pcapdroidStartCommand({mode: 'udp', collectorHost: '::1'})).toContain('collector_ip_address ::1');
	});

	it('plans: tcp over adb reverse, http over adb forward, udp needs the LAN', () => {
		expect(pcapdroidPlan({mode: 'tcp', port: 5123})).toMatchObject({adb: ['reverse', 'tcp:5123', 'tcp:5123'], source: 'tcp-listen://127.0.0.1:5123'});
		expect(pcapdroidPlan({mode: 'http'})).toMatchObject({adb: ['forward', 'tcp:8080', 'tcp:8080'], source: 'http://127.0.0.1:8080/'});
		const udp = pcapdroidPlan({mode: 'udp'});
		expect(udp.adb).toBeUndefined();
		expect(udp.source).toBe('udp://0.0.0.0:5123');
		expect(udp.note).toMatch(/LAN/);
		expect(pcapdroidPlan({mode: 'udp', collectorHost: '192.168.1.20'}).note).toBeUndefined();
	});

	it('shellJoin quotes so that sh gives back the same words', () => {
		const words = ['am', 'start', '-e', 'x', "it's a test", '$HOME', 'a,b', ''];
		const out = execFileSync('sh', ['-c', `printf '%s\\n' ${shellJoin(words)}`], {encoding: 'utf8'});
		expect(out.split('\n').slice(0, -1)).toEqual(words);
	});
});
