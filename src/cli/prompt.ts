// Guest requests answered in the host's terminal with y/N. One question is open at a time (readline keeps only
// one and silently drops a second), the others wait their turn; a request settled elsewhere (`lspair guests`, the
// approval timeout, the guest leaving) withdraws its question. The terminal stays in cooked mode: readline's raw
// mode would swallow Ctrl-C, and the host must stop on it.
import type { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';

interface Session extends EventEmitter {
  approve(id: string): void;
  reject(id: string): void;
}

interface GuestEvent {
  readonly guest: { readonly id: string; readonly name: string; readonly role: string };
}

export class TerminalPrompts {
  readonly #rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  readonly #waiting: { id: string; question: string }[] = [];
  #open: { id: string; cancel: AbortController } | null = null;

  /** Asks about each guest request of `session` from now on (after the listeners that print it). */
  constructor(private readonly session: Session) {
    session.on('guest-request', ({ guest }: GuestEvent) => {
      this.#waiting.push({ id: guest.id, question: `Let ${guest.name} in as ${guest.role}? [y/N] ` });
      this.#next();
    });
    for (const settled of ['guest-joined', 'guest-denied', 'guest-left']) session.on(settled, ({ guest }: GuestEvent) => this.#withdraw(guest.id));
  }

  close(): void {
    this.#open?.cancel.abort();
    this.#rl.close();
  }

  #next(): void {
    const request = this.#open ? undefined : this.#waiting.shift();
    if (!request) return;
    const cancel = new AbortController();
    this.#open = { id: request.id, cancel };
    this.#rl.question(request.question, { signal: cancel.signal }, (answer) => {
      this.#open = null;
      try {
        if (/^y(es)?$/i.test(answer.trim())) this.session.approve(request.id);
        else this.session.reject(request.id);
      } catch {
        // settled in between (it left, or the timeout came first)
      }
      this.#next();
    });
  }

  #withdraw(id: string): void {
    const waiting = this.#waiting.findIndex((r) => r.id === id);
    if (waiting >= 0) this.#waiting.splice(waiting, 1);
    if (this.#open?.id !== id) return;
    this.#open.cancel.abort();
    this.#open = null;
    this.#next();
  }
}
