# Stand-in for alpine:latest - a minimal musl image with a shell: Debian's static busybox (its
# applets linked, but not Debian's dpkg and rpm ones, which Alpine's busybox does not have),
# Debian's musl (the C library and its loader, /lib/ld-musl-*.so.1, as Alpine has; no glibc),
# the CA bundle, and an `apk` that accepts only packages already present (ca-certificates), so
# the document's `RUN apk --no-cache add ca-certificates` works offline.
ARG BASE
FROM ${BASE} AS assemble
COPY apk /rootfs/sbin/apk
RUN apt-get update \
 && cd /tmp && apt-get download busybox-static musl \
 && dpkg-deb -x busybox-static_*.deb /rootfs && dpkg-deb -x musl_*.deb /rootfs \
 && rm -rf /var/lib/apt/lists/* /rootfs/usr/share \
 && for applet in $(/rootfs/bin/busybox --list-full | grep -Ev '/(dpkg|dpkg-deb|rpm|rpm2cpio)$'); do \
      mkdir -p "/rootfs/$(dirname "$applet")"; \
      [ -e "/rootfs/$applet" ] || ln -s /bin/busybox "/rootfs/$applet"; \
    done \
 && mkdir -p /rootfs/etc/ssl/certs /rootfs/root /rootfs/tmp /rootfs/var/tmp \
 && chmod 1777 /rootfs/tmp /rootfs/var/tmp && chmod 755 /rootfs/sbin/apk \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && ln -s certs/ca-certificates.crt /rootfs/etc/ssl/cert.pem \
 && printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' > /rootfs/etc/passwd \
 && printf 'root:x:0:\nnobody:x:65534:\n' > /rootfs/etc/group

FROM scratch
COPY --from=assemble /rootfs/ /
CMD ["/bin/sh"]
