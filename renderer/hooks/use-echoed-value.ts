/**
 * A control's value that moves at once when the user changes it and that main saves (a setting):
 * each change is saved, and main's answers come back while later changes are still on their way.
 * A saved value that is not the last one asked for is one the user has already moved past, and
 * does not take the control back: it did, and a key press landing after such an answer stepped
 * from the older value and was lost (the splitter, the transfers-at-once select). Once the last
 * save is answered (or refused, which says so in a notice), the saved value leads again.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

/** [the value shown, show a value without saving it (a drag), show and save it]. */
export function useEchoedValue<T>(saved: T, save: (value: T) => Promise<unknown>): readonly [T, (value: T) => void, (value: T) => void] {
  const [value, setValue] = useState(saved);
  const asked = useRef<{ readonly value: T } | null>(null);
  useEffect(() => {
    if (asked.current !== null && !Object.is(asked.current.value, saved)) return;
    asked.current = null;
    setValue(saved);
  }, [saved]);
  const commit = useCallback(
    (v: T) => {
      const mine = { value: v };
      asked.current = mine;
      setValue(v);
      void save(v).then(() => {
        if (asked.current === mine) asked.current = null;
      });
    },
    [save],
  );
  return [value, setValue, commit];
}
