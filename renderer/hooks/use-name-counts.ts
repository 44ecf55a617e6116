/**
 * How many disks the engine has with each disk name a plan shows: the plan's own count for the names
 * it suggested, and for names the user types, asked of main a moment after typing stops (at most 50
 * names an ask). Unknown names count as 0 until the answer comes.
 */
import { useEffect, useRef, useState } from 'react';

/** Asks main for the counts of `names`; null when it cannot say. */
export type CountNames = (names: readonly string[]) => Promise<ReadonlyMap<string, number> | null>;

/** Waited after the last keystroke before asking. */
const TYPING_PAUSE_MS = 400;
const ASK_LIMIT = 50;

/** The counts known so far for `names` (trimmed), asking for those not known yet. */
export function useNameCounts(names: readonly string[], known: ReadonlyMap<string, number>, ask: CountNames | undefined): ReadonlyMap<string, number> {
  const [counts, setCounts] = useState<ReadonlyMap<string, number>>(known);
  const asked = useRef(new Set<string>(known.keys()));
  const wanted = [...new Set(names.map((n) => n.trim()).filter((n) => n !== '' && !asked.current.has(n)))].slice(0, ASK_LIMIT);
  const key = wanted.join('\u0000');
  useEffect(() => {
    if (!ask || wanted.length === 0) return;
    const timer = setTimeout(() => {
      for (const n of wanted) asked.current.add(n);
      // An answer that comes after more typing still counts: its names are not asked again.
      void ask(wanted).then((answer) => {
        if (answer) setCounts((c) => new Map([...c, ...answer]));
      });
    }, TYPING_PAUSE_MS);
    return () => clearTimeout(timer);
    // `key` stands for `wanted` (a new array each render).
  }, [key, ask]);
  return counts;
}
