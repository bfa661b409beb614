import { createQuote, listRecipients } from '../account/money.js';
import { profileClient } from '../account/session.js';
import { parseCurrency } from '../account/validate.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { parseJson } from '../http/client.js';
import { endpoint } from '../http/endpoints.js';
import { listJq } from '../util/jq.js';
import { formatTable, printJson } from '../util/output.js';
import type { RecipientsAddOptions, RecipientsListOptions } from './account-specs.js';

export async function recipientsList(ctx: Context, opts: RecipientsListOptions): Promise<void> {
  const currency = opts.currency ? parseCurrency(opts.currency, '--currency') : undefined;
  const jq = await listJq(opts.jq, undefined, ctx.io.stdoutIsTTY);
  const { client, profileId } = await profileClient(ctx);
  const list = await listRecipients(client, profileId, currency);
  if (jq) return ctx.io.out(await jq(JSON.stringify(list)));
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
  refreshRequirementsOnChange?: boolean;
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

/** The fields of a form, each with the label of its group. */
function fieldsOf(form: Requirement): FieldSpec[] {
  return form.fields.flatMap((f) => f.group.map((g) => ({ ...g, name: f.name })));
}

/** The recipient as Wise's account form has it so far (what is sent to refresh the form, and to create it). */
function recipientBody(
  currency: string,
  type: string,
  profileId: number,
  values: Map<string, string>,
): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const [key, value] of values) if (key !== 'accountHolderName') setPath(details, key, value);
  return { currency, type, profile: profileId, accountHolderName: values.get('accountHolderName'), details };
}

/** How many times a form is refreshed at most (a field that changes the form, then one that changes it again…). */
const MAX_REFRESHES = 5;

export async function recipientsAdd(ctx: Context, opts: RecipientsAddOptions): Promise<void> {
  const currency = parseCurrency(opts.currency, '--currency');
  const source = opts.from ? parseCurrency(opts.from, '--from') : currency;
  if (opts.quote !== undefined && !/^[0-9a-f-]{1,64}$/i.test(opts.quote)) {
    throw new UsageError(`--quote takes a quote id (as wise quote prints it), not "${opts.quote}".`);
  }
  const given = parseFields(opts.field ?? []);
  const { client, profileId } = await profileClient(ctx);
  // Wise's account form for a route comes from a quote (the quote-less form misses fields on some routes): the
  // user's own quote when given, else a quote of 100 in the recipient's currency made for the form only.
  const quoteId =
    opts.quote ??
    String(
      (await createQuote(client, profileId, { sourceCurrency: source, targetCurrency: currency, targetAmount: 100 }))
        .id,
    );
  const formPath = endpoint('accountRequirements', client.apiVersion, quoteId);
  const headers = { 'accept-minor-version': '1' };
  const readForms = async (body?: Record<string, unknown>) =>
    parseJson<Requirement[]>(
      await client.request(
        body === undefined
          ? { method: 'GET', path: formPath, headers }
          : {
              method: 'POST',
              path: formPath,
              headers: { ...headers, 'content-type': 'application/json' },
              body: JSON.stringify(body),
            },
      ),
    );
  const forms = await readForms();
  const wantedType = given.get('type');
  given.delete('type');
  const first = (wantedType ? forms.find((f) => f.type === wantedType) : undefined) ?? forms[0];
  if (!first) throw new UsageError(`Wise has no account form for ${currency} recipients.`);
  let form: Requirement = first;
  if (wantedType && form.type !== wantedType) {
    throw new UsageError(
      `There is no ${wantedType} form for ${currency}; Wise offers ${forms.map((f) => f.type).join(', ')}.`,
    );
  }
  const values = new Map<string, string>();
  const problems: string[] = [];
  /** The values of the form-changing fields Wise last saw: the form is asked for again only when they change. */
  let lastSent = '';
  for (let refreshes = 0; ; refreshes++) {
    const fields = fieldsOf(form);
    for (const field of fields) {
      if (values.has(field.key)) continue;
      let value = given.get(field.key);
      if (value === undefined && field.required) {
        if (!ctx.io.stdinIsTTY) {
          if (!problems.some((p) => p.startsWith(`${field.key} `)))
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
    // A field marked refreshRequirementsOnChange can change the form (a country adds its states): Wise is asked
    // for the form again with what is filled so far, until no new field appears.
    const changing = fields.filter((f) => f.refreshRequirementsOnChange && values.has(f.key));
    const sent = changing.map((f) => `${f.key}=${values.get(f.key)}`).join('&');
    if (!changing.length || sent === lastSent || refreshes >= MAX_REFRESHES) break;
    lastSent = sent;
    const type: string = form.type;
    const refreshed: Requirement | undefined = (await readForms(recipientBody(currency, type, profileId, values))).find(
      (f) => f.type === type,
    );
    if (!refreshed) break;
    const known = new Set(fields.map((f) => f.key));
    form = refreshed;
    if (fieldsOf(refreshed).every((f) => known.has(f.key))) break;
  }
  const fields = fieldsOf(form);
  const unknown = [...given.keys()].filter((k) => !fields.some((f) => f.key === k));
  if (unknown.length) {
    throw new UsageError(
      `Unknown field${unknown.length > 1 ? 's' : ''} for a ${currency} ${form.type} recipient: ${unknown.join(', ')}.`,
      {
        hint: `Fields: ${fields.map((f) => f.key).join(', ')}.`,
      },
    );
  }
  if (problems.length) {
    throw new UsageError(`The ${currency} recipient is not complete; nothing was sent: ${problems.join('; ')}.`, {
      hint: 'Give each with --field key=value (or run on a terminal to be asked).',
    });
  }
  const created = await client.sendJson<{ id: number; accountHolderName: string; currency: string }>(
    'POST',
    endpoint('createRecipient', client.apiVersion),
    recipientBody(currency, form.type, profileId, values),
  );
  if (ctx.options.json) return printJson(ctx, created);
  ctx.io.out(`${created.id}\n`);
  ctx.io.err(`Added recipient ${created.id}: ${created.accountHolderName} (${created.currency}).`);
}
