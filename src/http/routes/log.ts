/**
 * The verifiable log over HTTP: the signed checkpoint (now, or as known at a
 * date), the log's public key, inclusion and consistency proofs, and the
 * witnesses' cosignatures. Proofs reveal no event content, so viewers may
 * read them as auditors do.
 */
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  onSendHookHandler,
  preHandlerHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DateOrInstant } from '../../../events/index.js';
import { StoreFault } from '../../store/faults.js';
import type { LedgerLog } from '../../log/ledger-log.js';
import type { LedgerDeps } from '../deps.js';
import { httpProblem, Problem, sendProblem, sendFault } from '../problem.js';
import { endOfInstant } from './projections.js';

const TEXT = 'text/plain; charset=utf-8';
const Size = z.coerce.number().int('must be a whole number').min(1, 'must be at least 1');
const Base64Hash = z.string().describe('a SHA-256 hash, base64');

const InclusionProof = z
  .object({
    leafIndex: z.number().int().describe("the event's 0-based rank in global order: its leaf in the tree"),
    position: z.number().int().describe("the event's global position"),
    treeSize: z.number().int(),
    rootHash: Base64Hash.describe('the root of the tree of `treeSize` leaves'),
    leafHash: Base64Hash.describe('SHA-256(0x00 || RFC 8785 JSON of the export line)'),
    proof: z.array(Base64Hash).describe('RFC 9162 §2.1.3 inclusion path, leaf first'),
  })
  .meta({ id: 'InclusionProof' });

const ConsistencyProof = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    fromRoot: Base64Hash,
    rootHash: Base64Hash.describe('the root of the tree of `to` leaves'),
    proof: z.array(Base64Hash).describe('RFC 9162 §2.1.4 consistency proof'),
  })
  .meta({ id: 'ConsistencyProof' });

/** A 400 naming the query field, for sizes the log cannot answer. */
const badSize = (reply: FastifyReply, url: string, field: string, detail: string) =>
  sendProblem(reply, httpProblem(400, `query ${field}: ${detail}`, url, { field, rule: 'schema-invalid' }));

export const logRoutes: FastifyPluginAsync<LedgerDeps & { log: LedgerLog }> = async (app, deps) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const log = deps.log;
  const read = { access: 'projections' as const };

  typed.get(
    '/checkpoint',
    {
      config: read,
      schema: {
        summary: 'The latest signed checkpoint (C2SP tlog-checkpoint), with witnesses’ cosignatures',
        description:
          'A signed note: origin, tree size, base64 root hash, a blank line, then the log’s Ed25519 signature line and any witness cosignature lines. With `knownAt`, the last checkpoint issued by then: the tree a `knownAt` answer stands on.',
        tags: ['log'],
        querystring: z.object({ knownAt: DateOrInstant.optional() }).strict(),
        produces: [TEXT],
        response: { 200: z.string(), 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const { knownAt } = request.query;
      const checkpoint = knownAt === undefined ? log.latest : log.checkpointKnownAt(endOfInstant(knownAt));
      if (!checkpoint)
        return sendProblem(
          reply,
          httpProblem(
            404,
            knownAt === undefined ? 'no checkpoint issued yet' : `no checkpoint was issued by ${knownAt}`,
            request.url,
          ),
        );
      return reply
        .type(TEXT)
        .header('x-ledger-tree-size', checkpoint.treeSize)
        .header('x-ledger-root', checkpoint.rootHash)
        .header('x-ledger-issued-at', checkpoint.issuedAt)
        .send(log.noteWithCosignatures(checkpoint));
    },
  );

  typed.get(
    '/key',
    {
      config: read,
      schema: {
        summary: 'The log’s public key, as a note verifier key',
        description: '`<name>+<hex key ID>+<base64(0x01 || Ed25519 public key)>`; the name is the checkpoints’ origin.',
        tags: ['log'],
        produces: [TEXT],
        response: { 200: z.string() },
      },
    },
    async (_request, reply) => reply.type(TEXT).send(`${log.verifierKey}\n`),
  );

  typed.get(
    '/proof/inclusion',
    {
      config: read,
      schema: {
        summary: 'Proof that an event is in the log (RFC 9162 §2.1.3)',
        description:
          'Name the event by its global `position` or its `id`. `treeSize` defaults to the latest signed checkpoint.',
        tags: ['log'],
        querystring: z
          .object({
            position: z.coerce.number().int().min(1).optional(),
            id: z.string().min(1).max(64).optional(),
            treeSize: Size.optional(),
          })
          .strict(),
        response: { 200: InclusionProof, 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const { position: byPosition, id, treeSize: asked } = request.query;
      if ((byPosition === undefined) === (id === undefined))
        return badSize(reply, request.url, 'position', 'give exactly one of position or id');
      const treeSize = asked ?? log.signedSize;
      if (treeSize > log.signedSize || treeSize < 1)
        return badSize(reply, request.url, 'treeSize', `the signed log has ${log.signedSize} leaves`);
      let position = byPosition;
      if (id !== undefined) {
        const [event] = await deps.store.readByIds([id]);
        if (!event) return sendProblem(reply, httpProblem(404, `no event ${id}`, request.url));
        position = event.globalPosition;
      }
      const leafIndex = log.leafIndexOf(position!);
      if (leafIndex < 0) return sendProblem(reply, httpProblem(404, `no event at position ${position}`, request.url));
      if (leafIndex >= treeSize)
        return badSize(
          reply,
          request.url,
          'treeSize',
          `position ${position} is leaf ${leafIndex}, beyond a tree of ${treeSize}`,
        );
      return { leafIndex, position: position!, treeSize, ...log.inclusion(leafIndex, treeSize) };
    },
  );

  typed.get(
    '/proof/consistency',
    {
      config: read,
      schema: {
        summary: 'Proof that the log of `from` leaves is a prefix of the log of `to` leaves (RFC 9162 §2.1.4)',
        tags: ['log'],
        querystring: z.object({ from: Size, to: Size.optional() }).strict(),
        response: { 200: ConsistencyProof, 400: Problem },
      },
    },
    async (request, reply) => {
      const from = request.query.from;
      const to = request.query.to ?? log.signedSize;
      if (to > log.signedSize) return badSize(reply, request.url, 'to', `the signed log has ${log.signedSize} leaves`);
      if (from > to) return badSize(reply, request.url, 'from', `must be at most to (${to})`);
      return { from, to, ...log.consistency(from, to) };
    },
  );

  typed.post(
    '/cosignatures',
    {
      config: { access: 'public' },
      schema: {
        summary: 'A witness posts its cosignature of a checkpoint (C2SP tlog-cosignature)',
        description:
          'Accepted only when it is a valid cosignature/v1 by a key in WITNESS_KEYS over a checkpoint this log issued: the signature is the credential.',
        tags: ['log'],
        body: z.object({ treeSize: z.number().int().min(1), cosignature: z.string().min(1).max(1000) }).strict(),
        response: { 201: z.object({ witness: z.string(), treeSize: z.number().int() }), 400: Problem },
      },
    },
    async (request, reply) => {
      const result = await log.addCosignature(request.body.treeSize, request.body.cosignature);
      if ('error' in result)
        return sendProblem(
          reply,
          httpProblem(400, result.error, request.url, { field: 'cosignature', rule: 'schema-invalid' }),
        );
      return reply.code(201).send({ witness: result.witness, treeSize: request.body.treeSize });
    },
  );
};

/** A route's hooks of one kind with one more after them. */
const withHook = <H>(existing: H | H[] | undefined, hook: H): H[] =>
  existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook];

/**
 * Every projection answer names the tree it reflects (`X-Ledger-Tree-Size`,
 * `X-Ledger-Root`), from the position the handler answered for; and no
 * event is recorded while the store does not match what was signed.
 */
export const logHooksPlugin = fp<{ log: LedgerLog; readOnly?: string | undefined }>(
  async (app: FastifyInstance, { log, readOnly }) => {
    const stampTree: onSendHookHandler = (request, reply, payload, done) => {
      if (reply.statusCode === 200) {
        const state = log.stateAt(request.seenPosition);
        reply.header('x-ledger-tree-size', state.treeSize).header('x-ledger-root', state.rootHash);
      }
      done(null, payload);
    };
    const refuseWhileNotVerified: preHandlerHookHandler = (request, reply, done) => {
      if (log.status.state !== 'verified')
        return void sendFault(
          reply,
          new StoreFault(
            'log-not-verified',
            `nothing is recorded until the log is verified: ${log.problems().join('; ')}`,
          ),
          request.url,
        );
      done();
    };
    // Each hook on the routes it is for, known when each is registered: no per-answer look-up of the
    // route's config, and no hook at all on the others.
    app.addHook('onRoute', (route) => {
      const config = route.config as { projection?: boolean; access?: string } | undefined;
      if (config?.projection) route.onSend = withHook(route.onSend, stampTree);
      // A read-only store refuses every write anyway, and says why more plainly.
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!readOnly && config?.access === 'record' && methods.includes('POST'))
        route.preHandler = withHook(route.preHandler, refuseWhileNotVerified);
    });
  },
  // The position an answer reflects (request.seenPosition) is the freshness hooks'.
  { name: 'mss-log-hooks', fastify: '5.x', dependencies: ['mss-freshness'] },
);
