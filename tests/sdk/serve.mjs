// Test support for the SDK tests: a fresh store with one project, `attrib serve` really started
// on a free loopback port, and the query API read back with the project's read key.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const attrib = process.env.ATTRIB;
if (!attrib) throw new Error("set ATTRIB to the attrib binary");

export class Served {
  // Creates the store and project (with `demoVisitors` of the demo shop's traffic imported,
  // when given), starts the server and resolves once it listens.
  static async start(name = "shop", { demoVisitors = 0 } = {}) {
    const dir = mkdtempSync(join(tmpdir(), "attrib_sdk_"));
    const db = join(dir, "store.db");
    const keys = JSON.parse(
      execFileSync(attrib, ["project", "create", name, "--db", db, "--format", "json"], {
        stdio: ["ignore", "pipe", "ignore"],
      }),
    );
    if (demoVisitors > 0) {
      const demo = join(dir, "demo.jsonl");
      const quiet = { stdio: ["ignore", "ignore", "ignore"] };
      execFileSync(attrib, ["demo", "--out", demo, "--visitors", String(demoVisitors), "--seed", "1"], quiet);
      execFileSync(attrib, ["import", "--db", db, "--project", name, demo], quiet);
    }
    const child = spawn(attrib, ["serve", "--db", db, "--listen", "127.0.0.1:0"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const served = new Served(dir, keys, child);
    if (demoVisitors > 0) served.demo = join(dir, "demo.jsonl");
    served.url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("attrib serve did not start in 30 s")), 30000);
      child.on("exit", (code) => reject(new Error(`attrib serve exited with ${code}: ${served.log}`)));
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (chunk) => {
        served.log += chunk;
        const m = served.log.match(/serving .* on (http:\/\/[^/\s]+)\//);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    return served;
  }

  constructor(dir, keys, child) {
    this.dir = dir;
    this.writeKey = keys.write_key;
    this.readKey = keys.read_key;
    this.child = child;
    this.log = ""; // stderr: the start line, then one JSON line per request
  }

  // The server's request log, parsed.
  requests() {
    return this.log
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line));
  }

  // The request log up to the last request answered at `path`: stderr is ordered, so every
  // request answered before that one is in it (the log may reach us after the answer does).
  async loggedThrough(path, seconds = 5) {
    for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline; ) {
      const log = this.requests();
      if (log.some((r) => r.path === path)) return log;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no request to ${path} in the log: ${this.log}`);
  }

  // GET a query endpoint with the read key; the parsed JSON and the status.
  async query(path) {
    const res = await fetch(this.url + path, {
      headers: { Authorization: `Bearer ${this.readKey}` },
    });
    return { status: res.status, body: await res.json() };
  }

  // Polls `path` until `done(answer)` holds (credits follow ingest within about a second).
  async queryUntil(path, done, seconds = 10) {
    let answer;
    for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline; ) {
      answer = await this.query(path);
      if (done(answer)) return answer;
      await new Promise((r) => setTimeout(r, 100));
    }
    return answer;
  }

  // SIGTERM, then waits for the graceful exit (status 0: under the sanitizers, no leak or
  // error report either); the store is removed.
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (this.child.exitCode !== 0) {
      throw new Error(`attrib serve ended with ${this.child.exitCode ?? this.child.signalCode}:\n${this.log}`);
    }
  }
}
