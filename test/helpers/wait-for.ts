/** Polling instead of sleeping: tests wait for a condition, never for a time. */

/** Resolves with get()'s first defined value; throws naming `what` when none comes within `ms`. */
export async function waitFor<T>(what: string, get: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
