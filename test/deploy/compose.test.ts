/**
 * The compose files are valid: `docker-compose config` parses and checks them
 * without a Docker engine. Skipped, saying why, where docker-compose is not
 * installed (.ci/run installs it from Debian's packages).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';

const root = path.resolve(import.meta.dirname, '..', '..');
const available = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;

for (const file of ['docker-compose.yml', 'docker-compose.cluster.yml']) {
  t.test(
    `${file} is a valid compose file`,
    { skip: available ? false : 'docker-compose is not installed' },
    async (t) => {
      const config = execFileSync('docker-compose', ['-f', file, 'config'], { cwd: root, encoding: 'utf8' });
      t.match(config, /eventstore/, 'it runs EventStoreDB');
      t.match(config, /EVENTSTORE_CONNECTION_STRING: esdb:\/\//, 'and points the service at it');
      t.match(config, /API_KEYS_FILE|API_KEYS/, 'with API keys, which production requires');

      // Each ledger service's own stop deadline comes before Docker's SIGKILL, and leaves room for the
      // checkpoints a clean stop writes (16-17 s at 10M events).
      const services = config.split(/\n {2}(?=[\w-]+:\n)/).filter((block) => /^ledger[\w-]*:/.test(block));
      t.ok(services.length > 0, 'it runs the ledger');
      for (const block of services) {
        const name = block.slice(0, block.indexOf(':'));
        const deadlineMs = Number(/SHUTDOWN_TIMEOUT_MS: "?(\d+)/.exec(block)?.[1]);
        const grace = /stop_grace_period: (?:(\d+)m)?(?:(\d+)s)?/.exec(block);
        const graceMs = grace ? (Number(grace[1] ?? 0) * 60 + Number(grace[2] ?? 0)) * 1000 : 10_000;
        t.ok(deadlineMs >= 20_000, `${name}: SHUTDOWN_TIMEOUT_MS (${deadlineMs}) leaves a 10M checkpoint time`);
        t.ok(deadlineMs < graceMs, `${name}: and ends before Docker's SIGKILL (${graceMs} ms)`);
      }
    },
  );
}
