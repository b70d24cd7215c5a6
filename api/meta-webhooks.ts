// Meta's webhooks into the API: GET /webhooks/meta answers the subscription handshake, POST /webhooks/meta
// takes a signed delivery, hands its lifecycle events to Temporal (meta-webhook-intake.ts) and answers 200
// at once (Meta retries deliveries not answered 200 quickly). Open routes: Meta authenticates by signing,
// not with our API keys. The signature covers the exact bytes sent, so this route reads the raw body.
// Meta's Webhooks guide (verification request, X-Hub-Signature-256 = HMAC-SHA256 of the payload with the
// app secret): https://developers.facebook.com/docs/graph-api/webhooks/getting-started
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { extractMetaEvents } from '../domain/meta-webhooks';
import { ApiError } from './errors';
import type { MetaWebhookIntake } from './meta-webhook-intake';
import { methodNotAllowedRoute } from './method-not-allowed';
import type { RouteSpec } from './routes/route-spec';

export interface MetaWebhookOptions {
  verifyToken: string;
  appSecret: string;
  /** Larger bodies are refused with 413 before the signature is checked. */
  maxBodyBytes: number;
  intake: MetaWebhookIntake;
  /** What was ignored or handed over (field and event names, counts; never a secret or a body). */
  log: (line: string) => void;
}

export const META_SIGNATURE_HEADER = 'x-hub-signature-256';

export type SignatureCheck = 'valid' | 'missing' | 'invalid';

/** X-Hub-Signature-256: `sha256=` + hex HMAC-SHA256 of the raw body with the app secret, compared in constant time. */
export function checkMetaSignature(
  body: Buffer,
  header: string | undefined,
  appSecret: string,
): SignatureCheck {
  if (header === undefined || header.trim() === '') return 'missing';
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return 'invalid';
  const given = Buffer.from(match[1]!.toLowerCase(), 'hex');
  const expected = createHmac('sha256', appSecret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'invalid';
}

/** The header Meta (and the simulator) sends for a body. */
export function metaSignatureFor(body: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

function sameText(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** The challenge to echo when the handshake is right (hub.mode=subscribe and our verify token); else undefined. */
export function handshakeChallenge(query: Record<string, unknown>, verifyToken: string): string | undefined {
  const mode = query['hub.mode'];
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string') return undefined;
  return sameText(token, verifyToken) ? challenge : undefined;
}

const handshakeQuery = z.object({
  'hub.mode': z.literal('subscribe').meta({ description: 'Always subscribe' }),
  'hub.verify_token': z.string().meta({ description: 'The verify token given to Meta (metaWebhooks)' }),
  'hub.challenge': z.string().meta({ description: 'Echoed back as plain text when the token matches' }),
});
const deliverySchema = z
  .object({
    object: z.string().meta({ example: 'whatsapp_business_account' }),
    entry: z.array(
      z.object({
        id: z.string().describe('The WhatsApp Business Account ID'),
        time: z.number().int().optional(),
        changes: z.array(z.object({ field: z.string(), value: z.record(z.string(), z.unknown()) })),
      }),
    ),
  })
  .meta({ description: "Meta's WhatsApp Business Account webhook payload" });
const receivedSchema = z
  .object({
    received: z.literal(true),
    events: z.number().int().describe('Lifecycle events found (display name, quality, account)'),
    duplicate: z.boolean().describe('This exact body was handed over before (a retry by Meta)'),
  })
  .meta({ description: 'What was done with the delivery' });

function specs(options: MetaWebhookOptions | undefined): RouteSpec[] {
  const tags = ['meta-webhooks'];
  const unserved = async () => {
    throw new ApiError('NOT_FOUND', 'Meta webhooks are not enabled (metaWebhooks.enabled)');
  };
  return [
    {
      method: 'GET',
      url: '/webhooks/meta',
      access: 'open',
      operationId: 'verifyMetaWebhookSubscription',
      summary: "Meta's webhook verification handshake (served when metaWebhooks.enabled)",
      description:
        'Answers hub.challenge as text/plain when hub.mode is subscribe and hub.verify_token matches.',
      tags,
      querystring: handshakeQuery,
      responses: { 200: { description: 'The hub.challenge, as text/plain' } },
      errors: [403],
      handler: options
        ? async (request: FastifyRequest, reply: FastifyReply) => {
            const challenge = handshakeChallenge(
              request.query as Record<string, unknown>,
              options.verifyToken,
            );
            if (challenge === undefined) {
              throw new ApiError(
                'FORBIDDEN',
                'hub.mode must be subscribe and hub.verify_token the configured token',
              );
            }
            return reply.type('text/plain; charset=utf-8').send(challenge);
          }
        : unserved,
    },
    {
      method: 'POST',
      url: '/webhooks/meta',
      access: 'open',
      operationId: 'receiveMetaWebhook',
      summary: "Receives Meta's WhatsApp Business Account webhooks (served when metaWebhooks.enabled)",
      description:
        'Signed by Meta with the app secret (X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>). ' +
        'phone_number_name_update, phone_number_quality_update and account_update are handed to the ' +
        "number's lifecycle; every other field is acknowledged and ignored.",
      tags,
      body: { schema: deliverySchema },
      responses: {
        200: {
          description: 'Handed to Temporal (or nothing in it concerns a number)',
          schema: receivedSchema,
        },
      },
      errors: [400, 401, 403, 413],
      errorNotes: {
        401: 'UNAUTHORIZED: no X-Hub-Signature-256 header',
        403: 'FORBIDDEN: the signature does not match the body',
      },
      handler: options ? (request) => receive(options, request) : unserved,
    },
  ];
}

async function receive(options: MetaWebhookOptions, request: FastifyRequest) {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const header = request.headers[META_SIGNATURE_HEADER];
  const check = checkMetaSignature(body, Array.isArray(header) ? header[0] : header, options.appSecret);
  if (check === 'missing') {
    throw new ApiError('UNAUTHORIZED', 'send the X-Hub-Signature-256 header Meta signs deliveries with');
  }
  if (check === 'invalid') throw new ApiError('FORBIDDEN', 'X-Hub-Signature-256 does not match the body');
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError('BAD_REQUEST', 'the body is not valid JSON');
  }
  const { events, ignored } = extractMetaEvents(payload);
  if (ignored.length) options.log(`meta webhook: ignored ${ignored.join('; ')}`);
  if (events.length === 0) return { received: true, events: 0, duplicate: false };
  const bodySha256 = createHash('sha256').update(body).digest('hex');
  const handed = await options.intake({ bodySha256, events });
  options.log(
    `meta webhook: ${events.length} event(s) ${handed === 'duplicate' ? 'already handed over' : 'handed to Temporal'}`,
  );
  return { received: true, events: events.length, duplicate: handed === 'duplicate' };
}

/**
 * Registers the two routes in their own Fastify context: a raw-body parser (any content type, up to
 * maxBodyBytes) so the signature is checked over the bytes Meta signed. Without options (off, or the
 * document-only app) the routes answer 404 but stay in the OpenAPI document.
 */
export function metaWebhookRoutes(options: MetaWebhookOptions | undefined) {
  const maxBodyBytes = options?.maxBodyBytes ?? 1;
  return async (child: FastifyInstance): Promise<void> => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_request, body, done) =>
      done(null, body),
    );
    child.setErrorHandler((err: FastifyError, _request, _reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        throw new ApiError('PAYLOAD_TOO_LARGE', `the body must be at most ${maxBodyBytes} bytes`, undefined, {
          connection: 'close',
        });
      }
      throw err; // the application's handler answers it
    });
    const routes = specs(options);
    // Another method (PUT, DELETE, ...): 405 with Allow, as on the API's other paths; in this context, so
    // its body is read by the raw parser above, never refused as unparsable before the 405.
    child.route(methodNotAllowedRoute('/webhooks/meta', routes));
    for (const spec of routes) {
      child.route({
        method: spec.method,
        url: spec.url,
        bodyLimit: maxBodyBytes,
        config: { access: spec.access, spec },
        handler: spec.handler,
      });
    }
  };
}
