import type { ServiceImpl } from "@connectrpc/connect";
import type { IdentityService } from "../../../gen/kms/v1/identity_service_pb.js";

/** The handler of each IdentityService RPC, keyed by its local name. */
export type IdentityHandlers = ServiceImpl<typeof IdentityService>;
