// Every failure type an operation, a fleet member or a Graph call can end with: the list API users branch on.
// The OpenAPI document emits FAILURE_TYPES as an enum; workflows and activities throw only these names.
import { GraphErrorType } from './graph-errors';

/** How an operation run ends when the cause is ours or the number's, not a Graph error. */
export const OperationFailureType = {
  /** Stopped at a safe point on request (cancel), or dropped from the queue before it started. */
  Cancelled: 'Cancelled',
  /** The lifecycle was terminated while this operation waited for a corrected PIN (retry it with the PIN). */
  Interrupted: 'Interrupted',
  /** A fleet member whose lifecycle run was closed or replaced before it reported. */
  OperationLost: 'OperationLost',
  /** Any other error (a bug, an SDK failure): the message starts with its original type. */
  OperationFailed: 'OperationFailed',
  /** A request the lifecycle's validator refused (a fleet member never started). */
  Rejected: 'Rejected',
  /** Input refused: the message names the field and the rule. */
  InputError: 'InputError',
  /** The operation needs the two-step PIN and none was given. */
  PinNotProvided: 'PinNotProvided',
  /** migrate: the number is already on Cloud API. */
  AlreadyOnCloudApi: 'AlreadyOnCloudApi',
  /** migrate: the number is not on the On-Premises API. */
  NotOnPremises: 'NotOnPremises',
  /** The display name cannot be used to register (name_status NONE, EXPIRED or DECLINED). */
  DisplayNameNotUsable: 'DisplayNameNotUsable',
  /** onboard: Meta declined the display name while we waited for it. */
  DisplayNameDeclined: 'DisplayNameDeclined',
  /** migrate: after the register, the number does not read as on Cloud API. */
  MigrationPostCheckFailed: 'MigrationPostCheckFailed',
  /** change-region: Meta refused the new region; the message says which setting is in force now. */
  RegionNotChanged: 'RegionNotChanged',
  /** change-region: the number reads back with another region than the one set. */
  RegionReadBackMismatch: 'RegionReadBackMismatch',
  /** verify: no code was submitted in time after every code request. */
  VerificationNoCodeInTime: 'VerificationNoCodeInTime',
  /** verify: Meta rejected too many codes. */
  VerificationTooManyWrongCodes: 'VerificationTooManyWrongCodes',
  /** Meta answered a status / platform_type pair it does not document, twice: registration not guessed. */
  RegistrationUnknown: 'RegistrationUnknown',
  /** The worker's configuration is invalid (e.g. the policy could not be read): fix temporal.yaml, retry. */
  ConfigError: 'ConfigError',
  /** A fleet with no numbers to work on. */
  FleetHasNoNumbers: 'FleetHasNoNumbers',
  /** A fleet's input is invalid (the details list every problem). */
  FleetInputInvalid: 'FleetInputInvalid',
} as const;
export type OperationFailureTypeName = (typeof OperationFailureType)[keyof typeof OperationFailureType];

/** Every failure type, operation and Graph, in one documented list. */
export const FAILURE_TYPES = [...Object.values(OperationFailureType), ...Object.values(GraphErrorType)] as [
  string,
  ...string[],
];

export type FailureType = OperationFailureTypeName | (typeof GraphErrorType)[keyof typeof GraphErrorType];
