/** The emulator's seeded world: one EU user with a personal and a business profile and a few balances. */

export interface MockUser {
  id: number;
  name: string;
  email: string;
  /** EU/UK resident: personal tokens may not read statements or fund transfers (PSD2). */
  psd2: boolean;
  details: Record<string, unknown>;
}

export interface MockProfile {
  id: number;
  userId: number;
  type: 'PERSONAL' | 'BUSINESS';
  fullName: string;
  v2(): Record<string, unknown>;
  v1(): Record<string, unknown>;
}

export interface MockBalance {
  id: number;
  profileId: number;
  currency: string;
  type: 'STANDARD' | 'SAVINGS';
  value: number;
  json(): Record<string, unknown>;
}

export interface MockToken {
  kind: 'personal' | 'user' | 'client';
  /** The user the token acts for; 0 for client-credentials tokens. */
  userId: number;
  expiresAt?: number;
  clientId?: string;
  /** The authorization (refresh-token family) a user token belongs to. */
  grantId?: string;
}

/** A partner client registered with Wise. */
export interface MockClient {
  id: string;
  secret: string;
  name: string;
  redirectUris: string[];
}

/** An authorization code issued by the consent page: single use, bound to client, redirect URI and PKCE challenge. */
export interface MockCode {
  clientId: string;
  redirectUri: string;
  userId: number;
  expiresAt: number;
  used: boolean;
  challenge?: string;
  /** The grant created when the code was exchanged, revoked if the code is replayed. */
  grantId?: string;
}

/** One user's authorization of one client: its current refresh token and the access tokens issued under it. */
export interface MockGrant {
  id: string;
  clientId: string;
  userId: number;
  refreshToken: string;
  accessTokens: Set<string>;
}

export interface MockRegistration {
  userId: number;
  clientId: string;
  code: string;
}

export interface MockState {
  users: MockUser[];
  profiles: MockProfile[];
  balances: MockBalance[];
  tokens: Map<string, MockToken>;
  clients: MockClient[];
  codes: Map<string, MockCode>;
  grants: Map<string, MockGrant>;
  /** Refresh token -> grant id. */
  refreshTokens: Map<string, string>;
  /** Email -> registration by a partner over the API. */
  registrations: Map<string, MockRegistration>;
  /** Quote id -> the quote as answered. */
  quotes: Map<string, Record<string, unknown>>;
  /** Recipient accounts, by id. */
  recipients: Map<number, MockRecipient>;
  /** Transfers, by id. */
  transfers: Map<number, MockTransfer>;
  /** `${userId}:${customerTransactionId}` -> transfer id: Wise's idempotency check on transfer creation. */
  transfersByCustomerId: Map<string, number>;
  /** Batch groups, by id. */
  batchGroups: Map<string, MockBatchGroup>;
  /** Webhook subscriptions of profiles, by id. */
  subscriptions: Map<string, Record<string, unknown>>;
  /** Synthetic statement transactions per balance id: `count` spread evenly over [from, to). */
  transactionSeries: Map<number, { count: number; from: number; to: number }>;
  /** How many of the next transfer creations find their quote expired, as if it aged 30 minutes in flight. */
  expireNextQuotes: number;
  /** The customerTransactionIds whose transfer creation already found its quote expired that way. */
  expiredOnTheWay: Set<string>;
  nextId: number;
  /** Sandbox top-ups made so far (their transaction ids). */
  topups?: number;
}

/** A recipient account (`POST /v1/accounts`). */
export interface MockRecipient {
  id: number;
  profileId: number;
  accountHolderName: string;
  currency: string;
  country: string;
  type: string;
  details: Record<string, unknown>;
  active: boolean;
}

/** A transfer (`POST /v1/transfers`), with what the emulator needs to move it through its states. */
export interface MockTransfer {
  id: number;
  userId: number;
  profileId: number;
  targetAccount: number;
  quoteUuid: string;
  customerTransactionId: string;
  status: string;
  reference: string;
  rate: number;
  sourceCurrency: string;
  sourceValue: number;
  targetCurrency: string;
  targetValue: number;
  created: string;
  batchGroupId?: string;
  /** Moved by a sandbox simulation: it no longer advances on its own. */
  simulated?: boolean;
}

export interface MockBatchGroup {
  id: string;
  profileId: number;
  userId: number;
  version: number;
  name: string;
  sourceCurrency: string;
  status: 'NEW' | 'COMPLETED' | 'CANCELLED';
  transferIds: number[];
  funded: boolean;
}

function profile(id: number, userId: number, type: 'PERSONAL' | 'BUSINESS', fullName: string): MockProfile {
  return {
    id,
    userId,
    type,
    fullName,
    v2: () => ({
      id,
      type,
      userId,
      publicId: `${type.toLowerCase()}-${id}`,
      fullName,
      ...(type === 'BUSINESS' ? { businessName: fullName } : {}),
      currentState: 'VISIBLE',
      contactDetails: { email: 'jane.doe@example.com', phoneNumber: '+4930123456' },
      address: { countryIso2Code: 'DE', city: 'Berlin', postCode: '10115', firstLine: 'Invalidenstr. 1' },
      createdAt: '2024-03-01T09:30:00',
      updatedAt: '2026-10-01T12:00:00',
    }),
    v1: () => ({
      id,
      type: type.toLowerCase(),
      details:
        type === 'PERSONAL'
          ? { firstName: 'Jane', lastName: 'Doe', dateOfBirth: '1990-04-12', phoneNumber: '+4930123456' }
          : { name: fullName, registrationNumber: 'HRB 123456', companyType: 'LIMITED', companyRole: 'OWNER' },
    }),
  };
}

function balance(
  id: number,
  profileId: number,
  currency: string,
  value: number,
  type: 'STANDARD' | 'SAVINGS' = 'STANDARD',
  name: string | null = null,
): MockBalance {
  const b: MockBalance = {
    id,
    profileId,
    currency,
    type,
    value,
    // Read when answered: funding a transfer takes its amount from `value`.
    json: () => ({
      id,
      currency,
      type,
      name,
      icon: type === 'SAVINGS' ? { type: 'EMOJI', value: '🏖' } : null,
      investmentState: 'NOT_INVESTED',
      amount: { value: b.value, currency },
      reservedAmount: { value: 0, currency },
      cashAmount: { value: b.value, currency },
      totalWorth: { value: b.value, currency },
      creationTime: '2024-03-01T09:31:00.000Z',
      modificationTime: '2026-10-01T12:00:00.000Z',
      visible: true,
    }),
  };
  return b;
}

function recipient(
  id: number,
  profileId: number,
  accountHolderName: string,
  currency: string,
  country: string,
  type: string,
  details: Record<string, unknown>,
): MockRecipient {
  return { id, profileId, accountHolderName, currency, country, type, details, active: true };
}

export function addUser(state: MockState, email: string, name: string): MockUser {
  const user: MockUser = { id: state.nextId++, name, email, psd2: true, details: { address: { countryCode: 'DE' } } };
  state.users.push(user);
  const personal = profile(state.nextId++, user.id, 'PERSONAL', name);
  state.profiles.push(personal);
  state.balances.push(balance(state.nextId++, personal.id, 'EUR', 0));
  return user;
}

export function createSeed(personalToken: string, client: MockClient): MockState {
  const user: MockUser = {
    id: 1001,
    name: 'Jane Doe',
    email: 'jane.doe@example.com',
    psd2: true,
    details: {
      firstName: 'Jane',
      lastName: 'Doe',
      dateOfBirth: '1990-04-12',
      address: { countryCode: 'DE', firstLine: 'Invalidenstr. 1', postCode: '10115', city: 'Berlin' },
    },
  };
  return {
    users: [user],
    profiles: [profile(2001, user.id, 'PERSONAL', 'Jane Doe'), profile(2002, user.id, 'BUSINESS', 'Doe Trading GmbH')],
    balances: [
      balance(3001, 2001, 'EUR', 1250.5),
      balance(3002, 2001, 'GBP', 310),
      balance(3003, 2002, 'EUR', 18400),
      balance(3004, 2002, 'USD', 5200.75),
      balance(3005, 2001, 'EUR', 600, 'SAVINGS', 'Holiday jar'),
    ],
    tokens: new Map([[personalToken, { kind: 'personal', userId: user.id }]]),
    clients: [client],
    codes: new Map(),
    grants: new Map(),
    refreshTokens: new Map(),
    registrations: new Map(),
    quotes: new Map(),
    recipients: new Map(
      [
        recipient(7001, 2001, 'Acme Supplies Ltd', 'GBP', 'GB', 'sort_code', {
          sortCode: '231470',
          accountNumber: '28821822',
        }),
        recipient(7002, 2001, 'Max Mustermann', 'EUR', 'DE', 'iban', { iban: 'DE89370400440532013000' }),
        recipient(7003, 2002, 'Globex Inc', 'USD', 'US', 'aba', {
          abartn: '026009593',
          accountNumber: '12345678',
          accountType: 'CHECKING',
        }),
        recipient(7004, 2002, 'Muster Logistik GmbH', 'EUR', 'DE', 'iban', { iban: 'DE75512108001245126199' }),
      ].map((r) => [r.id, r]),
    ),
    transfers: new Map(),
    transfersByCustomerId: new Map(),
    batchGroups: new Map(),
    subscriptions: new Map(),
    // A few months of account activity on every seeded balance, so statements and activities have rows.
    transactionSeries: new Map(
      [3001, 3002, 3003, 3004].map((id, i) => [
        id,
        { count: 40 + 10 * i, from: Date.parse('2026-06-01T00:00:00Z'), to: Date.parse('2026-12-01T00:00:00Z') },
      ]),
    ),
    expireNextQuotes: 0,
    expiredOnTheWay: new Set(),
    nextId: 5001,
  };
}
