"""Which notebooks `make test-engines` runs on each further engine and room.

`make test` runs every notebook on the default engine. Each further engine or room runs the
notebooks that reach the package's engine-facing code (the modules that call the engine
themselves: the builders, listings and contents, containers, provisioning, ``analyze``), measured
by ``python benchmarks/notebook_paths.py`` on Engine 20.10 (2026-12-02, every notebook under
coverage). The lines no other notebook reaches, in those modules: 00 34 (buildx's secret path,
listings, build), 02 34 (containers, contents), 05 20 (contents), 07 5 (build), 08 512 (analyze,
containers, provision); 01, 03 and 04 two at most each, 06 none. Those five notebooks are
the set, plus 04 on the containerd store, where every build goes through ``docker buildx`` and 04
is the notebook that builds ``--target`` stages and a build that fails. The rooms run fewer:

- the offline kit: what it changes is where packages and bases come from, so the notebooks
  that install every sample app's packages (00: node, python, go; 05: the full-stack app) and
  ``analyze`` (08: on-demand bases);
- the official and mixed profiles: the base images' names, so a notebook whose builds use the
  document's images of all three languages (06), and for the mix, where only gcr.io's images are
  stood in, the Go notebook, whose final images are gcr.io's distroless (02);
- the remote engine: its containers are out of reach of this machine, so the Go notebook,
  whose builds need no package server and whose checks ask a helper container on the engine's side.
"""

EXTRA_ENGINE_NOTEBOOKS: dict[str, tuple[str, ...]] = {
    "containerd": (
        "00-overview-and-benefits.ipynb",
        "02-go-example.ipynb",
        "04-named-stages.ipynb",
        "05-copying-from-multiple-stages.ipynb",
        "07-faster-rebuilds.ipynb",
        "08-your-own-dockerfile.ipynb",
    ),
    # overlay2 takes Engine 20.10's path (BuildKit through the Engine API), which `make test` runs
    # every notebook on; 07's builds meet most of what changed in BuildKit since: heredocs, cache mounts.
    "overlay2": ("07-faster-rebuilds.ipynb",),
    "podman": (
        "00-overview-and-benefits.ipynb",
        "02-go-example.ipynb",
        "05-copying-from-multiple-stages.ipynb",
        "07-faster-rebuilds.ipynb",
        "08-your-own-dockerfile.ipynb",
    ),
    "kit": (
        "00-overview-and-benefits.ipynb",
        "05-copying-from-multiple-stages.ipynb",
        "08-your-own-dockerfile.ipynb",
    ),
    "official": ("06-best-practices.ipynb",),
    "mixed": ("02-go-example.ipynb",),
    "remote": ("02-go-example.ipynb",),
}
