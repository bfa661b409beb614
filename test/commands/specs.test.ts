import { describe, expectTypeOf, it } from 'vitest';
import type { oauthSetup } from '../../src/commands/oauth/setup.js';
import type { OAuthSetupOptions, TokenAddOptions } from '../../src/commands/specs.js';
import type { tokenAdd } from '../../src/commands/token/add.js';

// Checked by `tsc` (npm run typecheck): the options a command function takes are the ones its flags declare, so a
// renamed or retyped flag breaks the build where it is read.
describe('command options come from their flags', () => {
  it('token add', () => {
    expectTypeOf<TokenAddOptions>().toEqualTypeOf<{ stdin?: true | undefined; verify: boolean }>();
    expectTypeOf<Parameters<typeof tokenAdd>[1]>().toEqualTypeOf<TokenAddOptions>();
  });

  it('oauth setup', () => {
    expectTypeOf<OAuthSetupOptions>().toEqualTypeOf<{
      clientId: string;
      redirectUri: string;
      clientSecretStdin?: true | undefined;
      verify: boolean;
    }>();
    expectTypeOf<Parameters<typeof oauthSetup>[1]>().toEqualTypeOf<OAuthSetupOptions>();
  });
});
