"""A small HTTP service for the Python example: Flask served by waitress, JSON by ujson (C)."""

import os

import ujson
from flask import Flask, Response

APP_NAME = "python-app"
APP_VERSION = "1.0.0"


def create_app() -> Flask:
    """Build the Flask application."""
    app = Flask(__name__)

    @app.get("/health")
    def health() -> Response:
        body = {"status": "ok", "app": APP_NAME, "version": APP_VERSION, "json": ujson.__name__}
        return Response(ujson.dumps(body), mimetype="application/json")

    return app


if __name__ == "__main__":
    from waitress import serve

    port = int(os.environ.get("PORT", "8000"))
    print(f"{APP_NAME} {APP_VERSION} listening on :{port}", flush=True)
    serve(create_app(), host="0.0.0.0", port=port)
