/** What a route answers; the server turns it into an HTTP response. */
export interface Reply {
  status: number;
  body?: unknown;
  /** A body sent as is (HTML), instead of JSON. */
  html?: string;
  /** A compact JWS or JWE, sent as application/jose+json. */
  jose?: string;
  /** Plain text (a PEM). */
  text?: string;
  /** A body sent in chunks as they are made (a large statement), with `contentType`. */
  stream?: Iterable<string>;
  /** Bytes sent as they are (a PDF or a workbook), with `contentType`. */
  raw?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});

/** Wise's general error shape. */
export const errors = (status: number, code: string, message: string): Reply =>
  json(status, { errors: [{ code, message, arguments: [] }] });

/** The OAuth error shape of RFC 6749 section 5.2, which Wise uses on /oauth/token. */
export const oauthError = (
  status: number,
  error: string,
  description: string,
  headers?: Record<string, string>,
): Reply => json(status, { error, error_description: description }, headers);

export const redirect = (location: string): Reply => ({
  status: 302,
  headers: { location, 'cache-control': 'no-store' },
});

export const htmlPage = (status: number, html: string): Reply => ({ status, html });

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
