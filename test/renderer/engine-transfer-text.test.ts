/** The words of the engine-transfers sheet: whose a transfer is, what the confirmation says and asks, what was done. */
import { describe, expect, it } from 'vitest';
import type { EngineTransferView } from '../../shared/ipc.js';
import { EngineTransferConditionSchema, EngineTransferReasonSchema } from '../../shared/schemas/index.js';
import { en } from '../../renderer/i18n/en.js';
import { ja } from '../../renderer/i18n/ja.js';
import { confirmWords, consentOf, lockedDisk, ownerLabelWords, ownerWords, paramsOf, resultWords, type Words } from '../../renderer/lib/engine-transfer-text.js';

const base: EngineTransferView = {
  id: 't1',
  direction: 'download',
  phase: 'transferring',
  diskId: 'd1',
  diskName: 'web-01',
  hostName: 'host-1',
  owner: null,
  idleMs: null,
  condition: 'moving',
  reason: 'not-watched-long',
  why: 'another client; not watched long enough to call it stuck',
  ending: 'finalize',
  endable: 'another-client',
};

/** A key's text in a table (`a.b.c`). */
function text(table: object, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), table);
}

describe('engine transfer words', () => {
  it("says whose: ours with the job or the command, in the window's language, or another client's", () => {
    expect(ownerWords(base)).toEqual({ key: 'engineTransfers.anotherClient' });
    const job = { kind: 'queue', label: 'queue job web-01 (1234abcd)', name: 'web-01', ref: '1234abcd', host: null, live: false, jobId: 'j' } as const;
    expect(ownerWords({ ...base, owner: job })).toEqual({ key: 'engineTransfers.ours', label: { key: 'engineTransfers.owner.queue', params: { name: 'web-01', ref: '1234abcd' } } });
    // Each kind of owner, worded from its parts in English and Japanese (the label main sends is English).
    const owners = [
      job,
      { ...job, kind: 'command-line-queue', label: 'diskferry queue job web-01 (1234abcd)', jobId: null },
      { kind: 'process', label: 'diskferry download (process 4242)', name: 'download', ref: '4242', host: null, live: true, jobId: null },
      { kind: 'process', label: 'diskferry download (process 4242 on ws-2)', name: 'download', ref: '4242', host: 'ws-2', live: true, jobId: null },
    ] as const;
    const say = (table: object) => (key: string, params?: Record<string, string>) => String(text(table, key)).replace(/\{\{(\w+)\}\}/g, (_, p: string) => params?.[p] ?? `?${p}`);
    const worded = (table: object) => owners.map((o) => say(table)('engineTransfers.ours', paramsOf({ key: 'engineTransfers.ours', label: ownerLabelWords(o) } satisfies Words, say(table))));
    expect(worded(en)).toEqual([
      'DiskFerry: queue job web-01 (1234abcd)',
      'DiskFerry: diskferry queue job web-01 (1234abcd)',
      'DiskFerry: diskferry download (process 4242)',
      'DiskFerry: diskferry download (process 4242 on ws-2)',
    ]);
    // The English labels are main's, word for word.
    expect(worded(en)).toEqual(owners.map((o) => `DiskFerry: ${o.label}`));
    expect(worded(ja)).toEqual(['DiskFerry: キューのジョブ web-01（1234abcd）', 'DiskFerry: diskferry queue のジョブ web-01（1234abcd）', 'DiskFerry: diskferry download（プロセス 4242）', 'DiskFerry: diskferry download（ws-2 のプロセス 4242）']);
  });

  it("asks for another client's transfer in use, and for an upload's disk, exactly what main wants to hear", () => {
    const foreign = confirmWords(base);
    expect(foreign.whose?.key).toBe('engineTransfers.confirmForeign');
    expect(foreign.button).toBe('engineTransfers.confirmForeignEnd');
    expect(consentOf(base)).toEqual({ anotherClient: true });
    const upload: EngineTransferView = { ...base, direction: 'upload', ending: 'cancel', condition: 'stuck', reason: 'paused-by-engine', endable: 'stuck' };
    expect(confirmWords(upload)).toMatchObject({ effect: { key: 'engineTransfers.confirmCancel', params: { disk: 'web-01' } }, whose: { key: 'engineTransfers.confirmForeignStuck' }, button: 'engineTransfers.confirmDelete' });
    expect(consentOf(upload)).toEqual({ deleteDisk: true });
    const ours: EngineTransferView = { ...base, owner: { kind: 'queue', label: 'queue job x (1234abcd)', name: 'x', ref: '1234abcd', host: null, live: false, jobId: 'j' }, condition: 'stuck', reason: 'owner-gone', endable: 'stuck' };
    expect(confirmWords(ours)).toMatchObject({ whose: { key: 'engineTransfers.confirmOurs', label: { key: 'engineTransfers.owner.queue' } }, button: 'engineTransfers.confirmFinalizeButton' });
    expect(consentOf(ours)).toEqual({});
  });

  it('says what ending did to the disk', () => {
    const r = { id: 't1', action: 'finalized', disk: 'ok', diskName: 'web-01', message: '' } as const;
    expect(resultWords(r, 'download').key).toBe('engineTransfers.result.ok');
    expect(resultWords({ ...r, action: 'cancelled', disk: 'removed' }, 'upload').key).toBe('engineTransfers.result.removed');
    expect(resultWords({ ...r, action: 'waited', disk: 'ok' }, 'upload').key).toBe('engineTransfers.result.kept');
    expect(resultWords({ ...r, disk: 'locked' }, 'download')).toEqual({ key: 'engineTransfers.result.unsettled', params: { disk: 'web-01', status: 'locked' } });
  });

  it('offers the disk’s transfers only for a failure (or a retry) the lock caused', () => {
    const error = { code: 'conflict', message: 'locked', retryable: false, diskLocked: true } as const;
    expect(lockedDisk({ state: 'failed', diskId: 'd1', error })).toBe(true);
    expect(lockedDisk({ state: 'retrying', diskId: 'd1', error })).toBe(true);
    expect(lockedDisk({ state: 'failed', diskId: null, error })).toBe(false);
    expect(lockedDisk({ state: 'failed', diskId: 'd1', error: { ...error, diskLocked: false } })).toBe(false);
    expect(lockedDisk({ state: 'completed', diskId: 'd1', error })).toBe(false);
  });

  it('has words in both languages for every condition and reason main sends', () => {
    for (const table of [en, ja]) {
      for (const c of EngineTransferConditionSchema.options) expect(text(table, `engineTransfers.condition.${c}`)).toEqual(expect.any(String));
      for (const r of EngineTransferReasonSchema.options) expect(text(table, `engineTransfers.reason.${r}`)).toEqual(expect.any(String));
    }
  });
});
