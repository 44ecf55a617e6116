/**
 * What the progress figures measure, on the injected clock: the rate of the bytes on the wire
 * (smoothed, never negative, never counting holes), the time left of the data still to move, no
 * count going back after a pause, and no rate or time left in the verify and finalize tail.
 */
import { describe, expect, it } from 'vitest';
import type { TransferProgress } from '../../../shared/model.js';
import { ProgressTracker } from '../../../main/engine/transfer/progress-tracker.js';
import { RateMeter, RATE_MIN_MS, RATE_STALL_MS } from '../../../main/engine/transfer/rate-meter.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function tracker() {
  const c = clock();
  const events: TransferProgress[] = [];
  const tr = new ProgressTracker(c.now, (p) => events.push(p), 250);
  return { c, tr, events };
}

describe('RateMeter', () => {
  it('reads a paced stream of 4 MiB steps at its pace from the second step on, whatever the start-up took', () => {
    const c = clock();
    const m = new RateMeter(c.now);
    m.restart(0);
    const step = 4 * MiB;
    const limit = 3 * MiB;
    const rates: number[] = [];
    // Connections and the first wait took 3 s: not part of the rate.
    c.advance(3000);
    m.sample(step);
    expect(m.rate()).toBeNull();
    for (let i = 2; i <= 30; i++) {
      // The limit pays each piece off before it goes: a step every 1.33 s, nothing between.
      c.advance((step / limit) * 1000);
      m.sample(i * step);
      const r = m.rate();
      if ((i - 1) * (step / limit) * 1000 < RATE_MIN_MS) expect(r).toBeNull();
      else rates.push(r!);
    }
    expect(rates.length).toBe(28);
    for (const r of rates) expect(Math.abs(r - limit) / limit).toBeLessThan(0.001);
  });

  it("averages uneven steps to the bytes over the time: each reading within 30 %, their mean within 5 %", () => {
    const c = clock();
    const m = new RateMeter(c.now);
    m.restart(0);
    // Two transfers share a 3 MiB/s limit: this one's 4 MiB pieces come 2.67 s apart on average, unevenly.
    let bytes = 0;
    const gaps = [2000, 3333, 1500, 3833, 2666, 2667];
    const rates: number[] = [];
    for (let i = 0; i < 60; i++) {
      c.advance(gaps[i % gaps.length]!);
      bytes += 4 * MiB;
      m.sample(bytes);
      if (i >= 12) rates.push(m.rate()!);
    }
    const truth = (4 * MiB * 6) / (gaps.reduce((a, b) => a + b, 0) / 1000);
    for (const r of rates) expect(Math.abs(r - truth) / truth).toBeLessThan(0.3);
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    expect(Math.abs(mean - truth) / truth).toBeLessThan(0.05);
  });

  it('after a resume beside another upload, the total of the two rates stays near the limit', () => {
    for (const [pauseAt, resumeAt] of [[20_000, 21_500], [20_250, 21_700]] as const) {
      const now = sharedLimit(pauseAt, resumeAt, true);
      // Within 30 % even when they take 2 s turns (the resumed one's 4 pieces back to back; real
      // workers drift apart and take shorter ones), and back on the limit when it settles.
      expect(now.worst).toBeLessThanOrEqual(1.3);
      expect(Math.abs(now.total - 1)).toBeLessThan(0.2);
      // Measured from the resumed one's first step (no claims), the total read more than 1.45x.
      expect(sharedLimit(pauseAt, resumeAt, false).worst).toBeGreaterThan(1.45);
    }
  });

  it('a claim after the first step changes nothing: a download pays after its bytes arrived', () => {
    const c = clock();
    const m = new RateMeter(c.now);
    m.restart(0);
    c.advance(3000);
    m.sample(MiB);
    m.claim();
    c.advance(1000);
    m.sample(2 * MiB);
    c.advance(1000);
    m.sample(3 * MiB);
    expect(m.rate()).toBeCloseTo(MiB, -3);
  });

  it('has no rate before two steps and two seconds, and a stalled counter decays toward 0', () => {
    const c = clock();
    const m = new RateMeter(c.now);
    m.restart(100);
    c.advance(200);
    m.sample(100 + MiB);
    expect(m.rate()).toBeNull();
    c.advance(1000);
    m.sample(100 + 2 * MiB);
    expect(m.rate()).toBeNull();
    c.advance(1000);
    m.sample(100 + 3 * MiB);
    const steady = m.rate()!;
    expect(steady).toBeGreaterThan(0);
    c.advance(RATE_STALL_MS + 1000);
    const stalled = m.rate()!;
    expect(stalled).toBeGreaterThanOrEqual(0);
    expect(stalled).toBeLessThan(steady / 2);
    // The counter never goes back; a lower value is no sample.
    m.sample(0);
    expect(m.rate()).toBe(stalled);
  });
});

/**
 * Two uploads share one 8 MiB/s limit through a FIFO of reservations (the queue's token bucket):
 * each of their 4 workers reserves a 4 MiB piece (claiming the limit), waits until it is paid,
 * sends it, and reserves the next. `a` is paused at `pauseAt` (its waiting reservations given back)
 * and resumed at `resumeAt`; after the resume the two take turns of 2 s, the harshest case. With
 * `claims` false the meters never hear of the claims (a stretch starts at its first step). Returns the largest
 * total of the two rates over the limit once both show one, and the total at the end.
 */
function sharedLimit(pauseAt: number, resumeAt: number, claims: boolean) {
  const c = clock(0);
  const limit = 8 * MiB;
  const piece = 4 * MiB;
  const pay = (piece / limit) * 1000;
  const meters = { a: new RateMeter(c.now), b: new RateMeter(c.now) };
  const bytes = { a: 0, b: 0 };
  let paidUntil = 0;
  let sends: [at: number, who: 'a' | 'b'][] = [];
  let aRunning = true;
  const reserve = (who: 'a' | 'b') => {
    if (claims) meters[who].claim();
    paidUntil = Math.max(paidUntil, c.now()) + pay;
    sends.push([paidUntil, who]);
  };
  for (let w = 0; w < 4; w++) ['a', 'b'].forEach((who) => reserve(who as 'a' | 'b'));
  let worst = 0;
  let total = 0;
  for (let t = 0; t <= resumeAt + 20_000; t += 50) {
    c.advance(t - c.now());
    if (t === pauseAt) {
      aRunning = false;
      const given = sends.filter(([at, who]) => who === 'a' && at > t);
      sends = sends.filter((s) => !given.includes(s));
      paidUntil -= given.length * pay;
    }
    if (t === resumeAt) {
      aRunning = true;
      meters.a.restart(bytes.a);
      for (let w = 0; w < 4; w++) reserve('a');
    }
    sends.sort((x, y) => x[0] - y[0]);
    while (sends.length > 0 && sends[0]![0] <= t) {
      const [, who] = sends.shift()!;
      bytes[who] += piece;
      meters[who].sample(bytes[who]);
      if (who === 'b' || aRunning) reserve(who);
    }
    const a = aRunning ? meters.a.rate() : null;
    const b = meters.b.rate();
    if (a !== null && b !== null) {
      total = (a + b) / limit;
      worst = Math.max(worst, total);
    }
  }
  return { worst, total };
}

describe('ProgressTracker', () => {
  it('measures the data that moves: a plan of 1 GiB of holes and 160 MiB of data at 40 MiB/s reads 40 MiB/s', () => {
    const { c, tr } = tracker();
    tr.setTotal(GiB + 160 * MiB);
    tr.setData(160 * MiB, 0);
    tr.setState('transferring');
    const pass = tr.passListener(0);
    // The holes are done at once, in one event: as much as 17 s of data at that rate.
    pass({ bytesDone: GiB, dataDone: 0, bytesOnWire: 0 });
    const snaps: TransferProgress[] = [];
    for (let i = 1; i <= 20; i++) {
      c.advance(200);
      pass({ bytesDone: GiB + i * 8 * MiB, dataDone: i * 8 * MiB, bytesOnWire: i * 8 * MiB });
      snaps.push(tr.snapshot());
    }
    const last = snaps.at(-1)!;
    expect(last.dataDone).toBe(160 * MiB);
    expect(last.dataTotal).toBe(160 * MiB);
    expect(last.bytesDone).toBe(GiB + 160 * MiB);
    // The first step is the stretch's start; two seconds later there is a rate, and it is the data's.
    for (const s of snaps.slice(0, 10)) expect(s.rate).toBeNull();
    for (const s of snaps.slice(10)) {
      expect(s.rate).not.toBeNull();
      expect(Math.abs(s.rate! - 40 * MiB) / (40 * MiB)).toBeLessThan(0.01);
    }
    // Time left counts the data left only: 72 MiB at 40 MiB/s after 11 steps, not the holes' share.
    expect(snaps[10]!.etaSeconds).toBeCloseTo(72 / 40, 2);
  });

  it('never goes back nor reads a negative rate when a pass after a pause starts from fewer bytes', () => {
    const { c, tr } = tracker();
    tr.setTotal(100 * MiB);
    tr.setData(100 * MiB, 0);
    tr.setState('transferring');
    let pass = tr.passListener(0);
    for (let i = 1; i <= 9; i++) {
      c.advance(1000);
      pass({ bytesDone: i * 10 * MiB + 3 * MiB, dataDone: i * 10 * MiB + 3 * MiB, bytesOnWire: i * 10 * MiB + 3 * MiB });
    }
    tr.setState('paused');
    expect(tr.snapshot()).toMatchObject({ state: 'paused', rate: null, etaSeconds: null });
    c.advance(60_000);
    // 3 MiB of each of a few ranges were in flight: the ranges done are fewer than what was shown.
    tr.setData(100 * MiB, 90 * MiB);
    tr.setState('transferring');
    pass = tr.passListener(90 * MiB);
    const snaps: TransferProgress[] = [];
    for (let i = 1; i <= 10; i++) {
      c.advance(500);
      pass({ bytesDone: i * MiB, dataDone: i * MiB, bytesOnWire: i * MiB });
      snaps.push(tr.snapshot());
    }
    let before = 93 * MiB;
    for (const s of snaps) {
      expect(s.bytesDone).toBeGreaterThanOrEqual(before);
      expect(s.dataDone).toBeGreaterThanOrEqual(before);
      before = s.bytesDone;
      if (s.rate !== null) expect(s.rate).toBeGreaterThan(0);
    }
    // After resume the rate is that of the new stretch (2 MiB/s), not dragged down by the pause.
    expect(Math.abs(snaps.at(-1)!.rate! - 2 * MiB) / (2 * MiB)).toBeLessThan(0.01);
  });

  it('shows the verify and finalize tail as states of their own, without a rate or a time left', () => {
    const { c, tr, events } = tracker();
    tr.setTotal(10 * MiB);
    tr.setData(10 * MiB, 0);
    tr.setState('transferring');
    const pass = tr.passListener(0);
    for (let i = 1; i <= 10; i++) {
      c.advance(100);
      pass({ bytesDone: i * MiB, dataDone: i * MiB, bytesOnWire: i * MiB });
    }
    tr.setState('verifying');
    c.advance(20_000);
    tr.setState('finalizing');
    const tail = events.filter((e) => e.state === 'verifying' || e.state === 'finalizing');
    expect(tail.map((e) => e.state)).toEqual(['verifying', 'finalizing']);
    for (const e of tail) expect(e).toMatchObject({ rate: null, etaSeconds: null, dataDone: 10 * MiB, bytesDone: 10 * MiB });
  });

  it('emits the counts at most every interval, and a state change at once', () => {
    const { c, tr, events } = tracker();
    tr.setState('transferring');
    const pass = tr.passListener(0);
    const n = events.length;
    pass({ bytesDone: 1, dataDone: 1, bytesOnWire: 1 });
    c.advance(100);
    pass({ bytesDone: 2, dataDone: 2, bytesOnWire: 2 });
    // The state change emitted 100 ms ago: nothing before 250 ms.
    expect(events.length).toBe(n);
    c.advance(200);
    pass({ bytesDone: 3, dataDone: 3, bytesOnWire: 3 });
    expect(events.length).toBe(n + 1);
    expect(events.at(-1)!.bytesDone).toBe(3);
    tr.setState('paused');
    expect(events.at(-1)!.state).toBe('paused');
  });
});
