/**
 * PSD2 and personal API tokens: Wise does not let a personal token of a customer in the EU, the EEA or the UK fund
 * transfers or read balance statements. The user's address (`GET /v1/me`, `details.address.countryCode`) says where
 * the customer is, so a payment can stop before it creates a quote and a transfer it could never fund.
 */
import type { WiseClient } from '../http/client.js';

/** The EU, the rest of the EEA and the UK. */
const PSD2_COUNTRIES = new Set(
  'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO GB'.split(' '),
);

/** The user's country when PSD2 covers it; undefined when it does not, or when Wise does not say. */
export async function psd2Country(client: WiseClient): Promise<string | undefined> {
  let me: { details?: { address?: { countryCode?: unknown } } | null };
  try {
    me = await client.getJson('/v1/me');
  } catch {
    // Not knowing is no reason to refuse: Wise's own answer to the funding call stays the last word.
    return undefined;
  }
  const country = me.details?.address?.countryCode;
  if (typeof country !== 'string') return undefined;
  const code = country.toUpperCase();
  return PSD2_COUNTRIES.has(code) ? code : undefined;
}
