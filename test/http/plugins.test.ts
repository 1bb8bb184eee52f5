/**
 * The app's cross-cutting parts are named Fastify plugins that declare what
 * they need: the app registers each under its name, and a plugin registered
 * without a plugin it depends on is refused at boot, naming the missing one.
 */
import Fastify, { type FastifyPluginAsync } from 'fastify';
import t from 'tap';
import { authPlugin } from '../../src/http/plugins/auth.js';
import { catalogPlugin } from '../../src/http/plugins/catalog.js';
import { freshnessPlugin } from '../../src/http/plugins/freshness.js';
import { methodNotAllowedPlugin } from '../../src/http/plugins/method-not-allowed.js';
import { openApiPlugin } from '../../src/http/plugins/openapi.js';
import type { LedgerLog } from '../../src/log/ledger-log.js';
import type { Projector } from '../../src/read/projector.js';
import { logHooksPlugin } from '../../src/http/routes/log.js';
import { openLogLedger, tempDir } from '../log/support.js';

const NAMES = [
  'mss-closing-answer',
  'mss-catalog',
  'mss-security-headers',
  'mss-auth',
  'mss-freshness',
  'mss-openapi',
  'mss-metrics',
  'mss-log-hooks',
  'mss-method-not-allowed',
];

t.test('the app registers each of its plugins under its name', async (t) => {
  // A ledger with its verifiable log, so that the log's hooks are registered too.
  const { app, close } = await openLogLedger(tempDir(t));
  t.teardown(close);
  for (const name of NAMES) t.ok(app.hasPlugin(name), `${name} is registered`);
  t.notOk(app.hasPlugin('mss-no-such-plugin'), 'and hasPlugin is not true of any name');
});

/** Each plugin, the options it needs (never read: the dependency check comes first), and what it depends on. */
const DEPENDENT: { name: string; plugin: FastifyPluginAsync<never>; options: object; missing: string }[] = [
  { name: 'mss-auth', plugin: authPlugin as never, options: { keyring: false }, missing: 'mss-catalog' },
  {
    name: 'mss-freshness',
    plugin: freshnessPlugin as never,
    options: { projector: {} as Projector, waitMs: 0 },
    missing: 'mss-auth',
  },
  { name: 'mss-openapi', plugin: openApiPlugin as never, options: {}, missing: 'mss-catalog' },
  {
    name: 'mss-log-hooks',
    plugin: logHooksPlugin as never,
    options: { log: {} as LedgerLog },
    missing: 'mss-freshness',
  },
  { name: 'mss-method-not-allowed', plugin: methodNotAllowedPlugin as never, options: {}, missing: 'mss-catalog' },
];

for (const { name, plugin, options, missing } of DEPENDENT)
  t.test(`${name} without ${missing} is refused at boot`, async (t) => {
    const app = Fastify({ logger: false });
    t.teardown(() => app.close());
    await t.rejects(
      async () => {
        await app.register(plugin, options as never);
        await app.ready();
      },
      {
        code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED',
        message: `The dependency '${missing}' of plugin '${name}' is not registered`,
      },
    );
  });

t.test('with its dependency registered first, the same plugin boots', async (t) => {
  const app = Fastify({ logger: false });
  t.teardown(() => app.close());
  await app.register(catalogPlugin);
  await app.register(authPlugin, { keyring: false });
  await app.ready();
  t.ok(app.hasPlugin('mss-auth'));
});
