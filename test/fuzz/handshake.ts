// Fuzz target: the handshake (src/crypto/handshake.ts, handshake-state.ts) message by message. A valid exchange
// runs up to one of its three messages, which is then mutated, truncated, extended, replaced by the same message
// of another session, by another message of this one, by a low-order ephemeral key, or replayed from an earlier
// session to a fresh host. The receiver must refuse it with a HandshakeError — never accept a bent message,
// never fail with another kind of error.
import fc from 'fast-check';
import { HandshakeError } from '../../src/crypto/errors.js';
import { LOW_ORDER_POINTS, exchange, parties } from '../crypto/helpers.js';
import { target } from './harness.js';
import { mutateAll, mutations, sameBytes, type Mutation } from './mutate.js';

const LOW_ORDER = LOW_ORDER_POINTS.map((hex) => new Uint8Array(Buffer.from(hex, 'hex')));

type Bend =
  | { readonly kind: 'mutate'; readonly mutations: readonly Mutation[] }
  | { readonly kind: 'foreign' } // the same message of another session (other keys, other psk)
  | { readonly kind: 'other'; readonly which: number } // another message of this session, out of place
  | { readonly kind: 'low-order'; readonly point: number } // a small-order point as the ephemeral key
  | { readonly kind: 'replay' }; // an earlier session's messages 1 and 3, to a fresh host

interface Case {
  /** The message bent: 0 (guest's first), 1 (host's), 2 (guest's last). */
  readonly phase: number;
  readonly bend: Bend;
}

interface Ctx {
  readonly setup: ReturnType<typeof parties>;
  readonly stranger: ReturnType<typeof parties>;
}

function bent(bend: Exclude<Bend, { kind: 'replay' }>, phase: number, original: Uint8Array, ctx: Ctx, ours: Uint8Array[]): Uint8Array {
  switch (bend.kind) {
    case 'mutate':
      return mutateAll(original, bend.mutations);
    case 'foreign':
      return exchange(ctx.stranger.guest(), ctx.stranger.host()).messages[phase]!;
    case 'other':
      return ours[bend.which % ours.length]!;
    case 'low-order':
      return new Uint8Array(Buffer.concat([LOW_ORDER[bend.point % LOW_ORDER.length]!, original.subarray(32)]));
  }
}

/** `receive` must throw a HandshakeError. */
function refused(receive: () => unknown, what: string): void {
  try {
    receive();
  } catch (error) {
    if (error instanceof HandshakeError) return;
    throw new Error(`${what} failed with ${(error as Error)?.stack ?? error}`);
  }
  throw new Error(`${what} was accepted`);
}

async function run(ctx: Ctx, c: Case): Promise<void> {
  const guest = ctx.setup.guest();
  const host = ctx.setup.host();
  try {
    if (c.bend.kind === 'replay') {
      const old = exchange(ctx.setup.guest(), ctx.setup.host()).messages;
      host.receive(old[0]!); // a message 1 cannot be told from a fresh one; the host's answer goes nowhere
      return refused(() => host.receive(old[2]!), 'a replayed message 3');
    }
    // Walk the exchange up to the bent message; the messages so far are the ones `other` may pick.
    const receivers = [host, guest, host];
    const messages = [guest.start()!];
    while (messages.length <= c.phase) messages.push(receivers[messages.length - 1]!.receive(messages.at(-1)!).reply!);
    const original = messages[c.phase]!;
    const input = bent(c.bend, c.phase, original, ctx, messages);
    if (sameBytes(input, original)) return; // nothing bent
    refused(() => receivers[c.phase]!.receive(input), `message ${c.phase + 1} bent (${c.bend.kind})`);
  } finally {
    guest.wipe();
    host.wipe();
  }
}

export const handshakeFuzzer = target<Case, Ctx>({
  name: 'handshake',
  what: 'handshake messages 1–3: mutated, truncated, extended, foreign, out of place, low-order, replayed',
  cases: fc.record({
    phase: fc.nat({ max: 2 }),
    bend: fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('mutate' as const), mutations }) },
      fc.record({ kind: fc.constant('foreign' as const) }),
      fc.record({ kind: fc.constant('other' as const), which: fc.nat() }),
      fc.record({ kind: fc.constant('low-order' as const), point: fc.nat() }),
      fc.record({ kind: fc.constant('replay' as const) }),
    ),
  }),
  shortRuns: 300,
  timeoutMs: 2000,
  setup: async () => ({ setup: parties(), stranger: parties() }),
  run,
  teardown: async () => undefined,
});
