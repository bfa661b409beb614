/**
 * Wise's contract as a check: every exchange with the emulator (the request a client sent, the answer the emulator
 * gave) validated against the operations of Wise's OpenAPI document (test/contract/wise-openapi.json, made by
 * scripts/contract.mjs). It imports nothing of the client or of the emulator but the exchange's shape, so neither
 * side can bend it.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Exchange } from '../../src/mock/server.js';

// ajv-formats is CommonJS: its default export arrives as the module object under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as typeof addFormatsModule.default;

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Schema;
}
interface Operation {
  operationId?: string;
  parameters: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Contract {
  provenance: Record<string, string>;
  paths: Record<string, Record<string, Operation>>;
  webhooks: Record<string, { content: Record<string, { schema: Schema }> }>;
  components: { schemas: Record<string, Schema> };
}
export interface AllowEntry {
  id: string;
  reason: string;
}

const CONTRACT_FILE = new URL('../contract/wise-openapi.json', import.meta.url);
const ALLOW_FILE = new URL('../contract/allow-list.json', import.meta.url);

export interface Violation {
  /** `METHOD /template` of the operation, or the method and path when none matched. */
  operation: string;
  where: 'request' | 'response';
  status: number;
  message: string;
}

interface Route {
  template: string;
  pattern: RegExp;
  literals: number;
  methods: Record<string, Operation>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?$/;
/** Wise's calendar-versioned paths (`/2026Q4/…`) name the same operations as a `/vN/…` path of the document. */
const CALENDAR_VERSION = /^\/20\d\dQ[1-4](\/.*)$/;
/** The statement formats Wise names in the description of `statement.json` rather than as paths of their own. */
const STATEMENT_FORMAT =
  /^(\/v1\/profiles\/[^/]+\/balance-statements\/[^/]+\/statement)\.(csv|pdf|xlsx|xml|mt940|qif)$/;

const expected: { pattern: RegExp; seen: number }[] = [];

/**
 * For a test that sends Wise what its contract forbids on purpose (to see the emulator refuse it): the violations
 * matching `pattern` during the current test are expected, and the test fails if none happens.
 */
export function expectContractViolation(pattern: RegExp): void {
  expected.push({ pattern, seen: 0 });
}

/** The violations not expected by the current test, and the expectations nothing matched; clears the expectations. */
export function settleExpected(violations: Violation[]): { unexpected: Violation[]; unmet: RegExp[] } {
  const unexpected = violations.filter((v) => {
    const hit = expected.find((e) => e.pattern.test(`${v.where} of ${v.operation}: ${v.message}`));
    if (hit) hit.seen++;
    return !hit;
  });
  const unmet = expected.filter((e) => e.seen === 0).map((e) => e.pattern);
  expected.length = 0;
  return { unexpected, unmet };
}

export class ContractChecker {
  readonly contract: Contract;
  readonly allowList: AllowEntry[];
  private readonly ajv: Ajv2020;
  private readonly routes: Route[];
  private readonly compiled = new Map<string, ValidateFunction>();
  calls = 0;
  readonly operations = new Set<string>();
  readonly allowed = new Map<string, number>();

  constructor() {
    this.contract = JSON.parse(readFileSync(CONTRACT_FILE, 'utf8')) as Contract;
    this.allowList = JSON.parse(readFileSync(ALLOW_FILE, 'utf8')) as AllowEntry[];
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    // OpenAPI's names for raw bytes and plain text: no constraint.
    for (const name of ['binary', 'string']) this.ajv.addFormat(name, true);
    // A number Wise names "decimal": any number is one.
    this.ajv.addFormat('decimal', { type: 'number', validate: (n: number) => Number.isFinite(n) });
    // Wise's document writes one uuid format in capitals.
    this.ajv.addFormat('UUID', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    // Wise writes date-times with and without an offset (allow-list: date-time-without-offset).
    this.ajv.addFormat('date-time', {
      type: 'string',
      validate: (value: string) => {
        if (RFC3339.test(value)) return !Number.isNaN(Date.parse(value));
        if (LOCAL_DATE_TIME.test(value)) {
          this.allow('date-time-without-offset');
          return true;
        }
        return false;
      },
    });
    this.ajv.addSchema({ ...this.contract, $id: 'wise' } as Schema, 'wise');
    this.routes = Object.entries(this.contract.paths).map(([template, methods]) => ({
      template,
      pattern: new RegExp(
        `^${template
          .split('/')
          .map((s) => (/^\{[^}]+\}$/.test(s) ? '([^/]+)' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
          .join('/')}$`,
      ),
      literals: template.split('/').filter((s) => s && !s.startsWith('{')).length,
      methods,
    }));
    this.routes.sort((a, b) => b.literals - a.literals);
    for (const entry of this.allowList) this.allowed.set(entry.id, 0);
  }

  private allow(id: string): void {
    if (!this.allowList.some((e) => e.id === id)) throw new Error(`${id} is not in test/contract/allow-list.json`);
    this.allowed.set(id, (this.allowed.get(id) ?? 0) + 1);
  }

  private validator(pointer: string): ValidateFunction {
    let fn = this.compiled.get(pointer);
    if (!fn) {
      fn = this.ajv.getSchema(`wise#${pointer}`);
      if (!fn) throw new Error(`no schema at ${pointer}`);
      this.compiled.set(pointer, fn);
    }
    return fn;
  }

  /** The operation an exchange names, with the template's path parameters. */
  private find(method: string, pathname: string): { route: Route; op: Operation; params: string[] } | undefined {
    const candidates = [pathname];
    const versioned = CALENDAR_VERSION.exec(pathname);
    if (versioned) {
      const rest = versioned[1] as string;
      candidates.push(rest, ...[1, 2, 3, 4, 5].map((v) => `/v${v}${rest}`));
    }
    for (const path of candidates) {
      for (const route of this.routes) {
        const m = route.pattern.exec(path);
        const op = m ? route.methods[method.toLowerCase()] : undefined;
        if (m && op) return { route, op, params: m.slice(1).map(decodeURIComponent) };
      }
    }
    return undefined;
  }

  /** Checks a webhook event's body against the payload schema Wise publishes for its type; the problems found. */
  checkEvent(eventType: string, body: unknown): string[] {
    const media = this.contract.webhooks[eventType]?.content['application/json'];
    if (!media) return [`Wise's document has no webhook ${eventType}`];
    const validate = this.validator(
      `/webhooks/${pointer(eventType).replaceAll('#', '%23')}/content/application~1json/schema`,
    );
    return validate(body) ? [] : [explain(validate.errors)];
  }

  /** Checks one exchange; returns its violations (allow-listed ones are counted, not returned). */
  check(exchange: Exchange): Violation[] {
    if (exchange.injected) return [];
    this.calls++;
    const url = new URL(exchange.url, 'http://emulator.invalid');
    const method = exchange.method.toUpperCase();
    let pathname = url.pathname.replace(/\/+$/, '') || '/';
    const format = STATEMENT_FORMAT.exec(pathname);
    if (format) {
      this.allow('statement-formats');
      pathname = `${format[1]}.json`;
    }
    const found = this.find(method, pathname);
    const out: Violation[] = [];
    const violation = (where: Violation['where'], message: string, operation?: string) =>
      out.push({ operation: operation ?? `${method} ${url.pathname}`, where, status: exchange.status, message });
    if (!found && pathname === '/' && (method === 'GET' || method === 'HEAD')) {
      this.allow('api-root-probe');
      return [];
    }
    if (!found) {
      // The browser's side of OAuth (the consent page, and the icon a browser asks of its site) is Wise's website,
      // not its API.
      if (/^\/oauth\/authorize(\/|$)/.test(url.pathname) || url.pathname === '/favicon.ico') return [];
      violation('request', 'no operation of Wise’s API has this method and path');
      return out;
    }
    const { route, op, params } = found;
    const name = `${method} ${route.template}`;
    this.operations.add(name);
    const base = `/paths/${pointer(route.template)}/${method.toLowerCase()}`;

    // Request: parameters.
    const pathNames = [...route.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const seenQuery = new Set<string>();
    op.parameters.forEach((p, index) => {
      let values: string[] = [];
      if (p.in === 'path') values = [params[pathNames.indexOf(p.name)] ?? ''];
      else if (p.in === 'query') {
        seenQuery.add(p.name);
        values = url.searchParams.getAll(p.name);
      } else if (p.in === 'header') {
        const raw = exchange.headers[p.name.toLowerCase()];
        values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      } else return;
      if (values.length === 0) {
        if (p.required) violation('request', `${p.in} parameter ${p.name} is required`, name);
        return;
      }
      const value = coerce(p.schema, values);
      const validate = this.validator(`${base}/parameters/${index}/schema`);
      if (!validate(value))
        violation('request', `${p.in} ${p.name}=${values.join(',')}: ${explain(validate.errors)}`, name);
    });
    for (const key of new Set(url.searchParams.keys())) {
      if (!seenQuery.has(key)) violation('request', `query parameter ${key} is not one of the operation's`, name);
    }

    // Request: body.
    const requestType = mediaType(exchange.headers['content-type']);
    if (op.requestBody) {
      if (exchange.body.length === 0) {
        if (op.requestBody.required) violation('request', 'a request body is required', name);
      } else {
        const media = pickMedia(op.requestBody.content, requestType);
        const sealed = requestType === 'application/jose+json' && exchange.headers['x-tw-jose-method'] !== undefined;
        if (!media && sealed) this.allow('jose-sealed-body');
        else if (!media) {
          const takes = Object.keys(op.requestBody.content).join(', ');
          violation('request', `request body sent as ${requestType ?? 'nothing'}; Wise takes ${takes}`, name);
        } else {
          const body = parseBody(media, exchange.body);
          if (body.error) violation('request', body.error, name);
          else {
            const validate = this.validator(`${base}/requestBody/content/${pointer(media)}/schema`);
            if (!validate(body.value)) violation('request', `request body: ${explain(validate.errors)}`, name);
          }
        }
      }
    }

    // Response.
    const status = String(exchange.status);
    const declared =
      op.responses[status] !== undefined
        ? status
        : op.responses[`${status[0]}XX`] !== undefined
          ? `${status[0]}XX`
          : undefined;
    if (declared === undefined) {
      if (exchange.status === 403 && exchange.replyHeaders['x-2fa-approval'] !== undefined) {
        this.allow('sca-403');
        return out;
      }
      if (exchange.status < 400) {
        violation('response', `status ${status}; Wise answers ${Object.keys(op.responses).join(', ')}`, name);
        return out;
      }
      // OpenAPI does not expect a document to list every error status; an unlisted error is not a deviation.
      return out;
    }
    const content = op.responses[declared]?.content;
    if (format || !content || exchange.replyBody === undefined || exchange.contentType === undefined) return out;
    const media = pickMedia(content, exchange.contentType);
    if (
      !media &&
      exchange.contentType === 'application/jose+json' &&
      exchange.headers['x-tw-jose-method'] !== undefined
    ) {
      this.allow('jose-sealed-body');
      return out;
    }
    if (!media) {
      violation('response', `answered ${exchange.contentType}; Wise answers ${Object.keys(content).join(', ')}`, name);
      return out;
    }
    if (!/json/.test(media)) return out;
    const validate = this.validator(`${base}/responses/${declared}/content/${pointer(media)}/schema`);
    if (!validate(exchange.replyBody)) violation('response', `body: ${explain(validate.errors)}`, name);
    return out;
  }
}

function pointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function mediaType(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(';')[0]?.trim().toLowerCase() || undefined;
}

function pickMedia(content: Record<string, unknown>, type: string | undefined): string | undefined {
  const types = Object.keys(content);
  if (type && types.includes(type)) return type;
  if (types.includes('*/*')) return '*/*';
  // A JSON body is JSON whichever JSON type a client labels it with.
  if (type && /json$/.test(type) && type !== 'application/jose+json')
    return types.find((t) => t === 'application/json');
  return undefined;
}

function parseBody(media: string, raw: Buffer): { value?: unknown; error?: string } {
  const text = raw.toString('utf8');
  if (media === 'application/x-www-form-urlencoded') return { value: Object.fromEntries(new URLSearchParams(text)) };
  if (/json/.test(media) && media !== 'application/jose+json') {
    try {
      return { value: JSON.parse(text) };
    } catch {
      return { error: 'request body is not JSON' };
    }
  }
  return { value: text };
}

/** A parameter's text as the schema's type (query, path and header values arrive as strings). */
function coerce(schema: Schema, values: string[]): unknown {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  const one = (v: string, t: unknown): unknown => {
    if ((t === 'integer' || t === 'number') && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
    if (t === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
    return v;
  };
  if (type === 'array') {
    const items = (schema.items ?? {}) as Schema;
    const parts = values.length === 1 ? (values[0] as string).split(',') : values;
    return parts.map((v) => one(v, items.type));
  }
  return one(values[0] as string, type);
}

function explain(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 5)
    .map(
      (e) =>
        `${e.instancePath || '(root)'} ${e.message}${e.params && 'allowedValues' in e.params ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`,
    )
    .join('; ');
}
