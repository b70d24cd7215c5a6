// Reading the Graph failure an activity raised (type, message, Graph's code) inside a workflow.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { GraphErrorType, type GraphErrorDetails } from '../domain/graph-errors';

export interface GraphFailure {
  type: string;
  message: string;
  details: GraphErrorDetails;
}

const graphTypes: ReadonlySet<string> = new Set(Object.values(GraphErrorType));

/**
 * The failure an activity classified from Graph's (or On-Prem's) answer; undefined for anything else,
 * such as a timeout or a plain Error thrown by a bug (which arrives typed 'Error').
 */
export function graphFailureOf(err: unknown): GraphFailure | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || !cause.type || !graphTypes.has(cause.type)) return undefined;
  return {
    type: cause.type,
    message: cause.message,
    details: (cause.details?.[0] ?? {}) as GraphErrorDetails,
  };
}
