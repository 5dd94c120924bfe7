# Stand-in for golang:1.21 - Go 1.21 from Debian bookworm-backports on top of the build tools.
ARG BASE
FROM ${BASE}
RUN sed -n 's/^deb \([^ ]*\) bookworm main.*/deb \1 bookworm-backports main/p' /etc/apt/sources.list \
      > /etc/apt/sources.list.d/backports.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends -t bookworm-backports golang-1.21-go \
 && rm -rf /var/lib/apt/lists/*
ENV GOPATH=/go \
    PATH=/go/bin:/usr/lib/go-1.21/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    GOTOOLCHAIN=local
RUN go version && mkdir -p /go/bin /go/src
WORKDIR /go
