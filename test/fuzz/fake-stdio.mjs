// The base protocol for the fuzzers' fake tools (no tests here): `send` writes a framed JSON message on stdout,
// `listen` hands each message read from stdin to a callback; the tool ends with its input. The hub is the only
// peer, so the reading side trusts the framing it is given.
export function send(message) {
  const body = Buffer.from(JSON.stringify(message));
  process.stdout.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
}

export function listen(receive) {
  let buffer = Buffer.alloc(0);
  process.stdin.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      const body = buffer.subarray(end + 4, end + 4 + length).toString();
      buffer = buffer.subarray(end + 4 + length);
      receive(JSON.parse(body));
    }
  });
  process.stdin.on('end', () => process.exit(0));
}
