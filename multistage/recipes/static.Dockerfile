# Stand-in for gcr.io/distroless/static-debian12 - no shell, no package manager: the files of
# Debian's base-files, netbase and tzdata packages (each with its control file in
# /var/lib/dpkg/status.d, as distroless records them), the CA bundle, and a passwd with a
# non-root user `nonroot` (65532), assembled from .deb contents. With PACKAGES adding libc6,
# libgcc-s1, libstdc++6 and libssl3 it stands in for gcr.io/distroless/cc-debian12 (and base).
ARG BASE
FROM ${BASE} AS assemble
ARG PACKAGES="base-files netbase tzdata"
RUN apt-get update \
 && cd /tmp && apt-get download ${PACKAGES} \
 && mkdir -p /rootfs/var/lib/dpkg/status.d \
 && for deb in /tmp/*.deb; do dpkg-deb -x "$deb" /rootfs \
      && dpkg-deb -f "$deb" > "/rootfs/var/lib/dpkg/status.d/$(dpkg-deb -f "$deb" Package)"; done \
 && rm -rf /var/lib/apt/lists/* /tmp/*.deb /rootfs/usr/share/doc /rootfs/usr/share/man \
      /rootfs/usr/share/lintian /rootfs/usr/share/base-files /rootfs/etc/profile* /rootfs/etc/dot.* \
      /rootfs/usr/sbin /rootfs/usr/bin /rootfs/bin /rootfs/sbin \
 && mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/root /rootfs/home/nonroot \
 && chmod 1777 /rootfs/tmp && chown 65532:65532 /rootfs/home/nonroot \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && ln -sf /usr/share/zoneinfo/Etc/UTC /rootfs/etc/localtime \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /rootfs/etc/passwd \
 && printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > /rootfs/etc/group

FROM scratch
COPY --from=assemble /rootfs/ /
