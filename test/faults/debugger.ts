// Debugging for fault tests: DAP clients on `lspair dap py` (stdio) — the host's, which launches fixtures/dap/py's
// app.py stopped at a breakpoint in add(), and a guest's, which attaches from its mirror — and a lane of debug
// actions (stack traces, steps, continues) that waits for each to settle. A client learns that its session ended
// from `terminated` or from its `lspair dap` exiting; the lane then starts a new session (the host) or follows
// the new one (the guest).
import path from 'node:path';
import type { Random } from '../helpers/random.js';
import { Endpoint, type Event, type Response } from '../../src/dap/endpoint.js';
import type { StdioProcess } from '../../bench/lsp-session.js';
import type { Outcome } from './editor.js';
import { shim } from './procs.js';

const LIMITS = { maxMessage: 1 << 24, maxQueued: 1 << 24 };
const EVENT_WAIT_MS = 60_000;
/** The line of `total = a + b` in add(): hit four times per run. */
export const BREAKPOINT_LINE = 5;
const INITIALIZE = { adapterID: 'py', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true };

/** One DAP client over one `lspair dap` process. */
class DapClient {
  readonly events: Event[] = [];
  /** What its `lspair dap` said to the user on stderr. */
  readonly said: string[];
  readonly ended: Promise<void>;
  /** Set once its session was set up (launched and stopped, or attached). */
  ready = false;
  #closed = false;
  readonly #process: StdioProcess;
  readonly #endpoint: Endpoint;
  readonly #pending = new Map<number, (r: Response | null) => void>();
  #waiters: { name: string; resolve: (e: Event | null) => void }[] = [];

  constructor(dir: string, env: Record<string, string>) {
    ({ process: this.#process, said: this.said } = shim('dap', 'py', dir, env));
    this.#endpoint = new Endpoint(this.#process.child.stdout!, this.#process.child.stdin!, LIMITS);
    this.#endpoint.on('response', (r: Response) => {
      this.#pending.get(r.request_seq)?.(r);
      this.#pending.delete(r.request_seq);
    });
    this.#endpoint.on('event', (e: Event) => {
      this.events.push(e);
      this.#waiters = this.#waiters.filter((w) => (w.name === e.event ? (w.resolve(e), false) : true));
    });
    this.ended = new Promise((resolve) =>
      this.#endpoint.once('close', () => {
        this.#closed = true;
        for (const answer of this.#pending.values()) answer(null);
        this.#pending.clear();
        for (const w of this.#waiters) w.resolve(null);
        this.#waiters = [];
        resolve();
      }),
    );
  }

  get pid(): number | undefined {
    return this.#process.child.pid;
  }

  /** The client's session is over: it heard `terminated`, or its `lspair dap` is gone. */
  get over(): boolean {
    return this.#closed || this.events.some((e) => e.event === 'terminated');
  }

  /** The answer, or the error the client was given ('closed' when its `lspair dap` ended first). */
  async request(command: string, args: object = {}): Promise<Outcome> {
    if (this.#closed) return { error: 'closed: lspair dap is not running' };
    const r = await new Promise<Response | null>((resolve) => this.#pending.set(this.#endpoint.send({ type: 'request', command, arguments: args }), resolve));
    if (r === null) return { error: 'closed: lspair dap exited' };
    return r.success ? { ok: r.body ?? null } : { error: r.message ?? 'failed' };
  }

  /** The first event named `name` after the first `from` events; null when the client ends first. */
  event(name: string, from = 0): Promise<Event | null> {
    const seen = this.events.slice(from).find((e) => e.event === name);
    if (seen) return Promise.resolve(seen);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${name} event in ${EVENT_WAIT_MS} ms; got ${this.events.map((e) => e.event).join(', ')}`)), EVENT_WAIT_MS);
      this.#waiters.push({ name, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  /** Whichever of `names` comes first after `from` (null when the client ends first). */
  first(names: readonly string[], from: number): Promise<Event | null> {
    return Promise.race(names.map((n) => this.event(n, from)));
  }

  async stop(): Promise<void> {
    await this.#process.stop();
  }
}

type DebugAction = 'host stackTrace' | 'guest stackTrace' | 'next' | 'continue';
const ACTIONS: readonly DebugAction[] = ['host stackTrace', 'guest stackTrace', 'next', 'continue'];

export class Debugging {
  /** Debug sessions the host started, and each action's outcome. */
  sessions = 0;
  readonly outcomes: { action: string; client: 'host' | 'guest'; outcome: Outcome }[] = [];
  #host: DapClient | null = null;
  #guest: DapClient | null = null;
  #threadId = 0;
  #lane: Promise<void> = Promise.resolve();
  readonly #clients: DapClient[] = [];

  constructor(
    private readonly share: string,
    /** The guest's mirror while its daemon is joined, else null. */
    private readonly mirror: () => string | null,
    private readonly env: (who: 'host' | 'guest') => Record<string, string>,
    private readonly random: Random,
  ) {}

  /**
   * Queues one debug action, chosen now; it runs once the ones before it settled, on a session started or
   * followed again first if need be. A failure there (a fault cut it short) is an outcome like any other.
   */
  act(): Promise<void> {
    const action = this.random.pick(ACTIONS);
    const done = this.#lane.then(async () => {
      try {
        await this.#ensure();
      } catch (err) {
        return void this.outcomes.push({ action: 'set up', client: 'host', outcome: { error: (err as Error).message } });
      }
      await this.#run(action);
    });
    this.#lane = done.catch(() => undefined);
    return done;
  }

  /** After a fault: the host debugs (stopped at the breakpoint) and the guest, if joined, follows. Throws if not. */
  async ensure(): Promise<void> {
    const done = this.#lane.then(() => this.#ensure());
    this.#lane = done.catch(() => undefined);
    await done;
  }

  /** What the clients' `lspair dap` processes said to the user so far. */
  get said(): string[] {
    return this.#clients.flatMap((c) => c.said);
  }

  /** Whether a client's session is set up and not over. */
  live(who: 'host' | 'guest'): boolean {
    const c = who === 'host' ? this.#host : this.#guest;
    return c?.ready === true && !c.over;
  }

  /** For each client whose session is live now: whether it hears `terminated` (false: its `lspair dap` ended first). */
  ends(): { who: 'host' | 'guest'; heard: Promise<boolean> }[] {
    return (['host', 'guest'] as const).flatMap((who) => {
      const c = who === 'host' ? this.#host : this.#guest;
      return c?.ready && !c.over ? [{ who, heard: c.event('terminated').then((e) => e !== null) }] : [];
    });
  }

  async stop(): Promise<void> {
    await this.#lane;
    await this.#leave(this.#guest);
    await this.#leave(this.#host);
  }

  async #ensure(): Promise<void> {
    if (!this.#host?.ready || this.#host.over) await this.#start();
    const mirror = this.mirror();
    if (mirror !== null && (!this.#guest?.ready || this.#guest.over)) await this.#follow(mirror);
  }

  /** Ends a client as a DAP client does: disconnect (also after `terminated`), then its adapter process. */
  async #leave(c: DapClient | null): Promise<void> {
    if (!c) return;
    await c.request('disconnect', {});
    await c.stop();
  }

  async #start(): Promise<void> {
    await this.#leave(this.#host);
    const c = new DapClient(this.share, this.env('host'));
    this.#host = c;
    this.#clients.push(c);
    this.sessions++;
    const app = path.join(this.share, 'app.py');
    await this.#must(c.request('initialize', INITIALIZE), 'initialize');
    // debugpy answers launch after configurationDone; a refused launch is answered at once.
    const launched = c.request('launch', { program: app, console: 'internalConsole', cwd: this.share });
    const initialized = await Promise.race([c.event('initialized'), launched]);
    if (initialized === null || !('event' in initialized)) await this.#must(launched, 'launch');
    await this.#must(c.request('setBreakpoints', { source: { path: app }, breakpoints: [{ line: BREAKPOINT_LINE }] }), 'setBreakpoints');
    await this.#must(c.request('configurationDone'), 'configurationDone');
    await this.#must(launched, 'launch');
    const stopped = await c.event('stopped');
    if (!stopped) throw new Error("debugging: the host's session ended before it stopped at the breakpoint");
    this.#threadId = (stopped.body as { threadId: number }).threadId;
    c.ready = true;
  }

  async #follow(mirror: string): Promise<void> {
    await this.#leave(this.#guest);
    const c = new DapClient(mirror, this.env('guest'));
    this.#guest = c;
    this.#clients.push(c);
    await this.#must(c.request('initialize', INITIALIZE), 'guest initialize');
    await this.#must(c.request('attach', {}), 'attach');
    if (!(await c.event('initialized'))) throw new Error("debugging: the guest's client ended before it was initialized");
    await this.#must(c.request('configurationDone'), 'guest configurationDone');
    c.ready = true;
  }

  async #must(outcome: Promise<Outcome>, what: string): Promise<unknown> {
    const o = await outcome;
    if ('error' in o) throw new Error(`debugging: ${what} failed: ${o.error}`);
    return o.ok;
  }

  /** One action on a live session (none when the session is over: the next action starts one first). */
  async #run(action: DebugAction): Promise<void> {
    const client = action === 'guest stackTrace' ? 'guest' : 'host';
    const c = client === 'guest' ? this.#guest : this.#host;
    if (!c || c.over) return;
    const from = c.events.length;
    const command = action.endsWith('stackTrace') ? 'stackTrace' : action;
    const outcome = await c.request(command, { threadId: this.#threadId });
    this.outcomes.push({ action: command, client, outcome });
    // A step or continue settles when the program stops again or ends (or the session is cut).
    if (command !== 'stackTrace' && 'ok' in outcome) await c.first(['stopped', 'terminated'], from);
  }
}
