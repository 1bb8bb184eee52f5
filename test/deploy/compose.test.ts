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
    },
  );
}
