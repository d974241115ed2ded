# Tributary's image: one image for every role (`tributary gateway`, `tributary
# sink`, `tributary serve`). Built from the committed lock file; the contract's
# code is generated during the build, never copied in from a work tree.
# Unverified here: the machines this was written on have no Docker engine
# (docs/operations.md says so too).

FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends make && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund && touch node_modules/.deps-installed
COPY Makefile buf.yaml buf.gen.yaml tsconfig.json tsconfig.build.json ./
COPY proto proto
COPY src src
COPY sdk sdk
COPY bench bench
RUN make build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    TRIBUTARY_GRPC_ADDR=0.0.0.0:50051 \
    TRIBUTARY_HTTP_ADDR=0.0.0.0:8080 \
    TRIBUTARY_DATA_DIR=/var/lib/tributary
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
RUN mkdir -p /var/lib/tributary && chown node:node /var/lib/tributary
USER node
EXPOSE 50051 8080
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["--help"]
