/**
 * CSV for spreadsheets, written as rows arrive (a year of payments never sits in memory). Text from the network
 * that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return) is kept as text
 * with a leading apostrophe; numbers, and text that is only a signed number, are written as given. csv-stringify loads only when CSV is asked for.
 */
import type { Context } from '../context.js';

type Cell = string | number | null | undefined;

/** A text cell a spreadsheet would read as a formula is kept as text; a plain signed number ("-12.50") is a number. */
export const textCell = (text: string) =>
  /^[=+\-@\t\r]/.test(text) && !/^[-+]?\d+(\.\d+)?$/.test(text) ? `'${text}` : text;

/** Writes `header` now; the function it gives writes rows (text cells guarded, numbers as they are). */
export async function csvWriter(ctx: Context, header: readonly string[]): Promise<(rows: Cell[][]) => void> {
  const { stringify } = await import('csv-stringify/sync');
  ctx.io.out(stringify([[...header]]));
  return (rows) => {
    if (!rows.length) return;
    ctx.io.out(stringify(rows.map((row) => row.map((c) => (typeof c === 'string' ? textCell(c) : (c ?? ''))))));
  };
}
