// The guest's session: reach the host (its own addresses first, then the relay), prove we hold the link's
// secret while checking the host holds the link's key, show the PIN, and wait to be let in.
// Events: waiting {pin}, joined {guestId, role, permissions}, permissions {role, permissions}, ended {reason}.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Handshake, HandshakeError, IntegrityError, type KeyPair } from '../crypto/index.js';
import { logger } from '../log.js';
import { Mux, type MuxStream } from '../wire/mux.js';
import { joinRelay, RelayError } from '../wire/relay-client.js';
import { CLOSE } from '../wire/relay-protocol.js';
import { SecureChannel } from '../wire/secure-channel.js';
import { decodeHello, encodeHello } from './hello.js';
import type { JoinLink } from './link.js';
import { MessageReader, type SessionMessage } from './messages.js';

const log = logger('guest');

/** Why a join failed, for exit codes and scripts. */
export type JoinFailure = 'unreachable' | 'no-session' | 'refused' | 'key-mismatch' | 'integrity' | 'protocol';

export class JoinError extends Error {
  constructor(
    readonly code: JoinFailure,
    message: string,
  ) {
    super(message);
    this.name = 'JoinError';
  }
}

const DIRECT_TIMEOUT_MS = 3_000;

function timeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** The first endpoint that answers: the host's own addresses, then the relay. */
async function reach(link: JoinLink): Promise<Duplex> {
  const reasons: string[] = [];
  for (const url of link.direct) {
    try {
      return await timeout(joinRelay(url, link.sessionId), DIRECT_TIMEOUT_MS, url);
    } catch (err) {
      if (err instanceof RelayError && err.code === CLOSE.noSession) throw new JoinError('no-session', `${url}: ${err.message}`);
      reasons.push((err as Error).message);
    }
  }
  if (link.relay) {
    try {
      return await joinRelay(link.relay, link.sessionId);
    } catch (err) {
      reasons.push((err as Error).message);
      if (err instanceof RelayError && err.code >= 4000) throw new JoinError(err.code === CLOSE.noSession ? 'no-session' : 'refused', (err as Error).message);
    }
  }
  throw new JoinError('unreachable', `cannot reach the host: ${reasons.join('; ')}`);
}

/** Why the handshake failed, in the words a user needs. */
function handshakeFailure(err: unknown): JoinError {
  if (err instanceof HandshakeError && err.code === 'timeout') return new JoinError('unreachable', 'the host did not complete the handshake in time');
  if (err instanceof HandshakeError || err instanceof IntegrityError) {
    return new JoinError('key-mismatch', `the host could not prove it holds the key in the link (${err.message}): the link is wrong or old, or someone is in the middle`);
  }
  return new JoinError('protocol', `handshake failed: ${(err as Error).message}`);
}

export interface GuestOptions {
  readonly link: JoinLink;
  readonly identity: KeyPair;
  readonly name: string;
}

export class GuestSession extends EventEmitter {
  /** Set when the session is over for good (the host stopped, or removed us): no point reconnecting. */
  finished = false;

  private constructor(
    readonly channel: SecureChannel,
    readonly mux: Mux,
    readonly pin: string,
    readonly hostName: string,
  ) {
    super();
  }

  /** Connects and completes the handshake (emitting nothing yet); `joined` resolves once the host lets us in. */
  static async connect({ link, identity, name }: GuestOptions): Promise<GuestSession> {
    const stream = await reach(link);
    const handshake = Handshake.guest({ identity, hostPublicKey: link.hostKey, psk: link.secret, sessionId: link.sessionId, hello: encodeHello(name) });
    const channel = new SecureChannel(stream, handshake);
    channel.on('error', (err: Error) => log.info({ err: err.message }, 'channel closed with an error'));
    let peer;
    try {
      peer = await channel.ready;
    } catch (err) {
      throw handshakeFailure(err);
    }
    const mux = new Mux(channel, { initiator: true });
    return new GuestSession(channel, mux, peer.pin, decodeHello(peer.hello).name);
  }

  /** Resolves with the welcome once the host admits us; rejects with a JoinError when refused or cut off. */
  joined(): Promise<Extract<SessionMessage, { type: 'welcome' }>> {
    return new Promise((resolve, reject) => {
      let admitted = false;
      const fail = (code: JoinFailure, reason: string): void => {
        if (admitted) this.emit('ended', { reason });
        else reject(new JoinError(code, reason));
        this.mux.destroy();
      };
      this.mux.on('stream', (stream: MuxStream) => {
        if (stream.kind !== 'control') return void stream.destroy();
        stream.on('error', () => undefined); // the channel's close below says why
        const reader = new MessageReader(stream);
        reader.on('error', (err: Error) => fail('protocol', err.message));
        reader.on('message', (m: SessionMessage) => {
          if (m.type === 'welcome' && !admitted) {
            admitted = true;
            resolve(m);
          } else if (m.type === 'permissions') this.emit('permissions', m);
          else if (m.type === 'denied' || m.type === 'kicked' || m.type === 'bye') {
            this.finished = true;
            fail('refused', m.reason);
          }
        });
      });
      this.channel.on('close', () => {
        const error = this.channel.errored;
        // XKpsk3: the guest finishes its side first; a host that finds the join secret wrong just hangs up.
        if (!admitted && error instanceof IntegrityError && error.code === 'truncated') {
          return fail('refused', 'the host hung up after the handshake: the join secret in the link is wrong, or the link was rotated');
        }
        fail(error instanceof IntegrityError ? 'integrity' : 'refused', error ? `connection lost: ${error.message}` : 'the host ended the session');
      });
    });
  }

  leave(): void {
    this.mux.close();
  }
}
