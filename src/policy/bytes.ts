// Git matches paths and patterns byte by byte. JavaScript strings are UTF-16, so both sides are turned into
// "byte strings" (one char per UTF-8 byte, codes 0..255) before matching; ASCII text is already one.
const ASCII = /^[\x00-\x7f]*$/;

export function toBytes(text: string): string {
  return ASCII.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

export function fromBytes(bytes: string): string {
  return ASCII.test(bytes) ? bytes : Buffer.from(bytes, 'latin1').toString('utf8');
}
