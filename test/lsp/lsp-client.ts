// A scripted LSP editor for tests: vscode-jsonrpc's client connection over a pair of streams, with the
// notifications it received kept for waiting on (diagnostics, messages), and the server→editor requests answered.
import { PassThrough, type Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { AbstractMessageWriter, createMessageConnection, StreamMessageReader, type Message, type MessageConnection, type MessageWriter } from 'vscode-jsonrpc/node.js';
import { encode } from '../../src/wire/content-length.js';

export interface Received {
  readonly method: string;
  readonly params: unknown;
}

/**
 * Each message in one write, header and body together, as Neovim and Emacs send them. vscode-jsonrpc's own writer
 * sends the header and the body apart, which costs every process a message crosses a second wake-up.
 */
class OneWriteMessageWriter extends AbstractMessageWriter implements MessageWriter {
  constructor(private readonly stream: NodeJS.WritableStream) {
    super();
    stream.on('error', (error: Error) => this.fireError(error));
    stream.on('close', () => this.fireClose());
  }

  async write(message: Message): Promise<void> {
    this.stream.write(encode(message));
  }

  end(): void {
    this.stream.end();
  }
}

export class LspClient {
  readonly received: Received[] = [];
  readonly requests: Received[] = [];
  readonly connection: MessageConnection;
  private waiters: { test: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];

  /** `toHub` is what the hub reads, `fromHub` what it writes (for a socket or mux stream, pass it twice). */
  constructor(fromHub: NodeJS.ReadableStream, toHub: NodeJS.WritableStream) {
    this.connection = createMessageConnection(new StreamMessageReader(fromHub), new OneWriteMessageWriter(toHub));
    this.connection.onNotification((method, params) => this.note({ method, params }));
    // vscode-jsonrpc keeps $/progress from the generic handler; work-done progress nobody asked for lands here.
    this.connection.onUnhandledProgress((params) => this.note({ method: '$/progress', params }));
    this.connection.onRequest((method, params) => {
      this.requests.push({ method, params });
      this.note({ method, params });
      return method === 'workspace/applyEdit' ? { applied: true } : null;
    });
    this.connection.listen();
  }

  /** A client and the two stream ends for a hub: `hub.connect(ends.input, ends.output, who)`. */
  static pair(): { client: LspClient; input: PassThrough; output: PassThrough } {
    const input = new PassThrough();
    const output = new PassThrough();
    return { client: new LspClient(output, input), input, output };
  }

  static over(stream: Duplex): LspClient {
    return new LspClient(stream, stream);
  }

  async initialize(rootPath: string): Promise<{ capabilities: Record<string, unknown> }> {
    const rootUri = pathToFileURL(rootPath).href;
    const result = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'root' }],
      capabilities: { window: { workDoneProgress: true }, workspace: { applyEdit: true, workspaceEdit: { documentChanges: true } }, textDocument: { definition: { linkSupport: true } } },
    });
    await this.connection.sendNotification('initialized', {});
    return result as { capabilities: Record<string, unknown> };
  }

  open(uri: string, languageId: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  request<T = unknown>(method: string, params: unknown): Promise<T> {
    return this.connection.sendRequest(method, params) as Promise<T>;
  }

  /** The next (or an already received) notification or request that passes `test`. */
  waitFor(test: (r: Received) => boolean, timeoutMs = 30_000, what = 'a message'): Promise<Received> {
    const seen = this.received.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} in ${timeoutMs} ms; got ${this.received.map((r) => r.method).join(', ')}`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  /** Diagnostics for `uri` that pass `test` (servers publish empty lists while they work). */
  diagnostics(uri: string, test: (d: { message: string }[]) => boolean = (d) => d.length > 0): Promise<{ message: string; range: unknown }[]> {
    return this.waitFor((r) => r.method === 'textDocument/publishDiagnostics' && (r.params as { uri: string }).uri === uri && test((r.params as { diagnostics: { message: string }[] }).diagnostics), 60_000, `diagnostics for ${uri}`).then(
      (r) => (r.params as { diagnostics: { message: string; range: unknown }[] }).diagnostics,
    );
  }

  dispose(): void {
    this.connection.dispose();
  }

  private note(r: Received): void {
    this.received.push(r);
    this.waiters = this.waiters.filter((w) => (w.test(r) ? (w.resolve(r), false) : true));
  }
}
