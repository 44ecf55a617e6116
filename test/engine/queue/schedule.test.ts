import { describe, expect, it } from 'vitest';
import { describeWindow, isWindowOpen, nextWindowChange, parseWindow, utcCalendar } from '../../../main/engine/queue/schedule.js';

const at = (iso: string) => Date.parse(iso);
// 2024-01-01 was a Monday.
const MON = '2024-01-01';
const FRI = '2024-01-05';
const SAT = '2024-01-06';

describe('schedule window', () => {
  it('parses windows with and without days', () => {
    expect(parseWindow('22:00-06:00')).toEqual({ start: '22:00', end: '06:00' });
    expect(parseWindow('mon-fri 22:00-06:00')).toEqual({ start: '22:00', end: '06:00', days: [1, 2, 3, 4, 5] });
    expect(parseWindow('sat,sun 00:00-24:00')).toEqual({ start: '00:00', end: '24:00', days: [0, 6] });
    expect(parseWindow('fri-mon 1:30-2:00').days).toEqual([0, 1, 5, 6]);
    expect(describeWindow(parseWindow('mon-fri 22:00-06:00'))).toBe('mon,tue,wed,thu,fri 22:00-06:00');
  });

  it('refuses what is not a window', () => {
    for (const bad of ['22-06', '25:00-06:00', '22:60-06:00', 'someday 22:00-06:00', '']) expect(() => parseWindow(bad), bad).toThrow(/window/);
  });

  it('spans midnight: open from the start until the end of the next morning', () => {
    const w = [parseWindow('22:00-06:00')];
    const open = (iso: string) => isWindowOpen(w, utcCalendar(at(iso)));
    expect(open(`${MON}T21:59:00Z`)).toBe(false);
    expect(open(`${MON}T22:00:00Z`)).toBe(true);
    expect(open(`${MON}T23:59:00Z`)).toBe(true);
    expect(open('2024-01-02T05:59:00Z')).toBe(true);
    expect(open('2024-01-02T06:00:00Z')).toBe(false);
    expect(open('2024-01-02T12:00:00Z')).toBe(false);
  });

  it('belongs to the day it opens on: a weeknight window runs into Saturday morning but not Saturday night', () => {
    const w = [parseWindow('mon-fri 22:00-06:00')];
    const open = (iso: string) => isWindowOpen(w, utcCalendar(at(iso)));
    expect(open(`${FRI}T23:00:00Z`)).toBe(true);
    expect(open(`${SAT}T05:00:00Z`)).toBe(true);
    expect(open(`${SAT}T23:00:00Z`)).toBe(false);
    expect(open(`${MON}T03:00:00Z`)).toBe(false); // Sunday night is not in the window
  });

  it('is always open without windows, and a whole day when start equals end', () => {
    expect(isWindowOpen([], { day: 3, minute: 700 })).toBe(true);
    expect(isWindowOpen([parseWindow('sat 00:00-00:00')], { day: 6, minute: 1439 })).toBe(true);
    expect(isWindowOpen([parseWindow('sat 00:00-00:00')], { day: 0, minute: 0 })).toBe(false);
  });

  it('finds the next opening and closing minute', () => {
    const w = [parseWindow('mon-fri 22:00-06:00')];
    expect(nextWindowChange(w, at(`${MON}T12:34:56Z`), utcCalendar)).toBe(at(`${MON}T22:00:00Z`));
    expect(nextWindowChange(w, at(`${MON}T22:00:00Z`), utcCalendar)).toBe(at('2024-01-02T06:00:00Z'));
    // Friday's window ends Saturday 06:00; the next opens Monday 22:00.
    expect(nextWindowChange(w, at(`${SAT}T07:00:00Z`), utcCalendar)).toBe(at('2024-01-08T22:00:00Z'));
    expect(nextWindowChange([], at(`${MON}T12:00:00Z`), utcCalendar)).toBeNull();
  });
});
