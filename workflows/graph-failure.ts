// Reading the Graph failure an activity raised (type, message, Graph's code) inside a workflow.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { GraphErrorDetails } from '../domain/graph-errors';

export interface GraphFailure {
  type: string;
  message: string;
  details: GraphErrorDetails;
}

export function graphFailureOf(err: unknown): GraphFailure | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || !cause.type) return undefined;
  return {
    type: cause.type,
    message: cause.message,
    details: (cause.details?.[0] ?? {}) as GraphErrorDetails,
  };
}
