# syntax=docker/dockerfile:1
# MSS Ledger: build with the full toolchain, run on a slim image as the `node` user.

FROM node:26-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# better-sqlite3 compiles (or fetches) its native addon here, against the same glibc as the runtime image.
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY events ./events
COPY projections ./projections
COPY seeds ./seeds
COPY src ./src
COPY scripts ./scripts
COPY web ./web
RUN npm run build && npm prune --omit=dev

FROM node:26-bookworm-slim AS runtime
# GLIBC_TUNABLES as npm start sets it (README, Operations: memory).
ENV NODE_ENV=production \
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576 \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/seeds ./seeds
COPY --from=build --chown=node:node /app/web ./web
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:3000/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "--expose-gc", "--max-semi-space-size=16", "dist/bundle/main.js"]
