/**
 * Runs `fn` over `items` with at most `limit` calls in flight, the results in the items' order: a
 * batch of lookups (a thousand selected disks, a drop of many files) without a request or a probe
 * for each at once — polite to the engine, and no single signal collecting a listener per request
 * (Node warned of a leak at 11). The first failure rejects, and no further item starts.
 */
export async function fewAtATime<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
