//! JSON-RPC methods of the data store, merged into the node's RPC server:
//!
//! - `dds_put(data)`: stores small content (`0x`-hex bytes, up to [`RPC_MAX_CONTENT`]) and
//!   answers its cid. Larger content goes through the gateway (`POST /dds`).
//! - `dds_get(cid)`: the content as `0x`-hex, if at most [`RPC_MAX_CONTENT`] bytes.
//! - `dds_stat(cid?)`: a cid's sizes, parameters, content root and local shards; without a
//!   cid, the store's usage.
//!
//! Errors: a malformed cid or data is -32602 (invalid params); the store's own errors have
//! codes 7001.. (see [`error_code`]).

use std::sync::Arc;

use jsonrpsee::{
    types::{error::INVALID_PARAMS_CODE, ErrorObjectOwned},
    RpcModule,
};
use serde_json::{json, Value};

use crate::{Cid, Dds, DdsError};

/// The most content `dds_put` and `dds_get` carry (hex doubles it on the wire).
pub const RPC_MAX_CONTENT: u64 = 4 << 20;

/// The JSON-RPC error code of a store error.
pub fn error_code(e: &DdsError) -> i32 {
    match e {
        DdsError::MalformedCid(_) | DdsError::InvalidParams(_) => INVALID_PARAMS_CODE,
        DdsError::UnknownCid(_) => 7001,
        DdsError::TooLarge { .. } => 7002,
        DdsError::CapacityExceeded { .. } => 7003,
        DdsError::Unavailable { .. } | DdsError::NotEnoughShards { .. } => 7004,
        DdsError::Empty => 7005,
        _ => 7000,
    }
}

fn rpc_error(e: DdsError) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(error_code(&e), e.to_string(), None::<()>)
}

fn invalid(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS_CODE, msg.into(), None::<()>)
}

/// The JSON form of a cid's [`crate::Stat`].
pub fn stat_json(stat: &crate::Stat) -> Value {
    json!({
        "cid": stat.cid.to_string(),
        "size": stat.header.size,
        "chunkSize": stat.header.chunk_size,
        "k": stat.header.k,
        "m": stat.header.m,
        "shardCount": stat.header.shard_count,
        "chunks": stat.chunks,
        "root": format!("0x{}", hex::encode(stat.root)),
        "localShards": stat.local_shards,
    })
}

/// The `dds_*` methods over `dds`.
pub fn module(dds: Arc<Dds>) -> RpcModule<Arc<Dds>> {
    let mut module = RpcModule::new(dds);
    // Three fresh names in a fresh module: registration cannot fail.
    let _ = module.register_blocking_method("dds_put", |params, dds, _| {
        let data: String = params.one()?;
        let digits = data
            .strip_prefix("0x")
            .ok_or_else(|| invalid("data must be 0x-prefixed hex"))?;
        if digits.len() as u64 > RPC_MAX_CONTENT * 2 {
            return Err(rpc_error(DdsError::TooLarge {
                max: RPC_MAX_CONTENT,
            }));
        }
        let bytes = hex::decode(digits).map_err(|e| invalid(format!("data is not hex: {e}")))?;
        let params = dds.config().params;
        dds.check_put_size(bytes.len() as u64, &params)
            .map_err(rpc_error)?;
        let manifest = dds.put(&bytes[..], params, |_| {}).map_err(rpc_error)?;
        Ok::<String, ErrorObjectOwned>(manifest.cid().to_string())
    });
    let _ = module.register_blocking_method("dds_get", |params, dds, _| {
        let cid: Cid = params.one::<String>()?.parse().map_err(rpc_error)?;
        let manifest = dds.manifest(&cid).map_err(rpc_error)?;
        if manifest.header().size > RPC_MAX_CONTENT {
            return Err(ErrorObjectOwned::owned(
                7002,
                format!(
                    "content of {} bytes is larger than dds_get serves ({RPC_MAX_CONTENT}); use GET /dds/{cid}",
                    manifest.header().size
                ),
                None::<()>,
            ));
        }
        let mut out = Vec::with_capacity(manifest.header().size as usize);
        dds.get(&cid, &mut out, |_| {}).map_err(rpc_error)?;
        Ok(format!("0x{}", hex::encode(out)))
    });
    let _ = module.register_blocking_method("dds_stat", |params, dds, _| {
        let cid: Option<String> = params.sequence().optional_next()?;
        match cid {
            Some(cid) => {
                let cid: Cid = cid.parse().map_err(rpc_error)?;
                Ok::<Value, ErrorObjectOwned>(stat_json(&dds.stat(&cid).map_err(rpc_error)?))
            }
            None => {
                let u = dds.usage();
                Ok(json!({
                    "used": u.used,
                    "capacity": u.capacity,
                    "cacheBytes": u.cache_bytes,
                    "corruptShards": u.corrupt_shards,
                    "fetchedShards": u.fetched_shards,
                    "badFetchedShards": u.bad_fetched_shards,
                    "pushedShards": u.pushed_shards,
                }))
            }
        }
    });
    module
}
