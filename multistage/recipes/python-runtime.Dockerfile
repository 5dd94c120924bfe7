# Stand-in for python:3.11-slim - slim Debian plus Python 3.11 and pip, no compiler or headers.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip python-is-python3 \
 && rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED \
 && rm -rf /var/lib/apt/lists/* \
 && python --version
ENV PIP_NO_CACHE_DIR=1
CMD ["python3"]
