//! Transaction gossip. Transactions submitted over RPC are gossiped in small batches;
//! transactions from peers go to the pool, and their message's verdict follows what the
//! pool made of them: invalid ones are rejected (and cost the peer), so the network never
//! forwards them; new valid ones are accepted and forwarded; the rest are ignored.

use echonet_network::{rep, MessageValidity, NetworkEvent, NetworkHandle, PeerId};
use echonet_txpool::{Pool, PoolError};
use futures::StreamExt;
use sp_runtime::transaction_validity::InvalidTransaction;
use std::{sync::Arc, time::Duration};
use tokio::sync::{broadcast::error::RecvError, mpsc, watch};

/// Capacity of the queue of transaction messages from peers.
pub const INCOMING_QUEUE: usize = 256;
/// Most transactions of one message that are looked at (the rest are ignored).
const MAX_PER_MESSAGE: usize = 1024;
/// Transactions of one message validated at once.
const PARALLEL_VALIDATIONS: usize = 4;
/// Local submissions are gathered this long before they are gossiped together.
const BATCH_WINDOW: Duration = Duration::from_millis(50);
/// Most transactions gossiped in one batch.
const MAX_BATCH: usize = 512;

/// What a transaction from a peer turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Import {
    /// New and valid.
    Good,
    /// Honest nodes never send it (bad format, bad signature, a call that cannot apply).
    Bad,
    /// Known already, or no longer valid for reasons honest peers run into (a nonce
    /// already used, a full pool).
    Neutral,
}

fn classify(result: &Result<sp_core::H256, PoolError>) -> Import {
    match result {
        Ok(_) => Import::Good,
        Err(PoolError::BadFormat(_)) => Import::Bad,
        Err(PoolError::Invalid(e)) => match e {
            InvalidTransaction::BadProof
            | InvalidTransaction::BadSigner
            | InvalidTransaction::Call
            | InvalidTransaction::BadMandatory
            | InvalidTransaction::MandatoryValidation => Import::Bad,
            _ => Import::Neutral,
        },
        Err(_) => Import::Neutral,
    }
}

/// Gossips local submissions until shutdown.
pub async fn propagate(
    pool: Arc<Pool>,
    network: NetworkHandle,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut imports = pool.import_notifications();
    loop {
        let first = tokio::select! {
            _ = shutdown.changed() => break,
            n = imports.recv() => match n {
                Ok(n) => n,
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(target: "txpool", "{missed} local transactions not gossiped (too many at once)");
                    continue;
                }
                Err(RecvError::Closed) => break,
            },
        };
        let mut batch = vec![first.bytes.to_vec()];
        let window = tokio::time::sleep(BATCH_WINDOW);
        tokio::pin!(window);
        while batch.len() < MAX_BATCH {
            tokio::select! {
                _ = &mut window => break,
                n = imports.recv() => match n {
                    Ok(n) => batch.push(n.bytes.to_vec()),
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                },
            }
        }
        tracing::debug!(target: "txpool", "Gossiping {} transactions", batch.len());
        network.propagate_transactions(batch);
    }
    tracing::debug!(target: "txpool", "transaction gossip stopped");
}

/// Submits transactions from peers to the pool, one message at a time, until shutdown.
pub async fn receive(
    pool: Arc<Pool>,
    network: NetworkHandle,
    mut incoming: mpsc::Receiver<NetworkEvent>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let event = tokio::select! {
            _ = shutdown.changed() => break,
            event = incoming.recv() => match event {
                Some(event) => event,
                None => break,
            },
        };
        let NetworkEvent::Transactions {
            peer,
            txs,
            message_id,
        } = event
        else {
            continue;
        };
        let verdict = import_message(&pool, &network, peer, txs).await;
        network.report_message(message_id, peer, verdict);
    }
    tracing::debug!(target: "txpool", "transaction import stopped");
}

async fn import_message(
    pool: &Arc<Pool>,
    network: &NetworkHandle,
    peer: PeerId,
    txs: Vec<Vec<u8>>,
) -> MessageValidity {
    let results: Vec<Import> = futures::stream::iter(txs.into_iter().take(MAX_PER_MESSAGE))
        .map(|bytes| {
            let pool = pool.clone();
            async move { classify(&pool.submit_from_network(bytes).await) }
        })
        .buffer_unordered(PARALLEL_VALIDATIONS)
        .collect()
        .await;
    if results.contains(&Import::Bad) {
        tracing::debug!(target: "txpool", "{peer} sent an invalid transaction");
        network.report_peer(peer, rep::BAD_TRANSACTION);
        MessageValidity::Reject
    } else if results.contains(&Import::Good) {
        network.report_peer(peer, rep::GOOD_TRANSACTION);
        MessageValidity::Accept
    } else {
        MessageValidity::Ignore
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honest_failures_are_neutral_and_forgeries_are_bad() {
        assert_eq!(classify(&Ok(sp_core::H256::zero())), Import::Good);
        assert_eq!(
            classify(&Err(PoolError::Invalid(InvalidTransaction::BadProof))),
            Import::Bad
        );
        assert_eq!(
            classify(&Err(PoolError::BadFormat("junk".into()))),
            Import::Bad
        );
        for honest in [
            PoolError::Invalid(InvalidTransaction::Stale),
            PoolError::Invalid(InvalidTransaction::Payment),
            PoolError::AlreadyImported,
            PoolError::TemporarilyBanned,
            PoolError::ImmediatelyDropped,
        ] {
            assert_eq!(classify(&Err(honest)), Import::Neutral);
        }
    }
}
