// A packet capture on loopback for the wire tests (no tests here). dumpcap, the capture engine of Debian's tshark
// package (tshark itself runs it; started directly it is ready in a fraction of a second instead of seconds),
// records every TCP packet to or from the given ports into a pcap file; tshark reads the file back, and each TCP
// connection becomes its two byte streams, reassembled in sequence order with any gap counted.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

export interface Flow {
  /** tshark's index of the TCP connection. */
  readonly stream: number;
  readonly srcPort: number;
  readonly dstPort: number;
  /** The TCP payload sent from srcPort to dstPort, in sequence order. */
  readonly bytes: Buffer;
  /** Bytes missing from the sequence (segments the capture did not see). */
  readonly missing: number;
}

export interface CaptureFile {
  readonly packets: number;
  /** Every captured frame's length, headers included. */
  readonly frameBytes: number;
  readonly flows: readonly Flow[];
}

export class Capture {
  #stderr = '';

  private constructor(private readonly child: ChildProcess) {
    child.stderr!.on('data', (c) => (this.#stderr += c));
  }

  /** Starts capturing on `lo` the TCP packets of `ports` into `file`; resolves once the filter is in place. */
  static async start(ports: readonly number[], file: string): Promise<Capture> {
    const filter = ports.map((p) => `tcp port ${p}`).join(' or ');
    const capture = new Capture(spawn('dumpcap', ['-i', 'lo', '-f', filter, '-P', '-B', '64', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] }));
    await capture.#until(/Capturing on/, 'dumpcap did not start capturing');
    return capture;
  }

  /**
   * Resolves once the capture has counted a packet: dumpcap says "Capturing on" a moment before its filter records,
   * so `poke` (which sends packets its way) is repeated until one is counted.
   */
  async live(poke: () => Promise<void>): Promise<void> {
    for (let tries = 0; ; tries++) {
      await poke();
      try {
        return await this.#until(/Packets: [1-9]/, 'the capture counted no packet', 1000);
      } catch (error) {
        if (tries === 10) throw error;
      }
    }
  }

  /** Stops the capture, flushing the file; resolves with dumpcap's count of packets the kernel dropped. */
  async stop(): Promise<{ received: number; dropped: number }> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
    const m = /received\/dropped on interface '[^']*': (\d+)\/(\d+)/.exec(this.#stderr);
    if (!m) throw new Error(`dumpcap said nothing about drops: ${this.#stderr}`);
    return { received: Number(m[1]), dropped: Number(m[2]) };
  }

  async #until(pattern: RegExp, failure: string, ms = 10_000): Promise<void> {
    for (const start = Date.now(); !pattern.test(this.#stderr); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() - start > ms || this.child.exitCode !== null) throw new Error(`${failure}: ${this.#stderr}`);
    }
  }
}

const FIELDS = ['frame.len', 'tcp.stream', 'tcp.srcport', 'tcp.dstport', 'tcp.seq', 'tcp.payload'];

/** Reads a capture with tshark: packet and byte counts, and every TCP connection's two reassembled byte streams. */
export async function readCapture(file: string): Promise<CaptureFile> {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=\t', ...FIELDS.flatMap((f) => ['-e', f])];
  const { stdout } = await promisify(execFile)('tshark', args, { maxBuffer: 1 << 30, encoding: 'utf8' });
  const flows = new Map<string, { stream: number; srcPort: number; dstPort: number; chunks: Buffer[]; next: number | null; missing: number }>();
  let packets = 0;
  let frameBytes = 0;
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const [len, stream, src, dst, seq, payload] = line.split('\t') as [string, string, string, string, string, string];
    packets++;
    frameBytes += Number(len);
    if (!payload) continue;
    const key = `${stream}:${src}`;
    const flow = flows.get(key) ?? { stream: Number(stream), srcPort: Number(src), dstPort: Number(dst), chunks: [], next: null, missing: 0 };
    flows.set(key, flow);
    const bytes = Buffer.from(payload.replace(/:/g, ''), 'hex');
    const at = Number(seq);
    const expected = flow.next ?? at;
    if (at > expected) flow.missing += at - expected;
    const fresh = bytes.subarray(Math.max(0, expected - at)); // a retransmission repeats bytes already taken
    flow.chunks.push(fresh);
    flow.next = Math.max(expected, at + bytes.length);
  }
  return { packets, frameBytes, flows: [...flows.values()].map(({ stream, srcPort, dstPort, chunks, missing }) => ({ stream, srcPort, dstPort, bytes: Buffer.concat(chunks), missing })) };
}
