import request from "supertest";
import { APP_NAME, APP_VERSION, createApp } from "../src/app";

describe("GET /health", () => {
  it("answers 200 with the app's name and version", async () => {
    const response = await request(createApp()).get("/health");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ok", app: APP_NAME, version: APP_VERSION });
  });
});
