// Leaks made on purpose, for the detector's controls (no tests here): a secret inside a larger document encoded
// as a whole, the way real code would send it (a JSON body, a base64 chunk of a file, a hex dump), built without
// canary.ts's needles, so finding it shows the needles cover that encoding wherever the secret sits.
import { randomBytes } from 'node:crypto';

export interface Leak {
  readonly how: string;
  readonly document: Buffer;
}

/** The secret with `before` random bytes in front of it and a few behind: every base64 alignment occurs. */
const among = (secret: Buffer, before: number) => Buffer.concat([randomBytes(before), secret, randomBytes(7)]);

function encodedLeaks(secret: Buffer): Leak[] {
  const leaks: Leak[] = [];
  for (let before = 0; before < 6; before++) {
    for (const encoding of ['base64', 'base64url', 'hex'] as const) {
      const document = among(secret, before).toString(encoding);
      leaks.push({ how: `${encoding} of a buffer with ${before} bytes before the secret`, document: Buffer.from(document) });
      if (encoding === 'hex') leaks.push({ how: `HEX with ${before} bytes before`, document: Buffer.from(document.toUpperCase()) });
    }
  }
  return leaks;
}

/** Every character as a \uXXXX escape, as an ASCII-only JSON writer with escaping of everything would put it. */
const escapeAll = (text: string, upper: boolean) =>
  text.replace(/[^]/g, (c) => {
    const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  });

export function textLeaks(text: string): Leak[] {
  const body = `{"jsonrpc":"2.0","params":{"uri":"file:///home/ana/${text}/x.ts","text":"é ${text} ✓"}}`;
  return [
    { how: 'UTF-8 JSON', document: Buffer.concat([randomBytes(5), Buffer.from(body)]) },
    { how: 'upper-cased UTF-8', document: Buffer.from(body.toUpperCase()) },
    { how: 'UTF-16LE', document: Buffer.from(body, 'utf16le') },
    { how: 'UTF-16BE', document: Buffer.from(body, 'utf16le').swap16() },
    { how: 'JSON string with every character escaped', document: Buffer.from(`"${escapeAll(body, false)}"`) },
    { how: 'JSON string with every character escaped, upper-case hex', document: Buffer.from(`"${escapeAll(body, true)}"`) },
    ...encodedLeaks(Buffer.from(text, 'utf8')),
  ];
}

export function bytesLeaks(bytes: Uint8Array): Leak[] {
  return [{ how: 'raw bytes', document: among(Buffer.from(bytes), 3) }, ...encodedLeaks(Buffer.from(bytes))];
}
