/**
 * The "Transfers on this engine" sheet wired to the core: lists the selected engine's transfers
 * (of one disk when opened from a failed row), ends the one the user confirmed, shows each result,
 * and offers to retry the job it was opened from once something was ended.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ErrorInfo } from '../../shared/errors.js';
import type { EngineTransfers, EngineTransferView } from '../../shared/ipc.js';
import { EngineTransfersSheet, type EndLine } from '../components/engine-transfers-sheet.js';
import { consentOf } from '../lib/engine-transfer-text.js';
import { useAppState, useController } from './context.js';
import { useLatestRequest } from '../hooks/use-latest-request.js';

/** Props: what the sheet was opened for. */
export interface EngineTransfersProps {
  readonly diskId: string | null;
  readonly diskName: string | null;
  /** The failed transfer (queue job) it was opened from. */
  readonly jobId: string | null;
  /** Closes this sheet. */
  readonly onClose: () => void;
}

/** The sheet with its state. */
export function EngineTransfersPanel({ diskId, diskName, jobId, onClose }: EngineTransfersProps) {
  const c = useController();
  const [filter, setFilter] = useState(diskId !== null ? { diskId, diskName: diskName ?? diskId } : null);
  const [list, setList] = useState<EngineTransfers | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [ending, setEnding] = useState<ReadonlySet<string>>(new Set());
  const [results, setResults] = useState<readonly EndLine[]>([]);
  const job = useAppState((s) => (jobId === null ? undefined : s.transfers.transfers.find((t) => t.id === jobId)));

  const ask = useLatestRequest();
  const load = useCallback(async () => {
    const latest = ask();
    setLoading(true);
    const r = await c.listEngineTransfers(filter ? { diskId: filter.diskId } : {});
    // A later read (Show all, the read after another End) answers for the list shown.
    if (!latest()) return;
    setLoading(false);
    if (r.ok) {
      setList(r.value);
      setError(null);
    } else setError(r.error);
  }, [c, filter, ask]);

  useEffect(() => {
    void load();
  }, [load]);

  const end = async (row: EngineTransferView) => {
    setEnding((s) => new Set(s).add(row.id));
    const outcome = await c.endEngineTransfer({ id: row.id, ...consentOf(row) });
    setEnding((s) => {
      const next = new Set(s);
      next.delete(row.id);
      return next;
    });
    setResults((r) => [...r, { row, outcome }]);
    await load();
  };

  const cleaned = results.some((l) => l.outcome.ok);
  return (
    <EngineTransfersSheet
      list={list}
      loading={loading}
      error={error}
      filter={filter}
      ending={ending}
      results={results}
      retryName={cleaned && job?.actions.retry ? job.name : null}
      onRefresh={() => void load()}
      onShowAll={() => setFilter(null)}
      onEnd={(row) => void end(row)}
      onRetry={() => {
        if (!job) return;
        c.retry(job.id);
        onClose();
      }}
      onClose={onClose}
    />
  );
}
