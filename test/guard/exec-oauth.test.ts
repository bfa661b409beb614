import { afterEach, describe, expect, it } from 'vitest';
import { WISE_BIN } from '../helpers/cli.js';
import { grantsSeen, loggedIn, type OAuthWorld } from '../helpers/oauth.js';

let world: OAuthWorld;
afterEach(async () => {
  await world?.cleanup();
});

describe('wise exec with an OAuth login', () => {
  it('refreshes first when the token would be refreshed within --min-ttl, and hands the child the new token', async () => {
    world = await loggedIn();
    const child = [process.execPath, WISE_BIN, 'api', '/v1/me'];
    // Fresh from the login: this tool refreshes a token after 6 hours, so a 30-minute child needs no refresh.
    const plain = await world.sb.run(['exec', '--', ...child]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(await grantsSeen(world.mock, 'refresh_token')).toBe(0);
    // A child that may run 7 hours gets a token refreshed now; the old one is invalid, and the child still works.
    const long = await world.sb.run(['exec', '--min-ttl', '420', '--', ...child]);
    expect(long.code, long.stderr).toBe(0);
    expect(JSON.parse(long.stdout).id).toBe(1001);
    expect(await grantsSeen(world.mock, 'refresh_token')).toBe(1);
    // The refreshed token was stored: the next short child needs no refresh again.
    expect((await world.sb.run(['exec', '--', ...child])).code).toBe(0);
    expect(await grantsSeen(world.mock, 'refresh_token')).toBe(1);
    expect((await world.sb.run(['exec', '--min-ttl', '0', '--', 'true'])).code).toBe(2);
  });
});
