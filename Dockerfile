# The agent and the worker, built from this repository (docker-compose.yml uses it for both).
FROM node:20-bookworm-slim
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip TRIBUTARY_LOG_FORMAT=json TRIBUTARY_HOME=/var/lib/tributary
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY cli ./cli
COPY core ./core
COPY agents ./agents
COPY pipeline ./pipeline
COPY models ./models
COPY workload ./workload
COPY dashboards ./dashboards
RUN mkdir -p /var/lib/tributary && chown node:node /var/lib/tributary
USER node
ENTRYPOINT ["/app/bin/tributary"]
CMD ["--help"]
