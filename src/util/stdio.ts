import { writeSync } from 'node:fs';

/**
 * Standard output and error. Writes go straight to the descriptor with write(2), as Node itself writes to files:
 * building `process.stdout` for a pipe loads Node's stream and net modules, about 5 ms of a `wise --version` that
 * otherwise costs 14 ms more than bare node. The stream is built only when something needs one (a large body piped
 * with backpressure, a prompt, a spinner) or when a write would block (a non-blocking descriptor whose reader is
 * behind); from then on every write to that descriptor goes through the stream, so the output keeps its order.
 * Nothing else in the tool touches `process.stdout` or `process.stderr`.
 */
type Fd = 1 | 2;

const streams: Partial<Record<Fd, NodeJS.WriteStream>> = {};

/** The stream of a descriptor, built on first use. A reader that stops early (`| head`) ends the run quietly. */
export function stdStream(fd: Fd): NodeJS.WriteStream {
  let stream = streams[fd];
  if (!stream) {
    stream = fd === 1 ? process.stdout : process.stderr;
    streams[fd] = stream;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      if (fd === 1) process.exit(0);
    });
  }
  return stream;
}

/** Writes all of `data`, in order with everything written before. */
export function writeStd(fd: Fd, data: string | Uint8Array): void {
  const stream = streams[fd];
  if (stream) {
    stream.write(data);
    return;
  }
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let offset = 0;
  while (offset < bytes.byteLength) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // A non-blocking descriptor that is full: the stream waits for it to drain.
        stdStream(fd).write(bytes.subarray(offset));
        return;
      }
      if (code !== 'EPIPE') throw error;
      // The reader is gone: for stdout that ends the output (exit 0, as a shell tool does); stderr is dropped.
      if (fd === 1) process.exit(0);
      return;
    }
  }
}

/** The streams built so far that still hold output the OS has not taken. */
export function pendingStdStreams(): NodeJS.WriteStream[] {
  return Object.values(streams).filter((stream) => stream.writableLength > 0);
}
