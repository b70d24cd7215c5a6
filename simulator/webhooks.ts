// Meta's WhatsApp Business Account webhooks, as the simulator sends them. Subscribing (admin API or start-up
// options) sets the callback URL, the verify token and the app secret, and performs Meta's verification
// request (GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…, the answer must echo the challenge).
// Then a number's change made through the admin API (display name decided, quality or messaging limit
// changed, account restricted or disabled) is POSTed, signed: X-Hub-Signature-256 = sha256=<hex HMAC-SHA256
// of the exact bytes sent, keyed with the app secret>. A failed delivery (not 2xx, or unreachable) is retried
// a few times with a growing delay, as Meta retries (bounded here: the test run is short).
// Sources: https://developers.facebook.com/docs/graph-api/webhooks/getting-started (handshake, signature,
// retries); payloads: the webhook references named in domain/meta-webhooks.ts (name, quality, account).
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { PhoneNumberRecord } from './phone-numbers';

export const SubscribeWebhooksInput = z.strictObject({
  callbackUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  verifyToken: z.string().min(1, 'must not be empty'),
  appSecret: z.string().min(1, 'must not be empty'),
  /** Delays before each retry of a failed delivery (ms); default [250, 1000, 4000]. */
  retryDelaysMs: z.array(z.number().int().nonnegative()).max(10).optional(),
});
export type WebhookSubscription = z.output<typeof SubscribeWebhooksInput>;

export interface WebhookDelivery {
  seq: number;
  field: string;
  wabaId: string;
  /** Digits of the display phone number; absent on WABA-wide account events. */
  displayPhoneNumber?: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** The last answer's HTTP status (0: unreachable). */
  lastStatus?: number;
}

export class SubscriptionRefused extends Error {}

const DEFAULT_RETRY_DELAYS_MS = [250, 1000, 4000];
const DELIVERIES_KEPT = 200;
const TIMEOUT_MS = 5000;

/** Graph's digits-only display_phone_number as webhooks carry it (e.g. 15550783881). */
const digits = (display: string) => display.replace(/\D/g, '');

/** Messaging limit tiers, lowest first (UPGRADE / DOWNGRADE by their order). */
const TIERS = ['TIER_50', 'TIER_250', 'TIER_1K', 'TIER_2K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED'];

/** The changes a number's admin patch gives rise to: [field, value] pairs in Meta's shapes. */
export function changesFor(before: PhoneNumberRecord, after: PhoneNumberRecord): [string, object][] {
  const number = digits(after.display_phone_number);
  const changes: [string, object][] = [];
  if (before.name_status !== after.name_status) {
    // Display names: APPROVED → decision APPROVED; DECLINED → decision REJECTED (name_status DECLINED).
    const decision =
      after.name_status === 'APPROVED'
        ? 'APPROVED'
        : after.name_status === 'DECLINED'
          ? 'REJECTED'
          : undefined;
    if (decision) {
      changes.push([
        'phone_number_name_update',
        {
          display_phone_number: number,
          decision,
          requested_verified_name: after.verified_name,
          ...(decision === 'REJECTED' ? { rejection_reason: 'NAME_FORMAT_UNACCEPTABLE' } : {}),
        },
      ]);
    }
  }
  if (before.quality_rating !== after.quality_rating) {
    const event =
      after.quality_rating === 'GREEN' ? 'UNFLAGGED' : after.quality_rating === 'RED' ? 'FLAGGED' : undefined;
    if (event) {
      changes.push([
        'phone_number_quality_update',
        { display_phone_number: number, event, current_limit: after.messaging_limit_tier },
      ]);
    }
  }
  if (before.messaging_limit_tier !== after.messaging_limit_tier) {
    const up = TIERS.indexOf(after.messaging_limit_tier) > TIERS.indexOf(before.messaging_limit_tier);
    changes.push([
      'phone_number_quality_update',
      {
        display_phone_number: number,
        event: up ? 'UPGRADE' : 'DOWNGRADE',
        old_limit: before.messaging_limit_tier,
        current_limit: after.messaging_limit_tier,
      },
    ]);
  }
  if (before.status !== after.status) {
    if (after.status === 'RESTRICTED') {
      const expiration = new Date(Date.now() + 7 * 86_400_000).toISOString();
      changes.push([
        'account_update',
        {
          phone_number: number,
          event: 'ACCOUNT_RESTRICTION',
          restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration }],
        },
      ]);
    } else if (after.status === 'BANNED' || before.status === 'BANNED') {
      // DISABLED_UPDATE concerns the whole WABA: Meta names no number in it.
      const state = after.status === 'BANNED' ? 'DISABLE' : 'REINSTATE';
      changes.push([
        'account_update',
        {
          event: 'DISABLED_UPDATE',
          ban_info: { waba_ban_state: state, waba_ban_date: new Date().toISOString().slice(0, 10) },
        },
      ]);
    }
  }
  return changes;
}

export class WebhookSender {
  private subscription: WebhookSubscription | undefined;
  /** The subscription given at start (SIM_WEBHOOK_*): the one a reset restores. */
  private startup: WebhookSubscription | undefined;
  private verified = false;
  private seq = 0;
  private readonly deliveries: WebhookDelivery[] = [];

  constructor(
    private readonly delay: (ms: number) => Promise<void>,
    private readonly log?: (line: string) => void,
  ) {}

  /** Sets the subscription and performs Meta's verification request; refused unless the challenge comes back. */
  async subscribe(input: WebhookSubscription): Promise<void> {
    this.subscription = input;
    this.verified = false;
    const challenge = randomBytes(8).toString('hex');
    const url = new URL(input.callbackUrl);
    url.searchParams.set('hub.mode', 'subscribe');
    url.searchParams.set('hub.verify_token', input.verifyToken);
    url.searchParams.set('hub.challenge', challenge);
    let answer: { status: number; text: string };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      answer = { status: res.status, text: (await res.text()).trim() };
    } catch (err) {
      throw new SubscriptionRefused(`the callback URL cannot be reached (${(err as Error).message})`);
    }
    if (answer.status !== 200 || answer.text !== challenge) {
      throw new SubscriptionRefused(
        `the callback URL did not verify: HTTP ${answer.status}${answer.status === 200 ? ', challenge not echoed' : ''}`,
      );
    }
    this.verified = true;
  }

  /** The start-up subscription (options or SIM_WEBHOOK_*): subscribed now, and what a reset goes back to. */
  async subscribeAtStart(input: WebhookSubscription): Promise<void> {
    this.startup = input;
    try {
      await this.subscribe(input);
    } catch (err) {
      this.unsubscribe();
      throw err;
    }
  }

  unsubscribe(): void {
    this.subscription = undefined;
    this.verified = false;
  }

  /**
   * Back to the start-up values (POST /_sim/reset): a subscription made later through the admin API goes,
   * the start-up one stays (subscribed and verified again if it had been replaced or dropped); the delivery
   * log is emptied and retries of the dropped subscription's deliveries stop. If the start-up subscription
   * cannot be verified again, the simulator runs unsubscribed and logs why, as at start.
   */
  async reset(): Promise<void> {
    this.deliveries.length = 0;
    const startup = this.startup;
    if (!startup) return this.unsubscribe();
    if (this.subscription === startup && this.verified) return;
    try {
      await this.subscribe(startup);
    } catch (err) {
      this.unsubscribe();
      this.log?.(`webhooks: subscription refused after the reset: ${(err as Error).message}`);
    }
  }

  view() {
    const s = this.subscription;
    return {
      subscribed: s !== undefined,
      verified: this.verified,
      ...(s ? { callbackUrl: s.callbackUrl, retryDelaysMs: s.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS } : {}),
      deliveries: [...this.deliveries],
    };
  }

  /** Sends the webhooks a number's change gives rise to (in the background, like Meta). */
  numberChanged(before: PhoneNumberRecord, after: PhoneNumberRecord): void {
    if (!this.subscription || !this.verified || after.waba_id === null) return;
    for (const [field, value] of changesFor(before, after)) {
      void this.deliver(after.waba_id, field, value);
    }
  }

  /** One delivery: {object, entry: [{id: WABA, time, changes: [{value, field}]}]}, signed, retried. */
  private async deliver(wabaId: string, field: string, value: object): Promise<void> {
    const s = this.subscription!;
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: wabaId, time: Math.floor(Date.now() / 1000), changes: [{ value, field }] }],
    });
    const signature = `sha256=${createHmac('sha256', s.appSecret).update(body, 'utf8').digest('hex')}`;
    const named = value as { display_phone_number?: string; phone_number?: string };
    const number = named.display_phone_number ?? named.phone_number;
    const delivery: WebhookDelivery = {
      seq: ++this.seq,
      field,
      wabaId,
      ...(number ? { displayPhoneNumber: number } : {}),
      status: 'pending',
      attempts: 0,
    };
    this.deliveries.unshift(delivery);
    this.deliveries.splice(DELIVERIES_KEPT);
    const delays = [0, ...(s.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS)];
    for (const wait of delays) {
      if (wait > 0) await this.delay(wait);
      if (this.subscription !== s) break; // unsubscribed, replaced or reset meanwhile: Meta sends to the current one
      delivery.attempts += 1;
      try {
        const res = await fetch(s.callbackUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        delivery.lastStatus = res.status;
        await res.arrayBuffer();
        if (res.ok) {
          delivery.status = 'delivered';
          this.log?.(`webhook ${field} #${delivery.seq} delivered (${res.status})`);
          return;
        }
      } catch {
        delivery.lastStatus = 0;
      }
    }
    delivery.status = 'failed';
    this.log?.(`webhook ${field} #${delivery.seq} failed after ${delivery.attempts} attempt(s)`);
  }
}
