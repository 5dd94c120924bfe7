# The workshop kit's npm registry: verdaccio, an npm registry cache, on the Node stand-in.
# `kit pack` runs it with an uplink to registry.npmjs.org and installs every package the
# sample builds need through it; in the room it serves that storage with no uplink at all.
ARG BASE
FROM ${BASE}
# verdaccio 6.5 is the last release that runs on Node 18 (6.6 and later need Node 20 or 22).
# Its package.json overrides a dependency the registry no longer resolves, which needs npm 10
# (Debian's npm 9 refuses the override), installed beside it only for this step.
COPY verdaccio-package.json /opt/verdaccio/package.json
RUN cd /opt/verdaccio \
 && npx --yes npm@10.9.2 install --omit=dev --no-audit --no-fund \
 && rm -rf /root/.npm \
 && ln -s /opt/verdaccio/node_modules/.bin/verdaccio /usr/local/bin/verdaccio \
 && verdaccio --version
COPY verdaccio-pack.yaml verdaccio-room.yaml /etc/verdaccio/
# The system trust store, so a corporate proxy's CA (installed in the stand-ins) is trusted too.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
EXPOSE 4873
ENTRYPOINT ["verdaccio", "--listen", "0.0.0.0:4873"]
CMD ["--config", "/etc/verdaccio/verdaccio-room.yaml"]
