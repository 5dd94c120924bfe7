# Stand-in for nginx:alpine - Debian's nginx on slim Debian, laid out like the official image:
# site in /usr/share/nginx/html, config in /etc/nginx/conf.d/default.conf, logs to stdout/stderr.
ARG BASE
FROM ${BASE}
COPY nginx-default.conf /etc/nginx/conf.d/default.conf
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* /var/www/html \
 && mkdir -p /usr/share/nginx/html \
 && echo '<!doctype html><title>nginx (multistage local stand-in)</title><p>It works.' \
      > /usr/share/nginx/html/index.html \
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log \
 && nginx -t
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
