// The routes about the service itself: liveness, readiness, the OpenAPI document, its metrics, and who the
// caller is.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ReadinessCheck } from '../../platform/readiness';
import { z } from 'zod';
import { API_SCOPES } from '../auth';
import { PROMETHEUS_CONTENT_TYPE, type HttpMetrics } from '../http-metrics';
import type { RouteSpec } from './route-spec';

const healthSchema = z.object({ ok: z.literal(true) });
const readinessSchema = z.object({
  ready: z.boolean(),
  checks: z.array(
    z.object({
      name: z.enum(['temporal', 'namespace', 'searchAttributes', 'worker']),
      ok: z.boolean(),
      detail: z.string().optional().describe('Why not, with the fix when there is one'),
    }),
  ),
});
const callerSchema = z.object({
  name: z.string().optional().describe("The key's name (recorded as requestedBy); absent for unnamed keys"),
  scopes: z.array(z.enum(API_SCOPES)),
});

export function serviceRoutes(
  openApiDocument: () => unknown,
  metrics: HttpMetrics,
  readiness: () => Promise<ReadinessCheck[]> = async () => [],
): RouteSpec[] {
  const tags = ['service'];
  return [
    {
      method: 'GET',
      url: '/healthz',
      access: 'open',
      operationId: 'health',
      summary: 'Liveness of the API process (does not check Temporal)',
      tags,
      responses: { 200: { description: 'Up', schema: healthSchema } },
      errors: [403],
      handler: async () => ({ ok: true }),
    },
    {
      method: 'GET',
      url: '/readyz',
      access: 'open',
      operationId: 'readiness',
      summary: 'Readiness: Temporal answers, the namespace exists, our search attributes are registered',
      tags,
      responses: {
        200: { description: 'Ready', schema: readinessSchema },
        503: { description: 'Not ready: the failing checks say why', schema: readinessSchema },
      },
      errors: [403],
      handler: async (_request: FastifyRequest, reply: FastifyReply) => {
        const checks = await readiness();
        const ready = checks.every((c) => c.ok);
        void reply.code(ready ? 200 : 503);
        return { ready, checks };
      },
    },
    {
      method: 'GET',
      url: '/openapi.json',
      access: 'open',
      operationId: 'getOpenApiDocument',
      summary: 'This document',
      tags,
      responses: { 200: { description: 'The OpenAPI 3.1 document' } },
      errors: [403],
      handler: async () => openApiDocument(),
    },
    {
      method: 'GET',
      url: '/metrics',
      // Request counts are no secret, but they are not everyone's business: a key with read scope (a
      // Prometheus scrape sends it with `authorization: {credentials_file: ...}`); none on loopback.
      access: 'read',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics of this API process: requests by route and status, latency histogram',
      tags,
      responses: { 200: { description: 'The Prometheus text exposition format (version 0.0.4)' } },
      errors: [401, 403, 429],
      handler: async (_request: FastifyRequest, reply: FastifyReply) =>
        reply.type(PROMETHEUS_CONTENT_TYPE).send(metrics.render()),
    },
    {
      method: 'GET',
      url: '/v1/caller',
      access: 'read',
      operationId: 'getCaller',
      summary: "The calling key's name and scopes (to check a key without side effects)",
      tags,
      responses: { 200: { description: 'The caller', schema: callerSchema } },
      errors: [401, 403, 429],
      handler: async (request: FastifyRequest) => ({
        ...(request.caller?.name ? { name: request.caller.name } : {}),
        scopes: [...(request.caller?.scopes ?? [])],
      }),
    },
  ];
}
