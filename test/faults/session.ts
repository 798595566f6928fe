// The session a fault test runs and breaks: `lspair relay` (started again on its port after a kill), `lspair host`
// registered with it only (so every guest byte crosses the relay) sharing fixtures/lsp-share plus
// fixtures/dap/py with typescript-language-server and debugpy, and one guest, `lspair join` through the relay
// with its mirror folder (started again with the same --dir after a kill).
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { quote } from 'shell-quote';
import { TS_SERVER } from '../../bench/lsp-session.js';
import { descendants, type Proc } from '../helpers/procs.js';
import { LspairProcess } from '../helpers/process.js';
import { relayProcess, world } from '../session/world.js';
import { REGION } from './editor.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
/** The file both editors type into, and the spot on `greet` they ask about. */
export const NOTES = 'src/notes.ts';
export const ON_GREET = { line: 2, character: 22 };
const NOTES_TEXT = `import { greet } from './greet';\n\nexport const note = greet('notes');\n${REGION}*/\n`;
export const ADAPTER = '/usr/bin/python3 -m debugpy.adapter';
/** Joins (and re-joins) may take a while on a loaded machine: the guest retries with backoff. */
const JOIN_WAIT_MS = 60_000;

export class FaultSession {
  relay!: LspairProcess;
  guest: LspairProcess | null = null;
  /** Every `lspair join` run so far, and the guest's id in the host's roster now. */
  joins = 0;
  guestId = '';
  readonly mirror: string;
  #port = 0;
  #role = false;

  private constructor(
    readonly w: ReturnType<typeof world>,
    readonly host: LspairProcess,
    readonly link: string,
  ) {
    this.mirror = path.join(w.root, 'mirror');
  }

  static async start(): Promise<FaultSession> {
    const w = world({ LSPAIR_LOG: 'info' });
    cpSync(path.join(FIXTURES, 'lsp-share'), w.folder, { recursive: true });
    cpSync(path.join(FIXTURES, 'dap/py'), w.folder, { recursive: true });
    writeFileSync(path.join(w.folder, '.vsls.json'), JSON.stringify({ gitignore: 'none', excludeFiles: ['secret/', 'private/'], hideFiles: ['generated/'] }));
    writeFileSync(path.join(w.folder, NOTES), NOTES_TEXT);
    const relay = await relayProcess();
    const { host, link } = await w.hosting('--relay', relay.url, '--anonymous', 'accept', '--server', `ts=${quote(TS_SERVER)}`, '--adapter', `py=${ADAPTER}`);
    const s = new FaultSession(w, host, link);
    s.relay = relay.relay;
    s.#port = Number(new URL(relay.url).port);
    return s;
  }

  get share(): string {
    return this.w.folder;
  }

  /** `lspair relay` again on the port of the link. */
  async restartRelay(): Promise<void> {
    this.relay = (await relayProcess(['--listen', `127.0.0.1:${this.#port}`])).relay;
  }

  /** `lspair join` with the mirror folder, until its mirror is synced; the first time, the host makes it an editor. */
  async join(): Promise<void> {
    const guest = new LspairProcess(['join', this.link, '--json', '--name', 'guest', '--dir', this.mirror], this.w.env('guest'));
    this.guest = guest;
    this.joins++;
    const joined = await guest.next('joined', JOIN_WAIT_MS);
    await guest.next('synced', JOIN_WAIT_MS);
    this.guestId = String(joined.guestId);
    if (this.#role) return;
    const r = this.w.guests('role', String(joined.guestId), 'editor');
    if (r.code !== 0) throw new Error(`lspair guests role failed: ${r.stderr}`);
    await guest.next('permissions');
    this.#role = true;
  }

  /** The guest daemon lost its connection and joined again: why it was lost, and the role it has now. */
  async reconnected(): Promise<{ reason: string; role: string }> {
    const lost = await this.guest!.next('reconnecting', JOIN_WAIT_MS);
    const joined = await this.guest!.next('joined', JOIN_WAIT_MS);
    await this.guest!.next('synced', JOIN_WAIT_MS);
    this.guestId = String(joined.guestId);
    return { reason: String(lost.reason), role: String(joined.role) };
  }

  /** Waits until the host reports that the guest, as it is known now, left. */
  async guestLeft(): Promise<void> {
    while (((await this.host.next('guest-left', JOIN_WAIT_MS)).guest as { id: string }).id !== this.guestId);
  }

  /** Lines of the host's log that match. */
  logged(pattern: RegExp): number {
    return this.host.stderr.split('\n').filter((line) => pattern.test(line)).length;
  }

  /** The newest tool the host runs whose command line holds `marker` (an old one may still be ending), and every process under it. */
  tool(marker: string): Proc[] {
    const roots = descendants(this.host.pid).filter((p) => p.command.includes(marker));
    if (roots.length === 0) return [];
    const root = roots.reduce((a, b) => (Number(b.start) > Number(a.start) ? b : a));
    return [root, ...descendants(root.pid)];
  }

  /** Stops everyone, the guest and the host first (the host stops its tools). */
  async stop(): Promise<void> {
    for (const p of [this.guest, this.host, this.relay]) {
      p?.kill();
      await p?.exited;
    }
  }
}
