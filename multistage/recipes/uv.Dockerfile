# Stand-in for ghcr.io/astral-sh/uv (FINAL=alone: /uv and /uvx on scratch) and for its
# python*-slim images (FINAL=with-python: the Python runtime stand-in with uv and uvx in
# /usr/local/bin). The binaries come from uv's wheel on PyPI, at UV_VERSION.
ARG BASE
ARG FINAL=alone

FROM ${BASE} AS fetch
ARG UV_VERSION
RUN pip download --no-deps --only-binary=:all: --dest /tmp/uv "uv==${UV_VERSION}" \
 && cd /tmp/uv && python3 -m zipfile -e uv-*.whl wheel \
 && mkdir /out && install -m 755 wheel/uv-*.data/scripts/uv wheel/uv-*.data/scripts/uvx /out/ \
 && /out/uv --version

FROM ${BASE} AS with-python
COPY --from=fetch /out/ /usr/local/bin/

FROM scratch AS alone
COPY --from=fetch /out/ /
ENTRYPOINT ["/uv"]

FROM ${FINAL}
