// Who gets in, and how: known guests (in the trusted-guests file) join with a notification, or are asked about
// when the host requires approval; anonymous guests follow `anonymousGuestApproval`.
import type { HostConfig } from './config.js';

export type Verdict = 'accept' | 'prompt' | 'reject';

export function admission(config: Pick<HostConfig, 'guestApprovalRequired' | 'anonymousGuestApproval'>, known: boolean): Verdict {
  if (known) return config.guestApprovalRequired ? 'prompt' : 'accept';
  return config.anonymousGuestApproval;
}
