/**
 * Waits until `check` holds (returns true, or an assertion in it stops throwing), polling every 20 ms; after
 * `timeoutMs` it fails loudly, naming what it waited for and the last failure. Instead of fixed sleeps: a test
 * waits exactly as long as it must, and never passes by luck of timing.
 */
export async function waitFor(check: () => unknown, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      // true, or an assertion block that did not throw (undefined), ends the wait; false goes on waiting.
      if ((await check()) !== false) return;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
