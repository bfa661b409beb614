import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type OAuthWorld, oauthWorld, startWise } from '../helpers/oauth.js';

// Debian's chromium, driven by playwright-core (which downloads nothing): a real browser clicks Approve.
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: .ci/run installs chromium`);

let world: OAuthWorld;
afterEach(async () => {
  await world?.cleanup();
});

describe.skipIf(!haveChromium)('wise oauth authorize with headless Chromium', () => {
  it('clicking Approve on the consent page logs in, and the browser ends on the result page', async () => {
    const { chromium } = await import('playwright-core');
    world = await oauthWorld();
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '30']);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(await run.consentUrl);
      expect(await page.textContent('h1')).toBe('Connect Mock Partner to Wise');
      await page.click('#approve');
      await page.waitForSelector('text=You are logged in to wise');
      expect(page.url()).toBe(`http://127.0.0.1:${world.port}/wise-cli/done`);
    } finally {
      await browser.close();
    }
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    const me = await world.sb.run(['api', '/v1/me']);
    expect(JSON.parse(me.stdout)).toMatchObject({ id: 1001 });
  }, 60_000);

  it('clicking Deny ends the login with exit 4', async () => {
    const { chromium } = await import('playwright-core');
    world = await oauthWorld();
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '30']);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.goto(await run.consentUrl);
      await page.click('#deny');
      await page.waitForSelector('text=The login was not completed');
    } finally {
      await browser.close();
    }
    expect((await run.done).code).toBe(4);
  }, 60_000);
});
