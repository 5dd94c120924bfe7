# Stand-in for python:3.11-slim - slim Debian plus Python 3.11 and pip, no compiler or headers.
# OFFICIAL_LAYOUT=1 (the current version's stand-in): `python`, `python3`, `pythonX.Y` and `pip`
# in /usr/local/bin as the official images have them, venv and the C headers included (as
# upstream, for packages built from source) and adduser (which Debian 13's minimal root lacks),
# no /usr/bin/python; pip installs beside Debian's own Python packages instead of trying to
# uninstall them (they have no RECORD file).
ARG BASE
FROM ${BASE}
ARG OFFICIAL_LAYOUT=""
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip \
      $(if [ -n "${OFFICIAL_LAYOUT}" ]; then echo python3-venv python3-dev adduser; else echo python-is-python3; fi) \
 && rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED \
 && rm -rf /var/lib/apt/lists/* \
 && if [ -n "${OFFICIAL_LAYOUT}" ]; then \
      version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])') \
      && for name in python python3 "python${version}"; do ln -s /usr/bin/python3 "/usr/local/bin/${name}"; done \
      && ln -s /usr/bin/pip3 /usr/local/bin/pip && ln -s /usr/bin/pip3 /usr/local/bin/pip3 \
      && printf '[install]\nignore-installed = true\n' > /etc/pip.conf; \
    fi \
 && python --version
# Tools with a CA list of their own (uv) read the system bundle, the extra CA certificates included.
ENV PIP_NO_CACHE_DIR=1 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
