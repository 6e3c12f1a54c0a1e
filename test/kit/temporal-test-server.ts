import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { findOnPath } from '../../apps/cli/start/go-install';
import { PalisadeError } from '../../lib/errors';

/**
 * Temporal's time-skipping test server, the Java build from Maven Central
 * (io.temporal:temporal-test-server, part of the Java SDK). 1.38.0 is the newest release
 * there: it speaks the same TestService protocol as the TS SDK 1.24 (identical
 * testservice/v1 protos) and its Temporal API is the one just before the SDK's (the SDK only
 * adds PollWorkflowExecutionTimeSkipping, which the test kit does not call).
 */
export const TEMPORAL_TEST_SERVER_VERSION = '1.38.0';
/** The standalone server's entry point: `TestServer <port> [--enable-time-skipping]`. */
export const TEMPORAL_TEST_SERVER_MAIN = 'io.temporal.testserver.TestServer';
const ARTIFACT = `io.temporal:temporal-test-server:${TEMPORAL_TEST_SERVER_VERSION}`;
/** Pinned, so the fetch does not depend on which plugin version Maven would pick by default. */
const COPY_GOAL = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies';

export interface TestServerResolveOptions {
  /** The project's cache folder (PALISADE_CACHE_DIR). */
  cacheDir: string;
  /** The PATH to search for `java` and `mvn`. */
  searchPath: string;
  /** JAVA_HOME, Maven's settings and proxies: the environment `java` and `mvn` run with. */
  env: NodeJS.ProcessEnv;
  /** Progress lines for the person waiting. */
  say: (line: string) => void;
}

/** How to start the server: `java -cp <classpath> <main> <port>`. */
export interface ResolvedTestServer {
  version: string;
  java: string;
  classpath: string;
  mainClass: string;
  source: 'cache' | 'fetched';
}

/** The folder of the cached jars: `<cache>/temporal-test-server/<version>/lib`. */
export function cachedTestServerDir(cacheDir: string): string {
  return path.join(cacheDir, 'temporal-test-server', TEMPORAL_TEST_SERVER_VERSION, 'lib');
}

/** The arguments of the fetch (the hint of a failed fetch shows the same goal). */
function mavenCommand(pomFile: string, outputDir: string): string[] {
  return ['-B', '-q', '-C', '-f', pomFile, COPY_GOAL, `-DoutputDirectory=${outputDir}`, '-DincludeScope=runtime'];
}

/**
 * Finds Java and the server's jars: the project's cache, or Maven Central through `mvn` into
 * that cache (first run only). Errors name what is missing and how to get it.
 */
export async function resolveTemporalTestServer(opts: TestServerResolveOptions): Promise<ResolvedTestServer> {
  const java = findJava(opts);
  const dir = cachedTestServerDir(opts.cacheDir);
  const base = { version: TEMPORAL_TEST_SERVER_VERSION, java, classpath: path.join(dir, '*'), mainClass: TEMPORAL_TEST_SERVER_MAIN };
  if (existsSync(path.join(dir, `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}.jar`))) return { ...base, source: 'cache' };

  const mvn = findOnPath('mvn', opts.searchPath);
  if (!mvn) {
    throw new PalisadeError(
      'temporal_test_server_missing',
      `Temporal's time-skipping test server (${ARTIFACT}) is not in ${dir}, and Maven is not installed to fetch it.`,
      'Install Maven (Debian/Ubuntu: `apt-get install maven`; macOS: `brew install maven`; else https://maven.apache.org/install.html) ' +
        'and run the tests again: the first run fetches the server from Maven Central into the cache (about 40 MB, once).',
    );
  }
  await fetchWithMaven(mvn, dir, opts);
  return { ...base, source: 'fetched' };
}

function findJava(opts: TestServerResolveOptions): string {
  const home = opts.env.JAVA_HOME;
  const fromHome = home ? path.join(home, 'bin', 'java') : undefined;
  const java = fromHome && existsSync(fromHome) ? fromHome : findOnPath('java', opts.searchPath);
  if (java) return java;
  throw new PalisadeError(
    'java_missing',
    "Java was not found (JAVA_HOME/bin/java or `java` on PATH): Temporal's time-skipping test server runs on it.",
    'Install a Java runtime, 8 or newer (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`), or set JAVA_HOME.',
  );
}

async function fetchWithMaven(mvn: string, target: string, opts: TestServerResolveOptions): Promise<void> {
  // Resolve into a scratch folder and move it into place, so an interrupted fetch never leaves
  // a half-copied classpath the next run would trust.
  const scratch = `${path.dirname(target)}.fetching-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const pom = path.join(scratch, 'pom.xml');
  writeFileSync(pom, pomFor(ARTIFACT));
  const args = mavenCommand(pom, path.join(scratch, 'lib'));
  opts.say(`Fetching Temporal's time-skipping test server ${TEMPORAL_TEST_SERVER_VERSION} from Maven Central into ${path.dirname(target)} (first run only)...`);
  const started = Date.now();
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(mvn, args, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', resolve);
  });
  const jars = existsSync(path.join(scratch, 'lib')) ? readdirSync(path.join(scratch, 'lib')) : [];
  if (code !== 0 || !jars.includes(`temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}.jar`)) {
    rmSync(scratch, { recursive: true, force: true });
    throw new PalisadeError(
      'temporal_test_server_fetch_failed',
      `Fetching ${ARTIFACT} with Maven failed (exit ${code}). Its last lines:\n  ${output.slice(-15).join('\n  ')}`,
      `Check that Maven Central (or your settings.xml mirror) is reachable and retry; by hand: write a pom depending on ${ARTIFACT} and run ` +
        `\`mvn ${COPY_GOAL} -DoutputDirectory=${target} -DincludeScope=runtime\`.`,
    );
  }
  mkdirSync(path.dirname(target), { recursive: true });
  try {
    renameSync(path.join(scratch, 'lib'), target);
  } catch (err) {
    // Another test run fetched it at the same time: theirs is as good as ours.
    if (!existsSync(target)) throw err;
  }
  rmSync(scratch, { recursive: true, force: true });
  opts.say(`Fetched the test server (${jars.length} jars) in ${Math.round((Date.now() - started) / 1000)} s.`);
}

function pomFor(artifact: string): string {
  const [groupId, artifactId, version] = artifact.split(':');
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>palisade.local</groupId>
  <artifactId>temporal-test-server-classpath</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>${groupId}</groupId>
      <artifactId>${artifactId}</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}
