import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDisk, phaseTrail, startHarness, startTransfer, waitFor, type Harness } from './engine-harness.js';

type Json = Record<string, unknown>;

const ticketIdOf = (t: Json) => String(t['proxy_url']).split('/').pop()!;

/** Lets the 25 ms fast poller run a few times. */
const polls = (n = 4) => new Promise((r) => setTimeout(r, 25 * n + 10));

function phase(h: Harness, t: Json): string {
  return h.engine.state.transfers.get(String(t['id']))?.phase ?? 'gone';
}

async function waitPhase(h: Harness, t: Json, wanted: string): Promise<void> {
  await waitFor(() => (phase(h, t) === wanted ? true : undefined), 3000, wanted);
}

describe('inactivity policy (4.5)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.5' });
  });
  afterAll(async () => h.close());

  test('legacy upload: idle longer than the timeout → paused_system, tickets kept, disk locked', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, { disk: { id: diskId }, inactivity_timeout: 30 });
    h.ticketClock.t += 30;
    await polls();
    expect(phase(h, t)).toBe('transferring'); // idle_time must exceed the timeout, not reach it
    h.ticketClock.t += 1;
    await waitPhase(h, t, 'paused_system');
    expect(h.daemon.tickets.get(ticketIdOf(t))).toBeDefined();
    expect(h.engine.state.disks.get(diskId)?.status).toBe('locked');
  });

  test('after resume the idle time counts from the resume, not from the last request', async () => {
    const t = await startTransfer(h, { disk: { id: await createDisk(h) }, inactivity_timeout: 10 });
    h.ticketClock.t += 11;
    await waitPhase(h, t, 'paused_system');
    expect((await h.api('POST', `/imagetransfers/${String(t['id'])}/resume`, {})).status).toBe(200);
    await waitPhase(h, t, 'transferring');
    await polls();
    expect(phase(h, t)).toBe('transferring');
    h.ticketClock.t += 11;
    await waitPhase(h, t, 'paused_system');
  });

  test('legacy download: idle → cancelled_system → finished_failure, disk ok', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, { disk: { id: diskId }, direction: 'download', inactivity_timeout: 5 });
    h.ticketClock.t += 6;
    expect(await phaseTrail(h, String(t['id']))).toEqual(['transferring', 'cancelled_system', 'finalizing_failure', 'finished_failure']);
    expect(h.engine.state.disks.get(diskId)?.status).toBe('ok');
  });

  test('pause policy: even a download goes to paused_system', async () => {
    const t = await startTransfer(h, { disk: { id: await createDisk(h) }, direction: 'download', inactivity_timeout: 5, timeout_policy: 'pause' });
    h.ticketClock.t += 6;
    await waitPhase(h, t, 'paused_system');
  });

  test('cancel policy: an idle upload is cancelled and its disk deleted', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, { disk: { id: diskId }, inactivity_timeout: 5, timeout_policy: 'cancel' });
    h.ticketClock.t += 6;
    expect(await phaseTrail(h, String(t['id']))).toEqual(['transferring', 'cancelled_system', 'finalizing_failure', 'finished_failure']);
    expect(h.engine.state.disks.get(diskId)).toBeUndefined();
  });

  test('an operation in flight is never idle', async () => {
    const t = await startTransfer(h, { disk: { id: await createDisk(h) }, inactivity_timeout: 5 });
    const ticket = h.daemon.tickets.get(ticketIdOf(t))!;
    const op = ticket.begin(0);
    h.ticketClock.t += 100;
    await polls();
    expect(phase(h, t)).toBe('transferring');
    expect((await h.api('GET', `/imagetransfers/${String(t['id'])}`)).json()['active']).toBe('true');
    op.done = 4096;
    ticket.end(op);
    await polls();
    expect((await h.api('GET', `/imagetransfers/${String(t['id'])}`)).json()['transferred']).toBe('4096');
    expect(phase(h, t)).toBe('transferring'); // ending the op touched the ticket
  });

  test('inactivity_timeout 0 disables the check', async () => {
    const t = await startTransfer(h, { disk: { id: await createDisk(h) }, inactivity_timeout: 0 });
    h.ticketClock.t += 10_000;
    await polls();
    expect(phase(h, t)).toBe('transferring');
  });

  test('the engine extends the host ticket before it expires while transferring', async () => {
    const t = await startTransfer(h, { disk: { id: await createDisk(h) }, inactivity_timeout: 0 });
    const id = ticketIdOf(t);
    h.ticketClock.t += 250; // 50 s left < the 60 s refresh allowance
    await waitFor(() => (h.daemon.tickets.get(id)!.expires === h.ticketClock.t + 300 ? true : undefined));
    expect(h.proxy.tickets.get(id)!.expires).toBe(h.ticketClock.t + 300);
  });

  test('a paused transfer gets no ticket extension', async () => {
    const t = await startTransfer(h, { disk: { id: await createDisk(h) }, inactivity_timeout: 0 });
    expect((await h.api('POST', `/imagetransfers/${String(t['id'])}/pause`, {})).status).toBe(200);
    const before = h.daemon.tickets.get(ticketIdOf(t))!.expires;
    h.ticketClock.t += 250;
    await polls();
    expect(h.daemon.tickets.get(ticketIdOf(t))!.expires).toBe(before);
  });

  test('download auto-finalize: fully read and inactive for two polls', async () => {
    const diskId = await createDisk(h, { provisioned_size: 1024 * 1024 });
    const t = await startTransfer(h, { disk: { id: diskId }, direction: 'download', format: 'raw', inactivity_timeout: 0 });
    const ticket = h.daemon.tickets.get(ticketIdOf(t))!;
    const op = ticket.begin(0);
    op.done = 1024 * 1024;
    ticket.end(op);
    expect(await phaseTrail(h, String(t['id']))).toEqual(['transferring', 'finalizing_success', 'finished_success']);
    expect(h.engine.state.disks.get(diskId)?.status).toBe('ok');
  });

  test('a partly read download is not auto-finalized', async () => {
    const t = await startTransfer(h, { disk: { id: await createDisk(h, { provisioned_size: 1024 * 1024 }) }, direction: 'download', format: 'raw', inactivity_timeout: 0 });
    const ticket = h.daemon.tickets.get(ticketIdOf(t))!;
    const op = ticket.begin(0);
    op.done = 4096;
    ticket.end(op);
    await polls(6);
    expect(phase(h, t)).toBe('transferring');
  });
});

describe('inactivity on 4.3: always the legacy policy', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.3' });
  });
  afterAll(async () => h.close());

  test('timeout_policy is ignored: an idle upload pauses', async () => {
    const t = await startTransfer(h, { disk: { id: await createDisk(h) }, inactivity_timeout: 5, timeout_policy: 'cancel' });
    h.ticketClock.t += 6;
    await waitPhase(h, t, 'paused_system');
  });
});

describe('4.1: the session lives by extend', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.1' });
  });
  afterAll(async () => h.close());

  test('without extend for longer than the timeout an upload goes to paused_system', async () => {
    const t = await startTransfer(h, { image: { id: await createDisk(h) } });
    h.ticketClock.t += 1000; // imageio idle time does not matter on 4.1
    await polls();
    expect(phase(h, t)).toBe('transferring');
    h.clock.now += 61_000;
    await waitPhase(h, t, 'paused_system');
  });

  test('extend keeps it alive and extends the ticket; a download without extend is cancelled by the system', async () => {
    const up = await startTransfer(h, { image: { id: await createDisk(h) } });
    const down = await startTransfer(h, { image: { id: await createDisk(h) }, direction: 'download' });
    h.clock.now += 40_000;
    h.ticketClock.t += 280;
    expect((await h.api('POST', `/imagetransfers/${String(up['id'])}/extend`, {})).status).toBe(200);
    expect(h.daemon.tickets.get(ticketIdOf(up))!.expires).toBe(h.ticketClock.t + 300);
    h.clock.now += 40_000;
    await waitFor(() => (phase(h, down) === 'gone' ? true : undefined));
    expect(phase(h, up)).toBe('transferring');
  });
});
