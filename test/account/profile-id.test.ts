import { describe, expect, it } from 'vitest';
import { givenProfileId } from '../../src/account/profile-id.js';
import type { Target } from '../../src/auth/target.js';
import type { Context } from '../../src/context.js';
import { UsageError } from '../../src/errors.js';

/** Only what givenProfileId reads of a context and a target. */
const ctx = (profileId: string | undefined, env: Record<string, string> = {}) =>
  ({ options: { profileId }, env }) as unknown as Context;
const target = (stored: number | undefined) =>
  ({
    account: 'default',
    env: 'sandbox',
    config: { accounts: { default: { credentials: { sandbox: stored === undefined ? {} : { profileId: stored } } } } },
  }) as unknown as Target;

describe('the one resolver of the profile id', () => {
  it('--profile-id, then WISE_PROFILE_ID, then the stored default', () => {
    expect(givenProfileId(ctx('11', { WISE_PROFILE_ID: '22' }), target(33))).toBe(11);
    expect(givenProfileId(ctx(undefined, { WISE_PROFILE_ID: '22' }), target(33))).toBe(22);
    expect(givenProfileId(ctx(undefined), target(33))).toBe(33);
    expect(givenProfileId(ctx(undefined), target(undefined))).toBeUndefined();
  });

  it('a stored default is not used for a WISE_TOKEN credential (it may be another user’s); a given one is', () => {
    expect(givenProfileId(ctx(undefined, { WISE_TOKEN: 't' }), target(33))).toBeUndefined();
    expect(givenProfileId(ctx(undefined, { WISE_TOKEN: 't', WISE_PROFILE_ID: '22' }), target(33))).toBe(22);
  });

  it('a profile id that is not a number is a usage error (exit 2)', () => {
    expect(() => givenProfileId(ctx('12a'), target(undefined))).toThrow(UsageError);
    expect(() => givenProfileId(ctx(undefined, { WISE_PROFILE_ID: '-1' }), target(undefined))).toThrow(
      'The profile id must be a number, not "-1".',
    );
  });
});
