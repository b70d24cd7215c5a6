// The simulator's catalogue of Graph error titles, the `<title>` of `(#<code>) <title>` (reference doc §8.3).
// Meta says not to parse titles and that they will be deprecated [ERR]; the pre-2025 table still had them
// [ERR-OLD]. Used for the errors the simulator answers itself and for a graph-error fault's default message.
import { GraphError } from './graph-errors';

export const ERROR_TITLES: Readonly<Record<number, string>> = {
  0: 'AuthException', // [ERR-OLD]
  1: 'API Unknown', // [ERR-OLD]
  2: 'Service temporarily unavailable', // [ERR-OLD "API Service": temporary downtime]
  3: 'API Method', // [ERR-OLD]
  4: 'Application request limit reached', // [GRL]
  10: 'Permission denied', // [ERR-OLD]
  12: 'Deprecated', // [3P] (the v21+ register field message is longer, see graphErrors.deprecatedOnV21)
  33: 'This phone number has been deleted', // [ERR-OLD]
  100: 'Invalid parameter', // [ERR]
  190: 'Invalid OAuth 2.0 Access Token', // [GERR]
  200: 'Permission error', // [ERR-OLD "API Permission"]
  368: 'Temporarily blocked for policies violations', // [ERR-OLD]
  80007: 'Rate limit issues', // [ERR]
  // [GRL] lists 80008 as the WhatsApp Business Management API business-use-case code; the wording is
  // undocumented: our choice, modelled on Graph's other business-use-case messages.
  80008: 'There have been too many calls to this WhatsApp Business account. Wait a bit and try again.',
  130429: 'Rate limit hit', // [ERR-OLD]
  131000: 'Something went wrong', // [ERR]
  131005: 'Access denied', // [ERR-OLD]
  131008: 'Required parameter is missing', // [ERR-OLD]
  131009: 'Parameter value is not valid', // [ERR-OLD]
  131016: 'Service unavailable', // [ERR-OLD]
  131031: 'Account has been locked', // [ERR-OLD]; [ERR] "Business account locked"
  131045: 'Incorrect certificate', // [ERR-OLD]
  131056: '(Business Account, Consumer Account) pair rate limit hit', // [ERR-OLD]
  131057: 'Account in maintenance mode', // [ERR-OLD]
  133000: 'Incomplete deregistration', // [ERR]
  133004: 'Server temporarily unavailable', // [ERR]
  133005: 'Two step verification PIN Mismatch', // [ERR-OLD]
  133006: 'Phone number re-verification needed', // [ERR-OLD]
  133008: 'Too Many two step verification PIN Guesses', // [ERR-OLD]
  133009: 'Two step verification PIN Guessed Too Fast', // [ERR-OLD]
  133010: 'Account not registered', // [ERR]
  133015: 'Please wait a few minutes before attempting to register this phone number', // [ERR-OLD]
  133016: 'Account register deregister rate limit exceeded', // [ERR-OLD]
  136024: 'Request code error', // [GREF]
  136025: 'Verify code error', // [GREF]
  2494100: 'Account in maintenance mode', // [ERR]
};

/** `(#<code>) <title>` from the catalogue, or `(#<code>) Error` for a code it does not know. */
export function defaultErrorMessage(code: number): string {
  return `(#${code}) ${ERROR_TITLES[code] ?? 'Error'}`;
}

/** A GraphError whose message is `(#<code>) <title>` from the catalogue. */
export function catalogueError(code: number, details: string, subcode?: number): GraphError {
  return new GraphError(code, defaultErrorMessage(code), details, subcode);
}
