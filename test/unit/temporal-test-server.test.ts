import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../lib/errors';
import { cachedTestServerDir, resolveTemporalTestServer, TEMPORAL_TEST_SERVER_MAIN, TEMPORAL_TEST_SERVER_VERSION } from '../kit/temporal-test-server';
import { executable } from '../support/executables';

const JAR = `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}.jar`;

// Finding Java and the test server's jars, on real files and real child processes (stand-ins
// for `java` and `mvn`): the cache first, then Maven Central through `mvn`, else a clear error.
describe("finding Temporal's time-skipping test server", () => {
  let dir: string;
  let bin: string;
  let cacheDir: string;
  const said: string[] = [];
  const say = (line: string) => said.push(line);

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-test-server-'));
    bin = path.join(dir, 'bin');
    cacheDir = path.join(dir, 'cache');
    said.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the cached jars with the java on PATH, or the one of JAVA_HOME first', async () => {
    const java = executable(path.join(bin, 'java'));
    mkdirSync(cachedTestServerDir(cacheDir), { recursive: true });
    writeFileSync(path.join(cachedTestServerDir(cacheDir), JAR), '');
    await expect(resolveTemporalTestServer({ cacheDir, searchPath: bin, env: {}, say })).resolves.toEqual({
      version: TEMPORAL_TEST_SERVER_VERSION,
      java,
      classpath: path.join(cachedTestServerDir(cacheDir), '*'),
      mainClass: TEMPORAL_TEST_SERVER_MAIN,
      source: 'cache',
    });
    const home = path.join(dir, 'jdk');
    const homeJava = executable(path.join(home, 'bin', 'java'));
    await expect(resolveTemporalTestServer({ cacheDir, searchPath: bin, env: { JAVA_HOME: home }, say })).resolves.toMatchObject({ java: homeJava });
    expect(said).toEqual([]);
  });

  it('says how to install Java when there is none', async () => {
    const err = (await resolveTemporalTestServer({ cacheDir, searchPath: path.join(dir, 'empty'), env: {}, say }).catch((e: unknown) => e)) as PalisadeError;
    expect(err).toBeInstanceOf(PalisadeError);
    expect(err.code).toBe('java_missing');
    expect(err.hint).toContain('apt-get install openjdk-17-jre-headless');
  });

  it('says how to get Maven when the jars are not cached and mvn is missing', async () => {
    executable(path.join(bin, 'java'));
    const err = (await resolveTemporalTestServer({ cacheDir, searchPath: bin, env: {}, say }).catch((e: unknown) => e)) as PalisadeError;
    expect(err).toBeInstanceOf(PalisadeError);
    expect(err.code).toBe('temporal_test_server_missing');
    expect(err.message).toContain(`io.temporal:temporal-test-server:${TEMPORAL_TEST_SERVER_VERSION}`);
    expect(err.message).toContain(cachedTestServerDir(cacheDir));
    expect(err.hint).toContain('apt-get install maven');
    expect(err.hint).toContain('brew install maven');
  });

  it('fetches the jars with mvn into the cache once, announcing it', async () => {
    executable(path.join(bin, 'java'));
    // A stand-in `mvn` that keeps its arguments and the pom, and "copies" the dependencies.
    executable(
      path.join(bin, 'mvn'),
      `#!/bin/sh
echo "$@" > "${dir}/mvn-args"
while [ $# -gt 0 ]; do
  case "$1" in
    -f) cp "$2" "${dir}/pom.xml"; shift ;;
    -DoutputDirectory=*) out="\${1#-DoutputDirectory=}" ;;
  esac
  shift
done
mkdir -p "$out" && touch "$out/${JAR}" "$out/grpc-core-1.76.0.jar"
`,
    );
    await expect(resolveTemporalTestServer({ cacheDir, searchPath: bin, env: {}, say })).resolves.toMatchObject({ source: 'fetched' });
    expect(readFileSync(path.join(dir, 'mvn-args'), 'utf8')).toContain('maven-dependency-plugin:3.8.1:copy-dependencies');
    const pom = readFileSync(path.join(dir, 'pom.xml'), 'utf8');
    expect(pom).toContain('<artifactId>temporal-test-server</artifactId>');
    expect(pom).toContain(`<version>${TEMPORAL_TEST_SERVER_VERSION}</version>`);
    expect(readdirSync(cachedTestServerDir(cacheDir)).sort()).toEqual(['grpc-core-1.76.0.jar', JAR]);
    expect(said[0]).toContain('Fetching');
    expect(said[1]).toMatch(/Fetched the test server \(2 jars\) in \d+ s/);
    // The next run finds them without Maven.
    const javaOnly = path.dirname(executable(path.join(dir, 'java-only', 'java')));
    await expect(resolveTemporalTestServer({ cacheDir, searchPath: javaOnly, env: {}, say })).resolves.toMatchObject({ source: 'cache' });
  });

  it("shows a failed fetch's last lines, and leaves nothing half-copied in the cache", async () => {
    executable(path.join(bin, 'java'));
    executable(path.join(bin, 'mvn'), '#!/bin/sh\necho "[ERROR] Could not transfer artifact: repo1.maven.org: Temporary failure in name resolution"\nexit 1\n');
    const err = (await resolveTemporalTestServer({ cacheDir, searchPath: bin, env: {}, say }).catch((e: unknown) => e)) as PalisadeError;
    expect(err.code).toBe('temporal_test_server_fetch_failed');
    expect(err.message).toContain('exit 1');
    expect(err.message).toContain('Temporary failure in name resolution');
    expect(err.hint).toContain('settings.xml mirror');
    expect(existsSync(cachedTestServerDir(cacheDir))).toBe(false);
    expect(readdirSync(path.join(cacheDir, 'temporal-test-server'))).toEqual([]);
  });
});
