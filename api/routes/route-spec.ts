// One route of the HTTP API, defined once: Fastify registers it (validating with its zod schemas) and the
// OpenAPI document is generated from the same definition.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { RouteAccess } from '../auth';

/** A documented answer: its description, its body's schema (a registered component), its headers. */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  headers?: Record<string, { description: string }>;
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify syntax: /v1/phone-numbers/:phoneNumberId */
  url: string;
  access: RouteAccess;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  params?: z.ZodObject;
  querystring?: z.ZodObject;
  body?: {
    schema: z.ZodType;
    /** Absent or empty is the same as {}. */
    optional?: boolean;
    /** The schema documented when the server validates in two steps (a fleet's numbers one by one). */
    documentedAs?: z.ZodType;
    examples?: Record<string, { value: unknown }>;
  };
  /** A retry with the same Idempotency-Key answers like the first call (documented as a header). */
  idempotencyKey?: string;
  responses: Record<number, ResponseSpec>;
  /** Error statuses documented (each a shared response of the document). */
  errors: number[];
  /** Extra text per error status, when the shared one says too little. */
  errorNotes?: Record<number, string>;
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}
