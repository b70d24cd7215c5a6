// Bringing a number back after an operation took it offline (region change: deregistered; migration:
// On-Prem shut down). Register keeps trying within the budget, and a refused PIN waits for a corrected
// one instead of failing: the number must not stay down because of a typo.
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { GraphErrorType } from '../domain/graph-errors';
import { emptyLedger, mergeLedgers, type RequestLedger } from '../domain/ledger';
import type { OperationInput, OperationReport } from '../domain/operations';
import { pinSchema, type DataLocalizationRegion } from '../domain/phone-number';
import { formatDuration } from './budgeted-request';
import { workflowNow } from './clock';
import { providePinSignal } from './messages';
import type { OperationProgressReporter } from './operation-progress';
import { failWith, reportOf } from './operation-report';
import { registerNumber } from './register-operation';

/** Taking a number offline is serious: try harder than usual to bring it back. */
const OFFLINE_LOCKOUT_WAITS = 10;

export class PinMailbox {
  private pin: string | undefined;

  constructor() {
    setHandler(providePinSignal, (pin) => {
      if (pinSchema.safeParse(pin).success) this.pin = pin;
    });
  }

  async waitForPin(progress: OperationProgressReporter, reason: string, maxWaitMs: number): Promise<string> {
    this.pin = undefined;
    await progress.report('waiting-for-pin', reason, workflowNow() + maxWaitMs);
    if (!(await condition(() => this.pin !== undefined, maxWaitMs))) {
      throw ApplicationFailure.nonRetryable(
        `no corrected PIN arrived within ${formatDuration(maxWaitMs)}; the number is still offline: ${reason}`,
        'PinNotProvided',
      );
    }
    return this.pin!;
  }
}

export interface RegisterBackParams {
  pin: string;
  region?: DataLocalizationRegion;
  backup?: { data: string; password: string };
  /** Why the number is offline, for the state and the failure message. */
  why: string;
}

/** Registers the offline number, waiting out budget and blocks, and asking for a new PIN when refused. */
export async function registerBack(
  input: OperationInput,
  params: RegisterBackParams,
  progress: OperationProgressReporter,
  pins: PinMailbox,
): Promise<OperationReport> {
  let spent: RequestLedger = emptyLedger();
  let pin = params.pin;
  for (;;) {
    try {
      const report = await registerNumber(
        { ...input, ledger: mergeLedgers(input.ledger, spent) },
        { pin, region: params.region, backup: params.backup },
        progress,
        { offline: true, maxLockoutWaits: Math.max(OFFLINE_LOCKOUT_WAITS, input.policy.maxLockoutWaits) },
      );
      return { ...report, ledger: mergeLedgers(spent, report.ledger) };
    } catch (err) {
      const inner = reportOf(err);
      if (inner) spent = mergeLedgers(spent, inner.ledger);
      if (inner?.failure?.type !== GraphErrorType.PinMismatch) {
        throw failWith(err, {
          operationId: input.operationId,
          ledger: spent,
          registration: 'not-registered',
        });
      }
      pin = await pins.waitForPin(
        progress,
        `NUMBER IS OFFLINE (${params.why}) and Meta refused the two-step PIN (${inner.failure.graphCode ?? 133005}). ` +
          'Reset the PIN if needed (WhatsApp Manager), then run the same command again with the right PIN.',
        input.policy.maxPinWaitMs,
      );
      await progress.report(
        'offline',
        `NUMBER IS OFFLINE (${params.why}): registering with the corrected PIN`,
      );
    }
  }
}
