import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { ModulesContainer } from '@nestjs/core';

/** One route a controller declares, as Nest registers it. */
export interface ApiRoute {
  /** Upper case: GET, POST, DELETE. */
  method: string;
  /** As Nest declares it: /incidents/:id/timeline. */
  path: string;
  controller: Type;
  handlerName: string;
  handler: (...args: unknown[]) => unknown;
}

/** Every controller route of the app, from the same metadata Nest routes by. */
export function apiRoutes(modules: ModulesContainer): ApiRoute[] {
  const controllers = new Set<Type>();
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) if (wrapper.metatype) controllers.add(wrapper.metatype as Type);
  }
  const routes: ApiRoute[] = [];
  for (const controller of controllers) {
    const prefixes = paths(Reflect.getMetadata(PATH_METADATA, controller));
    const proto = controller.prototype as Record<string, unknown>;
    for (const handlerName of Object.getOwnPropertyNames(proto)) {
      const handler = proto[handlerName];
      if (handlerName === 'constructor' || typeof handler !== 'function') continue;
      const own = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (own === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      for (const prefix of prefixes) {
        for (const suffix of paths(own)) {
          routes.push({ method, path: join(prefix, suffix), controller, handlerName, handler: handler as ApiRoute['handler'] });
        }
      }
    }
  }
  return routes;
}

/** A route path's (`/incidents/:id`) test, split once: does it match a request path's segments (pathSegments)? */
export function routeMatcher(routePath: string): (got: readonly string[]) => boolean {
  const want = segments(routePath);
  return (got) => want.length === got.length && want.every((s, i) => s.startsWith(':') ? got[i].length > 0 : s === got[i]);
}

/** A path's non-empty segments: `/incidents/42/` is ['incidents', '42']. */
export function pathSegments(path: string): string[] {
  return segments(path);
}

/** `/incidents/:id` as OpenAPI writes it: `/incidents/{id}`. */
export function openApiPath(routePath: string): string {
  return routePath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function paths(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return [typeof value === 'string' ? value : ''];
}

function join(...parts: string[]): string {
  return `/${parts.flatMap(segments).join('/')}`;
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}
