import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LedgerRecoveryActivities } from '../activities/ledger-recovery';

/**
 * Every Graph and On-Prem activity heartbeats every 10 s while its call runs (activities/index.ts), so a
 * worker that died holding one, or an answer lost while the server was down, is noticed after this long
 * instead of at the start-to-close timeout; the workflow then treats it as an unknown outcome.
 */
const heartbeatTimeout = '30 seconds';

/** Reads (and the idempotent local-storage setting) are safe to repeat: Temporal retries them (the activity marks hopeless errors non-retryable). */
export const reads = proxyActivities<
  Pick<
    Activities,
    'readPhoneNumber' | 'configureLocalStorage' | 'readLocalStorage' | 'listWabaPhoneNumbersPage'
  >
>({
  heartbeatTimeout,
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
  },
});

/**
 * Register and deregister spend Meta's 10-per-72-hours budget: never retried by Temporal. The workflow
 * reads the number's state after an unknown outcome and decides itself. A send that no worker picks up
 * within the schedule-to-start timeout was never sent: the budget drops it, and the workflow sends again.
 */
export const mutations = proxyActivities<Pick<Activities, 'registerPhoneNumber' | 'deregisterPhoneNumber'>>({
  heartbeatTimeout,
  scheduleToStartTimeout: '10 minutes',
  startToCloseTimeout: '3 minutes',
  retry: { maximumAttempts: 1 },
});

/**
 * The On-Prem backup (migration). Retried while the client is unreachable; login or request errors stop.
 * Its result, the backup data, is a payload of the migrate run only (encrypted like every payload).
 */
export const onPrem = proxyActivities<Pick<Activities, 'createOnPremBackup'>>({
  heartbeatTimeout,
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 4 },
});

/** Verification and PIN calls are outside the register budget: retry a little, not for long. */
export const verification = proxyActivities<Pick<Activities, 'submitCodeToMeta' | 'setTwoStepPin'>>({
  heartbeatTimeout,
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * Each request_code sends a message (a new code) to a person: never repeated by Temporal. A request whose
 * answer was lost may have sent one, so the workflow waits for that code rather than asking again.
 */
export const codeRequests = proxyActivities<Pick<Activities, 'requestVerificationCode'>>({
  heartbeatTimeout,
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 1 },
});

/**
 * A fresh lifecycle reads its closed predecessor's ledger before it sends anything. Kept trying for as
 * long as it takes: a number whose past requests are unknown must not send.
 */
export const recovery = proxyLocalActivities<LedgerRecoveryActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * The worker's policy, read in-process as a local activity: no Graph call, so it must not use up the
 * task queue's Graph rate limit (graph.maxRequestsPerSecond), and it adds one marker, not three events.
 */
export const settings = proxyLocalActivities<Pick<Activities, 'loadPolicy'>>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5 },
});
