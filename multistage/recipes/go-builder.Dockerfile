# Stand-in for golang:<GO_VERSION> - Debian's Go on top of the build tools, from the backports
# of its Debian release (APT_SUITE: bookworm-backports for 1.21, trixie-backports for 1.26;
# empty: the release itself).
ARG BASE
FROM ${BASE}
ARG GO_VERSION=1.21
ARG APT_SUITE=bookworm-backports
RUN if [ -n "${APT_SUITE}" ]; then \
      sed -n "s/^deb \([^ ]*\) [a-z]* main.*/deb \1 ${APT_SUITE} main/p" /etc/apt/sources.list \
        > /etc/apt/sources.list.d/extra-suite.list; \
    fi \
 && apt-get update \
 && apt-get install -y --no-install-recommends ${APT_SUITE:+-t ${APT_SUITE}} golang-${GO_VERSION}-go \
 && rm -rf /var/lib/apt/lists/*
ENV GOPATH=/go \
    PATH=/go/bin:/usr/lib/go-${GO_VERSION}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    GOTOOLCHAIN=local
RUN go version && mkdir -p /go/bin /go/src
WORKDIR /go
