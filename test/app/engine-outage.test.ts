/**
 * An engine that stops answering is visible: the selected profile stops reading as plainly
 * connected and says since when it is away and why, with no secret in it; when the engine answers
 * again, that goes away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, until, type CoreHarness } from './helpers.js';

describe('app core: an engine outage', () => {
  let h: CoreHarness;
  beforeAll(async () => {
    h = await startCore();
    await h.call('engines:demo', undefined);
  });
  afterAll(async () => {
    await h?.close();
  });

  const selected = () => {
    const s = h.snapshot('engines:changed');
    return s.profiles.find((p) => p.id === s.selectedId)!;
  };

  it('shows since when the engine has not answered, and clears it when it answers again', async () => {
    expect(selected()).toMatchObject({ status: 'connected', away: null });
    const before = Date.now();
    h.sim.faults.engineUnavailable = true;
    const failed = await h.invoke('catalog:disks', {});
    expect(failed.ok).toBe(false);
    const away = selected().away;
    expect(away).not.toBeNull();
    expect(away!.since).toBeGreaterThanOrEqual(before);
    expect(away!.since).toBeLessThanOrEqual(Date.now());
    expect(away!.error.code).toBe('server-error');
    expect(JSON.stringify(h.snapshot('engines:changed'))).not.toContain(h.sim.password);
    // Still connected: the session is kept, and transfers wait for the engine.
    expect(selected().status).toBe('connected');

    h.sim.faults.engineUnavailable = false;
    await h.call('catalog:disks', {});
    await until(() => selected().away === null, 5000, 'the outage to clear');
    expect(h.logLines.join('\n')).toMatch(/the engine is not answering; transfers wait for it[\s\S]*the engine answers again/);
  });
});
