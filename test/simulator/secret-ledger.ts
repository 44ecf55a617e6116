/**
 * The test suite's ledger of secrets: when DISKFERRY_SECRET_LEDGER names a file, every secret a
 * simulator in this process publishes on its secret channel (main/simulator/secret-channel.ts) is
 * appended to it as one JSON line `{"kind","value"}`. The test runner (scripts/test-unit.ts) then
 * searches everything the suite wrote for these values. Installed in every test process by
 * test/setup-secret-ledger.ts (vitest's setupFiles). Appends are synchronous so an entry is on disk
 * before the secret can be used, and small enough (one write with O_APPEND) that concurrent test
 * processes never interleave within a line.
 */
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import { SECRET_CHANNEL, type SecretMessage } from '../../main/simulator/secret-channel.js';

/** The environment variable naming the ledger file. */
export const SECRET_LEDGER_ENV = 'DISKFERRY_SECRET_LEDGER';

/** Marks the process once subscribed: test files may re-import this module in the same process. */
const INSTALLED = Symbol.for('diskferry.secretLedger.installed');

let warned = false;

function record(message: unknown): void {
  const file = process.env[SECRET_LEDGER_ENV];
  if (!file) return;
  const { kind, value } = message as SecretMessage;
  try {
    appendFileSync(file, JSON.stringify({ kind, value }) + '\n');
  } catch (err) {
    if (!warned) process.stderr.write(`secret ledger: cannot append to ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}\n`);
    warned = true;
  }
}

/** Subscribes the ledger to the simulator's secret channel, once per process. */
export function installSecretLedger(): void {
  const proc = process as unknown as Record<symbol, boolean>;
  if (proc[INSTALLED]) return;
  proc[INSTALLED] = true;
  subscribe(SECRET_CHANNEL, record);
}
