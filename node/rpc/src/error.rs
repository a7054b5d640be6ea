//! JSON-RPC errors with Substrate's codes and messages.
//!
//! Wallets show these messages to people and some match on the codes (polkadot-js treats
//! 1010 and 1014 specially), so each family keeps Substrate's numbering:
//! author 1000+, system 2000+, chain 3000+, state 4000+, and the transaction-payment RPC's
//! own 1 and 2. An unsafe method called on a node that serves only safe ones answers
//! -32601, as Substrate does.

use echonet_client::Error as ClientError;
use echonet_txpool::PoolError;
use jsonrpsee::types::{error::ErrorCode, ErrorObject, ErrorObjectOwned};
use sp_core::H256;
use sp_runtime::transaction_validity::InvalidTransaction;

const AUTHOR: i32 = 1000;
const CHAIN: i32 = 3000;
const STATE: i32 = 4000;

/// Error codes of the author family, named as Substrate names them.
pub mod author_code {
    use super::AUTHOR;
    /// 1001: the submitted bytes do not decode as an extrinsic.
    pub const BAD_FORMAT: i32 = AUTHOR + 1;
    /// 1002: the node itself failed while validating (e.g. no state for the best block);
    /// says nothing about the transaction.
    pub const VERIFICATION: i32 = AUTHOR + 2;
    /// 1010: the runtime declared the transaction invalid (bad signature, stale nonce,
    /// cannot pay fees, a pallet's custom code); the data names the reason.
    pub const POOL_INVALID_TX: i32 = AUTHOR + 10;
    /// 1011: the runtime could not tell whether the transaction is valid (e.g. a lookup
    /// failed); it may become valid later.
    pub const POOL_UNKNOWN_VALIDITY: i32 = AUTHOR + 11;
    /// 1012: the same bytes were found invalid recently and are refused until the pool's
    /// ban expires.
    pub const POOL_TEMPORARILY_BANNED: i32 = AUTHOR + 12;
    /// 1013: the pool already holds these bytes; the data is their hash.
    pub const POOL_ALREADY_IMPORTED: i32 = AUTHOR + 13;
    /// 1014: a transaction in the pool provides the same tag (e.g. the same account nonce)
    /// with at least this priority, so the newcomer cannot replace it.
    pub const POOL_TOO_LOW_PRIORITY: i32 = AUTHOR + 14;
    /// 1015: the transaction requires a tag it provides itself.
    pub const POOL_CYCLE_DETECTED: i32 = AUTHOR + 15;
    /// 1016: the pool is full and the newcomer would be the first to be evicted.
    pub const POOL_IMMEDIATELY_DROPPED: i32 = AUTHOR + 16;
    /// 1019: the runtime's validity provides no tag, so the pool cannot order or
    /// deduplicate the transaction.
    pub const POOL_NO_TAGS: i32 = AUTHOR + 19;
    /// Keystore and session-key errors.
    pub const OTHER: i32 = AUTHOR + 40;
}

/// Codes of the state family.
pub mod state_code {
    use super::STATE;
    /// 4001: `state_queryStorage`'s `from`/`to` blocks are unknown, on different forks or
    /// in the wrong order, or the range needs more blocks or reads than
    /// [`MAX_QUERY_STORAGE_BLOCKS`](crate::state::MAX_QUERY_STORAGE_BLOCKS) and
    /// [`MAX_QUERY_STORAGE_READS`](crate::state::MAX_QUERY_STORAGE_READS) allow.
    pub const INVALID_BLOCK_RANGE: i32 = STATE + 1;
    /// 4002: `state_getKeysPaged` asked for more than
    /// [`MAX_KEYS_PAGED`](crate::state::MAX_KEYS_PAGED) keys.
    pub const INVALID_COUNT: i32 = STATE + 2;
    /// 4003: any other failure of a `state_*` read: an unknown or pruned block
    /// ("UnknownBlock: ..."), a failed runtime call, a storage error.
    pub const CLIENT: i32 = STATE + 3;
}

/// Codes of the chain family.
pub mod chain_code {
    use super::CHAIN;
    /// 3001: a request the chain methods refuse themselves, e.g. a block number above
    /// `u32::MAX` in `chain_getBlockHash`.
    pub const OTHER: i32 = CHAIN + 1;
    /// 3002: the client failed to read a header, block or hash from the database.
    pub const CLIENT: i32 = CHAIN + 2;
}

/// Codes of the transaction-payment RPC, which Substrate's frame-system RPC
/// (`system_accountNextIndex`, `system_dryRun`) uses too.
pub mod payment_code {
    /// 1: the runtime call failed (an unknown block among the causes); the data holds the
    /// client's error.
    pub const RUNTIME: i32 = 1;
    /// 2: the bytes given are not one SCALE-encoded extrinsic.
    pub const DECODE: i32 = 2;
}

/// The text Substrate gives a client error. Substrate's clients word a missing block as
/// "UnknownBlock: State already discarded for 0x..", which some tools match on.
pub(crate) fn client_error_text(e: &ClientError) -> String {
    match e {
        ClientError::UnknownBlock(hash) | ClientError::StateUnavailable(hash) => {
            format!("UnknownBlock: State already discarded for {hash:?}")
        }
        ClientError::MethodNotFound(method) => {
            format!("Execution failed: Exported method {method} is not found")
        }
        ClientError::RuntimeCall { reason, .. } => format!("Execution failed: {reason}"),
        other => other.to_string(),
    }
}

/// A state-family client error (4003).
pub(crate) fn state_client(e: &ClientError) -> ErrorObjectOwned {
    ErrorObject::owned(
        state_code::CLIENT,
        format!("Client error: {}", client_error_text(e)),
        None::<()>,
    )
}

/// A state-family error with our own text, for failures that are not the client's (4003).
pub(crate) fn state_other(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(
        state_code::CLIENT,
        format!("Client error: {}", msg.into()),
        None::<()>,
    )
}

/// A block range that cannot be resolved (4001).
pub(crate) fn invalid_block_range(from: H256, to: H256, details: &str) -> ErrorObjectOwned {
    ErrorObject::owned(
        state_code::INVALID_BLOCK_RANGE,
        format!("Cannot resolve a block range ['{from:?}' ... '{to:?}]. {details}"),
        None::<()>,
    )
}

/// A count above the maximum (4002).
pub(crate) fn invalid_count(value: u32, max: u32) -> ErrorObjectOwned {
    ErrorObject::owned(
        state_code::INVALID_COUNT,
        format!("count exceeds maximum value. value: {value}, max: {max}"),
        None::<()>,
    )
}

/// A chain-family client error (3002).
pub(crate) fn chain_client(e: &ClientError) -> ErrorObjectOwned {
    ErrorObject::owned(
        chain_code::CLIENT,
        format!("Client error: {}", client_error_text(e)),
        None::<()>,
    )
}

/// A chain-family error with its own message (3001).
pub(crate) fn chain_other(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(chain_code::OTHER, msg.into(), None::<()>)
}

/// The refusal of an unsafe method when only safe ones are served.
pub(crate) fn unsafe_rpc_called() -> ErrorObjectOwned {
    ErrorObject::owned(
        ErrorCode::MethodNotFound.code(),
        "RPC call is unsafe to be called externally",
        None::<()>,
    )
}

/// An extrinsic that does not decode (1001).
pub(crate) fn bad_format(reason: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObject::owned(
        author_code::BAD_FORMAT,
        format!("Extrinsic has invalid format: {reason}"),
        None::<()>,
    )
}

/// A failure of the node while verifying (1002).
pub(crate) fn verification(reason: impl std::fmt::Display) -> ErrorObjectOwned {
    let reason = reason.to_string();
    ErrorObject::owned(
        author_code::VERIFICATION,
        format!("Verification Error: {reason}"),
        Some(reason),
    )
}

/// Keystore and session-key errors (1040), with Substrate's messages.
pub(crate) fn author_other(msg: &str) -> ErrorObjectOwned {
    ErrorObject::owned(author_code::OTHER, msg, None::<()>)
}

/// A failed runtime call of the author family, e.g. while generating session keys (1040).
pub(crate) fn author_client(e: &ClientError) -> ErrorObjectOwned {
    ErrorObject::owned(
        author_code::OTHER,
        format!("Client error: {}", client_error_text(e)),
        None::<()>,
    )
}

pub(crate) const BAD_KEY_TYPE: &str = "Invalid key type ID format (should be of length four)";
pub(crate) const KEYSTORE_UNAVAILABLE: &str = "The key store is unavailable";
pub(crate) const INVALID_SESSION_KEYS: &str = "Session keys are not encoded correctly";

/// A refused submission, worded as Substrate's author RPC words it. `tx_hash` is the hash
/// of the submitted bytes (Substrate puts it in the data of 1013).
pub(crate) fn pool_error(e: &PoolError, tx_hash: H256) -> ErrorObjectOwned {
    use author_code::*;
    match e {
        PoolError::BadFormat(reason) => bad_format(reason),
        PoolError::Client(reason) => verification(reason),
        PoolError::Invalid(InvalidTransaction::Custom(code)) => ErrorObject::owned(
            POOL_INVALID_TX,
            "Invalid Transaction",
            Some(format!("Custom error: {code}")),
        ),
        PoolError::Invalid(invalid) => {
            let detail: &'static str = (*invalid).into();
            ErrorObject::owned(POOL_INVALID_TX, "Invalid Transaction", Some(detail))
        }
        PoolError::Unknown(unknown) => ErrorObject::owned(
            POOL_UNKNOWN_VALIDITY,
            "Unknown Transaction Validity",
            Some(format!("{unknown:?}")),
        ),
        PoolError::TemporarilyBanned => ErrorObject::owned(
            POOL_TEMPORARILY_BANNED,
            "Transaction is temporarily banned",
            None::<()>,
        ),
        PoolError::AlreadyImported => ErrorObject::owned(
            POOL_ALREADY_IMPORTED,
            "Transaction Already Imported",
            Some(format!("{tx_hash:?}")),
        ),
        PoolError::TooLowPriority { old, new } => ErrorObject::owned(
            POOL_TOO_LOW_PRIORITY,
            format!("Priority is too low: ({old} vs {new})"),
            Some("The transaction has too low priority to replace another transaction already in the pool."),
        ),
        PoolError::CycleDetected => {
            ErrorObject::owned(POOL_CYCLE_DETECTED, "Cycle Detected", None::<()>)
        }
        PoolError::ImmediatelyDropped => ErrorObject::owned(
            POOL_IMMEDIATELY_DROPPED,
            "Immediately Dropped",
            Some("The transaction couldn't enter the pool because of the limit"),
        ),
        // A pool limit like the one above, so the same code; the detail says which limit.
        PoolError::TooManyFutureFromSender { limit } => ErrorObject::owned(
            POOL_IMMEDIATELY_DROPPED,
            "Immediately Dropped",
            Some(format!(
                "The sender already has {limit} future transactions in the pool: submit the missing nonces first"
            )),
        ),
        PoolError::NoTagsProvided => ErrorObject::owned(
            POOL_NO_TAGS,
            "No tags provided",
            Some("Transaction does not provide any tags, so the pool can't identify it"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_transaction_keeps_substrates_wording() {
        let e = pool_error(&PoolError::Invalid(InvalidTransaction::Stale), H256::zero());
        assert_eq!(e.code(), 1010);
        assert_eq!(e.message(), "Invalid Transaction");
        assert_eq!(
            e.data().map(|d| d.get()),
            Some("\"Transaction is outdated\"")
        );
    }

    /// Each pool refusal keeps Substrate's author code (the pool's own tests assert which
    /// refusal a submission gets; this is the one place that turns it into a code).
    #[test]
    fn pool_errors_keep_substrates_codes() {
        use sp_runtime::transaction_validity::UnknownTransaction;
        let cases = [
            (PoolError::BadFormat("short".into()), 1001),
            (PoolError::Client("no state".into()), 1002),
            (PoolError::Invalid(InvalidTransaction::BadProof), 1010),
            (PoolError::Invalid(InvalidTransaction::Custom(7)), 1010),
            (PoolError::Unknown(UnknownTransaction::CannotLookup), 1011),
            (PoolError::TemporarilyBanned, 1012),
            (PoolError::AlreadyImported, 1013),
            (PoolError::TooLowPriority { old: 2, new: 1 }, 1014),
            (PoolError::CycleDetected, 1015),
            (PoolError::ImmediatelyDropped, 1016),
            (PoolError::TooManyFutureFromSender { limit: 64 }, 1016),
            (PoolError::NoTagsProvided, 1019),
        ];
        for (e, code) in cases {
            assert_eq!(pool_error(&e, H256::zero()).code(), code, "{e:?}");
        }
    }

    #[test]
    fn bad_signature_keeps_substrates_wording() {
        let e = pool_error(
            &PoolError::Invalid(InvalidTransaction::BadProof),
            H256::zero(),
        );
        assert_eq!(e.message(), "Invalid Transaction");
        assert_eq!(
            e.data().map(|d| d.get()),
            Some("\"Transaction has a bad signature\"")
        );
    }

    #[test]
    fn unknown_block_reads_like_substrates() {
        let e = state_client(&ClientError::UnknownBlock(H256::repeat_byte(1)));
        assert_eq!(e.code(), 4003);
        assert!(e
            .message()
            .starts_with("Client error: UnknownBlock: State already discarded for 0x0101"));
    }
}
