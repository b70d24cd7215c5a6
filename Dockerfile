# syntax=docker/dockerfile:1
# whatsapp-number-lifecycle: one image, two commands. The worker is the default command; the HTTP API is
#   docker run IMAGE node dist/api/main.js
# Configuration comes from the environment (WA_*, TEMPORAL_*; see README "Production"), secrets too.
# test/production/runtime-layout.test.ts builds the runtime stage's layout from this file and runs it.

# Build: every dependency, TypeScript compiled to dist/ and the prebuilt workflow bundle.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime: the build, the package files and production dependencies only (no TypeScript, no tsx).
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
# Two malloc arenas, not 8 per core: the worker's RSS stays lower (worker/process-env.ts says why).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json package-lock.json temporal.yaml ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
# The SDK's native core ships for five platforms and with its Rust sources: keep this platform's library only.
RUN cd node_modules/@temporalio/core-bridge && rm -rf sdk-core && find releases -mindepth 1 -maxdepth 1 ! -name "$(uname -m)-unknown-linux-gnu" -exec rm -rf {} +
COPY bin ./bin
COPY --from=build /app/dist ./dist
# The base image's unprivileged user; the worker needs no write access to /app.
USER node
CMD ["node", "dist/worker/main.js"]
