// The default model version: what `npm start`, the tests and local `wrangler dev` serve.
// A pointer, not a copy; `npm run models -- default <version>` rewrites it.
export { default, model } from "./a778a0a4d58a/entry.js";
