// The activity behind Meta's webhooks: they name a number by its display phone number, and only the worker
// holds a Graph token, so the intake workflow asks here which phone-number IDs a WABA's number(s) have.
import { ApplicationFailure } from '@temporalio/common';
import { digitsOf } from '../domain/meta-webhooks';
import { GraphCallError, type GraphClient } from './graph-client';

/** A WABA lists its numbers in pages of 100; more pages than this is not a WABA we can scan per webhook. */
const MAX_PAGES = 50;

export function createMetaWebhookActivities(graph: GraphClient) {
  return {
    /**
     * The IDs of the WABA's numbers whose display phone number has these digits (GET /{waba-id}/phone_numbers,
     * page by page); every number of the WABA when none is given (a WABA-wide account event).
     */
    async resolveDisplayPhoneNumber(wabaId: string, displayPhoneNumber?: string): Promise<string[]> {
      const wanted = displayPhoneNumber === undefined ? undefined : digitsOf(displayPhoneNumber);
      const ids: string[] = [];
      let after: string | undefined;
      try {
        for (let page = 0; page < MAX_PAGES; page++) {
          const result = await graph.listWabaPhoneNumbers(wabaId, after);
          for (const n of result.numbers) {
            if (wanted === undefined || digitsOf(n.display_phone_number ?? '') === wanted) ids.push(n.id);
          }
          if (wanted !== undefined && ids.length > 0) return ids;
          if (result.after === undefined) return ids;
          after = result.after;
        }
      } catch (err) {
        if (!(err instanceof GraphCallError)) throw err;
        throw ApplicationFailure.create({
          message: err.message,
          type: err.type,
          nonRetryable: !err.retryable,
          details: [err.details],
        });
      }
      return ids;
    },
  };
}

export type MetaWebhookActivities = ReturnType<typeof createMetaWebhookActivities>;
