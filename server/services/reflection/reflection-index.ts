import { toBinary, type DescEnum, type DescExtension, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/**
 * What server reflection answers from: the files of the served services and every file they
 * import (google/protobuf/*.proto included), by file name, by the fully-qualified names they
 * declare, and by extension. Built once from protobuf-es descriptors, which carry each file's
 * FileDescriptorProto (`file.proto`) and its imports (`file.dependencies`).
 */
export class ReflectionIndex {
  /** The served services' names, in the order they were given. */
  readonly serviceNames: readonly string[];
  readonly #files = new Map<string, DescFile>();
  readonly #symbols = new Map<string, DescFile>();
  /** Extendee type name to extension number to the file that declares the extension. */
  readonly #extensions = new Map<string, Map<number, DescFile>>();
  readonly #messages = new Set<string>();
  readonly #encoded = new Map<string, Uint8Array>();

  /** `files` are more roots besides the services' files, e.g. a file of error details. */
  constructor(services: readonly DescService[], files: readonly DescFile[] = []) {
    this.serviceNames = services.map((s) => s.typeName);
    for (const file of [...services.map((s) => s.file), ...files]) this.#add(file);
  }

  /** Finds a file by its name, e.g. "kms/v1/symmetric.proto". */
  fileByName(name: string): DescFile | undefined {
    return this.#files.get(name);
  }

  /**
   * The file that declares a fully-qualified name: a service, method, message (nested ones
   * too), field, oneof, enum, enum value or extension. A leading dot is allowed.
   */
  fileContainingSymbol(symbol: string): DescFile | undefined {
    return this.#symbols.get(bare(symbol));
  }

  /** The file that declares extension `number` of message `extendee`. */
  fileContainingExtension(extendee: string, number: number): DescFile | undefined {
    return this.#extensions.get(bare(extendee))?.get(number);
  }

  /** The numbers of the known extensions of a message, or undefined for an unknown message. */
  extensionNumbersOf(extendee: string): number[] | undefined {
    const name = bare(extendee);
    if (!this.#messages.has(name)) return undefined;
    return [...(this.#extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /**
   * The serialized FileDescriptorProtos of a file and of its transitive imports, the file first.
   * Imports already in `sent` are left out, as the protocol allows within one stream; the file
   * asked for is always there. Everything returned is added to `sent`.
   */
  withDependencies(file: DescFile, sent: Set<string>): Uint8Array[] {
    const out: Uint8Array[] = [];
    const queue = [file];
    const seen = new Set<string>();
    for (let current = queue.shift(); current; current = queue.shift()) {
      const name = current.proto.name;
      if (seen.has(name)) continue;
      seen.add(name);
      if (current === file || !sent.has(name)) {
        out.push(this.#encode(current));
        sent.add(name);
      }
      queue.push(...current.dependencies);
    }
    return out;
  }

  #encode(file: DescFile): Uint8Array {
    let bytes = this.#encoded.get(file.proto.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.#encoded.set(file.proto.name, bytes);
    }
    return bytes;
  }

  #add(file: DescFile): void {
    if (this.#files.has(file.proto.name)) return;
    this.#files.set(file.proto.name, file);
    const declare = (name: string) => {
      if (!this.#symbols.has(name)) this.#symbols.set(name, file);
    };
    const addEnum = (e: DescEnum) => {
      declare(e.typeName);
      // Enum values are scoped beside their enum, as in C++ (pkg.Parent.VALUE).
      const scope = e.typeName.slice(0, Math.max(0, e.typeName.lastIndexOf(".")));
      for (const value of e.values) declare(scope === "" ? value.name : `${scope}.${value.name}`);
    };
    const addExtension = (ext: DescExtension) => {
      declare(ext.typeName);
      let numbers = this.#extensions.get(ext.extendee.typeName);
      if (!numbers) this.#extensions.set(ext.extendee.typeName, (numbers = new Map()));
      numbers.set(ext.number, file);
    };
    const addMessage = (m: DescMessage) => {
      declare(m.typeName);
      this.#messages.add(m.typeName);
      for (const field of m.fields) declare(`${m.typeName}.${field.name}`);
      for (const oneof of m.oneofs) declare(`${m.typeName}.${oneof.name}`);
      m.nestedMessages.forEach(addMessage);
      m.nestedEnums.forEach(addEnum);
      m.nestedExtensions.forEach(addExtension);
    };
    file.messages.forEach(addMessage);
    file.enums.forEach(addEnum);
    file.extensions.forEach(addExtension);
    for (const service of file.services) {
      declare(service.typeName);
      for (const method of service.methods) declare(`${service.typeName}.${method.name}`);
    }
    for (const dependency of file.dependencies) this.#add(dependency);
  }
}

/** A fully-qualified name without the leading dot protoc puts on type references. */
function bare(name: string): string {
  return name.startsWith(".") ? name.slice(1) : name;
}
