/**
 * Which actions apply to a set of transfers (a selection, or the whole queue), from what main says
 * applies to each (`TransferView.actions`): the ids each action would act on. The toolbar, the
 * context menu and the Delete key ask this one function. Pure; tested.
 */
import type { TransferView } from '../../shared/ipc.js';

/** The ids each action applies to. */
export interface SelectionActions {
  readonly pause: readonly string[];
  readonly resume: readonly string[];
  readonly cancel: readonly string[];
  readonly retry: readonly string[];
  readonly remove: readonly string[];
  readonly startNow: readonly string[];
  readonly move: readonly string[];
  /** The one transfer whose file can be shown (a single selection). */
  readonly reveal: string | null;
  /** Finished transfers (completed, failed, cancelled): what a report covers. */
  readonly finished: readonly string[];
}

/** The actions over `transfers`. */
export function selectionActions(transfers: readonly Pick<TransferView, 'id' | 'state' | 'actions'>[]): SelectionActions {
  const pick = (key: keyof TransferView['actions']) => transfers.filter((t) => t.actions[key]).map((t) => t.id);
  const only = transfers.length === 1 ? transfers[0] : undefined;
  return {
    pause: pick('pause'),
    resume: pick('resume'),
    cancel: pick('cancel'),
    retry: pick('retry'),
    remove: pick('remove'),
    startNow: pick('startNow'),
    move: pick('move'),
    reveal: only?.actions.reveal ? only.id : null,
    finished: transfers.filter((t) => t.state === 'completed' || t.state === 'failed' || t.state === 'cancelled').map((t) => t.id),
  };
}

/** The failed transfers of a list ("retry failed"). */
export function failedIds(transfers: readonly Pick<TransferView, 'id' | 'state' | 'actions'>[]): string[] {
  return transfers.filter((t) => t.state === 'failed' && t.actions.retry).map((t) => t.id);
}
