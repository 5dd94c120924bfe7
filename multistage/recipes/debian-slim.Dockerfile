# Root of the local profile: a slim Debian bookworm tree made with debootstrap on the host
# (documentation and locales removed, as in the official slim images), imported as a layer.
FROM scratch
ADD rootfs.tar /
CMD ["bash"]
