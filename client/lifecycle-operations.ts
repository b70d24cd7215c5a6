// What callers (the CLI among them) do with numbers and fleets, whichever way they reach the lifecycles:
// NumberLifecycleClient talks to Temporal, HttpLifecycleClient to the HTTP API. Both satisfy this.
import type { OperationRequestInput } from '../domain/operations';
import type { ListFilter, NumberListing } from '../domain/number-listing';
import type { NumberPage } from './number-pages';
import type {
  CancelOperationRequest,
  CancelOperationResult,
  CodeSubmissionResult,
  LifecycleSnapshot,
  OperationSummary,
  OperationTicket,
  RetryOperationRequest,
} from '../workflows/messages';
import type {
  CancelFleetResult,
  FleetProgress,
  FleetStatus,
  ProgressDetail,
  StartFleetOptions,
} from './fleets';

export interface WaitForOperationOptions {
  /** The first pause between reads (default 250 ms)... */
  pollIntervalMs?: number;
  /** ...doubling, while the operation waits, up to this (default 5 s). */
  maxPollIntervalMs?: number;
}

export interface RunOperationOptions extends WaitForOperationOptions {
  idempotencyKey?: string;
  /** Told once the lifecycle has accepted the request (before the operation ends). */
  onAccepted?: () => void;
}

export interface RetryFleetOptions {
  fleetId?: string;
  concurrency?: number;
  requestedBy?: string;
}

/** The library's operations on numbers and fleets; see NumberLifecycleClient for what each does. */
export interface LifecycleOperations {
  requestOperation(
    phoneNumberId: string,
    request: OperationRequestInput,
    options?: { idempotencyKey?: string },
  ): Promise<OperationTicket>;
  /**
   * requestOperation, then the operation's summary once it has completed or failed. NumberLifecycleClient
   * waits on the server's long poll (no reads while the operation runs); see there.
   */
  runOperation(
    phoneNumberId: string,
    request: OperationRequestInput,
    options?: RunOperationOptions,
  ): Promise<OperationSummary>;
  /** undefined when no operation ever ran on the number. */
  getState(phoneNumberId: string): Promise<LifecycleSnapshot | undefined>;
  /** Resolves with the summary once the operation has completed or failed. */
  waitForOperation(
    phoneNumberId: string,
    operationId: string,
    options?: WaitForOperationOptions,
  ): Promise<OperationSummary>;
  submitVerificationCode(phoneNumberId: string, code: string): Promise<CodeSubmissionResult>;
  cancelOperation(phoneNumberId: string, request?: CancelOperationRequest): Promise<CancelOperationResult>;
  retryOperation(phoneNumberId: string, request?: RetryOperationRequest): Promise<OperationTicket>;
  listNumbers(filter?: ListFilter): Promise<NumberListing[]>;
  /** One page of listNumbers, and the token of the next when more may follow. */
  listNumbersPage(filter?: ListFilter, pageToken?: string): Promise<NumberPage>;
  startFleet(options: StartFleetOptions): Promise<FleetStatus>;
  describeFleet(fleetId: string, detail?: ProgressDetail): Promise<FleetStatus>;
  cancelFleet(
    fleetId: string,
    requestedBy?: string,
    options?: { cancelRunning?: boolean },
  ): Promise<CancelFleetResult>;
  retryFleet(fleetId: string, options?: RetryFleetOptions): Promise<FleetStatus>;
  /** The final progress, once the fleet has finished. */
  waitForFleet(fleetId: string): Promise<FleetProgress>;
  close(): Promise<void>;
}
