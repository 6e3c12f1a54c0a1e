import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { webhookSecretVariable } from '../../lib/config/env';
import { SOURCES } from '../../lib/intake/alert';
import { searchAttributeFlags } from '../../lib/temporal/names';
import { WORKER_NODE_FLAGS } from '../../apps/cli/start/worker-env';

// No Docker engine runs here: these checks keep the production compose file's wiring honest.
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null>;
  ports?: (string | number)[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
}

const root = path.resolve(__dirname, '../..');
// Compose honours YAML merge keys (`<<: *anchor`); the yaml package needs them switched on.
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const service = (name: string): Service => services[name] ?? expect.fail(`no service '${name}'`);
const text = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join(' ') : (v ?? ''));
const env = (s: Service): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));
const dependsOn = (s: Service): Record<string, string | undefined> =>
  Array.isArray(s.depends_on)
    ? Object.fromEntries(s.depends_on.map((d) => [d, undefined]))
    : Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([d, c]) => [d, c.condition]));
const dockerfileOf = (s: Service): string => {
  const b = typeof s.build === 'string' ? { context: s.build } : (s.build ?? {});
  return path.resolve(root, b.context ?? '.', b.dockerfile ?? 'Dockerfile');
};
const apps = ['api', 'worker'] as const;

describe('docker-compose.yml (production shape)', () => {
  it('declares every service of the stack', () => {
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'temporal-setup', 'migrate', 'api', 'worker']) {
      expect(services, name).toHaveProperty([name]);
    }
  });

  it('pins every pulled image to an explicit tag other than latest, and builds the rest', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image !== undefined || s.build !== undefined, `${name} has neither image nor build`).toBe(true);
      if (s.image === undefined) continue;
      const tag = /^[^\s@]+:([\w][\w.-]*)$/.exec(s.image)?.[1];
      expect(tag, `${name}: image '${s.image}' has no tag`).toBeDefined();
      expect(tag, `${name}: image '${s.image}'`).not.toBe('latest');
    }
  });

  it('builds api, worker and migrate from this repo with a non-root Node 20 Dockerfile', () => {
    const dockerfile = path.join(root, 'Dockerfile');
    for (const name of [...apps, 'migrate']) expect(dockerfileOf(service(name)), name).toBe(dockerfile);
    expect(existsSync(dockerfile), 'Dockerfile exists').toBe(true);
    const source = readFileSync(dockerfile, 'utf8');
    expect(source).toMatch(/^FROM node:20[\w.-]*(\s|$)/m);
    expect(source).toMatch(/^USER node\s*$/m);
    expect(source).toMatch(/^CMD .*dist\/apps\/api\/main\.js/m);
  });

  it("starts the worker with the V8 flags npm start gives it", () => {
    const command = service('worker').command as string[];
    expect(command.slice(1, -1)).toEqual([...WORKER_NODE_FLAGS]);
  });

  it('runs compiled entry points that exist as sources', () => {
    const commands = [text(service('worker').command), text(service('migrate').command), 'dist/apps/api/main.js'];
    expect(commands[0]).toContain('dist/apps/worker/main.js');
    expect(commands[1]).toMatch(/dist\/lib\/db\/data-source'\)\.runMigrations\(process\.env\.DATABASE_URL\)/);
    for (const [, rel] of commands.join(' ').matchAll(/dist\/([\w/.-]+?)(?:\.js)?(?:['"\s)]|$)/g)) {
      expect(existsSync(path.join(root, `${rel}.ts`)), `${rel}.ts exists`).toBe(true);
    }
  });

  it('points api and worker at the temporal and postgres services', () => {
    for (const name of apps) {
      const e = env(service(name));
      expect(e.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
      const db = new URL(e.DATABASE_URL ?? '');
      expect(db.protocol, name).toBe('postgres:');
      expect(db.hostname, name).toBe('postgres');
      expect(db.pathname, name).toBe(`/${env(service('postgres')).POSTGRES_DB}`);
    }
    expect(env(service('migrate')).DATABASE_URL).toBe(env(service('api')).DATABASE_URL);
    expect(env(service('api'))).toMatchObject({ HOST: '0.0.0.0', PORT: '3000' });
  });

  it('passes the intake secrets and the redaction key through to api and worker', () => {
    const wanted = ['PALISADE_REDACTION_KEY', 'PALISADE_SNS_TOPIC_ARNS', ...SOURCES.map(webhookSecretVariable)];
    for (const name of apps) {
      const declared = Object.keys(service(name).environment ?? {});
      expect(declared, name).toEqual(expect.arrayContaining(wanted));
    }
  });

  it('publishes the api on 3000 and health-checks api (/readyz) and postgres', () => {
    expect(service('api').ports?.map(String)).toContain('127.0.0.1:3000:3000');
    expect(text(service('api').healthcheck?.test)).toContain('127.0.0.1:3000/readyz');
    expect(text(service('postgres').healthcheck?.test)).toContain('pg_isready');
  });

  it("runs Temporal's server image, one container per service, after a schema job (not the deprecated auto-setup)", () => {
    for (const [name, s] of Object.entries(services)) expect(s.image ?? '', name).not.toMatch(/temporalio\/auto-setup/);
    const temporal = { temporal: 'frontend', 'temporal-history': 'history', 'temporal-matching': 'matching', 'temporal-worker': 'worker' };
    for (const [name, svc] of Object.entries(temporal)) {
      expect(service(name).image, name).toBe('temporalio/server:1.29.1');
      expect(env(service(name)), name).toMatchObject({ SERVICES: svc, DB: 'postgres12', POSTGRES_SEEDS: 'postgres', DBNAME: 'temporal', VISIBILITY_DBNAME: 'temporal_visibility' });
      expect(dependsOn(service(name)), name).toMatchObject({ 'temporal-schema': 'service_completed_successfully' });
    }
    const schema = service('temporal-schema');
    expect(schema.image).toMatch(/^temporalio\/admin-tools:1\.29\.1-/);
    expect(dependsOn(schema)).toMatchObject({ postgres: 'service_healthy' });
    const script = text(schema.command);
    expect(script.replaceAll('$$', '')).not.toContain('$');
    for (const db of ['temporal', 'temporal_visibility']) {
      expect(script, db).toMatch(new RegExp(`--db ${db}\\b[^\\n]*setup-schema -v 0\\.0`));
      expect(script, db).toMatch(new RegExp(`--db ${db}\\b[^\\n]*update-schema -d /etc/temporal/schema/postgresql/v12/${db === 'temporal' ? 'temporal' : 'visibility'}/versioned`));
    }
  });

  it('depends only on declared services, and starts api/worker after the one-shot jobs', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const dep of Object.keys(dependsOn(s))) expect(services, `${name} -> ${dep}`).toHaveProperty([dep]);
    }
    for (const name of apps) {
      expect(dependsOn(service(name)), name).toMatchObject({
        migrate: 'service_completed_successfully',
        'temporal-setup': 'service_completed_successfully',
      });
    }
    expect(dependsOn(service('temporal-setup'))).toMatchObject({ temporal: 'service_started' });
  });

  it('registers every Palisade search attribute with its type', () => {
    const script = text(service('temporal-setup').command);
    expect(script).toContain('temporal operator namespace create');
    expect(script).toContain('temporal operator search-attribute create');
    expect(script).toContain('--address temporal:7233');
    // Compose would interpolate a lone `$`: shell variables must be written `$$`.
    expect(script.replaceAll('$$', '')).not.toContain('$');
    const pairs = searchAttributeFlags().filter((f) => f.includes('='));
    expect(pairs).toHaveLength(5);
    for (const [attr, type] of pairs.map((p) => p.split('='))) {
      expect(script, `${attr}=${type}`).toMatch(new RegExp(`\\b${attr}\\b[\\s=]+(--type\\s+)?${type}(?![A-Za-z])`));
    }
  });

  it('does not publish the same host port twice', () => {
    const hostPorts = Object.values(services).flatMap((s) =>
      (s.ports ?? []).map((p) => String(p).replace(/\/\w+$/, '').split(':').slice(-2)[0]),
    );
    expect(hostPorts.length).toBeGreaterThan(0);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });
});
