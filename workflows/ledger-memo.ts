/** The memo key under which a lifecycle run keeps its request ledger, for a successor to recover after a terminate. */
export const LEDGER_MEMO = 'requestLedger';
