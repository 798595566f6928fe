// The handshake patterns lspair knows, as data (Noise spec rev 34, §7 and §9). One engine walks them all.

export type PreToken = 'e' | 's';
export type DhToken = 'ee' | 'es' | 'se' | 'ss';
export type Token = PreToken | DhToken | 'psk';

export interface Pattern {
  /** Keys each side knows of the other before the first message. */
  readonly initiatorPre: readonly PreToken[];
  readonly responderPre: readonly PreToken[];
  /** Message i is sent by the initiator when i is even. */
  readonly messages: readonly (readonly Token[])[];
}

export const PATTERNS = {
  NN: { initiatorPre: [], responderPre: [], messages: [['e'], ['e', 'ee']] },
  NK: { initiatorPre: [], responderPre: ['s'], messages: [['e', 'es'], ['e', 'ee']] },
  XK: { initiatorPre: [], responderPre: ['s'], messages: [['e', 'es'], ['e', 'ee'], ['s', 'se']] },
  XX: { initiatorPre: [], responderPre: [], messages: [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']] },
  XKpsk3: { initiatorPre: [], responderPre: ['s'], messages: [['e', 'es'], ['e', 'ee'], ['s', 'se', 'psk']] },
} as const satisfies Record<string, Pattern>;

export type PatternName = keyof typeof PATTERNS;

export function protocolName(pattern: PatternName): string {
  return `Noise_${pattern}_25519_ChaChaPoly_BLAKE2b`;
}

/** psk modifiers change how `e` is processed (§9.2), so the engine needs to know whether any are present. */
export function usesPsk(pattern: Pattern): boolean {
  return pattern.messages.some((tokens) => tokens.includes('psk'));
}
