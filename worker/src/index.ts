import { Hono } from "hono";

const app = new Hono();
app.get("/health", (c) => c.json({ status: "starting" }));

export default app;
