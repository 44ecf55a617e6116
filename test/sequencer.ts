import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that took longest in a run of the whole suite on two cores (2026-12-07), slowest first.
 * Only the order of a first run reads it; a stale entry costs a few seconds, never a result.
 */
const SLOWEST = [
  'test/reliability/kill-soak.test.ts',
  'test/reliability/faults-matrix.test.ts',
  'test/integration/faults.test.ts',
  'test/app/queue.test.ts',
  'test/integration/slow-engine.test.ts',
  'test/integration/upload-resume-queue.test.ts',
  'test/integration/backup.test.ts',
  'test/integration/snapshot-backup.test.ts',
  'test/integration/upload-resume.test.ts',
  'test/integration/download.test.ts',
  'test/integration/queue-cli-signals.test.ts',
  'test/integration/queue-cli-control.test.ts',
  'test/integration/cli-transfer-options.test.ts',
  'test/integration/upload-resume-cli.test.ts',
  'test/cli/pipe.test.ts',
  'test/integration/queue-kill.test.ts',
  'test/integration/pause-resume.test.ts',
  'test/app/transfers.test.ts',
  'test/integration/proxy.test.ts',
  'test/engine/transfer/transfer-run.test.ts',
];

/**
 * The order files start in. vitest starts the longest first by the durations it saved from the last
 * run (node_modules/.vite/vitest): then this is vitest's own order. A fresh clone has none, and
 * vitest falls back to the largest file first, which started a 17 s file last in one run and ended
 * the suite ~10 s later than a measured order (docs/architecture.md, "The test suite"). So when no
 * file has a saved result, the slowest files of SLOWEST start first, in its order, then the rest
 * largest first.
 */
export class FirstRunSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const root = this.ctx.config.root;
    const key = (f: TestSpecification) => `${f.project.name}:${relative(root, f.moduleId)}`;
    if (files.some((f) => cache.getFileTestResults(key(f)) !== undefined)) return super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOWEST.indexOf(relative(root, f.moduleId).split('\\').join('/'));
      return i === -1 ? SLOWEST.length : i;
    };
    const size = (f: TestSpecification) => cache.getFileStats(key(f))?.size ?? 0;
    const ordered = await super.sort(files); // vitest's grouping of projects, largest first within
    const group = new Map(ordered.map((f, i) => [f, i]));
    return [...files].sort((a, b) => {
      if (a.project.name !== b.project.name) return (group.get(a) ?? 0) - (group.get(b) ?? 0);
      return rank(a) - rank(b) || size(b) - size(a);
    });
  }
}
