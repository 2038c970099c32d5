/**
 * A fake Android phone for tests and the demo: it speaks the adb *device* transport over TCP
 * (the one `adb connect HOST:PORT` uses) and serves getprop, date, logcat and tcpdump from a
 * recorded bundle, paced by the recorded timestamps. It can drop its connections on demand to
 * exercise reconnects, and hang (see {@link DeviceSim.hang}) to make the adb server list it
 * `offline`. No AUTH: like a debug build (ro.adb.secure=0), it answers CNXN with CNXN.
 *
 * Over 300 lines because the device's adb transport (CNXN, OPEN, WRTE, CLSE) and its stream table
 * are one state machine; its services live apart (sim-*.ts).
 */
import net from 'node:net';
import {readFileSync} from 'node:fs';
import {
	A_AUTH,
	A_CLSE,
	A_CNXN,
	A_OKAY,
	A_OPEN,
	A_VERSION,
	A_WRTE,
	MessageDecoder,
	encodeMessage,
	type AdbMessage,
} from './adb-wire.js';
import {parseLogFile, type SimLogLine} from './sim-logcat.js';
import {parseSimCapture, type SimCapture} from './sim-pcap.js';
import {runCommand, SimTimeline, type SimRootMode, type SimServiceConfig, type SimStreamIO} from './sim-services.js';
import type {SimWindow} from './sim-window.js';

/** Our maxdata: 256 KiB, what Android 7-8 adbd offers (Tango: "Android 7: 256K"). */
const SIM_MAX_PAYLOAD = 256 * 1024;
/** Payload limit before CNXN: adb's MAX_PAYLOAD_V1, since the peer's maxdata is not known yet. */
const PRE_CNXN_PAYLOAD = 4096;
/** Services remembered in `services`: enough for any test or demo session, bounded for a long one. */
const MAX_SERVICE_LOG = 1000;
/** Streams open at once on one connection; a real adbd has a similar small bound in practice. */
const MAX_STREAMS = 64;
/**
 * Bytes a hung connection holds unread: the host sends one CNXN (a few hundred bytes) and waits
 * for the answer, so 64 KiB is far more than it sends; past it the connection is closed.
 */
const MAX_HELD_BYTES = 64 * 1024;

const SIM_DEFAULT_PROPS: Readonly<Record<string, string>> = {
	'ro.product.manufacturer': 'Xiaomi',
	'ro.product.brand': 'Redmi',
	'ro.product.model': 'TattleSim',
	'ro.product.name': 'sim',
	'ro.product.device': 'sim',
	'ro.build.version.release': '14',
	'ro.build.version.sdk': '34',
	'ro.build.type': 'userdebug',
	'ro.debuggable': '1',
	'ro.serialno': 'TATTLESIM0001',
	'persist.sys.timezone': 'Europe/Paris',
};

export type DeviceSimOptions = {
	/** Recorded logcat text (any threadtime-family time format), or a path to read it from. */
	logcat?: string;
	logcatPath?: string;
	/** A classic pcap (paced) or pcapng (served whole), as bytes or a path. */
	pcap?: Uint8Array;
	pcapPath?: string;
	/** 1 = real time (default), 2 = twice as fast, 'max' = as fast as the host reads. */
	speed?: number | 'max';
	/** Phone clock minus host clock, seconds (default 0). */
	clockOffsetSec?: number;
	/** Shift recorded times so the bundle appears to happen now (default false: serve as recorded). */
	rebase?: boolean;
	/** getprop overrides. */
	props?: Record<string, string>;
	/** How tcpdump gets root (default 'adbd': adbd runs as root). */
	root?: SimRootMode;
	/** False: no tcpdump binary on the phone. */
	tcpdump?: boolean;
	/** Drop every connection this long after the first logcat/tcpdump stream opens (once). */
	dropAfterMs?: number;
	/** After `dropAfterMs`, refuse connections for this long (the cable stays unplugged). */
	dropDownMs?: number;
	/** The window in front for `dumpsys window` (default: the launcher); see {@link DeviceSim.setFocusedWindow}. */
	window?: SimWindow;
	/** Serve the capture this many times back to back, each lap later by the capture's span (a soak from a short capture). */
	captureLaps?: number;
	/** tcpdump sends each record this long after its time says (default 0): logcat runs ahead of the packets, as it can on a phone. */
	captureLagMs?: number;
};

/** One stream of a connection, with adb's flow control: one WRTE in flight until its OKAY. */
class SimStream implements SimStreamIO {
	private readonly abort = new AbortController();
	private ack: ((ok: boolean) => void) | undefined;
	private closed = false;
	private queue: Promise<boolean> = Promise.resolve(true);

	constructor(
		private readonly conn: SimConnection,
		readonly localId: number,
		readonly remoteId: number,
	) {}

	get signal(): AbortSignal {
		return this.abort.signal;
	}

	write(data: Uint8Array | string): Promise<boolean> {
		const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
		this.queue = this.queue.then((ok) => (ok ? this.send(bytes) : false));
		return this.queue;
	}

	private async send(bytes: Uint8Array): Promise<boolean> {
		for (let off = 0; off < bytes.length; off += this.conn.maxData) {
			if (this.closed) return false;
			const acked = new Promise<boolean>((resolve) => (this.ack = resolve));
			this.conn.send({command: A_WRTE, arg0: this.localId, arg1: this.remoteId, data: bytes.subarray(off, off + this.conn.maxData)});
			if (!(await acked)) return false;
		}
		return !this.closed;
	}

	acked(): void {
		const a = this.ack;
		this.ack = undefined;
		a?.(true);
	}

	/** We close: tell the host. */
	close(): void {
		if (this.closed) return;
		this.conn.send({command: A_CLSE, arg0: this.localId, arg1: this.remoteId, data: new Uint8Array(0)});
		this.finish();
	}

	/** The host closed (or the connection died): stop quietly. */
	finish(): void {
		this.closed = true;
		this.abort.abort();
		this.ack?.(false);
		this.ack = undefined;
		this.conn.streams.delete(this.localId);
	}
}

class SimConnection {
	readonly streams = new Map<number, SimStream>();
	maxData = PRE_CNXN_PAYLOAD;
	private readonly decoder = new MessageDecoder();
	private online = false;
	private nextId = 1;
	/** Bytes received while hung, read when the phone wakes (as adbd reads its socket's backlog). */
	private held: Buffer[] | undefined;
	private heldBytes = 0;

	constructor(
		private readonly socket: net.Socket,
		private readonly sim: DeviceSim,
		hung: boolean,
	) {
		if (hung) this.held = [];
		socket.setNoDelay(true);
		socket.on('data', (chunk: Buffer) => {
			if (!this.held) return this.receive(chunk);
			this.heldBytes += chunk.length;
			if (this.heldBytes > MAX_HELD_BYTES) return this.destroy();
			this.held.push(chunk);
		});
		socket.on('error', () => this.destroy());
		socket.on('close', () => this.destroy());
	}

	send(m: AdbMessage): void {
		if (!this.socket.destroyed) this.socket.write(encodeMessage(m));
	}

	/** Reads what arrived while hung, and answers from now on. */
	wake(): void {
		const held = this.held;
		this.held = undefined;
		for (const chunk of held ?? []) if (!this.socket.destroyed) this.receive(chunk);
	}

	destroy(): void {
		for (const s of [...this.streams.values()]) s.finish();
		this.socket.destroy();
		this.sim.forget(this);
	}

	private receive(chunk: Uint8Array): void {
		for (const m of this.decoder.push(chunk)) this.handle(m);
		if (this.decoder.error) this.destroy();
	}

	private handle(m: AdbMessage): void {
		switch (m.command) {
			case A_CNXN:
				this.maxData = Math.max(PRE_CNXN_PAYLOAD, Math.min(SIM_MAX_PAYLOAD, m.arg1 || PRE_CNXN_PAYLOAD));
				this.online = true;
				this.send({command: A_CNXN, arg0: A_VERSION, arg1: SIM_MAX_PAYLOAD, data: new TextEncoder().encode(this.sim.banner())});
				return;
			case A_AUTH:
				// We never ask for AUTH, so a host's AUTH reply has nothing to answer.
				return;
			case A_OPEN:
				this.open(m);
				return;
			case A_OKAY:
				this.streams.get(m.arg1)?.acked();
				return;
			case A_WRTE:
				// Input (stdin) is not used by any simulated command; acknowledge and drop it.
				if (this.streams.has(m.arg1)) this.send({command: A_OKAY, arg0: m.arg1, arg1: m.arg0, data: new Uint8Array(0)});
				return;
			case A_CLSE:
				this.streams.get(m.arg1)?.finish();
				return;
			default:
		}
	}

	private open(m: AdbMessage): void {
		const remoteId = m.arg0;
		const refuse = (): void => this.send({command: A_CLSE, arg0: 0, arg1: remoteId, data: new Uint8Array(0)});
		// arg1 != 0 asks for delayed ack, which we do not advertise; adbd answers such an OPEN with CLSE.
		if (!this.online || remoteId === 0 || m.arg1 !== 0 || this.streams.size >= MAX_STREAMS) return refuse();
		const service = new TextDecoder().decode(m.data).replace(/\0+$/, '');
		const command = /^(?:shell|exec):(.*)$/s.exec(service)?.[1];
		// An empty `shell:` is an interactive PTY shell: not simulated.
		if (command === undefined || command.trim() === '') return refuse();
		const stream = new SimStream(this, this.nextId++, remoteId);
		this.streams.set(stream.localId, stream);
		this.send({command: A_OKAY, arg0: stream.localId, arg1: remoteId, data: new Uint8Array(0)});
		this.sim.opened(service);
		void this.sim.serve(command, stream).finally(() => stream.close());
	}
}

/** The simulated phone: `await sim.listen()`, then `adb connect 127.0.0.1:<port>`. */
export class DeviceSim {
	/** Services opened, in order (for tests and the CLI's log). */
	readonly services: string[] = [];
	/** Capture records tcpdump handed to adb (`sent`) and that adb took (`acked`): what a run can have seen. */
	readonly served = {sent: 0, acked: 0};
	private server: net.Server | undefined;
	private readonly connections = new Set<SimConnection>();
	private readonly cfg: SimServiceConfig;
	private readonly timeline: SimTimeline;
	private downUntil = 0;
	private dropTimer: NodeJS.Timeout | undefined;
	private dropArmed: boolean;
	private hung = false;

	constructor(private readonly opts: DeviceSimOptions = {}) {
		const props = {...SIM_DEFAULT_PROPS, ...opts.props};
		const logText = opts.logcat ?? (opts.logcatPath ? readFileSync(opts.logcatPath, 'utf8') : '');
		const pcap = opts.pcap ?? (opts.pcapPath ? new Uint8Array(readFileSync(opts.pcapPath)) : undefined);
		const logLines: SimLogLine[] = parseLogFile(logText, new Date().getUTCFullYear(), props['persist.sys.timezone'] || 'UTC');
		const capture: SimCapture | undefined = pcap ? parseSimCapture(pcap) : undefined;
		this.cfg = {
			props,
			logLines,
			capture,
			speed: opts.speed ?? 1,
			clockOffsetSec: opts.clockOffsetSec ?? 0,
			rebase: opts.rebase ?? false,
			root: opts.root ?? 'adbd',
			tcpdump: opts.tcpdump ?? true,
			captureLaps: opts.captureLaps ?? 1,
			captureLagMs: opts.captureLagMs ?? 0,
			served: this.served,
		};
		if (opts.window) this.cfg.window = {...opts.window};
		this.timeline = new SimTimeline(this.cfg);
		this.dropArmed = opts.dropAfterMs !== undefined;
	}

	/** Starts listening; resolves with the port (0 picks a free one). */
	listen(port = 0, host = '127.0.0.1'): Promise<number> {
		const server = net.createServer((socket) => {
			if (Date.now() < this.downUntil) {
				socket.destroy();
				return;
			}
			this.connections.add(new SimConnection(socket, this, this.hung));
		});
		this.server = server;
		return new Promise((resolve, reject) => {
			server.once('error', reject);
			server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
		});
	}

	/** The CNXN banner: `device::` then the product properties and our features. */
	banner(): string {
		const p = this.cfg.props;
		// No shell_v2: clients then use raw `shell:`/`exec:`, which is all we serve. No delayed_ack: one WRTE in flight.
		return `device::ro.product.name=${p['ro.product.name']};ro.product.model=${p['ro.product.model']};ro.product.device=${p['ro.product.device']};features=cmd`;
	}

	/**
	 * Brings a window to the front (or the launcher, with undefined): the next `dumpsys window`
	 * shows it, so a test switches a browser's secure (incognito) window on and off over time.
	 */
	setFocusedWindow(window: SimWindow | undefined): void {
		this.cfg.window = window && {...window};
	}

	/** Number of open transport connections (normally 1: the adb server). */
	get connectionCount(): number {
		return this.connections.size;
	}

	/**
	 * Unplugs: closes every connection at once, mid-stream. With `downMs`, connections are
	 * refused for that long, as if the cable stayed out.
	 */
	drop(downMs = 0): void {
		this.downUntil = Date.now() + downMs;
		for (const c of [...this.connections]) c.destroy();
	}

	/**
	 * Unplugs in the middle of a capture record: tcpdump's next write carries half of its last
	 * record, then every connection closes as in {@link drop}.
	 */
	dropMidRecord(downMs = 0): void {
		this.cfg.tearNextWrite = () => this.drop(downMs);
	}

	/**
	 * Hangs, as a phone whose adbd wedged: the transport breaks, and the adb server's reconnection
	 * is accepted (the kernel does that) but never answered, so `adb devices` lists the device
	 * `offline` while its TCP connection stays up. (A connection that merely goes silent is not
	 * enough: adb 29 keeps calling it `device`, measured over 40 s.) Until {@link wake}.
	 */
	hang(): void {
		this.hung = true;
		for (const c of [...this.connections]) c.destroy();
	}

	/** Ends a hang: the held connections are read and answered, and the device comes back online. */
	wake(): void {
		this.hung = false;
		for (const c of [...this.connections]) c.wake();
	}

	/** Stops listening and closes every connection. */
	async close(): Promise<void> {
		clearTimeout(this.dropTimer);
		for (const c of [...this.connections]) c.destroy();
		const server = this.server;
		this.server = undefined;
		if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
	}

	/** @internal */
	forget(c: SimConnection): void {
		this.connections.delete(c);
	}

	/** @internal */
	opened(service: string): void {
		if (this.services.length < MAX_SERVICE_LOG) this.services.push(service);
		if (this.dropArmed && /^(?:shell|exec):.*\b(?:logcat|tcpdump)\b/.test(service)) {
			this.dropArmed = false;
			this.dropTimer = setTimeout(() => this.drop(this.opts.dropDownMs ?? 0), this.opts.dropAfterMs);
		}
	}

	/** @internal */
	async serve(command: string, io: SimStreamIO): Promise<void> {
		try {
			await runCommand(command, io, this.cfg, this.timeline);
		} catch {
			// A failing simulated command ends its stream; it must not take the simulator down.
		}
	}
}
