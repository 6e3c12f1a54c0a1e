import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { createRequire } from 'node:module';

/**
 * Workflow histories as JSON: the proto JSON Temporal's tools write (`temporal workflow show
 * --output json`, the Web UI's download), which `Worker.runReplayHistories` replays.
 *
 * @temporalio/common's `historyToJSON` / `historyFromJSON` are used when they work. With this
 * project's lockfile they do not: npm nests one protobufjs under @temporalio/common and another
 * under @temporalio/proto, and protobufjs refuses the other copy's types ("type must be a
 * Type"). Then the protobufjs copy @temporalio/proto was built with does the same job; it reads
 * canonical proto JSON (what both write), not the shorthand enum names of old tctl exports.
 */
export function historyToJson(history: History): string {
  if (!sdkCodecBroken()) return historyToJSON(history);
  const message = protoRoot().temporal.api.history.v1.History.fromObject(history);
  return JSON.stringify(protoCodec().json.toJson(protoCodec().historyType, message), null, 2);
}

/** What `history export` writes for a history: proto JSON, no stack traces, a final newline. */
export function historyFileText(history: History): string {
  return `${JSON.stringify(withoutStackTraces(JSON.parse(historyToJson(history))), null, 2)}\n`;
}

/**
 * Exported histories are committed: failures' stack traces carry the worker machine's paths
 * and nothing a replay needs, so they are left out (the failure's type and message stay).
 */
export function withoutStackTraces(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(withoutStackTraces);
  if (json === null || typeof json !== 'object') return json;
  return Object.fromEntries(Object.entries(json).flatMap(([key, value]) => (key === 'stackTrace' ? [] : [[key, withoutStackTraces(value)]])));
}

/** Reads what historyToJson (or Temporal's tools) wrote. */
export function historyFromJson(json: unknown): History {
  if (!sdkCodecBroken()) return historyFromJSON(json);
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('Invalid history, expected an object with an array of events');
  }
  return protoCodec().json.fromJson(protoCodec().historyType, json, { ignoreUnknownFields: true }) as History;
}

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
}

let broken: boolean | undefined;
let codec: { json: ProtoJson; historyType: unknown } | undefined;

/** True when @temporalio/common and @temporalio/proto load different protobufjs copies. */
function sdkCodecBroken(): boolean {
  const protobufjsOf = (pkg: string) => createRequire(require.resolve(pkg)).resolve('protobufjs');
  broken ??= protobufjsOf('@temporalio/common') !== protobufjsOf('@temporalio/proto');
  return broken;
}

/** @temporalio/proto's root, whether this file runs as CommonJS or as ESM (vitest) importing CommonJS. */
function protoRoot(): typeof proto {
  return (proto as typeof proto & { default?: typeof proto }).default ?? proto;
}

function protoCodec(): { json: ProtoJson; historyType: unknown } {
  if (!codec) {
    const json = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
    const root = patchProtobufRoot(protoRoot()) as unknown as { lookupType(name: string): unknown };
    codec = { json, historyType: root.lookupType('temporal.api.history.v1.History') };
  }
  return codec;
}
