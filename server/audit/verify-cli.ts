import { join } from "node:path";
import { loadConfig } from "../config.js";
import { LevelRootStore } from "../store/level-store.js";
import { AuditLog } from "./audit-log.js";

// `npm run audit:verify`: checks the audit hash chain of KMS_DATA_DIR (default ./data) with
// the server stopped (LevelDB allows one process); a running server answers the same question
// through AuditService.VerifyAuditTrail. Exit 0: intact; 1: broken; 2: could not check.
const config = loadConfig();
let store: LevelRootStore;
try {
  store = await LevelRootStore.open(join(config.dataDir, "leveldb"));
} catch (error) {
  console.error(`cannot open ${config.dataDir}: ${(error as Error).message}`);
  console.error("is the server running? Stop it, or call AuditService.VerifyAuditTrail instead.");
  process.exit(2);
}
try {
  const result = await (await AuditLog.open(store.scope("audit"))).verify();
  if (result.intact) {
    console.log(`audit trail intact: ${result.records} records`);
  } else {
    console.log(`audit trail BROKEN at record ${result.brokenSeq}: ${result.reason} (${result.records} records read)`);
    process.exitCode = 1;
  }
} finally {
  await store.close();
}
