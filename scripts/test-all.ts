/**
 * `npm test`: the whole suite in two stages, the second only after the first passed.
 *
 * 1. The static checks and the end-to-end tests side by side: lint, the Node typecheck and the web
 *    typecheck are three single-threaded programs, and the e2e tests in Chromium
 *    (`npm run test:e2e`) mostly wait on their web hosts; on two cores the four take about the time
 *    of the slowest. The typechecks are incremental (`npm run typecheck`) and lint keeps a cache
 *    (`npm run lint`, eslint.config.js): a second run re-checks only what changed since the first.
 * 2. The unit and integration tests with the secrets scan (`scripts/test-unit.ts`; vitest runs
 *    several files at once and keeps two cores busy by itself, see vitest.config.ts), alone: nothing
 *    else competes with its timing-sensitive tests (docs/architecture.md, "The test suite").
 *
 * The output of a step running beside another is held and printed whole when it ends, so two never
 * interleave. Arguments after `--` go to vitest. Ends with each step's wall time, and exits with the
 * first failing step's code (1 when a step was killed by a signal).
 */
import { spawn } from 'node:child_process';

interface Step {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

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
      { name: 'lint', command: npm, args: ['run', '--silent', 'lint'] },
      { name: 'typecheck (Node)', command: npm, args: ['run', '--silent', 'typecheck:node'] },
      { name: 'typecheck (web)', command: npm, args: ['run', '--silent', 'typecheck:web'] },
      { name: 'end-to-end tests', command: npm, args: ['run', '--silent', 'test:e2e'] },
    ],
    [{ name: 'unit and integration tests', command: npx, args: ['tsx', 'scripts/test-unit.ts', ...vitestArgs] }],
  ];
  for (const stage of stages) {
    const done = await Promise.all(stage.map((step) => run(step, stage.length > 1)));
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
