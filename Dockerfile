# syntax=docker/dockerfile:1
# One image for the API, the worker and the one-shot migration job (see docker-compose.yml).
# The default command runs the API; the worker overrides it with `node dist/apps/worker/main.js`.

# --- build: full dependencies, TypeScript -> dist/, then drop the dev dependencies ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
# @scarf/scarf (a transitive dependency) phones home from its install script otherwise.
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
# npm install (not ci) installs what the lock pins; see scripts/ensure-deps.mjs for why.
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund
# Only what tsconfig.build.json compiles: the build context is never sent in full.
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY workflows ./workflows
COPY activities ./activities
COPY lib ./lib
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: production dependencies and compiled output only, as the non-root `node` user ---
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
# glibc's malloc in two arenas, not one per thread that mallocs, with fixed mmap and trim
# thresholds: otherwise the worker's Temporal core threads keep freed memory in arenas of their
# own, and large blocks freed in a burst stay in the heaps (apps/cli/start/worker-env.ts).
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072
WORKDIR /app
# Files stay owned by root, so the `node` user can read but not modify the application.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
# The worker bundles workflows at start from dist/workflows (require.resolve('../../workflows')).
COPY --from=build /app/dist ./dist
# The responders' web page is static files beside its controller: tsc does not copy them.
COPY --from=build /app/apps/api/web/public ./dist/apps/api/web/public
# What operators edit (routing, approvals, people, providers, fleet): mount your own over /app/runbooks.
COPY runbooks ./runbooks
USER node
EXPOSE 3000
# No HEALTHCHECK here: the worker runs this image too and serves no HTTP. The API's
# healthcheck (GET /readyz) lives in docker-compose.yml.
CMD ["node", "dist/apps/api/main.js"]
