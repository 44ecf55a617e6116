/**
 * Keeping the computer awake from the command line, per OS: the helper program each OS runs (started
 * for real, as a stand-in `sleep`, with the command line recorded), and Windows' kernel32 through a
 * recording fake fed what SetThreadExecutionState answers (the previous state, or 0 on failure).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createCliPower } from '../../main/cli/queue/ports.js';
import { createLog } from '../../main/engine/log.js';
import type { Win32Native } from '../../main/engine/os/win32-native.js';

function recordingLog() {
  const lines: string[] = [];
  return { lines, log: createLog({ level: 'info', write: (l) => lines.push(l) }) };
}

function kernel32(answer: number): Win32Native & { states: number[] } {
  const states: number[] = [];
  return {
    states,
    createFile: () => -1,
    deviceIoControl: () => ({ ok: false, bytes: 0 }),
    closeHandle: () => true,
    volumePathName: () => null,
    volumeInformation: () => null,
    driveType: () => 0,
    setThreadExecutionState: (flags) => (states.push(flags), answer),
    lastError: () => 0,
  };
}

/** A spawn that records the command line and starts a harmless process in its place. */
function recordingSpawn() {
  const started: Array<{ command: string; args: readonly string[]; child: ChildProcess }> = [];
  return {
    started,
    spawn: (command: string, args: readonly string[]) => {
      const child = spawn('sleep', ['30'], { stdio: ['pipe', 'ignore', 'ignore'] });
      started.push({ command, args, child });
      return child;
    },
  };
}

describe('keeping the computer awake from the command line', () => {
  it('on Windows holds ES_CONTINUOUS | ES_SYSTEM_REQUIRED while bytes move and clears it after', () => {
    const k32 = kernel32(0x80000000);
    const { lines, log } = recordingLog();
    const power = createCliPower(log, 'win32', { win32: () => k32 });
    power.setAwake(true);
    power.setAwake(true);
    power.setAwake(false);
    power.setAwake(false);
    expect(k32.states).toEqual([0x80000001, 0x80000000]);
    expect(lines).toEqual([]);
  });

  it('on Windows says once in the log when SetThreadExecutionState fails or kernel32 cannot load, and stops asking', () => {
    const k32 = kernel32(0);
    const { lines, log } = recordingLog();
    const power = createCliPower(log, 'win32', { win32: () => k32 });
    power.setAwake(true);
    power.setAwake(false);
    power.setAwake(true);
    expect(k32.states).toEqual([0x80000001]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot keep the computer awake.*SetThreadExecutionState failed/);
    const none = recordingLog();
    createCliPower(none.log, 'win32', { win32: () => null }).setAwake(true);
    expect(none.lines[0]).toMatch(/kernel32 could not be loaded/);
  });

  it('on macOS runs caffeinate -i -w with our pid and ends it when the bytes stop', async () => {
    const rec = recordingSpawn();
    const power = createCliPower(recordingLog().log, 'darwin', { spawn: rec.spawn });
    power.setAwake(true);
    power.setAwake(true);
    expect(rec.started.map((s) => [s.command, ...s.args])).toEqual([['caffeinate', '-i', '-w', String(process.pid)]]);
    const exited = once(rec.started[0]!.child, 'exit');
    power.setAwake(false);
    await exited;
    expect(rec.started[0]!.child.killed).toBe(true);
  });

  it('on Linux runs systemd-inhibit for sleep and idle, holding it through its stdin', async () => {
    const rec = recordingSpawn();
    const power = createCliPower(recordingLog().log, 'linux', { spawn: rec.spawn });
    power.setAwake(true);
    expect(rec.started.map((s) => [s.command, ...s.args])).toEqual([['systemd-inhibit', '--what=sleep:idle', '--who=DiskFerry', '--why=Transferring disk images', '--mode=block', 'cat']]);
    const exited = once(rec.started[0]!.child, 'exit');
    power.setAwake(false);
    await exited;
  });

  it('says once in the log when the helper program is missing', async () => {
    const { lines, log } = recordingLog();
    const power = createCliPower(log, 'linux', { spawn: (_c, args) => spawn('diskferry-no-such-inhibitor', [...args], { stdio: ['pipe', 'ignore', 'ignore'] }) });
    power.setAwake(true);
    await new Promise((r) => setTimeout(r, 200));
    power.setAwake(false);
    power.setAwake(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.filter((l) => l.includes('cannot keep the computer awake'))).toHaveLength(1);
  });

  it('does nothing on other systems', () => {
    const rec = recordingSpawn();
    createCliPower(recordingLog().log, 'freebsd', { spawn: rec.spawn }).setAwake(true);
    expect(rec.started).toEqual([]);
  });
});
