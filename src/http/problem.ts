/**
 * Errors as RFC 9457 problem details (`application/problem+json`). Every
 * refusal names the rule it breaks (`type` is `urn:mss-ledger:rule:<rule>`)
 * and, where there is one, the field.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RejectionError, RULES, type Rejection, type RuleName } from '../ledger/rules.js';
import { FAULTS, isStoreFault, type StoreFault } from '../store/faults.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const ruleType = (rule: string) => `urn:mss-ledger:rule:${rule}`;

export const Problem = z
  .object({
    type: z.string().describe('urn:mss-ledger:rule:<rule> for a broken rule, or urn:mss-ledger:http:<status>'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    rule: z.string().optional().describe('the stable name of the rule, as in the README'),
    field: z.string().optional().describe('JSON path of the offending field'),
    errors: z
      .array(z.object({ field: z.string(), rule: z.string(), message: z.string() }))
      .optional()
      .describe('every schema problem found, not just the first'),
    context: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof Problem>;

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  // Counted by the metrics as a rejection by this rule.
  if (problem.rule !== undefined) reply.problemRule = problem.rule;
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** A store fault as problem details: `urn:mss-ledger:fault:<name>`, with the fault's status; Retry-After is set by the handler. */
export function faultProblem(fault: StoreFault, instance?: string): Problem {
  return {
    type: `urn:mss-ledger:fault:${fault.fault}`,
    title: FAULTS[fault.fault].title,
    status: fault.status,
    detail: fault.message,
    ...(instance === undefined ? {} : { instance }),
    context: { fault: fault.fault, retryAfterSeconds: fault.retryAfterSeconds },
  };
}

export function sendFault(reply: FastifyReply, fault: StoreFault, instance?: string): FastifyReply {
  reply.header('retry-after', String(fault.retryAfterSeconds));
  return sendProblem(reply, faultProblem(fault, instance));
}

export function rejectionProblem(rejection: Rejection, instance?: string): Problem {
  const rule = RULES[rejection.rule];
  return {
    type: ruleType(rejection.rule),
    title: rule.title,
    status: rule.status,
    detail: rejection.detail,
    rule: rejection.rule,
    ...(instance === undefined ? {} : { instance }),
    ...(rejection.field === undefined ? {} : { field: rejection.field }),
    ...(rejection.context === undefined ? {} : { context: rejection.context }),
  };
}

/** `/data/lines/0/quantity/value` → `data.lines[0].quantity.value` */
export function toFieldPath(segments: readonly (string | number)[]): string {
  return segments.reduce<string>((path, segment) => {
    if (typeof segment === 'number' || /^\d+$/.test(segment)) return `${path}[${segment}]`;
    return path ? `${path}.${segment}` : segment;
  }, '');
}

export interface SchemaIssue {
  field: string;
  rule: RuleName;
  message: string;
}

/** Schema issues as problem details: an unknown event type gets its own rule. */
export function schemaProblem(issues: SchemaIssue[], instance: string, where = 'body'): Problem {
  const first = issues[0];
  const rule: RuleName = issues.some((i) => i.rule === 'event-type-unknown') ? 'event-type-unknown' : 'schema-invalid';
  return {
    type: ruleType(rule),
    title: RULES[rule].title,
    status: 400,
    detail: first ? `${where} ${first.field || '(root)'}: ${first.message}` : `${where} is invalid`,
    instance,
    rule,
    ...(first ? { field: first.field } : {}),
    errors: issues,
  };
}

export function issueFromZod(issue: { path: readonly PropertyKey[]; code?: string; message: string }): SchemaIssue {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const field = toFieldPath(path);
  const unknownType = issue.code === 'invalid_union' && path[path.length - 1] === 'type';
  return { field, rule: unknownType ? 'event-type-unknown' : 'schema-invalid', message: issue.message };
}

const statusTitle = (status: number) =>
  ({
    400: 'Bad request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not found',
    405: 'Method not allowed',
    406: 'Not acceptable',
    409: 'Conflict',
    412: 'Precondition failed',
    428: 'Precondition required',
    408: 'Request timeout',
    413: 'Payload too large',
    414: 'URI too long',
    415: 'Unsupported media type',
    429: 'Too many requests',
    431: 'Request header fields too large',
    503: 'Service unavailable',
    507: 'Insufficient storage',
  })[status] ?? 'Error';

export function httpProblem(status: number, detail: string, instance?: string, extra: Partial<Problem> = {}): Problem {
  return {
    type: `urn:mss-ledger:http:${status}`,
    title: statusTitle(status),
    status,
    detail,
    ...(instance === undefined ? {} : { instance }),
    ...extra,
  };
}

/** The app's error handler: every error leaves as problem details, and bad input is never a 500. */
export function problemErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof RejectionError) return sendProblem(reply, rejectionProblem(error.rejection, request.url));
  if (isStoreFault(error)) {
    request.log.warn({ fault: error.fault, err: error.message }, 'store fault answered');
    return sendFault(reply, error, request.url);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((v) =>
      issueFromZod({
        path: v.instancePath.split('/').filter(Boolean),
        code: v.keyword,
        message: v.message ?? 'is invalid',
      }),
    );
    return sendProblem(reply, schemaProblem(issues, request.url, error.validationContext ?? 'body'));
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return sendProblem(reply, httpProblem(status, clientMessage(error), request.url));
  request.log.error({ err: error }, 'unexpected error');
  return sendProblem(reply, httpProblem(500, 'internal error; the request id is in the logs', request.url));
}

/** What a client is told about Fastify's own 4xx errors: the message, minus internals. */
function clientMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'the request body is larger than this service accepts (BODY_LIMIT_BYTES)';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'the body must be application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the body is empty; send a JSON event or an array of events';
    default:
      return error.message;
  }
}

/** The rate limiter's refusal, as an error the problem handler turns into a 429 (Retry-After is set by the limiter). */
export function rateLimitError(_request: FastifyRequest, context: { statusCode: number; after: string; max: number }) {
  return Object.assign(
    new Error(`rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}`),
    {
      statusCode: context.statusCode,
    },
  );
}
