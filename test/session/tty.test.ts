// The host on a terminal (no --json): a guest's request is answered right there with y/N. The host runs under a
// real pseudo-terminal (util-linux `script`), so its stdin is a TTY exactly as when a person runs it.
import { spawn } from 'node:child_process';
import { quote } from 'shell-quote';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN } from '../helpers/cli.js';
import { world } from './world.js';

/** `lspair host` on a pseudo-terminal: what it has printed so far, typing into it, and its exit status. */
function hostOnTerminal(folder: string, env: Record<string, string>) {
  // `exec`: script runs the command with $SHELL -c, and a shell that stays as the parent (dash does) dies of the
  // Ctrl-C itself instead of letting the host's exit status through.
  const command = `exec ${quote([process.execPath, BIN, 'host', folder, '--anonymous', 'prompt'])}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...env, LSPAIR_LOG: 'warn' }, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  process.on('exit', () => child.kill('SIGKILL'));
  let screen = '';
  const waiters: { pattern: RegExp; from: number; resolve: (m: RegExpExecArray) => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const m = w.pattern.exec(screen.slice(w.from));
      if (!m) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  };
  child.stdout.on('data', (chunk: Buffer) => {
    screen += chunk.toString('utf8');
    check();
  });
  return {
    /** The first match of `pattern` in what was printed after offset `from`. */
    see(pattern: RegExp, from = 0): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the terminal never showed ${pattern}; it shows:\n${screen}`)), 15_000);
        waiters.push({ pattern, from, resolve: (m) => (clearTimeout(timer), resolve(m)) });
        check();
      });
    },
    get length(): number {
      return screen.length;
    },
    type: (keys: string) => child.stdin.write(keys),
    /** Its exit status (script -e passes the host's on); an error if it still runs 15 s after the call. */
    exit: () => new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the host is still running; the terminal shows:\n${screen}`)), 15_000);
      void exited.then((code) => (clearTimeout(timer), resolve(code)));
    }),
  };
}

const ASKED = (name: string): RegExp => new RegExp(`${name} \\((g\\d+), anonymous, [^)]+\\) asks to join\\. PIN (\\d{6})[^]*Let ${name} in as viewer\\? \\[y/N\\] `);

test('the host on a terminal: y lets one guest in, n turns the other away, Ctrl-C stops sharing', async () => {
  const w = world();
  const terminal = hostOnTerminal(w.folder, w.env('host'));
  const link = (await terminal.see(/lspair:\/\/\S+/))[0];

  const alice = w.join(link, 'alice');
  const { pin } = await alice.next('waiting');
  assert.is((await terminal.see(ASKED('alice')))[2], pin, 'the terminal shows the same PIN as the guest');
  let mark = terminal.length;
  terminal.type('y\r');
  assert.is((await alice.next('joined')).role, 'viewer');
  await terminal.see(/alice \(g\d+, anonymous, [^)]+\) joined as viewer\. PIN \d{6}\./, mark);

  mark = terminal.length;
  const bob = w.join(link, 'bob');
  await terminal.see(ASKED('bob'), mark);
  terminal.type('n\r');
  assert.is((await bob.next('error')).code, 'refused');
  assert.is(await bob.exited, 3);
  await terminal.see(/bob \(g\d+, anonymous, [^)]+\) was not let in/, mark);
  assert.equal((JSON.parse(w.status().stdout) as { guests: { name: string }[] }).guests.map((g) => g.name), ['alice']);

  terminal.type('\x03'); // Ctrl-C on the terminal: SIGINT to the host, which stops sharing
  assert.is(await terminal.exit(), 0);
  assert.is(await alice.exited, 0);
});

test('requests at the same time are asked one after the other; one settled with lspair guests withdraws its question', async () => {
  const w = world();
  const terminal = hostOnTerminal(w.folder, w.env('host'));
  const link = (await terminal.see(/lspair:\/\/\S+/))[0];
  const guests = { cara: w.join(link, 'cara'), dan: w.join(link, 'dan') };
  await Promise.all([guests.cara.next('waiting'), guests.dan.next('waiting')]);
  const first = (await terminal.see(/Let (cara|dan) in as viewer\? \[y\/N\] /))[1] as 'cara' | 'dan';
  const second = first === 'cara' ? 'dan' : 'cara';
  let mark = terminal.length;
  terminal.type('y\r');
  assert.is((await guests[first].next('joined')).role, 'viewer');
  await terminal.see(new RegExp(`Let ${second} in as viewer\\? \\[y/N\\] `), mark);
  terminal.type('n\r');
  assert.is((await guests[second].next('error')).code, 'refused');

  const erin = w.join(link, 'erin');
  const request = await terminal.see(ASKED('erin'));
  assert.is(w.guests('approve', request[1]!).code, 0);
  await erin.next('joined');
  mark = terminal.length;
  const fay = w.join(link, 'fay');
  await terminal.see(/Let fay in as viewer\? \[y\/N\] /, mark);
  terminal.type('y\r');
  assert.is((await fay.next('joined')).role, 'viewer');

  terminal.type('\x03');
  assert.is(await terminal.exit(), 0);
});

test.run();
