/**
 * Balance statements, from Wise's "Get a balance statement" reference:
 * `GET /v1/profiles/{profileId}/balance-statements/{balanceId}/statement.{json|csv|pdf|xlsx|xml|mt940|qif}` with
 * `currency`, `intervalStart`, `intervalEnd` (ISO 8601, at most 469 days apart), `type` (COMPACT or FLAT) and
 * `statementLocale`. `xml` is ISO 20022 CAMT.053. The transactions are synthetic (a series per balance, spread evenly
 * over a period, computed from their index), so a statement of any size streams out without being held in memory.
 */
import { deflateRawSync } from 'node:zlib';
import { errors, type Reply } from './reply.js';
import type { MockBalance, MockProfile, MockState } from './state.js';

/** Wise's longest statement period. */
export const MAX_STATEMENT_DAYS = 469;
const DAY_MS = 86_400_000;
const OPENING_BALANCE = 1000;

export interface Transaction {
  index: number;
  time: number;
  /** Signed: credits positive, debits negative. */
  value: number;
  kind: 'DEPOSIT' | 'CARD' | 'TRANSFER';
  counterparty: string;
  reference: string;
  running: number;
}

const COUNTERPARTIES = ['Acme Supplies Ltd', 'Max Mustermann', 'Globex Inc', 'Cafe Central', 'Muster Logistik GmbH'];

/** Transaction `i` of a series: every third a credit, amounts varying, all from the index alone. */
function amountOf(i: number): number {
  const magnitude = Math.round(((i * 7919) % 20000) + 100) / 100;
  return i % 3 === 0 ? magnitude : -Math.round(magnitude * 40) / 100;
}

function describe(i: number, time: number, running: number, value: number): Transaction {
  const kind = value > 0 ? 'DEPOSIT' : i % 2 === 0 ? 'CARD' : 'TRANSFER';
  return {
    index: i,
    time,
    value,
    kind,
    counterparty: COUNTERPARTIES[i % COUNTERPARTIES.length] as string,
    reference: `INV-${String(10_000 + i)}`,
    running,
  };
}

interface Window {
  opening: number;
  closing: number;
  count: number;
  rows: () => Generator<Transaction>;
}

/** The series' transactions inside [start, end], with the balance before and after them. */
function windowOf(state: MockState, balanceId: number, start: number, end: number): Window {
  const series = state.transactionSeries.get(balanceId) ?? { count: 0, from: start, to: end };
  const step = (series.to - series.from) / Math.max(series.count, 1);
  const timeOf = (i: number) => Math.floor(series.from + step * (i + 0.5));
  let first = 0;
  let opening = OPENING_BALANCE;
  while (first < series.count && timeOf(first) < start) opening += amountOf(first++);
  let last = first;
  let closing = opening;
  while (last < series.count && timeOf(last) <= end) closing += amountOf(last++);
  opening = Math.round(opening * 100) / 100;
  closing = Math.round(closing * 100) / 100;
  return {
    opening,
    closing,
    count: last - first,
    *rows() {
      let running = opening;
      for (let i = first; i < last; i++) {
        const value = amountOf(i);
        running = Math.round((running + value) * 100) / 100;
        yield describe(i, timeOf(i), running, value);
      }
    },
  };
}

const money = (value: number) => value.toFixed(2);
const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);
const xml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const csvCell = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

interface StatementInput {
  state: MockState;
  profile: MockProfile;
  balance: MockBalance;
  format: string;
  url: URL;
}

/** Checks the query as Wise does and answers the statement in the format of the path's extension. */
export function statement({ state, profile, balance, format, url }: StatementInput): Reply {
  const q = url.searchParams;
  const currency = q.get('currency');
  if (!currency) return errors(400, 'NotNull', 'currency: must not be null');
  if (currency !== balance.currency) {
    return errors(400, 'INVALID_CURRENCY', `Balance ${balance.id} holds ${balance.currency}, not ${currency}`);
  }
  const start = Date.parse(q.get('intervalStart') ?? '');
  const end = Date.parse(q.get('intervalEnd') ?? '');
  if (Number.isNaN(start) || Number.isNaN(end)) {
    return errors(400, 'INVALID_INTERVAL', 'intervalStart and intervalEnd must be ISO 8601 times');
  }
  if (end <= start) return errors(400, 'INVALID_INTERVAL', 'intervalEnd must be after intervalStart');
  if (end - start > MAX_STATEMENT_DAYS * DAY_MS) {
    return errors(400, 'INVALID_INTERVAL', `The statement period cannot be longer than ${MAX_STATEMENT_DAYS} days`);
  }
  const type = q.get('type') ?? 'COMPACT';
  if (type !== 'COMPACT' && type !== 'FLAT') return errors(400, 'INVALID_TYPE', 'type must be COMPACT or FLAT');
  const window = windowOf(state, balance.id, start, end);
  const facts = { profile, balance, currency, start, end, type, window };
  switch (format) {
    case 'json':
      return stream('application/json;charset=UTF-8', jsonStatement(facts));
    case 'csv':
      return stream('text/csv;charset=UTF-8', csvStatement(facts));
    case 'xml':
      return stream('application/xml;charset=UTF-8', camt053(facts));
    case 'mt940':
      return stream('text/plain;charset=UTF-8', mt940(facts));
    case 'qif':
      return stream('application/qif', qif(facts));
    case 'pdf':
      return { status: 200, raw: pdf(facts), contentType: 'application/pdf' };
    case 'xlsx':
      return {
        status: 200,
        raw: xlsx(facts),
        contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      };
    default:
      return errors(404, 'NOT_FOUND', `No statement format ${format}`);
  }
}

function stream(contentType: string, chunks: Generator<string>): Reply {
  return { status: 200, stream: chunks, contentType };
}

interface Facts {
  profile: MockProfile;
  balance: MockBalance;
  currency: string;
  start: number;
  end: number;
  type: string;
  window: Window;
}

/** Rows are sent in chunks of this many, so a large statement is neither one write per row nor one huge string. */
const CHUNK = 500;

function* chunked(rows: Generator<Transaction>, render: (t: Transaction, first: boolean) => string) {
  let buffer = '';
  let n = 0;
  for (const t of rows) {
    buffer += render(t, n === 0);
    if (++n % CHUNK === 0) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}

function* jsonStatement(f: Facts): Generator<string> {
  const amount = (value: number) => ({ value, currency: f.currency, zero: value === 0 });
  yield `{"accountHolder":${JSON.stringify({
    type: f.profile.type,
    address: {
      addressFirstLine: 'Invalidenstr. 1',
      city: 'Berlin',
      postCode: '10115',
      stateCode: '',
      countryName: 'Germany',
    },
    ...(f.profile.type === 'BUSINESS' ? { businessName: f.profile.fullName } : { firstName: 'Jane', lastName: 'Doe' }),
  })},"issuer":${JSON.stringify({ name: 'Wise Europe SA', firstLine: 'Rue du Trône 100', city: 'Brussels', postCode: '1050', countryCode: 'BEL' })},"bankDetails":null,"transactions":[`;
  yield* chunked(f.window.rows(), (t, first) => {
    const row = {
      type: t.value > 0 ? 'CREDIT' : 'DEBIT',
      date: new Date(t.time).toISOString(),
      amount: amount(t.value),
      totalFees: amount(0),
      details:
        t.value > 0
          ? {
              type: t.kind,
              description: `Received money from ${t.counterparty}`,
              senderName: t.counterparty,
              paymentReference: t.reference,
            }
          : {
              type: t.kind,
              description: `Sent money to ${t.counterparty}`,
              recipient: { name: t.counterparty },
              paymentReference: t.reference,
            },
      exchangeDetails: null,
      runningBalance: amount(t.running),
      referenceNumber: `TRANSFER-${f.balance.id}-${t.index}`,
    };
    return `${first ? '' : ','}${JSON.stringify(row)}`;
  });
  yield `],"endOfStatementBalance":${JSON.stringify(amount(f.window.closing))},"startOfStatementBalance":${JSON.stringify(amount(f.window.opening))},"query":${JSON.stringify(
    {
      intervalStart: new Date(f.start).toISOString(),
      intervalEnd: new Date(f.end).toISOString(),
      type: f.type,
      addStamp: false,
      currency: f.currency,
      profileId: f.profile.id,
      timezone: 'Z',
    },
  )},"request":${JSON.stringify({
    id: `${f.balance.id}-${f.start}-${f.end}`,
    creationTime: new Date().toISOString(),
    profileId: f.profile.id,
    currency: f.currency,
    balanceId: f.balance.id,
    intervalStart: new Date(f.start).toISOString(),
    intervalEnd: new Date(f.end).toISOString(),
  })}}`;
}

const CSV_HEADER =
  '"TransferWise ID",Date,Amount,Currency,Description,"Payment Reference","Running Balance","Exchange From","Exchange To","Exchange Rate","Payer Name","Payee Name","Total fees"\n';

function* csvStatement(f: Facts): Generator<string> {
  yield CSV_HEADER;
  yield* chunked(f.window.rows(), (t) => {
    const credit = t.value > 0;
    return `${[
      `TRANSFER-${f.balance.id}-${t.index}`,
      new Date(t.time).toISOString().slice(0, 10).split('-').reverse().join('-'),
      money(t.value),
      f.currency,
      csvCell(credit ? `Received money from ${t.counterparty}` : `Sent money to ${t.counterparty}`),
      csvCell(t.reference),
      money(t.running),
      '',
      '',
      '',
      csvCell(credit ? t.counterparty : ''),
      csvCell(credit ? '' : t.counterparty),
      '0.00',
    ].join(',')}\n`;
  });
}

function* camt053(f: Facts): Generator<string> {
  const id = `STMT-${f.balance.id}-${isoDay(f.start)}`;
  const bal = (code: string, value: number, time: number) =>
    `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="${f.currency}">${money(Math.abs(value))}</Amt><CdtDbtInd>${value < 0 ? 'DBIT' : 'CRDT'}</CdtDbtInd><Dt><Dt>${isoDay(time)}</Dt></Dt></Bal>`;
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>${id}</MsgId><CreDtTm>${new Date().toISOString()}</CreDtTm></GrpHdr><Stmt><Id>${id}</Id><CreDtTm>${new Date().toISOString()}</CreDtTm><FrToDt><FrDtTm>${new Date(f.start).toISOString()}</FrDtTm><ToDtTm>${new Date(f.end).toISOString()}</ToDtTm></FrToDt><Acct><Id><Othr><Id>${f.balance.id}</Id></Othr></Id><Ccy>${f.currency}</Ccy><Ownr><Nm>${xml(f.profile.fullName)}</Nm></Ownr></Acct>${bal('OPBD', f.window.opening, f.start)}${bal('CLBD', f.window.closing, f.end)}\n`;
  yield* chunked(
    f.window.rows(),
    (t) =>
      `<Ntry><Amt Ccy="${f.currency}">${money(Math.abs(t.value))}</Amt><CdtDbtInd>${t.value > 0 ? 'CRDT' : 'DBIT'}</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>${isoDay(t.time)}</Dt></BookgDt><ValDt><Dt>${isoDay(t.time)}</Dt></ValDt><AcctSvcrRef>TRANSFER-${f.balance.id}-${t.index}</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>${xml(t.reference)}</Ustrd></RmtInf><RltdPties><${t.value > 0 ? 'Dbtr' : 'Cdtr'}><Nm>${xml(t.counterparty)}</Nm></${t.value > 0 ? 'Dbtr' : 'Cdtr'}></RltdPties></TxDtls></NtryDtls></Ntry>\n`,
  );
  yield '</Stmt></BkToCstmrStmt></Document>\n';
}

function* mt940(f: Facts): Generator<string> {
  const day = (time: number) => isoDay(time).slice(2).replace(/-/g, '');
  const amount = (value: number) => money(Math.abs(value)).replace('.', ',');
  const side = (value: number) => (value < 0 ? 'D' : 'C');
  yield `:20:STMT${f.balance.id}\r\n:25:${f.balance.id}\r\n:28C:1/1\r\n:60F:${side(f.window.opening)}${day(f.start)}${f.currency}${amount(f.window.opening)}\r\n`;
  yield* chunked(
    f.window.rows(),
    (t) =>
      `:61:${day(t.time)}${day(t.time).slice(2)}${side(t.value)}${amount(t.value)}NTRF${t.reference}\r\n:86:${t.value > 0 ? 'From' : 'To'} ${t.counterparty}\r\n`,
  );
  yield `:62F:${side(f.window.closing)}${day(f.end)}${f.currency}${amount(f.window.closing)}\r\n-\r\n`;
}

function* qif(f: Facts): Generator<string> {
  yield '!Type:Bank\n';
  yield* chunked(f.window.rows(), (t) => {
    const [y, m, d] = isoDay(t.time).split('-');
    return `D${m}/${d}/${y}\nT${money(t.value)}\nP${t.counterparty}\nM${t.reference}\n^\n`;
  });
}

/** A one-page PDF naming the statement: the period, the balances and the first rows. */
function pdf(f: Facts): Buffer {
  const lines = [
    `Wise balance statement: ${f.currency}, balance ${f.balance.id}`,
    `${f.profile.fullName}`,
    `Period ${isoDay(f.start)} to ${isoDay(f.end)}`,
    `Opening balance ${money(f.window.opening)} ${f.currency}`,
    `Closing balance ${money(f.window.closing)} ${f.currency}`,
    `${f.window.count} transactions`,
  ];
  for (const t of f.window.rows()) {
    if (lines.length >= 40) break;
    lines.push(`${isoDay(t.time)}  ${money(t.value).padStart(10)}  ${t.counterparty}  ${t.reference}`);
  }
  const text = lines
    .map((line, i) => `BT /F1 10 Tf 50 ${780 - i * 16} Td (${line.replace(/[\\()]/g, (c) => `\\${c}`)}) Tj ET`)
    .join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text, 'latin1')} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A workbook of one sheet (date, amount, currency, description, reference, running balance), as an OOXML zip. */
function xlsx(f: Facts): Buffer {
  const cell = (ref: string, value: string | number) =>
    typeof value === 'number'
      ? `<c r="${ref}"><v>${value}</v></c>`
      : `<c r="${ref}" t="inlineStr"><is><t>${xml(value)}</t></is></c>`;
  const rows = [['Date', 'Amount', 'Currency', 'Description', 'Reference', 'Running balance']];
  const body: string[] = [];
  const header = rows[0] as string[];
  body.push(`<row r="1">${header.map((h, i) => cell(`${String.fromCharCode(65 + i)}1`, h)).join('')}</row>`);
  let r = 2;
  for (const t of f.window.rows()) {
    const values: (string | number)[] = [isoDay(t.time), t.value, f.currency, t.counterparty, t.reference, t.running];
    body.push(`<row r="${r}">${values.map((v, i) => cell(`${String.fromCharCode(65 + i)}${r}`, v)).join('')}</row>`);
    r++;
  }
  const files: Record<string, string> = {
    '[Content_Types].xml':
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    '_rels/.rels':
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    'xl/workbook.xml':
      '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Statement" sheetId="1" r:id="rId1"/></sheets></workbook>',
    'xl/_rels/workbook.xml.rels':
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    'xl/worksheets/sheet1.xml': `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${body.join('')}</sheetData></worksheet>`,
  };
  return zip(files);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip archive (deflate), enough for an OOXML workbook. */
function zip(files: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text, 'utf8');
    const packed = deflateRawSync(data);
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(0, 10);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(0, 12);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(packed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, packed);
    central.push(entry, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const centralBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, centralBytes, end]);
}

/** Activities of a profile (`/v1/profiles/{id}/activities`): its balances' transactions, newest first. */
export function* activityRows(state: MockState, profileId: number, since: number, until: number) {
  const balances = state.balances.filter((b) => b.profileId === profileId);
  const windows = balances.map((b) => ({ b, rows: [...windowOf(state, b.id, since, until).rows()] }));
  const all = windows.flatMap(({ b, rows }) => rows.map((t) => ({ b, t })));
  all.sort((x, y) => y.t.time - x.t.time);
  for (const { b, t } of all) yield { balance: b, transaction: t };
}
