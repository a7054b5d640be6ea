//! `payment_*`: fee estimates, as pallet-transaction-payment's RPC serves them.
//!
//! polkadot-js prefers the runtime API through `state_call` these days but still falls
//! back to these methods, so their JSON is Substrate's: `partialFee` as a decimal string,
//! fee details as hex numbers, and errors with the pallet RPC's codes 1 and 2.

use crate::{error::payment_code, types::NumberOrHex};
use codec::{Decode, Encode};
use echonet_client::Client;
use echonet_runtime::{Balance, UncheckedExtrinsic};
use jsonrpsee::{
    core::RpcResult,
    proc_macros::rpc,
    types::{ErrorObject, ErrorObjectOwned},
};
use pallet_transaction_payment::{FeeDetails, InclusionFee, RuntimeDispatchInfo};
use sp_core::{Bytes, H256};
use sp_runtime::Weight;
use std::sync::Arc;

#[rpc(server)]
pub trait PaymentApi {
    /// The weight, class and fee (without tip) of an extrinsic at a block.
    #[method(name = "payment_queryInfo", blocking)]
    fn query_info(
        &self,
        encoded_xt: Bytes,
        at: Option<H256>,
    ) -> RpcResult<RuntimeDispatchInfo<Balance, Weight>>;

    /// The parts of that fee.
    #[method(name = "payment_queryFeeDetails", blocking)]
    fn query_fee_details(
        &self,
        encoded_xt: Bytes,
        at: Option<H256>,
    ) -> RpcResult<FeeDetails<NumberOrHex>>;
}

pub(crate) struct Payment {
    pub client: Arc<Client>,
}

impl Payment {
    /// Calls `method` with `(extrinsic, encoded length)`; the pallet RPC's errors carry
    /// `what` as their message and the cause as data.
    fn call<R: Decode>(
        &self,
        method: &str,
        encoded_xt: &[u8],
        at: Option<H256>,
        what: &'static str,
    ) -> Result<R, ErrorObjectOwned> {
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        let xt = UncheckedExtrinsic::decode(&mut &encoded_xt[..])
            .map_err(|e| ErrorObject::owned(payment_code::DECODE, what, Some(format!("{e:?}"))))?;
        let len = u32::try_from(encoded_xt.len()).unwrap_or(u32::MAX);
        self.client
            .call_decoded(at, method, &(xt, len).encode())
            .map_err(|e| ErrorObject::owned(payment_code::RUNTIME, what, Some(e.to_string())))
    }
}

impl PaymentApiServer for Payment {
    fn query_info(
        &self,
        encoded_xt: Bytes,
        at: Option<H256>,
    ) -> RpcResult<RuntimeDispatchInfo<Balance, Weight>> {
        self.call(
            "TransactionPaymentApi_query_info",
            &encoded_xt,
            at,
            "Unable to query dispatch info.",
        )
    }

    fn query_fee_details(
        &self,
        encoded_xt: Bytes,
        at: Option<H256>,
    ) -> RpcResult<FeeDetails<NumberOrHex>> {
        let details: FeeDetails<Balance> = self.call(
            "TransactionPaymentApi_query_fee_details",
            &encoded_xt,
            at,
            "Unable to query fee details.",
        )?;
        Ok(FeeDetails {
            inclusion_fee: details.inclusion_fee.map(|fee| InclusionFee {
                base_fee: fee.base_fee.into(),
                len_fee: fee.len_fee.into(),
                adjusted_weight_fee: fee.adjusted_weight_fee.into(),
            }),
            // Not serialized: the RPC cannot know the tip of an unsigned estimate.
            tip: NumberOrHex::Number(0),
        })
    }
}
