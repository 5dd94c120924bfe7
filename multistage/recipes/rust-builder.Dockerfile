# Stand-in for rust:1 - Debian 13's rustc and cargo on the build tools, in /usr where the official
# image has rustup's toolchain in /usr/local/cargo; CARGO_HOME is /usr/local/cargo as upstream, so
# `cargo install` puts binaries where a Dockerfile written for the official image looks for them.
# No rustup: one toolchain, no targets to add.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends cargo rustc \
 && rm -rf /var/lib/apt/lists/* \
 && rustc --version && cargo --version
ENV CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:$PATH
