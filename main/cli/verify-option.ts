import { UsageError } from './password.js';

/** `--verify` / `--no-verify`: checksum comparison is on unless turned off; both at once is a usage error. */
export function parseVerify(values: { verify?: boolean; 'no-verify'?: boolean }): boolean {
  if (values.verify && values['no-verify']) throw new UsageError('Give --verify or --no-verify, not both.');
  return !(values['no-verify'] ?? false);
}

/** The options every transfer command adds for verification. */
export const VERIFY_OPTIONS = {
  verify: { type: 'boolean' },
  'no-verify': { type: 'boolean' },
} as const;
