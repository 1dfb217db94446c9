import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import test from "ava";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildConsole } from "../console/build.js";
import { identityClient, startTestServer, type TestServer } from "./support/server.js";

/**
 * The console page (console/) in a real headless Chromium: built with esbuild, served from one
 * loopback origin, calling the KMS on another, so CORS is exercised for real. Chromium is
 * Debian's (/usr/bin/chromium, installed by .ci/run); playwright-core only drives it.
 */

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const haveChromium = existsSync(CHROMIUM);

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
};

/** A static file server for dir on a loopback port; a path outside dir or unknown is 404. */
async function serveStatic(dir: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = normalize(join(dir, path === "/" ? "index.html" : decodeURIComponent(path)));
    if (!file.startsWith(dir + sep) || req.method !== "GET") {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Fixture {
  readonly kms: TestServer;
  readonly site: { origin: string; close(): Promise<void> };
  readonly browser: Browser;
  readonly viewer: { accessKeyId: string; secretAccessKey: string };
}

let fixture: Fixture | undefined;

test.before(async () => {
  if (!haveChromium) return;
  const site = await serveStatic(await buildConsole());
  const kms = await startTestServer({ env: { KMS_CORS_ORIGINS: site.origin } });
  const iam = identityClient(kms.url, kms.token);
  await iam.createUser({ userName: "viewer" });
  const { accessKey } = await iam.createAccessKey({ userName: "viewer" });
  await iam.putUserPolicy({
    userName: "viewer",
    policyName: "read-only-keys",
    policyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["kms:ListKeys", "kms:DescribeKey"], Resource: "*" }] }),
  });
  // playwright-core starts it with a fresh temporary profile (its own --user-data-dir).
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 20_000 });
  fixture = { kms, site, browser, viewer: { accessKeyId: accessKey!.accessKeyId, secretAccessKey: accessKey!.secretAccessKey } };
});

test.after.always(async () => {
  await fixture?.browser.close();
  await fixture?.site.close();
  await fixture?.kms.destroy();
});

const STEP_TIMEOUT = 10_000;

// The few browser globals that the functions run inside the page touch (this file is compiled
// without the DOM library, for Node).
declare const document: {
  readonly body: { getAttribute(name: string): string | null };
  readonly cookie: string;
  querySelector(selector: string): { readonly textContent: string | null; readonly value?: unknown } | null;
};
declare const localStorage: { readonly length: number };
declare const sessionStorage: { readonly length: number };

/** Waits until the element's text (or value, for fields) satisfies the pattern, and returns it. */
async function waitForText(page: Page, selector: string, pattern: RegExp): Promise<string> {
  const handle = await page.waitForFunction(
    ({ selector, source, flags }) => {
      const el = document.querySelector(selector);
      if (!el) return false;
      const text = typeof el.value === "string" ? el.value : (el.textContent ?? "");
      return new RegExp(source, flags).test(text) ? text : false;
    },
    { selector, source: pattern.source, flags: pattern.flags },
    { timeout: STEP_TIMEOUT },
  );
  return (await handle.jsonValue()) as string;
}

/** The error area's text after an action: "" or "<ExceptionName>: <message>". */
async function errorText(page: Page): Promise<string> {
  return (await page.textContent("#error")) ?? "";
}

/**
 * Clicks a button and waits for its action to finish: the page marks the body aria-busy from the
 * click's own event handler until the action has rendered its result or error.
 */
async function act(page: Page, button: string): Promise<void> {
  await page.click(button);
  await page.waitForFunction(() => document.body.getAttribute("aria-busy") === null, undefined, { timeout: STEP_TIMEOUT });
}

async function signIn(page: Page, endpoint: string, protocol: string, accessKeyId: string, secretAccessKey: string, who: RegExp): Promise<void> {
  await page.fill("#endpoint", endpoint);
  await page.fill("#access-key-id", accessKeyId);
  await page.fill("#secret-access-key", secretAccessKey);
  await page.fill("#region", "us-east-1");
  await page.selectOption("#protocol", protocol);
  await act(page, "#sign-in");
  const status = (await page.textContent("#session-status")) ?? "";
  if (!who.test(status)) throw new Error(`sign-in failed: status "${status}", error "${await errorText(page)}"`);
}

for (const protocol of ["connect", "grpc-web"] as const) {
  // Without Debian's chromium the test is reported as skipped, never as passed (.ci/run installs it).
  (haveChromium ? test.serial : test.serial.skip)(`console over ${protocol}: admin creates, lists, encrypts and decrypts; viewer is denied`, async (t) => {
    if (!fixture) throw new Error("the browser fixture did not start");
    const { kms, site, browser, viewer } = fixture;
    const context = await browser.newContext();
    const consoleLines: string[] = [];
    try {
      const page = await context.newPage();
      page.on("console", (message) => consoleLines.push(message.text()));
      await page.goto(`${site.origin}/index.html`);
      await page.waitForSelector("body[data-ready=true]", { timeout: STEP_TIMEOUT });
      t.not(new URL(kms.url).origin, site.origin, "the page and the KMS are on different origins");

      // Sign in as the administrator; the secret field is emptied at once.
      await signIn(page, kms.url, protocol, kms.admin.access_key_id, kms.admin.secret_access_key, /user\/admin/);
      t.is(await page.inputValue("#secret-access-key"), "");
      t.is(await errorText(page), "");

      // Create a key: its id is shown and it is offered for encryption.
      await page.fill("#key-description", `console test key (${protocol})`);
      await act(page, "#create-key");
      t.is(await errorText(page), "");
      const keyId = await waitForText(page, "#created-key-id", /^[0-9a-f-]{36}$/);

      // List keys: the new key is there.
      await act(page, "#list-keys");
      t.is(await errorText(page), "");
      t.true(await page.locator(`#key-list li[data-key-id="${keyId}"]`).isVisible());

      // Encrypt a text with an encryption context: a base64 ciphertext appears.
      const text = `hello from ${protocol}, ünïcödé ✓`;
      await page.selectOption("#encrypt-key-id", keyId);
      await page.fill("#plaintext", text);
      await page.fill("#encrypt-context", '{"app": "console"}');
      await act(page, "#encrypt");
      t.is(await errorText(page), "");
      const ciphertext = await waitForText(page, "#ciphertext", /^[A-Za-z0-9+/]{40,}={0,2}$/);

      // Decrypt it back, with the same context: the same text.
      await page.fill("#decrypt-ciphertext", ciphertext);
      await page.fill("#decrypt-context", '{"app": "console"}');
      await act(page, "#decrypt");
      t.is(await errorText(page), "");
      t.is(await page.inputValue("#decrypted-text"), text);
      t.regex((await page.textContent("#decrypted-key-id")) ?? "", new RegExp(`key/${keyId}$`));

      // A wrong context: the service's exception is rendered.
      await page.fill("#decrypt-context", '{"app": "other"}');
      await act(page, "#decrypt");
      t.regex(await errorText(page), /^InvalidCiphertextException: /);
      t.is(await page.inputValue("#decrypted-text"), "");

      // Sign out, then in as the viewer: it may list keys but not encrypt.
      await act(page, "#sign-out");
      t.regex((await page.textContent("#session-status")) ?? "", /Not signed in/);
      await signIn(page, kms.url, protocol, viewer.accessKeyId, viewer.secretAccessKey, /user\/viewer/);
      await act(page, "#list-keys");
      t.is(await errorText(page), "");
      await page.selectOption("#encrypt-key-id", keyId);
      await page.fill("#plaintext", "not for viewers");
      await act(page, "#encrypt");
      t.regex(await errorText(page), /^AccessDeniedException: \S/);
      t.is(await page.inputValue("#ciphertext"), "");

      // Nothing was persisted or logged.
      const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
      t.deepEqual(stored, { local: 0, session: 0, cookie: "" });
      const logged = consoleLines.join("\n");
      for (const secret of [kms.admin.secret_access_key, viewer.secretAccessKey, "kms1."]) t.false(logged.includes(secret), "a secret or token reached the console");
    } finally {
      await context.close();
    }
  });
}
