# Stand-in for gcr.io/distroless/python3-* and nodejs*-*: no shell, no package manager; the files
# of a language runtime's Debian packages and everything they depend on (RUNTIME), beside
# base-files, netbase and tzdata (each package's control file in /var/lib/dpkg/status.d, as
# distroless records them), the CA bundle and the users root, nobody and nonroot (65532). Only
# the programs named in KEEP stay in /usr/bin. ENTRYPOINT is the runtime, as in distroless:
# /entrypoint links to ENTRY, and LINKS adds paths the official image has (/nodejs/bin/node).
ARG BASE
FROM ${BASE} AS assemble
ARG RUNTIME
ARG KEEP
ARG ENTRY
ARG LINKS=""
RUN apt-get update \
 && cd /tmp \
 && apt-get download base-files netbase tzdata $(apt-cache depends --recurse --no-recommends \
      --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances ${RUNTIME} \
      | grep '^[a-z0-9]' | sort -u) \
 && mkdir -p /rootfs/var/lib/dpkg/status.d \
 && for deb in /tmp/*.deb; do dpkg-deb -x "$deb" /rootfs \
      && dpkg-deb -f "$deb" > "/rootfs/var/lib/dpkg/status.d/$(dpkg-deb -f "$deb" Package)"; done \
 && mkdir /keep && for program in ${KEEP}; do cp -a "/rootfs/usr/bin/${program}" /keep/; done \
 && rm -rf /var/lib/apt/lists/* /tmp/*.deb /rootfs/usr/share/doc /rootfs/usr/share/man \
      /rootfs/usr/share/lintian /rootfs/etc/profile* /rootfs/usr/sbin /rootfs/usr/bin /rootfs/bin \
      /rootfs/sbin /rootfs/usr/libexec /rootfs/usr/share/debconf /rootfs/usr/share/perl5 \
 && mkdir -p /rootfs/usr/bin && cp -a /keep/. /rootfs/usr/bin/ \
 && ln -s "${ENTRY}" /rootfs/entrypoint \
 && for link in ${LINKS}; do mkdir -p "/rootfs$(dirname "${link%%=*}")" \
      && ln -s "${link#*=}" "/rootfs${link%%=*}"; done \
 && mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/root /rootfs/home/nonroot \
 && chmod 1777 /rootfs/tmp && chown 65532:65532 /rootfs/home/nonroot \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && ln -sf /usr/share/zoneinfo/Etc/UTC /rootfs/etc/localtime \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /rootfs/etc/passwd \
 && printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > /rootfs/etc/group \
 && chroot /rootfs /entrypoint --version

FROM scratch
COPY --from=assemble /rootfs/ /
ENTRYPOINT ["/entrypoint"]
