/** What the lifecycle workflow believes about the number; also the WaLifecycleState search attribute. */
export const LIFECYCLE_STATES = [
  'unknown', // no operation has read the number yet
  'registered',
  'deregistered',
  'registering',
  'deregistering',
  'waiting-for-rate-limit', // a durable timer waits for the ledger's next free slot or a 133016 block
  'verifying', // proving ownership: requesting or checking a code
  'waiting-for-code', // a person must submit the code Meta sent
  'setting-pin',
  'onboarding',
  'waiting-for-display-name', // onboarding waits until the display name can be used to register
  'changing-region',
  'migrating',
  'offline', // deregistered (or On-Prem shut down) by an operation that has not registered it again yet
  'waiting-for-pin', // offline after a wrong PIN: waits for a corrected one
  'failed', // the last operation failed; see getState for why
  'restricted', // Meta restricted the account (account_update ACCOUNT_RESTRICTION webhook); getState's meta says how
  'banned', // Meta disabled the account (account_update DISABLED_UPDATE webhook)
] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

/** Registration as Meta reports it, read before and after every mutation. */
export type Registration = 'registered' | 'not-registered' | 'unknown';

/** Ownership verification (code_verification_status) as last read. */
export type Verification = 'verified' | 'not-verified' | 'unknown';
