import type { ServiceImpl } from "@connectrpc/connect";
import type { KeyManagementService } from "../../gen/kms/v1/key_management_service_pb.js";

/** The handler of each RPC of the contract, keyed by its local name (createKey, encrypt, ...). */
export type KmsHandlers = ServiceImpl<typeof KeyManagementService>;
