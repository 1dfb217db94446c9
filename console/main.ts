/**
 * The KMS console: a page that signs in with an access key and then creates, lists and uses
 * keys through client/browser.ts.
 *
 * Secrets: the secret access key is read from its field once, sent to Login, and the field is
 * cleared; the session token Login returns lives only in the `session` variable of this module
 * (never in storage, cookies, the URL, the DOM or the console), and is revoked on sign-out.
 */
import { base64Decode, base64Encode } from "@bufbuild/protobuf/wire";
import { createKmsClient, KmsServiceError, type KmsClient } from "../client/browser.js";

type Protocol = "connect" | "grpc-web";

interface Session {
  readonly client: KmsClient;
  readonly principalArn: string;
}

/** The signed-in session, in memory only. */
let session: Session | undefined;

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return found;
}

const ui = {
  status: element("session-status", HTMLElement),
  signInForm: element("sign-in-form", HTMLFormElement),
  signInFields: element("sign-in-fields", HTMLFieldSetElement),
  endpoint: element("endpoint", HTMLInputElement),
  accessKeyId: element("access-key-id", HTMLInputElement),
  secretAccessKey: element("secret-access-key", HTMLInputElement),
  region: element("region", HTMLInputElement),
  protocol: element("protocol", HTMLSelectElement),
  workspace: element("workspace", HTMLElement),
  signOut: element("sign-out", HTMLButtonElement),
  keyDescription: element("key-description", HTMLInputElement),
  createKey: element("create-key", HTMLButtonElement),
  createdKeyId: element("created-key-id", HTMLOutputElement),
  listKeys: element("list-keys", HTMLButtonElement),
  keyList: element("key-list", HTMLUListElement),
  encryptKeyId: element("encrypt-key-id", HTMLSelectElement),
  plaintext: element("plaintext", HTMLTextAreaElement),
  encryptContext: element("encrypt-context", HTMLTextAreaElement),
  encrypt: element("encrypt", HTMLButtonElement),
  ciphertext: element("ciphertext", HTMLTextAreaElement),
  decryptCiphertext: element("decrypt-ciphertext", HTMLTextAreaElement),
  decryptContext: element("decrypt-context", HTMLTextAreaElement),
  decrypt: element("decrypt", HTMLButtonElement),
  decryptedText: element("decrypted-text", HTMLTextAreaElement),
  decryptedKeyId: element("decrypted-key-id", HTMLOutputElement),
  error: element("error", HTMLElement),
};

/** A failure of the page itself (bad input), shown like a service error. */
class ConsoleInputError extends Error {
  constructor(
    readonly exception: string,
    message: string,
  ) {
    super(message);
  }
}

/** "<ExceptionName>: <message>" for anything an action threw. */
function describeError(error: unknown): string {
  if (error instanceof ConsoleInputError) return `${error.exception}: ${error.message}`;
  const e = KmsServiceError.from(error);
  return `${e.exception}: ${e.rawMessage}`;
}

/**
 * Runs one user action: clears the error area, disables the button while it runs, and renders
 * whatever it throws. Errors go to the page only, never to the console.
 */
async function run(button: HTMLButtonElement, action: () => Promise<void>): Promise<void> {
  ui.error.textContent = "";
  button.disabled = true;
  document.body.setAttribute("aria-busy", "true");
  try {
    await action();
  } catch (error) {
    ui.error.textContent = describeError(error);
  } finally {
    button.disabled = false;
    document.body.removeAttribute("aria-busy");
  }
}

function signedIn(): Session {
  if (!session) throw new ConsoleInputError("NotSignedIn", "sign in first");
  return session;
}

/** An optional encryption context: empty, or a JSON object whose values are strings. */
function parseContext(text: string): Record<string, string> {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConsoleInputError("InvalidEncryptionContext", "the encryption context is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConsoleInputError("InvalidEncryptionContext", 'the encryption context must be a JSON object, like {"app": "demo"}');
  }
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== "string") throw new ConsoleInputError("InvalidEncryptionContext", `the value of "${key}" must be a string`);
    context[key] = value;
  }
  return context;
}

function parseBase64(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, "");
  if (compact === "" || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    throw new ConsoleInputError("InvalidCiphertext", "paste the base64 ciphertext that Encrypt showed");
  }
  return base64Decode(compact);
}

function showSignedIn(current: Session | undefined, regionLabel = ""): void {
  ui.workspace.hidden = current === undefined;
  ui.signInFields.disabled = current !== undefined;
  ui.status.textContent = current ? `Signed in as ${current.principalArn}${regionLabel}.` : "Not signed in.";
}

function clearWorkspace(): void {
  ui.createdKeyId.value = "";
  ui.keyList.replaceChildren();
  ui.encryptKeyId.replaceChildren();
  for (const field of [ui.plaintext, ui.ciphertext, ui.decryptCiphertext, ui.decryptedText]) field.value = "";
  ui.decryptedKeyId.value = "";
}

/** Adds a key to the encrypt selector unless it is there; selects it when asked. */
function offerKey(keyId: string, select = false): void {
  let option = Array.from(ui.encryptKeyId.options).find((o) => o.value === keyId);
  if (!option) {
    option = new Option(keyId, keyId);
    ui.encryptKeyId.add(option);
  }
  if (select) ui.encryptKeyId.value = keyId;
}

ui.signInForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const submit = element("sign-in", HTMLButtonElement);
  void run(submit, async () => {
    const baseUrl = ui.endpoint.value.trim().replace(/\/+$/, "");
    const accessKeyId = ui.accessKeyId.value.trim();
    const secretAccessKey = ui.secretAccessKey.value;
    // The secret is used for this one Login and is not kept, even if Login fails.
    ui.secretAccessKey.value = "";
    const region = ui.region.value.trim();
    const protocol: Protocol = ui.protocol.value === "grpc-web" ? "grpc-web" : "connect";
    if (!/^https?:\/\//.test(baseUrl)) throw new ConsoleInputError("InvalidEndpoint", "the endpoint must be an http:// or https:// URL");

    const common = { baseUrl, protocol, ...(region !== "" ? { region } : {}) };
    const anonymous = createKmsClient(common);
    const { credentials, principalArn } = await anonymous.identity.login({ accessKeyId, secretAccessKey });
    if (!credentials?.sessionToken) throw new ConsoleInputError("LoginFailed", "the service returned no session");
    // The client holds the token in its closure; nothing else does.
    session = { client: createKmsClient({ ...common, credentials: { sessionToken: credentials.sessionToken } }), principalArn };
    clearWorkspace();
    showSignedIn(session, region !== "" ? ` in ${region}` : "");
  });
});

ui.signOut.addEventListener("click", () => {
  void run(ui.signOut, async () => {
    const ending = session;
    session = undefined;
    clearWorkspace();
    showSignedIn(undefined);
    // Revoke the token on the server too; the page has already forgotten it either way.
    if (ending) await ending.client.identity.logout({});
  });
});

ui.createKey.addEventListener("click", () => {
  void run(ui.createKey, async () => {
    const { keyMetadata } = await signedIn().client.kms.createKey({ description: ui.keyDescription.value });
    const keyId = keyMetadata?.keyId ?? "";
    ui.createdKeyId.value = keyId;
    if (keyId !== "") offerKey(keyId, true);
  });
});

ui.listKeys.addEventListener("click", () => {
  void run(ui.listKeys, async () => {
    const { client } = signedIn();
    const items: HTMLLIElement[] = [];
    let marker = "";
    for (let page = 0; page < 100; page++) {
      const answer = await client.kms.listKeys({ limit: 1000, marker });
      for (const key of answer.keys) {
        const item = document.createElement("li");
        item.dataset["keyId"] = key.keyId;
        item.textContent = key.keyArn || key.keyId;
        items.push(item);
        offerKey(key.keyId);
      }
      if (!answer.truncated || answer.nextMarker === "") break;
      marker = answer.nextMarker;
    }
    ui.keyList.replaceChildren(...items);
  });
});

ui.encrypt.addEventListener("click", () => {
  void run(ui.encrypt, async () => {
    const { client } = signedIn();
    const keyId = ui.encryptKeyId.value;
    if (keyId === "") throw new ConsoleInputError("NoKeyChosen", "create or list keys, then choose one");
    const encryptionContext = parseContext(ui.encryptContext.value);
    ui.ciphertext.value = "";
    const { ciphertextBlob } = await client.kms.encrypt({ keyId, plaintext: new TextEncoder().encode(ui.plaintext.value), encryptionContext });
    ui.ciphertext.value = base64Encode(ciphertextBlob);
  });
});

ui.decrypt.addEventListener("click", () => {
  void run(ui.decrypt, async () => {
    const { client } = signedIn();
    const ciphertextBlob = parseBase64(ui.decryptCiphertext.value);
    const encryptionContext = parseContext(ui.decryptContext.value);
    ui.decryptedText.value = "";
    ui.decryptedKeyId.value = "";
    const { plaintext, keyId } = await client.kms.decrypt({ ciphertextBlob, encryptionContext });
    ui.decryptedText.value = new TextDecoder().decode(plaintext);
    ui.decryptedKeyId.value = keyId;
  });
});

// Forget the session when the page goes away (it was never stored anywhere to begin with).
window.addEventListener("pagehide", () => {
  session = undefined;
});

ui.signInFields.disabled = false;
document.body.dataset["ready"] = "true";
