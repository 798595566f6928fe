// Fuzz target: the secure channel (src/wire/secure-channel.ts) on an in-memory link whose relay attacks one
// direction frame by frame — handshake messages, the secretstream header and data frames alike: drops, duplicates,
// swaps, mutations, injected frames, replays of earlier frames, and raw bytes that desynchronise the framing
// (lying lengths). Whatever it does, the receiver delivers only a prefix of what was sent, in order; it fails
// only with a HandshakeError or an IntegrityError; both sides close within the bound; an untouched link delivers
// everything and closes cleanly.
import fc from 'fast-check';
import { HandshakeError, IntegrityError } from '../../src/crypto/errors.js';
import { channels, link, parties, type Tamper } from '../crypto/helpers.js';
import type { SecureChannel } from '../../src/wire/secure-channel.js';
import { target } from './harness.js';
import { mutateAll, mutations, sameBytes, type Mutation } from './mutate.js';

type Action =
  | { readonly kind: 'drop' | 'duplicate' | 'hold' }
  | { readonly kind: 'mutate'; readonly mutations: readonly Mutation[] }
  | { readonly kind: 'inject'; readonly body: Uint8Array }
  | { readonly kind: 'replay'; readonly from: number }
  | { readonly kind: 'raw'; readonly bytes: Uint8Array };

interface Case {
  /** The attacked direction: host → guest, or guest → host. */
  readonly toGuest: boolean;
  readonly messages: Uint8Array[];
  /** Per frame index (handshake messages and headers count), what the relay does to it. */
  readonly attacks: { readonly index: number; readonly action: Action }[];
}

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constantFrom('drop' as const, 'duplicate' as const, 'hold' as const) }),
  fc.record({ kind: fc.constant('mutate' as const), mutations }),
  fc.record({ kind: fc.constant('inject' as const), body: fc.uint8Array({ maxLength: 80 }) }),
  fc.record({ kind: fc.constant('replay' as const), from: fc.nat() }),
  fc.record({ kind: fc.constant('raw' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
);

interface Outcome {
  readonly messages: Uint8Array[];
  readonly error: Error | undefined;
  readonly ended: boolean;
}

/** Everything a channel delivers until it closes; destroyed with a 'stuck' error after `ms`. */
function outcome(channel: SecureChannel, ms: number): Promise<Outcome> {
  const messages: Uint8Array[] = [];
  let error: Error | undefined;
  let ended = false;
  const timer = setTimeout(() => channel.destroy(new Error(`stuck: still open after ${ms} ms`)), ms);
  channel.on('data', (m: Uint8Array) => messages.push(m));
  channel.on('error', (e: Error) => (error = e));
  channel.on('end', () => (ended = true));
  channel.ready.catch(() => undefined);
  return new Promise((resolve) => channel.on('close', () => (clearTimeout(timer), resolve({ messages, error, ended }))));
}

/** `bent`, or `body` itself when a mutation changed nothing. */
const sameBytesOr = (bent: Uint8Array, body: Uint8Array): Uint8Array => (sameBytes(bent, body) ? body : bent);

const typed = (error: Error | undefined): boolean => error === undefined || error instanceof IntegrityError || error instanceof HandshakeError;

async function run(setup: ReturnType<typeof parties>, c: Case): Promise<void> {
  const attacks = new Map(c.attacks.map((a) => [a.index, a.action]));
  const seen: Uint8Array[] = [];
  const forwarded: Uint8Array[] = [];
  let raw = false;
  let held: Uint8Array | null = null;
  const tamper: Tamper = (body, index) => {
    seen.push(body);
    const a = attacks.get(index);
    let out = a ? attack(a, body) : [body];
    if (a?.kind === 'raw') {
      raw = true;
      (c.toGuest ? net.toGuest : net.toHost).inject(a.bytes); // before this frame
    }
    if (held) out = a?.kind === 'hold' ? [held] : [...out, held]; // a held frame goes after the next one
    held = a?.kind === 'hold' ? body : null;
    forwarded.push(...out);
    return out;
  };
  const attack = (a: Action, body: Uint8Array): Uint8Array[] => {
    switch (a.kind) {
      case 'mutate':
        return [sameBytesOr(mutateAll(body, a.mutations), body)];
      case 'drop':
      case 'hold':
        return [];
      case 'duplicate':
        return [body, body];
      case 'inject':
        return [a.body, body];
      case 'replay':
        return [seen[a.from % seen.length]!, body];
      case 'raw':
        return [body];
    }
  };
  const net = link(c.toGuest ? { toGuest: tamper } : { toHost: tamper });
  const options = { handshakeTimeoutMs: 300 };
  const pair = channels(net, setup, options);
  const [sender, receiver] = c.toGuest ? [pair.host, pair.guest] : [pair.guest, pair.host];
  const outcomes = Promise.all([outcome(receiver, 2000), outcome(sender, 2000)]);
  for (const m of c.messages) sender.write(m);
  sender.end();
  receiver.end();
  const [got, sent] = await outcomes;

  if (!typed(got.error) || !typed(sent.error)) throw new Error(`untyped failure: ${got.error?.stack ?? sent.error?.stack}`);
  if (got.messages.length > c.messages.length || !got.messages.every((m, i) => sameBytes(m, c.messages[i]!))) {
    throw new Error(`delivered ${got.messages.length} messages that are not a prefix of the ${c.messages.length} sent`);
  }
  // The attacks may add up to nothing (a dropped frame replayed in its place); frames after the final one arrive
  // once the channel has closed, and may go unnoticed.
  const untouched = !raw && seen.every((frame, i) => forwarded[i] !== undefined && sameBytes(forwarded[i]!, frame));
  const clean = got.error === undefined && got.ended && got.messages.length === c.messages.length;
  if (untouched && !clean) throw new Error(`untouched link, but the receiver got ${got.messages.length}/${c.messages.length} messages, error ${got.error}`);
  if (!untouched && clean) throw new Error(`tampering (${JSON.stringify(c.attacks.map((a) => ({ index: a.index, kind: a.action.kind })))}) went unnoticed`);
}

export const channelFuzzer = target<Case, ReturnType<typeof parties>>({
  name: 'channel',
  what: 'secure channel: a relay attacking handshake, header and data frames',
  cases: fc.record({
    toGuest: fc.boolean(),
    messages: fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 5 }),
    attacks: fc.array(fc.record({ index: fc.nat({ max: 9 }), action }), { maxLength: 3 }),
  }),
  shortRuns: 150,
  timeoutMs: 5000,
  setup: async () => parties(),
  run,
  teardown: async () => undefined,
});
