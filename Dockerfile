# Tessera 制证平台 — container image. The same commands as test/integration/production-build.test.ts:
# npm ci, npm run build, npm prune --omit=dev, then plain node on dist/ (no tsx, no dev dependency).
#   docker build -t tessera .
#   docker run -d --name tessera -p 127.0.0.1:3000:3000 -v tessera-data:/var/lib/tessera \
#     --env-file /etc/tessera/tessera.env -e HOST=0.0.0.0 tessera
# HOST=0.0.0.0 inside the container is needed for the published port; keep the port published on
# 127.0.0.1 only, behind the TLS proxy (deploy/nginx-tessera.conf).

# ---- build: dev dependencies, designer bundle, server compiled to dist/ -------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Node, Debian's Chromium and CJK fonts, production dependencies only ---------------
FROM node:20-bookworm-slim
# Chromium prints the cards (card fonts come from @fontsource in node_modules); fonts-noto-cjk is for
# the inspection report and any page text outside the cards; tini reaps Chromium's processes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-noto-cjk tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system tessera && useradd --system --gid tessera --home-dir /var/lib/tessera tessera \
 && mkdir -p /var/lib/tessera && chown tessera:tessera /var/lib/tessera
WORKDIR /opt/tessera
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/plugins ./plugins
COPY --from=build /app/designer/dist ./designer/dist
COPY --from=build /app/deploy ./deploy
# The manual served at 帮助 and as PDF is read from the Markdown at run time.
COPY --from=build /app/docs/manual ./docs/manual
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    TESSERA_DATA_DIR=/var/lib/tessera \
    CHROME_PATH=/usr/bin/chromium
USER tessera
VOLUME ["/var/lib/tessera"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/opt/tessera/bin/tessera.js"]
CMD ["serve"]
