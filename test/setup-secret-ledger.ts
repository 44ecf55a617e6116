// vitest setup file: every test process records the simulator's secrets in the ledger named by
// DISKFERRY_SECRET_LEDGER (a no-op without it), for the secrets scan of scripts/test-unit.ts.
import { installSecretLedger } from './simulator/secret-ledger.js';

installSecretLedger();
