import {describe, expect, it} from 'vitest';
import {amStartFailure, listsPcapdroid, pcapdroidOptionsFor} from '../../source/sources/pcapdroid-control.js';

describe('PCAPdroid on the phone', () => {
	it('finds the package only as its own pm line', () => {
		expect(listsPcapdroid('package:com.emanuelef.remote_capture\n')).toBe(true);
		expect(listsPcapdroid('package:com.emanuelef.remote_capture\r\n')).toBe(true);
		expect(listsPcapdroid('')).toBe(false);
		// pm list packages FILTER matches substrings: a look-alike package is not PCAPdroid.
		expect(listsPcapdroid('package:com.emanuelef.remote_capture.debug\n')).toBe(false);
		expect(listsPcapdroid('/system/bin/sh: pm: inaccessible or not found\n')).toBe(false);
	});

	it('tells a failed am start from a good one', () => {
		expect(amStartFailure('Starting: Intent { cmp=com.emanuelef.remote_capture/.activities.CaptureCtrl (has extras) }\n')).toBeUndefined();
		expect(amStartFailure('Starting: Intent { ... }\nError type 3\nError: Activity class {x} does not exist.\n')).toBe('Error type 3');
		expect(amStartFailure('/system/bin/sh: am: inaccessible or not found\n')).toMatch(/not found/);
	});

	it('takes mode and port from a --pcap spec, else the TCP exporter over adb reverse', () => {
		expect(pcapdroidOptionsFor(undefined)).toEqual({mode: 'tcp'});
		expect(pcapdroidOptionsFor('adb')).toEqual({mode: 'tcp'});
		expect(pcapdroidOptionsFor('udp://0.0.0.0:5124')).toEqual({mode: 'udp', port: 5124});
		expect(pcapdroidOptionsFor('tcp-listen://127.0.0.1:7000')).toEqual({mode: 'tcp', port: 7000});
		expect(pcapdroidOptionsFor('http://127.0.0.1:8081/')).toEqual({mode: 'http', port: 8081});
	});
});
