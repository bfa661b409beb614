import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { toTokenSet } from '../../src/auth/oauth/grants.js';
import {
  mask,
  maskUrlCredentials,
  REDACTED,
  Redactor,
  selfRedacting,
  showUrl,
  stripControl,
} from '../../src/util/redact.js';

describe('Redactor', () => {
  const r = new Redactor();
  r.add('super-secret-value-1234');

  it.each([
    ['authorization', 'Bearer abc.def', `Bearer ${REDACTED}`],
    ['Authorization', 'Basic dXNlcjpwYXNz', `Basic ${REDACTED}`],
    ['x-signature', 'c2lnbmF0dXJl', REDACTED],
    ['cookie', 'a=b', REDACTED],
    ['content-type', 'application/json', 'application/json'],
    ['x-trace-id', 'super-secret-value-1234', REDACTED],
  ])('header %s: %s', (name, value, expected) => {
    expect(r.headerValue(name, value)).toBe(expected);
  });

  it.each([
    [
      '{"access_token":"a1","token_type":"bearer","expires_in":43199}',
      'application/json',
      '{"access_token":"[REDACTED]","token_type":"bearer","expires_in":43199}',
    ],
    [
      '{"refresh_token":"r1","nested":{"pin":"1234","ok":1}}',
      'application/json',
      '{"refresh_token":"[REDACTED]","nested":{"pin":"[REDACTED]","ok":1}}',
    ],
    [
      '{"errors":[{"code":"NOT_FOUND","message":"m"}]}',
      'application/json',
      '{"errors":[{"code":"NOT_FOUND","message":"m"}]}',
    ],
    ['{"registrationCode":"x","email":"a@b"}', 'application/json', '{"registrationCode":"[REDACTED]","email":"a@b"}'],
    [
      'grant_type=refresh_token&refresh_token=abc&client_id=c',
      'application/x-www-form-urlencoded',
      `grant_type=refresh_token&refresh_token=${REDACTED}&client_id=c`,
    ],
    [
      'grant_type=authorization_code&code=xyz&redirect_uri=http%3A%2F%2F127.0.0.1',
      'application/x-www-form-urlencoded',
      `grant_type=authorization_code&code=${REDACTED}&redirect_uri=http%3A%2F%2F127.0.0.1`,
    ],
    ['text with super-secret-value-1234 inside', 'text/plain', `text with ${REDACTED} inside`],
    ['eyJhbGciOi.x.y', 'application/jose+json', `${REDACTED} (14 bytes of JOSE)`],
  ])('body %s', (body, type, expected) => {
    expect(r.body(body, type)).toBe(expected);
  });

  it('redacts secret query parameters in URLs', () => {
    expect(r.url('http://h/cb?code=abc&state=s1')).toBe(`http://h/cb?code=${REDACTED}&state=s1`);
  });

  it('redacts bearer credentials in free text', () => {
    expect(r.text('sent Authorization: Bearer abc.def-ghi')).toBe(`sent Authorization: Bearer ${REDACTED}`);
  });
});

describe('mask', () => {
  it.each([
    ['52e8eba9-f26e-4591-a0d9-15c95800bf11', '****bf11'],
    ['short', '****'],
  ])('%s → %s', (value, expected) => {
    expect(mask(value)).toBe(expected);
  });
});

describe('objects that hold secrets', () => {
  it('redact themselves in JSON and util.inspect, and keep their values for code', () => {
    const tokens = toTokenSet(
      { access_token: 'acc-123456789', refresh_token: 'ref-123456789', token_type: 'bearer', expires_in: 60 },
      0,
    );
    expect(tokens.accessToken).toBe('acc-123456789');
    for (const shown of [JSON.stringify(tokens), inspect(tokens), inspect({ nested: { tokens } }, { depth: 5 })]) {
      expect(shown).not.toContain('acc-123456789');
      expect(shown).not.toContain('ref-123456789');
      expect(shown).toContain(REDACTED);
      expect(shown).toContain('60000');
    }
    const client = selfRedacting({ clientId: 'id', clientSecret: 'very-secret' }, ['clientSecret']);
    expect(JSON.stringify(client)).toBe(`{"clientId":"id","clientSecret":"${REDACTED}"}`);
    expect({ ...client }.clientSecret).toBe('very-secret');
  });
});

describe('redaction gaps closed', () => {
  const r = new Redactor();

  it.each([
    ['location', 'http://127.0.0.1:8765/callback?code=abc123def456&state=s', /code=\[REDACTED\]&state=s$/],
    ['Location', '/next#access_token=tok-123456789&token_type=bearer', /#access_token=\[REDACTED\]&token_type=bearer$/],
    ['content-location', 'https://x.example/a?refresh_token=r-123456789', /refresh_token=\[REDACTED\]$/],
    ['link', '<https://x.example/p?token=t-123456789>; rel="next"', /token=\[REDACTED\]/],
  ])('the URL-valued header %s is redacted by query rules', (name, value, expected) => {
    expect(r.headerValue(name, value)).toMatch(expected);
    expect(r.headerValue(name, value)).not.toContain('123456789');
  });

  it.each([
    ['application/json', 'grant_type=refresh_token&refresh_token=rt-secret-123456'],
    ['text/plain', 'grant_type=refresh_token&refresh_token=rt-secret-123456'],
    [undefined, 'client_secret=cs-secret-123456&x=1'],
    ['application/x-www-form-urlencoded', '{"refresh_token":"rt-secret-123456"}'],
    ['text/plain', '{"pin":"1234","nested":{"access_token":"rt-secret-123456"}}'],
  ])('a body declared %s is redacted by its content', (type, body) => {
    const out = r.body(body, type);
    expect(out).toContain(REDACTED);
    expect(out).not.toMatch(/secret-123456|"1234"/);
  });

  it('a malformed percent-escape in a form does not throw', () => {
    expect(r.body('%E0%A4%A=1&token=abcdefgh', 'application/x-www-form-urlencoded')).toBe(
      `%E0%A4%A=1&token=${REDACTED}`,
    );
  });

  it('stripControl removes what would drive a terminal and keeps the text', () => {
    expect(stripControl('a\u001b]0;pwned\u0007\u001b[2Jb\u009b31m\u202ec\r\nd\te')).toBe('a]0;pwned[2Jb31mc  d e');
  });
});

describe('URLs shown with their userinfo masked', () => {
  it.each([
    ['http://alice:S3cret/PW2@proxy.example:3128', 'http://***@proxy.example:3128'],
    ['http://alice:p@ss@proxy.example:3128/', 'http://***@proxy.example:3128/'],
    ['the proxy setting "https://u:a/b/c@h:1" is not a URL', 'the proxy setting "https://***@h:1" is not a URL'],
    ['http://proxy.example:3128', 'http://proxy.example:3128'],
  ])('%s', (input, shown) => {
    expect(maskUrlCredentials(input)).toBe(shown);
  });
  it('a URL object with a user or password', () => {
    expect(showUrl(new URL('http://hook:pass@127.0.0.1:3000/hooks?x=1'))).toBe('http://***@127.0.0.1:3000/hooks?x=1');
    expect(showUrl(new URL('http://127.0.0.1:3000/hooks'))).toBe('http://127.0.0.1:3000/hooks');
  });
});
