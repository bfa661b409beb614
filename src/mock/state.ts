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
  nextId: number;
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

function balance(id: number, profileId: number, currency: string, value: number): MockBalance {
  return {
    id,
    profileId,
    currency,
    type: 'STANDARD',
    value,
    json: () => ({
      id,
      currency,
      type: 'STANDARD',
      name: null,
      icon: null,
      investmentState: 'NOT_INVESTED',
      amount: { value, currency },
      reservedAmount: { value: 0, currency },
      cashAmount: { value, currency },
      totalWorth: { value, currency },
      creationTime: '2024-03-01T09:31:00.000Z',
      modificationTime: '2026-10-01T12:00:00.000Z',
      visible: true,
    }),
  };
}

export function addUser(state: MockState, email: string, name: string): MockUser {
  const user: MockUser = { id: state.nextId++, name, email, psd2: true, details: { address: { country: 'DE' } } };
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
    details: { firstName: 'Jane', lastName: 'Doe', dateOfBirth: '1990-04-12', address: { country: 'DE' } },
  };
  return {
    users: [user],
    profiles: [profile(2001, user.id, 'PERSONAL', 'Jane Doe'), profile(2002, user.id, 'BUSINESS', 'Doe Trading GmbH')],
    balances: [
      balance(3001, 2001, 'EUR', 1250.5),
      balance(3002, 2001, 'GBP', 310),
      balance(3003, 2002, 'EUR', 18400),
      balance(3004, 2002, 'USD', 5200.75),
    ],
    tokens: new Map([[personalToken, { kind: 'personal', userId: user.id }]]),
    clients: [client],
    codes: new Map(),
    grants: new Map(),
    refreshTokens: new Map(),
    registrations: new Map(),
    quotes: new Map(),
    nextId: 5001,
  };
}
