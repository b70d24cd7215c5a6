// The engine-floor baseline (bench/engine-floor.ts): trivial workflows that make the same Temporal calls
// as one register operation's happy path and nothing else. Bundled on its own for a separate worker on
// its own task queue, so the product's workflow bundle (workflows/) is untouched.
//
// A register operation runs one local activity in the number's lifecycle (loadPolicy) and two activities
// in its child run (readPhoneNumber, registerPhoneNumber). `floorFlat` runs the three in one workflow;
// `floorParent` runs the local activity and starts `floorChild` for the two activities, the shape of the
// lifecycle → operation child. `floorGraph` is `floorFlat` whose two activities are the product's own
// readPhoneNumber and registerPhoneNumber, over HTTP to the simulator.
import { executeChild, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';

export interface FloorActivities {
  /** Stand-in for loadPolicy (a local activity in the lifecycle). */
  floorLocal(name: string): Promise<{ ok: true }>;
  /** Stand-in for readPhoneNumber and registerPhoneNumber (task-queue activities, under the cap). */
  floorActivity(name: string): Promise<{ ok: true }>;
}

/** The same timeouts as the product's proxies (workflows/activity-proxies.ts). */
const local = proxyLocalActivities<Pick<FloorActivities, 'floorLocal'>>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5 },
});
const reads = proxyActivities<Pick<FloorActivities, 'floorActivity'>>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 8 },
});
const mutations = proxyActivities<Pick<FloorActivities, 'floorActivity'>>({
  startToCloseTimeout: '3 minutes',
  retry: { maximumAttempts: 1 },
});

/**
 * The product's own Graph activities (activities/index.ts), for `floorGraph`: the same HTTP requests to the
 * simulator as a register operation, so the floor pays for the Graph calls as ours does.
 */
export interface FloorGraphActivities {
  readPhoneNumber(phoneNumberId: string): Promise<unknown>;
  registerPhoneNumber(phoneNumberId: string, params: { pin: string }): Promise<void>;
}
const graphReads = proxyActivities<Pick<FloorGraphActivities, 'readPhoneNumber'>>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 8 },
});
const graphMutations = proxyActivities<Pick<FloorGraphActivities, 'registerPhoneNumber'>>({
  startToCloseTimeout: '3 minutes',
  retry: { maximumAttempts: 1 },
});

async function twoActivities(): Promise<number> {
  await reads.floorActivity('read');
  await mutations.floorActivity('register');
  return 2;
}

/** One workflow: the local activity, then the two activities. */
export async function floorFlat(): Promise<number> {
  await local.floorLocal('policy');
  return 1 + (await twoActivities());
}

/** floorFlat with the real Graph calls: the local activity, then the number's read and its register. */
export async function floorGraph(phoneNumberId: string, pin: string): Promise<number> {
  await local.floorLocal('policy');
  await graphReads.readPhoneNumber(phoneNumberId);
  await graphMutations.registerPhoneNumber(phoneNumberId, { pin });
  return 3;
}

/** The child of floorParent: the two activities. */
export async function floorChild(): Promise<number> {
  return twoActivities();
}

/** Lifecycle-shaped: the local activity, then one child workflow that runs the two activities. */
export async function floorParent(): Promise<number> {
  await local.floorLocal('policy');
  return 1 + (await executeChild(floorChild, { workflowId: `${workflowInfo().workflowId}:child` }));
}
