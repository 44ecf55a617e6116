/** The daily schedule window (local `HH:MM`; an end before the start spans midnight). */

/** Minutes since midnight of `HH:MM`. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** True when `minute` (since local midnight) lies inside the window. Equal start and end: always open. */
export function insideWindow(window: { readonly start: string; readonly end: string }, minute: number): boolean {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start === end) return true;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}
