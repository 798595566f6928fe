// Shared test plumbing (no tests here): a fresh copy of the mirror fixture served by a real HostFiles, guests
// with permissions the test controls, in-memory stream pairs that record every byte the guest received, and
// what those bytes carried once decoded.
import { cpSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { EventEmitter, once } from 'node:events';
import path from 'node:path';
import { duplexPair, type Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';
import { HostFiles, type ExternalResolver, type FileGuest } from '../../src/fs/index.js';
import { Policy, watchPolicy, type PolicyWatcher } from '../../src/policy/index.js';
import { tmpdir } from '../helpers/tmp.js';

/** In every excluded file of the fixture, and nowhere else. */
export const CANARY = 'CANARY-excluded-9f3c2e71';
export const FIXTURE = fileURLToPath(new URL('../../fixtures/mirror', import.meta.url));

/** The fixture's files a guest sees, with their contents. */
export const VISIBLE = ['.gitignore', 'README.md', 'config/app.json', 'docs/guide.md', 'src/lib/util.ts', 'src/main.ts'];
export const HIDDEN = ['debug.log', 'vendor/dep/index.ts'];
export const EXCLUDED = ['.vsls.json', 'config/server.key', 'secrets/token.txt'];

/** A fresh copy of the fixture (tests change it). */
export function share(): string {
  const root = path.join(tmpdir('lspair-fs-'), 'share');
  cpSync(FIXTURE, root, { recursive: true });
  return root;
}

export interface Hosting {
  readonly root: string;
  readonly policy: Policy;
  readonly watcher: PolicyWatcher;
  readonly files: HostFiles;
  close(): Promise<void>;
}

/** A real file service on `root`, once its watcher reports changes. */
export async function hosting(root: string, externals?: ExternalResolver): Promise<Hosting> {
  const policy = new Policy(root);
  const watcher = watchPolicy(policy);
  await watcher.ready;
  const files = new HostFiles({ policy, watcher, externals });
  return {
    root: policy.root,
    policy,
    watcher,
    files,
    close: async () => {
      files.close();
      await watcher.close();
    },
  };
}

/** A guest whose permissions the test sets. */
export function guest(id = 'g1', write = false): FileGuest & { write: boolean } {
  return {
    id,
    name: `guest ${id}`,
    write,
    has(this: { write: boolean }, permission: string) {
      return permission === 'files.write' && this.write;
    },
  };
}

export interface GuestEnd {
  /** The guest's end of the stream. */
  readonly stream: Duplex;
  /** The host's end (destroying one end of an in-memory pair does not close the other). */
  readonly host: Duplex;
  /** Every byte the host sent it. */
  readonly received: Buffer[];
}

/** A stream pair whose host end `serve` takes (as HostSession would); the guest end records what arrives. */
export function streamTo(serve: (stream: Duplex) => void): GuestEnd {
  const [guestSide, hostSide] = duplexPair();
  const received: Buffer[] = [];
  guestSide.on('data', (chunk: Buffer) => received.push(Buffer.from(chunk)));
  serve(hostSide);
  return { stream: guestSide, host: hostSide, received };
}

/** A plain JSON-RPC client on a guest end (a guest that may send anything); `note` after each notification. */
export function client(end: GuestEnd): { rpc: MessageConnection; notes: { method: string; params: unknown }[]; events: EventEmitter } {
  const rpc = createMessageConnection(new StreamMessageReader(end.stream), new StreamMessageWriter(end.stream));
  const notes: { method: string; params: unknown }[] = [];
  const events = new EventEmitter();
  rpc.onNotification((method, params) => {
    notes.push({ method, params });
    events.emit('note');
  });
  rpc.listen();
  return { rpc, notes, events };
}

/** Everything the guest received, as text, and every `data` field in it decoded from base64. */
export function decoded(received: readonly Buffer[]): { raw: string; contents: string } {
  const raw = Buffer.concat(received).toString('utf8');
  const contents = [...raw.matchAll(/"data":"([A-Za-z0-9+/=]*)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8')).join('\n');
  return { raw, contents };
}

/** Every file (or link, not followed) under `dir`, relative and sorted, optionally leaving out a name. */
export function filesUnder(dir: string, skip?: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (name === skip) continue;
      if (lstatSync(path.join(dir, child)).isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk('');
  return out.sort();
}

export function read(dir: string, rel: string): string {
  return readFileSync(path.join(dir, rel), 'utf8');
}

/** Resolves once `check` holds, checking after each of `emitter`'s `event`s (no timing: the test times out). */
export async function until(emitter: NodeJS.EventEmitter, event: string, check: () => boolean): Promise<void> {
  while (!check()) await once(emitter, event);
}

/** Runs `change` on the host's disk and resolves once its watcher reported `paths` (the service saw them first). */
export async function onHost(h: Hosting, paths: string[], change: () => void): Promise<void> {
  const waiting = new Set(paths);
  let stop = (): void => undefined;
  const seen = new Promise<void>((resolve) => {
    stop = h.watcher.subscribe((event) => {
      waiting.delete(event.path);
      if (waiting.size === 0) resolve();
    });
  });
  change();
  await seen;
  stop();
}
