# Stand-in for buildpack-deps:trixie, the base of the official node, python and golang images:
# the build tools and the -dev libraries that image carries, from Debian 13's packages, so a
# package built from source finds its headers (`pg_config`, `curl-config`, libxml2, libffi...).
# ImageMagick's development files are left out (the largest, and rarely built against).
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      autoconf automake bzip2 build-essential ca-certificates curl default-libmysqlclient-dev \
      dpkg-dev file g++ gcc git gnupg libbz2-dev libc6-dev libcurl4-openssl-dev libdb-dev \
      libevent-dev libffi-dev libgdbm-dev libglib2.0-dev libgmp-dev libjpeg-dev libkrb5-dev \
      liblzma-dev libmaxminddb-dev libncurses-dev libpng-dev libpq-dev libreadline-dev \
      libsqlite3-dev libssl-dev libtool libwebp-dev libxml2-dev libxslt1-dev libyaml-dev make \
      patch pkg-config procps unzip wget xz-utils zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
