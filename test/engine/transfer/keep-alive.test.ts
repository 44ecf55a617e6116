/** The keep-alive's OPTIONS ping: a failure is a warning, but not when the transfer was stopped (Ctrl-C, a pause). */
import { describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { createLog } from '../../../main/engine/log.js';
import { realTimers } from '../../../main/engine/timers.js';
import { KeepAlive } from '../../../main/engine/transfer/keep-alive.js';

describe('keep-alive', () => {
  it('warns when the ping fails, not when the transfer was stopped meanwhile', async () => {
    const lines: string[] = [];
    const log = createLog({ level: 'warn', write: (l) => lines.push(l) });
    let failure: unknown = null;
    const keepAlive = new KeepAlive(realTimers, { extend: () => Promise.resolve(), ping: () => Promise.reject(failure) }, log, 60);
    failure = new DiskFerryError('cancelled', 'The transfer was cancelled.', { retryable: false });
    await keepAlive.tick();
    expect(lines).toEqual([]);
    failure = new DiskFerryError('network', 'The data server went away.', { retryable: true });
    await keepAlive.tick();
    expect(lines).toEqual([expect.stringContaining('keep-alive OPTIONS failed {"error":"The data server went away."}')]);
  });
});
