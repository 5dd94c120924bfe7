#!/bin/sh
# The "builder pattern", file 3 of 3: build, copy the artefact out through a container, build
# again. (The tutorial runs the same steps through the Docker SDK: multistage.experiments.overview.builder_pattern.)
# Run from sample_apps/go.
set -e
docker build -t go-app:build -f builder-pattern/Dockerfile.build .
docker create --name go-app-extract go-app:build
docker cp go-app-extract:/app/main builder-pattern/main
docker rm go-app-extract
docker build -t go-app:latest -f builder-pattern/Dockerfile.run builder-pattern
rm builder-pattern/main
