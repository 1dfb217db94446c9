import { getOption, hasOption, type DescMethod } from "@bufbuild/protobuf";
import { access, self_authorized as selfAuthorized, unauthenticated, type Access } from "../gen/kms/v1/options_pb.js";

/** What the contract says about an RPC, for authentication and authorization. */
export interface MethodOptions {
  readonly unauthenticated: boolean;
  readonly selfAuthorized: boolean;
  readonly access: readonly Access[];
}

const cache = new WeakMap<DescMethod, MethodOptions>();

/** The contract's options of an RPC, read by reflection once per method (reading them allocates). */
export function methodOptions(method: DescMethod): MethodOptions {
  let options = cache.get(method);
  if (!options) {
    options = {
      unauthenticated: hasOption(method, unauthenticated) && getOption(method, unauthenticated),
      selfAuthorized: hasOption(method, selfAuthorized) && getOption(method, selfAuthorized),
      access: hasOption(method, access) ? getOption(method, access) : [],
    };
    cache.set(method, options);
  }
  return options;
}
