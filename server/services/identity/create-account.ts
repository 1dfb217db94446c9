import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccessKeyStatus } from "../../../gen/kms/v1/identity_pb.js";
import { now, requireCaller, requireServices } from "../../context.js";
import { KmsError, validationError } from "../../errors/kms-error.js";
import { createAccountWithAdmin } from "../../identity/account-admin.js";
import { principalArn } from "../../identity/principal-arn.js";
import type { IdentityHandlers } from "./identity-handler-types.js";

/**
 * CreateAccount: another account with its own administrator, whose access key is returned
 * once. Only principals of the management account (the one created at first start) may call it.
 */
export const createAccount: IdentityHandlers["createAccount"] = async (req, ctx) => {
  const { identities, partition, managementAccountId } = requireServices(ctx);
  const caller = requireCaller(ctx);
  if (caller.accountId !== managementAccountId) throw new KmsError("AccessDeniedException", `${caller.arn} is not in the management account and cannot create accounts`);
  if (!/^\d{12}$/.test(req.accountId)) throw validationError("account_id must be 12 digits");
  const created = await createAccountWithAdmin(identities, req.accountId, now(ctx));
  if (!created) throw new KmsError("AlreadyExistsException", `account ${req.accountId} already exists`);
  return {
    accountId: req.accountId,
    adminArn: principalArn.user(partition, req.accountId, created.admin.userName),
    adminAccessKey: {
      userName: created.admin.userName,
      accessKeyId: created.key.record.accessKeyId,
      secretAccessKey: created.key.secretAccessKey,
      status: AccessKeyStatus.ACTIVE,
      createDate: timestampFromMs(created.key.record.createdAt),
    },
  };
};
