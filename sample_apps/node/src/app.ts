import express from "express";

export const APP_NAME = "node-app";
export const APP_VERSION = "1.0.0";

export function createApp(): express.Express {
  const app = express();
  app.get("/health", (_req, res) => {
    res.json({ status: "ok", app: APP_NAME, version: APP_VERSION });
  });
  app.get("/", (_req, res) => {
    res.type("text/plain").send(`${APP_NAME} ${APP_VERSION}: try /health\n`);
  });
  return app;
}
