// Canaries and their detector for the wire tests (no tests here). A canary is a secret string or byte string;
// its needles are the exact byte sequences it becomes in each encoding a leak could take. A text canary is looked
// for as UTF-8 (either case), UTF-16LE/BE, JSON \uXXXX escapes, base64 and base64url (each of the three alignments
// a string can have inside a longer encoded buffer) and hex; a byte canary (a key) as raw bytes, base64, base64url
// and hex.

export interface Needle {
  readonly encoding: string;
  readonly bytes: Buffer;
}

export interface Canary {
  readonly label: string;
  readonly needles: readonly Needle[];
}

export interface Finding {
  readonly label: string;
  readonly encoding: string;
  readonly at: number;
}

/**
 * The part of the base64 of `bytes` that is the same wherever they sit in a longer buffer, for each of the three
 * offsets modulo 3: the 4-character groups made only of `bytes`' own bits.
 */
function base64Needles(bytes: Buffer, alphabet: 'base64' | 'base64url'): Needle[] {
  return [0, 1, 2].map((before) => {
    const encoded = Buffer.concat([Buffer.alloc(before), bytes]).toString(alphabet);
    const first = before === 0 ? 0 : 1; // the first group mixes in the bytes before
    const last = Math.floor((before + bytes.length) / 3); // groups from here on mix in the bytes after
    return { encoding: `${alphabet} (offset ${before})`, bytes: Buffer.from(encoded.slice(first * 4, last * 4)) };
  });
}

function hexNeedles(bytes: Buffer): Needle[] {
  const hex = bytes.toString('hex');
  return [
    { encoding: 'hex', bytes: Buffer.from(hex) },
    { encoding: 'HEX', bytes: Buffer.from(hex.toUpperCase()) },
  ];
}

const jsonEscaped = (text: string, digits: (hex: string) => string) => [...text].map((c) => `\\u${digits(c.charCodeAt(0).toString(16).padStart(4, '0'))}`).join('');

export function textCanary(label: string, text: string): Canary {
  const utf8 = Buffer.from(text, 'utf8');
  const needles: Needle[] = [
    { encoding: 'UTF-8', bytes: utf8 },
    { encoding: 'UTF-8 upper case', bytes: Buffer.from(text.toUpperCase(), 'utf8') },
    { encoding: 'UTF-16LE', bytes: Buffer.from(text, 'utf16le') },
    { encoding: 'UTF-16BE', bytes: Buffer.from(text, 'utf16le').swap16() },
    { encoding: 'JSON \\u escapes', bytes: Buffer.from(jsonEscaped(text, (h) => h)) },
    { encoding: 'JSON \\u escapes (upper hex)', bytes: Buffer.from(jsonEscaped(text, (h) => h.toUpperCase())) },
    ...base64Needles(utf8, 'base64'),
    ...base64Needles(utf8, 'base64url'),
    ...hexNeedles(utf8),
  ];
  return { label, needles: distinct(needles) };
}

export function bytesCanary(label: string, bytes: Uint8Array): Canary {
  const raw = Buffer.from(bytes);
  return { label, needles: distinct([{ encoding: 'raw', bytes: raw }, ...base64Needles(raw, 'base64'), ...base64Needles(raw, 'base64url'), ...hexNeedles(raw)]) };
}

/** Needles that are byte-for-byte the same (base64 and base64url of plain letters) are looked for once. */
function distinct(needles: Needle[]): Needle[] {
  return needles.filter((n, i) => needles.findIndex((m) => m.bytes.equals(n.bytes)) === i);
}

/** Every place any needle of any canary occurs in `haystack`. */
export function scan(haystack: Buffer, canaries: readonly Canary[]): Finding[] {
  const found: Finding[] = [];
  for (const { label, needles } of canaries) {
    for (const { encoding, bytes } of needles) {
      for (let at = haystack.indexOf(bytes); at !== -1; at = haystack.indexOf(bytes, at + 1)) found.push({ label, encoding, at });
    }
  }
  return found;
}
