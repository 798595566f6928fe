// The host's own listener (the embedded default: no relay needed on one machine or a LAN). It speaks the
// relay's guest protocol, so a guest joins it exactly as it joins through a relay: /v1/join/<sid>, then
// {"type":"paired"} and binary frames carrying the encrypted channel.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { logger } from '../log.js';
import { RateLimiter } from '../wire/rate-limit.js';
import { CLOSE, MAX_MESSAGE, RELAY_PATHS, refuseUpgrade, requestPath } from '../wire/relay-protocol.js';

const log = logger('listener');

export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  /** Whether a session id is the current one (an old link stops working once rotated). */
  readonly isSession: (sessionId: string) => boolean;
  readonly onStream: (stream: Duplex, address: string) => void;
  readonly joinsPerMinute?: number;
  readonly maxMessage?: number;
}

export class DirectListener {
  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(options: ListenerOptions): Promise<DirectListener> {
    const server = createServer((_req, res) => res.writeHead(426).end('lspair: WebSocket only\n'));
    const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessage ?? MAX_MESSAGE, perMessageDeflate: false });
    const limiter = new RateLimiter(options.joinsPerMinute ?? 60);
    server.on('upgrade', (req, socket, head) => {
      const address = req.socket.remoteAddress ?? '?';
      const sid = RELAY_PATHS.join.exec(requestPath(req.url) ?? '')?.[1];
      if (!sid || !limiter.admit(address)) {
        log.info({ address, reason: sid ? 'rate' : 'path' }, 'join refused');
        refuseUpgrade(socket, sid ? 429 : 404, sid ? 'too many join attempts' : 'unknown path');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => undefined);
        if (!options.isSession(sid)) return ws.close(CLOSE.noSession, 'no such session (the link is old or wrong)');
        ws.send(JSON.stringify({ type: 'paired' }));
        options.onStream(createWebSocketStream(ws), address);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
    const { address, port } = server.address() as AddressInfo;
    return new DirectListener(server, wss, `ws://${address.includes(':') ? `[${address}]` : address}:${port}`);
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
