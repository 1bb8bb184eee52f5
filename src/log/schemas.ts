/** The part of the log's shapes that other routes carry. */
import { z } from 'zod';

/** The body field every projection answer carries: the tree it reflects. */
export const LedgerTreeRef = z
  .object({ treeSize: z.number().int(), rootHash: z.string().describe('base64 SHA-256 root') })
  .describe(
    'the tree of the log this answer reflects (also X-Ledger-Tree-Size, X-Ledger-Root): check it against GET /v1/log/checkpoint',
  );
