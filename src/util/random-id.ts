import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * A random UUID (v4) for `X-External-Correlation-Id`. Read from the OS random source where there is one, because
 * loading node:crypto costs ~2 ms of start-up on every API call; elsewhere (Windows) node:crypto is used.
 */
export function randomUuid(): string {
  const bytes = Buffer.alloc(16);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, bytes, 0, 16, null) !== 16) throw new Error('short read');
    } finally {
      closeSync(fd);
    }
  } catch {
    const { randomUUID } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
    return randomUUID();
  }
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
