/**
 * The simulator's ledger of secrets: when DISKFERRY_SECRET_LEDGER names a file, every secret the
 * simulator issues or accepts (passwords, Basic credentials, access tokens, ticket ids, signed
 * tickets, transfer and proxy URLs) is appended to it as one JSON line `{"kind","value"}`. The test
 * runner (scripts/test-unit.ts) then searches everything the suite wrote for these values. Appends
 * are synchronous so an entry is on disk before the secret can be used, and small enough (one
 * write with O_APPEND) that concurrent test processes never interleave within a line.
 */
import { appendFileSync } from 'node:fs';

/** The environment variable naming the ledger file. */
export const SECRET_LEDGER_ENV = 'DISKFERRY_SECRET_LEDGER';

/** What kind of secret an entry is (the scan reports the kind, never the value). */
export type SecretKind = 'password' | 'basic-credentials' | 'access-token' | 'ticket-id' | 'signed-ticket' | 'transfer-url' | 'proxy-url';

let warned = false;

/** Appends a secret to the ledger when one is configured; a no-op otherwise. */
export function recordSecret(kind: SecretKind, value: string): void {
  const file = process.env[SECRET_LEDGER_ENV];
  if (!file || value === '') return;
  try {
    appendFileSync(file, JSON.stringify({ kind, value }) + '\n');
  } catch (err) {
    if (!warned) process.stderr.write(`simulator: cannot append to the secret ledger: ${(err as NodeJS.ErrnoException).code ?? 'error'}\n`);
    warned = true;
  }
}
