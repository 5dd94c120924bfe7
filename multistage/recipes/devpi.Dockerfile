# The workshop kit's PyPI server: devpi-server, a PyPI cache, on the Python stand-in.
# `kit pack` runs it against pypi.org and installs every package the sample builds need through
# it (build dependencies of source packages included); in the room `kit serve` adds --offline-mode
# and it serves only what it cached.
ARG BASE
FROM ${BASE}
RUN pip install devpi-server==6.20.3 && devpi-server --version
# The system trust store, so a corporate proxy's CA (installed in the stand-ins) is trusted too.
ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
EXPOSE 3141
# A new server directory is initialised first (devpi-init: the root/pypi mirror of pypi.org).
ENTRYPOINT ["sh", "-c", "[ -e /devpi/.nodeinfo ] || devpi-init --serverdir /devpi; exec devpi-server --serverdir /devpi --host 0.0.0.0 --port 3141 \"$@\"", "devpi-server"]
