// Meta's Graph error envelope and the legacy code → HTTP status table (reference doc §8).
import { randomBytes } from 'node:crypto';

export interface GraphErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_data: { messaging_product: 'whatsapp'; details: string };
    error_subcode?: number;
    fbtrace_id: string;
  };
}

/** A Graph-level failure; the request handler turns it into the envelope. */
export class GraphError extends Error {
  constructor(
    readonly code: number,
    /** The full `message` field. Most errors use `(#code) Title`; see `titled()`. */
    readonly graphMessage: string,
    readonly details: string,
    readonly subcode?: number,
    readonly type = 'OAuthException',
  ) {
    super(graphMessage);
  }

  static titled(code: number, title: string, details: string, subcode?: number): GraphError {
    return new GraphError(code, `(#${code}) ${title}`, details, subcode);
  }

  get httpStatus(): number {
    return httpStatusForCode(this.code);
  }

  toBody(): GraphErrorBody {
    return {
      error: {
        message: this.graphMessage,
        type: this.type,
        code: this.code,
        error_data: { messaging_product: 'whatsapp', details: this.details },
        ...(this.subcode !== undefined ? { error_subcode: this.subcode } : {}),
        fbtrace_id: newTraceId(),
      },
    };
  }
}

/** Legacy (pre-2025) mapping; clients must not branch on it, but it is what Graph used to send. */
export function httpStatusForCode(code: number): number {
  if (code === 0 || code === 190) return 401;
  if (code === 10 || (code >= 200 && code <= 299) || code === 368 || code === 131031 || code === 131005) {
    return 403;
  }
  if ([3, 131000, 131016, 131045, 131057, 133000].includes(code)) return 500;
  if (code === 2 || code === 133004) return 503;
  return 400;
}

export function newTraceId(): string {
  return randomBytes(12).toString('base64url');
}

// Catalogue of the errors the simulator emits, so messages stay identical everywhere.

export const graphErrors = {
  invalidToken: () =>
    GraphError.titled(
      190,
      'Invalid OAuth 2.0 Access Token',
      'The access token is missing, invalid or expired.',
    ),

  /** 190 for a token revoked through the revoke API: Meta invalidates it at once (access-tokens.ts). */
  revokedToken: () =>
    GraphError.titled(190, 'Invalid OAuth 2.0 Access Token', 'The access token was revoked.'),

  /** Graph's reply for an unknown object, an unsupported edge or a missing version (code 100, subcode 33). */
  unsupportedRequest: (method: string, objectId: string) =>
    new GraphError(
      100,
      `Unsupported ${method.toLowerCase()} request. Object with ID '${objectId}' does not exist, cannot be loaded ` +
        'due to missing permissions, or does not support this operation. Please read the Graph API documentation ' +
        'at https://developers.facebook.com/docs/graph-api',
      'The object or edge does not exist, or the access token cannot reach it.',
      33,
      'GraphMethodException',
    ),

  nonexistingField: (field: string) =>
    GraphError.titled(
      100,
      `Tried accessing nonexisting field (${field}) on node type (WhatsAppBusinessPhoneNumber)`,
      `The field ${field} does not exist on a WhatsApp Business phone number.`,
    ),

  invalidParameter: (title: string, details: string) => GraphError.titled(100, title, details),

  /** v21.0+ /register given a storage parameter that moved to /settings, in strict mode (reference doc §1, §9). */
  deprecatedOnV21: (param: string) =>
    GraphError.titled(
      12,
      'Deprecated for versions v21.0 or higher',
      `${param} is not accepted by /register on v21.0 and newer. Configure local storage with ` +
        'POST /{phone-number-id}/settings while the number is deregistered, then register.',
    ),

  /**
   * POST /{id}/settings changing local storage on a registered number. Meta documents the rule but not
   * the error (reference doc §6 "Conflicts"): code 100 is our guess, not a confirmed code.
   */
  storageChangeWhileRegistered: () =>
    GraphError.titled(
      100,
      'Invalid parameter',
      'Local storage can only be changed while the phone number is deregistered: deregister it, ' +
        'change storage_configuration, then register again.',
    ),

  /**
   * Register with name_status NONE or EXPIRED [BPN]: code 100, "Cannot Create Certificate" [3P]. Subcode 2388001
   * only when asked for: error_subcode is not returned from v16.0 on [ERR] (see graph/registration.ts).
   */
  cannotCreateCertificate: (withSubcode: boolean) =>
    GraphError.titled(
      100,
      'Cannot Create Certificate',
      'The display name has no usable certificate (name_status is NONE or EXPIRED). Register again once the display name is approved.',
      withSubcode ? 2388001 : undefined,
    ),

  /**
   * Register with backup on a number that is not on the On-Premises API. Meta documents no code for this:
   * 100 is our choice (reference doc §5).
   */
  backupNotOnPremises: (platformType: string) =>
    GraphError.titled(
      100,
      'Invalid parameter',
      `The phone number is not on the On-Premises API (platform_type is ${platformType}): backup is only used to ` +
        'migrate a number from the On-Premises API. Register without backup.',
    ),

  /** backup[data] that this number's On-Prem client did not produce (our choice of code, reference doc §5). */
  invalidBackupData: (reason: string) =>
    GraphError.titled(
      100,
      'Invalid parameter',
      `Invalid backup data: ${reason}. Create a backup with POST /v1/settings/backup on the number's ` +
        'On-Premises client and send its settings.data.',
    ),

  /** backup[password] is not the password the backup was created with (our choice of code, reference doc §5). */
  backupPasswordMismatch: () =>
    GraphError.titled(
      100,
      'Invalid parameter',
      'Backup password mismatch: backup[password] is not the password the backup data was created with.',
    ),

  /**
   * Plain register (no backup) of a number still on the On-Premises API. Meta documents no error for this:
   * 100 is our choice; the number moves to Cloud API only through a register with backup (reference doc §5).
   */
  onPremisesNeedsBackup: () =>
    GraphError.titled(
      100,
      'Invalid parameter',
      'The phone number is registered on the On-Premises API (platform_type is ON_PREMISE). To move it to ' +
        'Cloud API, register with backup {data, password} created by POST /v1/settings/backup on its ' +
        'On-Premises client.',
    ),

  pinMismatch: () =>
    GraphError.titled(
      133005,
      'Two step verification PIN Mismatch',
      'The PIN in the request does not match the two-step verification PIN of this phone number.',
    ),

  verificationNeeded: () =>
    GraphError.titled(
      133006,
      'Phone number re-verification needed',
      'The phone number needs to be verified before registering: request a code and verify it first.',
    ),

  registrationRateLimit: (endpoint: string, maxCalls: number, windowHours: number, blockedUntil: number) =>
    GraphError.titled(
      133016,
      'Account register deregister rate limit exceeded',
      `Rate limit hit for ${endpoint} requests on this phone number: at most ${maxCalls} requests in ${windowHours} ` +
        `hours. Try again after ${new Date(blockedUntil).toISOString()}`,
    ),

  /** request_code on a VERIFIED number: the one cause Meta documents (reference doc §3.1, BPN: HTTP 400). */
  requestCodeAlreadyVerified: () =>
    GraphError.titled(
      136024,
      'Request code error',
      'The phone number is already verified (code_verification_status is VERIFIED): no verification code is ' +
        'needed. Check code_verification_status before requesting a code.',
    ),

  /** request_code over the simulator's hourly budget; Meta does not document the limit (reference doc §3.3). */
  requestCodeTooMany: (maxPerHour: number, retryAfter: number) =>
    GraphError.titled(
      136024,
      'Request code error',
      `Too many verification code requests for this phone number: at most ${maxPerHour} requests per hour. ` +
        `Try again after ${new Date(retryAfter).toISOString()}`,
    ),

  /** verify_code refused; `details` says why (wrong, expired, already used, none pending). Reference doc §3.2. */
  verifyCodeError: (details: string) => GraphError.titled(136025, 'Verify code error', details),

  somethingWentWrong: () =>
    GraphError.titled(
      131000,
      'Something went wrong',
      'An unknown error occurred. Check the state before retrying.',
    ),

  appRequestLimit: () =>
    GraphError.titled(4, 'Application request limit reached', 'The app has reached its API call rate limit.'),
};
