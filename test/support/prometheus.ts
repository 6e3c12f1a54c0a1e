import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../apps/cli/start/ports';
import { aptInstall } from './apt';
import { spawnCollecting } from './processes';

/**
 * A real Prometheus for tests (Debian's `prometheus` package), scraping the given targets
 * every second. Installed with apt-get when missing and running as root; otherwise the error
 * says how to install it.
 */
export interface TestPrometheus {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** How long to wait for `/-/ready` (default 60 s). */
  readyTimeoutMs?: number;
  /** The job name on every scraped series (default "palisade"). */
  job?: string;
}

const INSTALL_HINT = 'Install it with `sudo apt-get install -y --no-install-recommends prometheus` (Debian/Ubuntu), or put a `prometheus` binary on PATH.';

/** `scrapeTargets` are URLs such as http://127.0.0.1:3000/fleet/metrics. */
export async function startPrometheus(scrapeTargets: string[], opts: PrometheusOptions = {}): Promise<TestPrometheus> {
  const binary = await prometheusBinary();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(configFile, scrapeConfig(scrapeTargets, opts.job ?? 'palisade'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnCollecting(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Debian's default console paths may not exist; tests need none of them.
      `--web.console.templates=${dir}`,
      `--web.console.libraries=${dir}`,
    ],
    { cwd: dir, env: process.env },
  );

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGTERM');
      const killed = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
      await proc.exited;
      clearTimeout(killed);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitReady(url, proc.exited, opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw new Error(`Prometheus (${binary}) did not become ready: ${(err as Error).message}\n${proc.output().slice(-4000)}`);
  }
  return { url, stop };
}

function scrapeConfig(targets: string[], job: string): string {
  // One job per target: each URL has its own path and scheme. JSON is valid YAML.
  const jobs = targets.map((target, i) => {
    const u = new URL(target);
    return {
      job_name: targets.length === 1 ? job : `${job}-${i}`,
      scheme: u.protocol.replace(':', ''),
      metrics_path: u.pathname,
      static_configs: [{ targets: [u.host] }],
    };
  });
  return JSON.stringify({ global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' }, scrape_configs: jobs }, null, 2);
}

/** Debian's `prometheus`, installed when missing (root); `promtool` comes in the same package, beside it. */
export async function prometheusBinary(): Promise<string> {
  return findPrometheus() ?? (await installPrometheus());
}

function findPrometheus(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat('/usr/bin')) {
    if (!dir) continue;
    const candidate = path.join(dir, 'prometheus');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

async function installPrometheus(): Promise<string> {
  if (process.getuid?.() !== 0) throw new Error(`Prometheus is not installed (no \`prometheus\` on PATH). ${INSTALL_HINT}`);
  console.log('Prometheus is not installed: installing the Debian package `prometheus` with apt-get (this can take a minute)…');
  try {
    await aptInstall(['prometheus']);
  } catch (err) {
    const out = String((err as { stderr?: Buffer }).stderr ?? '');
    throw new Error(`Installing Prometheus with apt-get failed: ${(err as Error).message}\n${out.slice(-2000)}\n${INSTALL_HINT}`);
  }
  const found = findPrometheus();
  if (!found) throw new Error(`apt-get installed the prometheus package, but no \`prometheus\` binary is on PATH. ${INSTALL_HINT}`);
  return found;
}

async function waitReady(url: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`it exited with code ${exitCode}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
