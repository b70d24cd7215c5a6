// Phone numbers seeded in the Graph simulator in the states the lifecycle tests start from, so the fields
// that make up "verified", "on Cloud API" or "on On-Premises" are written down once.
import type { SimulatorAdmin } from './simulator-admin';

type SeedFields = Record<string, unknown>;

/** A verified number with an approved display name, not registered: register can go through. */
export function seedVerified(sim: SimulatorAdmin, id: string, fields: SeedFields = {}): Promise<unknown> {
  return sim.seed({ id, code_verification_status: 'VERIFIED', name_status: 'APPROVED', ...fields });
}

/** Many verified numbers at once (bulk seeding, in chunks the simulator's body limit takes). */
export async function seedManyVerified(
  sim: SimulatorAdmin,
  ids: string[],
  fields: SeedFields = {},
): Promise<void> {
  const chunk = 500;
  for (let i = 0; i < ids.length; i += chunk) {
    await sim.seedMany(
      ids
        .slice(i, i + chunk)
        .map((id) => ({ id, code_verification_status: 'VERIFIED', name_status: 'APPROVED', ...fields })),
    );
  }
}

/** A verified number registered on Cloud API (CONNECTED) with two-step PIN `pin`. */
export function seedOnCloudApi(
  sim: SimulatorAdmin,
  id: string,
  pin: string,
  fields: SeedFields = {},
): Promise<unknown> {
  return seedVerified(sim, id, { status: 'CONNECTED', platform_type: 'CLOUD_API', pin, ...fields });
}

/** A verified number on the On-Premises API with PIN `pin`, its On-Prem client running and taking `login`. */
export function seedOnPremises(
  sim: SimulatorAdmin,
  id: string,
  pin: string,
  login: { username: string; password: string },
): Promise<unknown> {
  return seedVerified(sim, id, { platform_type: 'ON_PREMISE', pin, onprem: login });
}
