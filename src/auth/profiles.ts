import type { WiseClient } from '../http/client.js';
import { endpoint } from '../http/endpoints.js';
import type { ProfileSummary } from '../store/config.js';

/** A profile as `GET /v2/profiles` returns it (only the fields the tool reads). */
export interface WiseProfile {
  id: number;
  type: string;
  fullName?: string;
  businessName?: string;
  details?: { firstName?: string; lastName?: string; name?: string };
}

export function summariseProfile(p: WiseProfile): ProfileSummary {
  const fromDetails = p.details
    ? (p.details.name ?? [p.details.firstName, p.details.lastName].filter(Boolean).join(' '))
    : '';
  return { id: p.id, type: String(p.type).toUpperCase(), name: p.businessName ?? p.fullName ?? fromDetails };
}

export async function fetchProfiles(client: WiseClient): Promise<ProfileSummary[]> {
  const profiles = await client.getJson<WiseProfile[]>(endpoint('profiles', client.apiVersion));
  if (!Array.isArray(profiles)) return [];
  return profiles.map(summariseProfile);
}
