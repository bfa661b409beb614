import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { parseApiVersion } from '../http/endpoints.js';
import type { AccountSettings, ConfigData } from '../store/config.js';

/** One per-account setting of `wise config`: its name on the command line, its field in config.json. */
interface SettingSpec {
  key: string;
  field: keyof AccountSettings;
  describe: string;
  /** Checks a value given to `wise config set` and returns it as stored. */
  parse(value: string): string;
}

export const SETTINGS: readonly SettingSpec[] = [
  {
    key: 'api-version',
    field: 'apiVersion',
    describe: "Wise API version (YYYYQn) for the built-in commands' paths; --api-version and WISE_API_VERSION win",
    parse: (value) => parseApiVersion(value, 'api-version'),
  },
  {
    key: 'jose',
    field: 'jose',
    describe: "JOSE for the account's calls: jws, jwe or jws+jwe (keys: wise keys generate); wise api --jose wins",
    parse: (value) => {
      if (!['jws', 'jwe', 'jws+jwe'].includes(value)) {
        throw new UsageError(`jose must be jws, jwe or jws+jwe, not "${value}".`, {
          hint: 'To turn it off: wise config unset jose.',
        });
      }
      return value;
    },
  },
];

export function settingSpec(key: string): SettingSpec {
  const spec = SETTINGS.find((s) => s.key === key);
  if (!spec) {
    throw new UsageError(`There is no setting named "${key}".`, {
      hint: `Settings: ${SETTINGS.map((s) => s.key).join(', ')}.`,
    });
  }
  return spec;
}

/** Where the value in force came from: a flag, a variable, the account's settings. */
export interface Resolved {
  value: string;
  source: string;
}

/**
 * The API version for built-in paths: --api-version, else WISE_API_VERSION, else the account's `api-version`
 * setting; undefined means the classic paths.
 */
export function resolveApiVersion(
  ctx: Pick<Context, 'options' | 'env'>,
  account?: () => { name: string; config: ConfigData },
): Resolved | undefined {
  if (ctx.options.apiVersion)
    return { value: parseApiVersion(ctx.options.apiVersion, '--api-version'), source: '--api-version' };
  if (ctx.env.WISE_API_VERSION)
    return { value: parseApiVersion(ctx.env.WISE_API_VERSION, 'WISE_API_VERSION'), source: 'WISE_API_VERSION' };
  if (!account) return undefined;
  const { name, config } = account();
  const stored = config.accounts[name]?.settings?.apiVersion;
  return stored ? { value: stored, source: `setting api-version of account "${name}"` } : undefined;
}
