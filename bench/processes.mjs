/** run.mjs's side of bench/child.mjs: start a server process, wait for its port, call it, stop it. */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./child.mjs", import.meta.url));

/**
 * NODE_ENV of every server process. "production" by default, as deployed: graphql-js, for one, runs a slower
 * `instanceOf` with cross-realm checks in any other mode (about 6 % of crosswire's CPU in scenario 1).
 */
let nodeEnv = "production";
export function setNodeEnv(value) {
  nodeEnv = value;
}

/**
 * @param {string} role `prepare`, `crosswire` or `floor`
 * @param {object} options passed to the child as JSON
 * @param {{ execArgv?: string[], childFile?: string }} [spawnOptions] e.g. `--cpu-prof` flags; `childFile`: another
 *   build's bench/child.mjs (bench/compare-builds.mjs), which serves that build's dist/
 */
export function startChild(role, options, { execArgv = [], childFile = CHILD } = {}) {
  const env = { ...process.env, NODE_ENV: nodeEnv };
  const child = fork(childFile, [role, JSON.stringify(options)], { execArgv, env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const pending = new Map();
  let nextId = 1;
  let exited = null;
  const exit = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      for (const { reject } of pending.values()) reject(new Error(`bench child ${role} exited (${code ?? signal})`));
      pending.clear();
      resolve(exited);
    });
  });
  child.on("message", (message) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`bench child ${role}: ${message.error}`));
    else waiter.resolve(message.result);
  });
  const ready = new Promise((resolve, reject) => {
    child.once("message", (message) => (message.ready ? resolve(message) : reject(new Error(`unexpected first message ${JSON.stringify(message)}`))));
    exit.then((e) => reject(new Error(`bench child ${role} exited before it was ready (${e.code ?? e.signal})`)));
  });
  const handle = {
    pid: child.pid,
    port: 0,
    startup: null,
    exit,
    call(op, args) {
      if (exited) return Promise.reject(new Error(`bench child ${role} has exited`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, op, args });
      });
    },
    /** Asks the child to stop cleanly (a profile is only written on a clean exit); kills it after 15 s. */
    async stop() {
      if (exited) return exited;
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await handle.call("stop").catch(() => {});
      const result = await exit;
      clearTimeout(timer);
      return result;
    },
  };
  return ready.then((message) => {
    handle.port = message.port ?? 0;
    handle.startup = message;
    return handle;
  });
}
