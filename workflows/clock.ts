/**
 * Workflow time. Inside Temporal's sandbox Date is replaced by the deterministic time of the current
 * workflow task, so this is safe on replay; outside workflows, do not use it.
 */
export function workflowNow(): number {
  // eslint-disable-next-line no-restricted-properties -- sandboxed Date: deterministic workflow time
  return Date.now();
}
