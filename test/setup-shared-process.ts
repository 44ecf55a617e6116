// vitest setup file of the `shared` project, whose files run one after another in one process
// (vitest.config.ts): a file must leave the process as it found it. This checks what the product and
// the tests touch: the environment (the CLI tests point DISKFERRY_CONFIG_DIR at their own folder),
// the working folder, and the listeners for the signals and exit (the CLI's Ctrl-C handling). What a
// file left is put back, and the file fails, naming it, so the next file never runs on it.
import { afterAll, beforeAll } from 'vitest';

const WATCHED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection'] as const;

let env: Record<string, string | undefined> = {};
let cwd = '';
let listeners = new Map<string, ReturnType<NodeJS.EventEmitter['listeners']>>();
/** The process as a plain emitter: its typed overloads take one kind of event each. */
const emitter: NodeJS.EventEmitter = process;

beforeAll(() => {
  env = { ...process.env };
  cwd = process.cwd();
  listeners = new Map(WATCHED_EVENTS.map((e) => [e, emitter.listeners(e)]));
});

afterAll(() => {
  const left: string[] = [];
  const now = process.env;
  for (const key of new Set([...Object.keys(env), ...Object.keys(now)])) {
    if (env[key] !== now[key]) left.push(`environment variable ${key}`);
  }
  if (left.length > 0) process.env = { ...env };
  if (process.cwd() !== cwd) {
    left.push(`working folder ${process.cwd()}`);
    process.chdir(cwd);
  }
  for (const event of WATCHED_EVENTS) {
    const before = listeners.get(event) ?? [];
    const added = emitter.listeners(event).filter((l) => !before.includes(l));
    for (const l of added) emitter.off(event, l as (...args: unknown[]) => void);
    if (added.length > 0) left.push(`${added.length} '${event}' listener(s) on the process`);
  }
  if (left.length > 0) throw new Error(`This test file left the shared test process changed (put back now): ${left.join(', ')}. Put it back in afterAll/afterEach.`);
});
