//! `chain_*`: headers, blocks, block hashes, and the head subscriptions.

use crate::{
    error,
    subscription::{self, blocking, Next},
    types::{ListOrValue, NumberOrHex},
};
use echonet_client::{Block, ChainInfo, Client};
use echonet_runtime::Header;
use jsonrpsee::{
    core::{async_trait, RpcResult, SubscriptionResult},
    proc_macros::rpc,
    PendingSubscriptionSink,
};
use sp_core::H256;
use sp_runtime::generic::SignedBlock;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Most heights one `chain_getBlockHash` list may ask for.
pub const MAX_BLOCK_HASH_LIST: usize = 1024;

#[rpc(server)]
pub trait ChainApi {
    /// A header, or null if the block is unknown. No hash: the best block.
    #[method(name = "chain_getHeader", blocking)]
    fn header(&self, hash: Option<H256>) -> RpcResult<Option<Header>>;

    /// A block with its justifications, or null if it is unknown.
    #[method(name = "chain_getBlock", blocking)]
    fn block(&self, hash: Option<H256>) -> RpcResult<Option<SignedBlock<Block>>>;

    /// The hash of the best chain's block at a height (null above the best block), for
    /// one height or a list of them. No height: the best block.
    #[method(name = "chain_getBlockHash", aliases = ["chain_getHead"], blocking)]
    fn block_hash(
        &self,
        number: Option<ListOrValue<Option<NumberOrHex>>>,
    ) -> RpcResult<ListOrValue<Option<H256>>>;

    /// The hash of the last block GRANDPA finalized (the genesis hash until one is).
    #[method(name = "chain_getFinalizedHead", aliases = ["chain_getFinalisedHead"])]
    fn finalized_head(&self) -> RpcResult<H256>;

    /// Every imported block's header, forks included.
    #[subscription(
        name = "chain_subscribeAllHeads" => "chain_allHead",
        unsubscribe = "chain_unsubscribeAllHeads",
        item = Header
    )]
    async fn subscribe_all_heads(&self) -> SubscriptionResult;

    /// The header of each new best block.
    #[subscription(
        name = "chain_subscribeNewHeads" => "chain_newHead",
        aliases = ["subscribe_newHead", "chain_subscribeNewHead"],
        unsubscribe = "chain_unsubscribeNewHeads",
        unsubscribe_aliases = ["unsubscribe_newHead", "chain_unsubscribeNewHead"],
        item = Header
    )]
    async fn subscribe_new_heads(&self) -> SubscriptionResult;

    /// The header of each newly finalized block.
    #[subscription(
        name = "chain_subscribeFinalizedHeads" => "chain_finalizedHead",
        aliases = ["chain_subscribeFinalisedHeads"],
        unsubscribe = "chain_unsubscribeFinalizedHeads",
        unsubscribe_aliases = ["chain_unsubscribeFinalisedHeads"],
        item = Header
    )]
    async fn subscribe_finalized_heads(&self) -> SubscriptionResult;
}

pub(crate) struct Chain {
    pub client: Arc<Client>,
}

impl Chain {
    fn resolve(&self, hash: Option<H256>) -> H256 {
        hash.unwrap_or_else(|| self.client.info().best_hash)
    }

    fn one_hash(&self, number: Option<NumberOrHex>) -> RpcResult<Option<H256>> {
        let Some(number) = number else {
            return Ok(Some(self.client.info().best_hash));
        };
        let Some(n) = number.to_block_number() else {
            return Err(error::chain_other(format!(
                "`{number:?}` > u32::MAX, the max value for the block number type."
            )));
        };
        self.client.hash(n).map_err(|e| error::chain_client(&e))
    }
}

#[async_trait]
impl ChainApiServer for Chain {
    fn header(&self, hash: Option<H256>) -> RpcResult<Option<Header>> {
        self.client
            .header(self.resolve(hash))
            .map_err(|e| error::chain_client(&e))
    }

    fn block(&self, hash: Option<H256>) -> RpcResult<Option<SignedBlock<Block>>> {
        let hash = self.resolve(hash);
        let Some(block) = self
            .client
            .block(hash)
            .map_err(|e| error::chain_client(&e))?
        else {
            return Ok(None);
        };
        let justifications = self
            .client
            .justifications(hash)
            .map_err(|e| error::chain_client(&e))?;
        Ok(Some(SignedBlock {
            block,
            justifications,
        }))
    }

    fn block_hash(
        &self,
        number: Option<ListOrValue<Option<NumberOrHex>>>,
    ) -> RpcResult<ListOrValue<Option<H256>>> {
        match number {
            None => Ok(ListOrValue::Value(Some(self.client.info().best_hash))),
            Some(ListOrValue::Value(n)) => self.one_hash(n).map(ListOrValue::Value),
            Some(ListOrValue::List(list)) if list.len() > MAX_BLOCK_HASH_LIST => {
                Err(error::chain_other(format!(
                    "chain_getBlockHash takes at most {MAX_BLOCK_HASH_LIST} block numbers at once, not {}",
                    list.len()
                )))
            }
            Some(ListOrValue::List(list)) => list
                .into_iter()
                .map(|n| self.one_hash(n))
                .collect::<RpcResult<Vec<_>>>()
                .map(ListOrValue::List),
        }
    }

    fn finalized_head(&self) -> RpcResult<H256> {
        Ok(self.client.info().finalized_hash)
    }

    async fn subscribe_all_heads(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let rx = self.client.import_notifications();
        pipe_heads(
            self.client.clone(),
            pending,
            rx,
            |n| Some((n.hash, n.header.clone())),
            |info| info.best_hash,
        )
        .await;
        Ok(())
    }

    async fn subscribe_new_heads(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let rx = self.client.import_notifications();
        pipe_heads(
            self.client.clone(),
            pending,
            rx,
            |n| n.is_new_best.then(|| (n.hash, n.header.clone())),
            |info| info.best_hash,
        )
        .await;
        Ok(())
    }

    async fn subscribe_finalized_heads(
        &self,
        pending: PendingSubscriptionSink,
    ) -> SubscriptionResult {
        let rx = self.client.finality_notifications();
        pipe_heads(
            self.client.clone(),
            pending,
            rx,
            |n| Some((n.hash, n.header.clone())),
            |info| info.finalized_hash,
        )
        .await;
        Ok(())
    }
}

/// Picks the block a notification announces, or skips it.
type PickHead<N> = fn(&N) -> Option<(H256, Arc<Header>)>;

/// Sends the current head, then the header of each notification `pick` keeps, until the
/// subscriber leaves. `rx` is taken before the current head is read, so that no block
/// falls between the two.
async fn pipe_heads<N: Clone + Send + 'static>(
    client: Arc<Client>,
    pending: PendingSubscriptionSink,
    mut rx: broadcast::Receiver<N>,
    pick: PickHead<N>,
    current: fn(&ChainInfo) -> H256,
) {
    let Some(sink) = subscription::accept(pending).await else {
        return;
    };
    let mut last_sent = None;
    // Sends the client's current head; after a lag this is how the subscriber catches up.
    let send_current = |last_sent: Option<H256>| {
        let client = client.clone();
        let sink = &sink;
        async move {
            let hash = current(&client.info());
            if last_sent == Some(hash) {
                return Ok(last_sent);
            }
            let header = blocking(move || client.header(hash)).await;
            match header {
                Some(Ok(Some(header))) => {
                    subscription::send(sink, &header).await?;
                    Ok(Some(hash))
                }
                Some(Ok(None)) | None => Ok(last_sent),
                Some(Err(e)) => {
                    tracing::warn!(target: "rpc", "cannot read head {hash:?}: {e}");
                    Ok(last_sent)
                }
            }
        }
    };
    match send_current(last_sent).await {
        Ok(sent) => last_sent = sent,
        Err(subscription::Gone) => return,
    }
    loop {
        match subscription::next(&sink, &mut rx).await {
            Next::Item(n) => {
                let Some((hash, header)) = pick(&n) else {
                    continue;
                };
                // The head read at the start may also arrive as a notification.
                if last_sent == Some(hash) {
                    continue;
                }
                if subscription::send(&sink, &*header).await.is_err() {
                    return;
                }
                last_sent = Some(hash);
            }
            Next::Lagged => match send_current(last_sent).await {
                Ok(sent) => last_sent = sent,
                Err(subscription::Gone) => return,
            },
            Next::Stop => return,
        }
    }
}
