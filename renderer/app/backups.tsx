/**
 * The Backups… sheet wired to the core: reads the remembered folder (or the one the user gives, which
 * main then remembers for the engine) and opens Restore… for a run or one of its disks.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ErrorInfo } from '../../shared/errors.js';
import type { BackupHistory } from '../../shared/ipc.js';
import { BackupsSheet } from '../components/backups-sheet.js';
import type { BackupsFilter } from '../lib/backup-filter.js';
import { useLocale } from '../hooks/use-locale.js';
import { useAppState, useController } from './context.js';
import { useLatestRequest } from '../hooks/use-latest-request.js';

/** The sheet with its state; `vmId` / `vmName` show one VM (a VM list opens it so). */
export function BackupsPanel({ vmId, vmName, onClose }: { readonly vmId: string | null; readonly vmName: string | null; readonly onClose: () => void }) {
  const c = useController();
  const locale = useLocale();
  const nativeDialogs = useAppState((s) => s.info?.nativeDialogs ?? false);
  const [filter, setFilter] = useState<BackupsFilter>({ vmId, vmName });
  const [history, setHistory] = useState<BackupHistory | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ErrorInfo | null>(null);

  const ask = useLatestRequest();
  const load = useCallback(
    async (folder?: string) => {
      const latest = ask();
      setLoading(true);
      const r = await c.listBackups(folder);
      // A folder chosen since is being read: this older answer is not shown.
      if (!latest()) return;
      setLoading(false);
      if (r.ok) {
        setHistory(r.value);
        setError(null);
      } else setError(r.error);
    },
    [c, ask],
  );
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <BackupsSheet
      key={history?.folder ?? ''}
      history={history}
      loading={loading}
      error={error}
      filter={filter}
      locale={locale}
      nativeDialogs={nativeDialogs}
      onRead={(folder) => void load(folder)}
      onChooseFolder={(current) => c.chooseFolder(current || null)}
      onShowAll={() => setFilter({ vmId: null, vmName: null })}
      onRestore={(run, diskId) => void c.openRestore(run.path, diskId === null ? null : [diskId], filter)}
      onClose={onClose}
    />
  );
}
