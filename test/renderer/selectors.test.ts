import { describe, expect, it } from 'vitest';
import { filterAndSortDisks, historyReportCsv, historySummary, inHistory, inQueue, queueCounts } from '../../renderer/state/selectors.js';
import { disk, transfer } from './fixtures.js';

describe('queue and history views', () => {
  it('keeps failed transfers in the queue (to retry) and in the history (for the report)', () => {
    expect(inQueue({ state: 'failed' })).toBe(true);
    expect(inHistory({ state: 'failed' })).toBe(true);
    expect(inQueue({ state: 'completed' })).toBe(false);
    expect(inQueue({ state: 'cancelled' })).toBe(false);
    expect(inHistory({ state: 'transferring' })).toBe(false);
  });

  it('counts what the queue is doing', () => {
    const states = ['transferring', 'finalizing', 'queued', 'waiting', 'retrying', 'paused', 'failed'] as const;
    expect(queueCounts(states.map((state) => ({ state })))).toEqual({ running: 2, waiting: 3, paused: 1, failed: 1 });
  });

  it('sums the history by direction and outcome', () => {
    const history = [
      transfer({ id: 'a', state: 'completed', direction: 'upload', progress: { ...transfer({ id: 'x' }).progress, bytesTotal: 100 } }),
      transfer({ id: 'b', state: 'completed', progress: { ...transfer({ id: 'x' }).progress, bytesTotal: null, bytesDone: 50 } }),
      transfer({ id: 'c', state: 'failed' }),
      transfer({ id: 'd', state: 'cancelled' }),
    ];
    expect(historySummary(history)).toEqual({ uploaded: 1, downloaded: 1, failed: 1, cancelled: 1, bytes: 150 });
  });

  it('writes the report as CSV with quoting', () => {
    const csv = historyReportCsv([
      transfer({ id: 'a', state: 'failed', finishedAt: Date.UTC(2025, 0, 1), name: 'odd, "name"', error: { code: 'network', message: 'Connection reset.', retryable: true }, attempts: 2 }),
    ]);
    const [header, row] = csv.trim().split('\n');
    expect(header).toBe('finished,direction,state,name,disk,disk_id,storage_domain,local_path,bytes,seconds,attempts,error');
    expect(row).toBe('2025-01-01T00:00:00.000Z,download,failed,"odd, ""name""",a,disk-a,,/backups/a.raw,1024,0,2,network: Connection reset.');
  });
});

describe('disk list', () => {
  const disks = [
    disk({ id: '1', name: 'web-10', provisionedSize: 20 }),
    disk({ id: '2', name: 'web-9', provisionedSize: null }),
    disk({ id: '3', name: 'db01-disk0', provisionedSize: 50, storageDomainNames: ['data-iscsi'] }),
  ];

  it('sorts names naturally (web-9 before web-10)', () => {
    expect(filterAndSortDisks(disks, '', { key: 'name', descending: false }).map((d) => d.name)).toEqual(['db01-disk0', 'web-9', 'web-10']);
  });

  it('keeps unknown sizes last in both directions', () => {
    expect(filterAndSortDisks(disks, '', { key: 'provisionedSize', descending: true }).map((d) => d.id)).toEqual(['3', '1', '2']);
    expect(filterAndSortDisks(disks, '', { key: 'provisionedSize', descending: false }).map((d) => d.id)).toEqual(['1', '3', '2']);
  });

  it('searches names, ids and storage domains, every word, ignoring * wildcards', () => {
    expect(filterAndSortDisks(disks, 'web*', { key: 'name', descending: false }).map((d) => d.id)).toEqual(['2', '1']);
    expect(filterAndSortDisks(disks, 'iscsi', { key: 'name', descending: false }).map((d) => d.id)).toEqual(['3']);
    expect(filterAndSortDisks(disks, 'web 10', { key: 'name', descending: false }).map((d) => d.id)).toEqual(['1']);
  });
});
