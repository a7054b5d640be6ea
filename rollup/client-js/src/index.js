// @echonet/rollup-client: the wallet client of the EchoNet ZK-rollup. See README.md.
//
// * RollupClient (client.js): connect to L1 and to the sequencer; deposit, transfer,
//   withdraw, follow to settlement, claim.
// * L2Key and the signing primitives (crypto.js, tx.js): keys, the signed message, packed
//   signatures, transaction hashes, receipts; usable offline.
// * Amount40 / Fee8 encoding (float.js), typed errors (errors.js), the raw L2 JSON-RPC
//   (rpc.js) and the L1 bridge calls (l1.js).

export { RollupClient, TERMINAL_STATUSES } from './client.js';
export {
  FIELD_MODULUS,
  L2Key,
  MAX_INDEX,
  MAX_NONCE,
  RECEIPT_TAG,
  TX_TYPE,
  accountId32,
  packMessageWord,
  poseidon,
  ready,
  receiptMessage,
  splitRecipient,
  transferMessage,
  txHash,
  unpackPublicKey,
  verifyReceipt,
  verifySignature,
  withdrawMessage,
} from './crypto.js';
export { signTransfer, signWithdrawal } from './tx.js';
export * from './float.js';
export * from './errors.js';
export { L2Rpc } from './rpc.js';
export { claimWithdrawal, connectL1, deposit, findWithdrawals, isBridgeOperator, rollupIdsOnL1, sendAndWait } from './l1.js';
