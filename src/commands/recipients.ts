import { listRecipients } from '../account/money.js';
import { parseCurrency } from '../account/validate.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { endpoint } from '../http/endpoints.js';
import { formatTable, printJson } from '../util/output.js';
import { profileClient } from './account/common.js';
import type { RecipientsAddOptions, RecipientsListOptions } from './account-specs.js';

export async function recipientsList(ctx: Context, opts: RecipientsListOptions): Promise<void> {
  const currency = opts.currency ? parseCurrency(opts.currency, '--currency') : undefined;
  const { client, profileId } = await profileClient(ctx);
  const list = await listRecipients(client, profileId, currency);
  if (ctx.options.json) return printJson(ctx, list);
  if (!list.length) {
    ctx.io.err(
      `Profile ${profileId} has no recipients${currency ? ` in ${currency}` : ''}; add one with \`wise recipients add\`.`,
    );
    return;
  }
  ctx.io.out(
    formatTable(
      ['ID', 'NAME', 'CURRENCY', 'ACCOUNT'],
      list.map((r) => [String(r.id), r.name, r.currency, r.account]),
    ),
  );
}

/** One field of Wise's account-requirements form. */
interface FieldSpec {
  key: string;
  /** The label of the field (Wise gives it on the group around the field). */
  name: string;
  type: string;
  required: boolean;
  example?: string;
  validationRegexp?: string | null;
  valuesAllowed?: { key: string; name: string }[] | null;
}

interface Requirement {
  type: string;
  title: string;
  fields: { name: string; group: Omit<FieldSpec, 'name'>[] }[];
}

function parseFields(raw: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of raw) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--field takes key=value, not "${item}".`);
    out.set(item.slice(0, at).trim(), item.slice(at + 1).trim());
  }
  return out;
}

function check(field: FieldSpec, value: string): string | undefined {
  if (field.valuesAllowed?.length) {
    return field.valuesAllowed.some((v) => v.key === value)
      ? undefined
      : `${field.key} must be one of ${field.valuesAllowed.map((v) => v.key).join(', ')}`;
  }
  if (field.validationRegexp && !new RegExp(field.validationRegexp).test(value)) {
    return `${field.key} "${value}" does not look like a ${field.name.toLowerCase()}${field.example ? ` (e.g. ${field.example})` : ''}`;
  }
  return undefined;
}

/** Sets `a.b.c` in a nested object. */
function setPath(target: Record<string, unknown>, key: string, value: string): void {
  const parts = key.split('.');
  let at = target;
  for (const part of parts.slice(0, -1)) {
    at[part] ??= {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts[parts.length - 1] as string] = value;
}

export async function recipientsAdd(ctx: Context, opts: RecipientsAddOptions): Promise<void> {
  const currency = parseCurrency(opts.currency, '--currency');
  const given = parseFields(opts.field ?? []);
  const { client, profileId } = await profileClient(ctx);
  const query = new URLSearchParams({ source: currency, target: currency, sourceAmount: '100' });
  const forms = await client.getJson<Requirement[]>(`${endpoint('accountRequirements', client.apiVersion)}?${query}`);
  const wantedType = given.get('type');
  given.delete('type');
  const form = (wantedType ? forms.find((f) => f.type === wantedType) : undefined) ?? forms[0];
  if (!form) throw new UsageError(`Wise has no account form for ${currency} recipients.`);
  if (wantedType && form.type !== wantedType) {
    throw new UsageError(
      `There is no ${wantedType} form for ${currency}; Wise offers ${forms.map((f) => f.type).join(', ')}.`,
    );
  }
  const fields = form.fields.flatMap((f) => f.group.map((g) => ({ ...g, name: f.name })));
  const unknown = [...given.keys()].filter((k) => !fields.some((f) => f.key === k));
  if (unknown.length) {
    throw new UsageError(
      `Unknown field${unknown.length > 1 ? 's' : ''} for a ${currency} ${form.type} recipient: ${unknown.join(', ')}.`,
      {
        hint: `Fields: ${fields.map((f) => f.key).join(', ')}.`,
      },
    );
  }
  const values = new Map<string, string>();
  const problems: string[] = [];
  for (const field of fields) {
    let value = given.get(field.key);
    if (value === undefined && field.required) {
      if (!ctx.io.stdinIsTTY) {
        problems.push(`${field.key} (${field.name}) is required`);
        continue;
      }
      value = field.valuesAllowed?.length
        ? await ctx.io.select(
            field.name,
            field.valuesAllowed.map((v) => ({ name: v.name, value: v.key })),
          )
        : await ctx.io.input(field.name, { validate: (v) => check(field, v.trim()) ?? true });
    }
    if (value === undefined) continue;
    const problem = check(field, value.trim());
    if (problem) problems.push(problem);
    else values.set(field.key, value.trim());
  }
  if (problems.length) {
    throw new UsageError(`The ${currency} recipient is not complete; nothing was sent: ${problems.join('; ')}.`, {
      hint: 'Give each with --field key=value (or run on a terminal to be asked).',
    });
  }
  const details: Record<string, unknown> = {};
  for (const [key, value] of values) if (key !== 'accountHolderName') setPath(details, key, value);
  const created = await client.sendJson<{ id: number; accountHolderName: string; currency: string }>(
    'POST',
    endpoint('createRecipient', client.apiVersion),
    { currency, type: form.type, profile: profileId, accountHolderName: values.get('accountHolderName'), details },
  );
  if (ctx.options.json) return printJson(ctx, created);
  ctx.io.out(`${created.id}\n`);
  ctx.io.err(`Added recipient ${created.id}: ${created.accountHolderName} (${created.currency}).`);
}
