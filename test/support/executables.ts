import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Writes an executable stand-in (a tool's binary, `go`, `mvn`, `java`) at `file`: a shell script. */
export function executable(file: string, body = '#!/bin/sh\nexit 0\n'): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}
