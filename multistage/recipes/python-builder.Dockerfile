# Stand-in for python:3.11 - Debian's Python 3.11 with headers, pip and venv on top of the build
# tools. The externally-managed marker is removed so pip behaves like the official image's
# (`pip install --user` and system installs work).
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 python3-dev python3-pip python3-venv python-is-python3 \
 && rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED \
 && rm -rf /var/lib/apt/lists/* \
 && python --version && pip --version
ENV PIP_NO_CACHE_DIR=1
CMD ["python3"]
