// One editor connected to a hub: the host's own editor (through `lspair lsp` on the host) or a guest's (through
// the guest's daemon and the encrypted channel). It has its own id space for the requests the hub sends it, its
// own open documents, and, for a guest, a URI map and a live view of its permissions.
import type { ClientCapabilities } from 'vscode-languageserver-protocol';
import { ErrorCodes } from 'vscode-jsonrpc';
import type { Endpoint, Id, Response } from './endpoint.js';
import type { Member } from './documents.js';
import type { LspPermission } from './methods.js';
import { Seal } from './seal.js';
import type { UriMap } from '../policy/index.js';

export interface Participant {
  readonly kind: 'host' | 'guest';
  /** For logs: 'host', or the guest's id. */
  readonly id: string;
  /** Asked on every message, so a permission change applies to the next one. */
  has(permission: LspPermission): boolean;
}

/** The host's own editors may do everything. */
export const HOST: Participant = { kind: 'host', id: 'host', has: () => true };

/** Requests one editor may have waiting on the server at once. */
export const MAX_IN_FLIGHT = 256;

/**
 * Requests of one guest's editor at the server at once; its others wait in the hub. A server answers in order,
 * so a guest with hundreds of requests at the server would make everyone else's wait behind them all.
 */
export const MAX_AT_SERVER = 8;

/**
 * Answers waiting for a guest's editor to take them, in bytes, past which its next requests wait in the hub
 * until it reads: the server's and the hub's work for an editor that reads nothing would only pile up.
 */
export const MAX_BACKLOG = 1024 * 1024;

/** A guest's request waiting in the hub for one of its places at the server. */
export interface Waiting {
  readonly id: Id;
  readonly send: () => void;
}

export class Editor {
  /** Set by its `initialize`: until then it may send nothing else. */
  capabilities: ClientCapabilities | null = null;
  /** Its open documents (host URIs) and its part in each. */
  readonly docs = new Map<string, Member>();
  /** Its `clientInfo.name`, for the few editor habits the hub must know (Neovim's version 0). */
  clientName = '';
  /** Its requests waiting on the server: its id → the server-side id (for $/cancelRequest). */
  readonly requests = new Map<Id, number>();
  /** A guest's requests waiting in the hub for a place at the server (MAX_AT_SERVER), oldest first. */
  waiting: Waiting[] = [];
  /** A guest's sealed `data` values (seal.ts). */
  readonly seal = new Seal();
  /** Set by its `initialized`: from then on it hears registrations and diagnostics. */
  ready = false;
  /** Messages are handled one after the other, even when handling one waits (initialize waits for the server). */
  queue: Promise<void> = Promise.resolve();
  #nextId = 1;
  readonly #pending = new Map<Id, (response: Response) => void>();

  constructor(
    readonly endpoint: Endpoint,
    readonly who: Participant,
    /** Host URIs → what this editor may see (null for the host's editors: they see everything as it is). */
    readonly map: UriMap | null,
  ) {
    endpoint.on('response', (response: Response) => this.#answered(response));
    endpoint.on('close', () => {
      for (const resolve of this.#pending.values()) resolve({ jsonrpc: '2.0', id: null, error: { code: ErrorCodes.InternalError, message: 'the editor left' } });
      this.#pending.clear();
    });
  }

  get isGuest(): boolean {
    return this.who.kind === 'guest';
  }

  /**
   * Whether it may use what needs `permission`, as the method table reads permissions. A server's command is opaque
   * and may write files itself (typescript-language-server's "Move to a new file" creates one), so lsp.commands
   * counts only together with files.write: a viewer, or anyone under --read-only, runs no command.
   */
  may(permission: LspPermission): boolean {
    return this.who.has(permission) && (permission !== 'lsp.commands' || this.who.has('files.write'));
  }

  notify(method: string, params: unknown): void {
    this.endpoint.send({ jsonrpc: '2.0', method, params: params as object });
  }

  /** A request from the hub (on the server's behalf or its own); resolves with the editor's response. */
  request(method: string, params: unknown): Promise<Response> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      if (this.endpoint.closed) return resolve({ jsonrpc: '2.0', id, error: { code: ErrorCodes.InternalError, message: 'the editor left' } });
      this.#pending.set(id, resolve);
      this.endpoint.send({ jsonrpc: '2.0', id, method, params: params as object });
    });
  }

  /** Tells the user something in their editor (a refusal they would otherwise not notice). */
  tell(type: 1 | 2 | 3, message: string): void {
    this.notify('window/showMessage', { type, message });
  }

  #answered(response: Response): void {
    const id = response.id;
    const resolve = id === null ? undefined : this.#pending.get(id);
    if (!resolve) return; // an answer to nothing we asked: ignored
    this.#pending.delete(id!);
    resolve(response);
  }
}
