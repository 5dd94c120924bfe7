import { APP_NAME, APP_VERSION, createApp } from "./app";

const port = Number(process.env.PORT ?? 3000);
const server = createApp().listen(port, () => {
  console.log(`${APP_NAME} ${APP_VERSION} listening on :${port}`);
});

// Stop promptly on `docker stop` (node as PID 1 ignores SIGTERM unless handled).
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
