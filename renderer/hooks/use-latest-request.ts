/**
 * Tells a component's latest request from older ones still on their way: `ask()` before a request
 * returns a check that stays true only while no later request was asked. An older answer arriving
 * last (a slow folder read, a list read before "Show all") must not replace the newer one's.
 */
import { useCallback, useRef } from 'react';

/** `ask()`, to call when a request starts; the function it returns says whether it is still the latest. */
export function useLatestRequest(): () => () => boolean {
  const last = useRef(0);
  return useCallback(() => {
    const mine = ++last.current;
    return () => last.current === mine;
  }, []);
}
