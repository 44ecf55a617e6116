/**
 * `npm test`: the whole suite in two stages, the second only after the first passed.
 *
 * 1. The end-to-end tests in Chromium (`npm run test:e2e`) beside lint (`npm run lint`).
 * 2. The unit and integration tests with the secrets scan (`scripts/test-unit.ts`; vitest runs
 *    several files at once, see vitest.config.ts) beside the Node and the web typechecks
 *    (`npm run typecheck`), which run at a lower priority (nice 19, `os.setPriority`).
 *
 * Why so (docs/architecture.md, "The test suite"): on two cores every step is bound by the CPU it
 * needs. The first stage keeps both cores busy (Chromium is ~2/3 of e2e's CPU); vitest leaves ~15 %
 * of them idle while its files wait on sockets and timers. The typechecks need ~26 s of CPU and no
 * timing: behind vitest they take mostly what it leaves (it ends 10-25 s later than alone), and e2e
 * no longer shares its stage with them (it took 112-125 s beside them, 96-107 s now). lint stays
 * beside e2e: ~37 s of CPU would not fit in vitest's gaps. The typechecks are
 * incremental and lint keeps a cache: a second run re-checks only what changed since the first.
 *
 * The first step of a stage prints as it goes; the output of the others is held and printed whole
 * when they end, so two never interleave. Arguments after `--` go to vitest. Ends with each step's
 * wall time, and exits with the first failing step's code (1 when a step was killed by a signal).
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';

interface Step {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Runs at a lower priority than the steps beside it (and than this process). */
  readonly background?: boolean;
}

/** The niceness of a background step (its children inherit it). */
const BACKGROUND_PRIORITY = 19;

interface StepResult {
  readonly name: string;
  readonly code: number;
  readonly seconds: number;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/** Runs a step; `held` keeps its output until it ends (for steps running side by side). */
function run(step: Step, held: boolean): Promise<StepResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(step.command, step.args, { stdio: held ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: process.env });
    // Set before npm has started the program it runs, which inherits it; a failure only costs time.
    if (step.background && child.pid !== undefined) {
      try {
        setPriority(child.pid, BACKGROUND_PRIORITY);
      } catch {
        // Not allowed here (some containers): the step runs at the normal priority.
      }
    }
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.stderr?.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => chunks.push(Buffer.from(`${step.name}: ${err.message}\n`)));
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (held) {
        process.stdout.write(`\n> ${step.name} (${seconds.toFixed(1)} s)\n`);
        process.stdout.write(Buffer.concat(chunks));
      }
      resolve({ name: step.name, code: code ?? 1, seconds });
    });
  });
}

async function main(): Promise<number> {
  const vitestArgs = process.argv.slice(2);
  const results: StepResult[] = [];
  const summary = () => process.stdout.write(`\nnpm test: ${results.map((r) => `${r.name} ${r.seconds.toFixed(1)} s${r.code === 0 ? '' : ' (failed)'}`).join(', ')}\n`);
  const stages: ReadonlyArray<readonly Step[]> = [
    [
      { name: 'end-to-end tests', command: npm, args: ['run', '--silent', 'test:e2e'] },
      { name: 'lint', command: npm, args: ['run', '--silent', 'lint'] },
    ],
    [
      { name: 'unit and integration tests', command: npx, args: ['tsx', 'scripts/test-unit.ts', ...vitestArgs] },
      { name: 'typecheck (Node)', command: npm, args: ['run', '--silent', 'typecheck:node'], background: true },
      { name: 'typecheck (web)', command: npm, args: ['run', '--silent', 'typecheck:web'], background: true },
    ],
  ];
  for (const stage of stages) {
    const done = await Promise.all(stage.map((step, i) => run(step, i > 0)));
    results.push(...done);
    const failed = done.find((r) => r.code !== 0);
    if (failed) {
      summary();
      return failed.code;
    }
  }
  summary();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test-all: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
