# transcript-subgraph: docker build -t transcript-subgraph .
#
# Node 26 is the Active LTS line (since October 2026; security fixes until April 2029) and CI runs the whole test
# suite on it (.ci/run), as on 24 and 20; slim
# (Debian, glibc) rather than alpine (musl) because that is the libc those tests ran on. Pinned to major.minor so
# a rebuild picks up patch releases but never a new minor unseen; bump both stages with the version in .ci/run.

# Build: every dependency, TypeScript compiled to dist/.
FROM node:26.12-slim AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
# Manifests first, so the install layer is reused until dependencies change. No dependency needs its install
# script to compile or run the server (esbuild's is for tsx, which the build does not use).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime: production dependencies, the compiled server, the SDL it reads at start, and the sample archive.
FROM node:26.12-slim AS runtime
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# src/schema.ts reads ../schema/*.graphql relative to dist/, at start.
COPY schema ./schema
# The default archive (DATA_DIR defaults to ./data); mount your own and set DATA_DIR to serve it.
COPY data ./data
# Files stay root-owned: the server only reads. The official image's `node` user, by number so that Kubernetes'
# runAsNonRoot can check it.
USER 1000:1000
EXPOSE 4001
# No curl in slim images: Node's fetch. /health is 503 while the archive loads, then 200.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4001) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form, node itself as PID 1: SIGTERM reaches the server, which drains in-flight requests and exits 0.
# CMD rather than ENTRYPOINT, so the same image can check a folder: docker run ... node dist/cli/validate.js /data
CMD ["node", "dist/server/main.js"]
