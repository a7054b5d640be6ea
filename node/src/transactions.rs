//! Transaction gossip. Transactions submitted over RPC are gossiped in small batches;
//! transactions from peers go to the pool, and their message's verdict follows what the
//! pool made of them: invalid ones are rejected (and cost the peer), so the network never
//! forwards them; new valid ones are accepted and forwarded; the rest are ignored.
//!
//! Validation is what a peer makes us spend, so each peer has a budget of validations
//! ([`VALIDATION_BUDGET`]); transactions past it are not looked at. A message that holds
//! no valid transaction (e.g. well-signed transfers from accounts that cannot pay) costs
//! its sender [`rep::NO_VALID_TRANSACTION`] per transaction validated.

use echonet_cpu_meter::{metered, Component};
use echonet_network::{
    rep, MessageValidity, NetworkEvent, NetworkHandle, PeerId, RateLimit, ReputationChange,
};
use echonet_txpool::{Pool, PoolError};
use futures::StreamExt;
use sp_runtime::transaction_validity::InvalidTransaction;
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{broadcast::error::RecvError, mpsc, watch};

/// Capacity of the queue of transaction messages from peers.
pub const INCOMING_QUEUE: usize = 256;
/// Most transactions of one message that are looked at (the rest are ignored).
const MAX_PER_MESSAGE: usize = 1024;
/// Transactions of one message validated at once.
const PARALLEL_VALIDATIONS: usize = 4;
/// Transactions of peers' messages validated per peer: sustained, the chain's capacity
/// (8,113 transfers per 2 s block, so about 4,000 a second); at once, a full pool. Past it
/// a peer's transactions are not looked at (an honest peer's reach us through others).
const VALIDATION_BUDGET: RateLimit = RateLimit {
    per_second: 4_096,
    burst: 8_192,
};
/// Budgets kept before idle ones are forgotten.
const TRACKED_BUDGETS: usize = 1024;
/// Local submissions are gathered this long before they are gossiped together.
const BATCH_WINDOW: Duration = Duration::from_millis(50);
/// Most transactions gossiped in one batch.
const MAX_BATCH: usize = 512;

/// What a transaction from a peer turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Import {
    /// New and valid.
    Good,
    /// Valid, and in the pool already (several nodes may gossip the same transaction).
    Known,
    /// Honest nodes never send it (bad format, bad signature, a call that cannot apply).
    Bad,
    /// Well formed but of no use: it cannot pay, its nonce is used or too far ahead, or
    /// it was found so recently. It cost a validation and will never be included.
    Useless,
    /// Refused for reasons that say nothing about it (a full pool, a failed runtime call).
    Neutral,
}

fn classify(result: &Result<sp_core::H256, PoolError>) -> Import {
    match result {
        Ok(_) => Import::Good,
        Err(PoolError::AlreadyImported) => Import::Known,
        Err(PoolError::BadFormat(_)) => Import::Bad,
        Err(PoolError::Invalid(e)) => match e {
            InvalidTransaction::BadProof
            | InvalidTransaction::BadSigner
            | InvalidTransaction::Call
            | InvalidTransaction::BadMandatory
            | InvalidTransaction::MandatoryValidation => Import::Bad,
            InvalidTransaction::Payment
            | InvalidTransaction::Stale
            | InvalidTransaction::Future
            | InvalidTransaction::AncientBirthBlock => Import::Useless,
            _ => Import::Neutral,
        },
        Err(PoolError::TemporarilyBanned) => Import::Useless,
        Err(_) => Import::Neutral,
    }
}

/// Gossips local submissions until shutdown. Its CPU time is the network's.
pub async fn propagate(pool: Arc<Pool>, network: NetworkHandle, shutdown: watch::Receiver<bool>) {
    metered(Component::Network, propagate_loop(pool, network, shutdown)).await
}

async fn propagate_loop(
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
/// Its CPU time is the network's, but for the pool's own work (validation, insertion).
pub async fn receive(
    pool: Arc<Pool>,
    network: NetworkHandle,
    incoming: mpsc::Receiver<NetworkEvent>,
    shutdown: watch::Receiver<bool>,
) {
    metered(
        Component::Network,
        receive_loop(pool, network, incoming, shutdown),
    )
    .await
}

async fn receive_loop(
    pool: Arc<Pool>,
    network: NetworkHandle,
    mut incoming: mpsc::Receiver<NetworkEvent>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut importer = Importer::new(pool, VALIDATION_BUDGET);
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
        let verdict = importer.import_message(peer, txs, Instant::now()).await;
        if let Some(change) = verdict.reputation {
            network.report_peer(peer, change);
        }
        network.report_message(message_id, peer, verdict.validity);
    }
    tracing::debug!(target: "txpool", "transaction import stopped");
}

/// What the node made of one transactions message: its gossip verdict, and the change to
/// the sending peer's reputation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Verdict {
    validity: MessageValidity,
    reputation: Option<ReputationChange>,
}

/// Imports peers' transaction messages into the pool and judges them.
struct Importer {
    pool: Arc<Pool>,
    budgets: Budgets,
}

impl Importer {
    fn new(pool: Arc<Pool>, budget: RateLimit) -> Self {
        Self {
            pool,
            budgets: Budgets::new(budget),
        }
    }

    async fn import_message(&mut self, peer: PeerId, txs: Vec<Vec<u8>>, now: Instant) -> Verdict {
        let wanted = txs.len().min(MAX_PER_MESSAGE);
        let granted = self.budgets.grant(peer, wanted, now);
        if granted < wanted {
            tracing::debug!(
                target: "txpool",
                "{peer} is over its validation budget: {} of its transactions not validated",
                wanted - granted
            );
        }
        let pool = &self.pool;
        let results: Vec<Import> = futures::stream::iter(txs.into_iter().take(granted))
            .map(|bytes| {
                let pool = pool.clone();
                async move { classify(&pool.submit_from_network(bytes).await) }
            })
            .buffer_unordered(PARALLEL_VALIDATIONS)
            .collect()
            .await;
        judge(peer, &results)
    }
}

fn judge(peer: PeerId, results: &[Import]) -> Verdict {
    let count = |kind| results.iter().filter(|r| **r == kind).count();
    if count(Import::Bad) > 0 {
        tracing::debug!(target: "txpool", "{peer} sent an invalid transaction");
        Verdict {
            validity: MessageValidity::Reject,
            reputation: Some(rep::BAD_TRANSACTION),
        }
    } else if count(Import::Good) > 0 {
        Verdict {
            validity: MessageValidity::Accept,
            reputation: Some(rep::GOOD_TRANSACTION),
        }
    } else if count(Import::Known) == 0 && count(Import::Useless) > 0 {
        let useless = count(Import::Useless);
        tracing::debug!(
            target: "txpool",
            "{peer} sent {useless} transactions and not one valid"
        );
        let per_tx = rep::NO_VALID_TRANSACTION;
        Verdict {
            validity: MessageValidity::Ignore,
            reputation: Some(ReputationChange::new(
                per_tx
                    .value
                    .saturating_mul(i32::try_from(useless).unwrap_or(i32::MAX)),
                per_tx.reason,
            )),
        }
    } else {
        Verdict {
            validity: MessageValidity::Ignore,
            reputation: None,
        }
    }
}

/// Per-peer token buckets of transaction validations.
struct Budgets {
    limit: RateLimit,
    peers: HashMap<PeerId, Bucket>,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Budgets {
    fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            peers: HashMap::new(),
        }
    }

    /// How many of `wanted` validations `peer` may have now; they are taken.
    fn grant(&mut self, peer: PeerId, wanted: usize, now: Instant) -> usize {
        if self.peers.len() >= TRACKED_BUDGETS && !self.peers.contains_key(&peer) {
            self.forget_idle(now);
        }
        let limit = self.limit;
        let bucket = self.peers.entry(peer).or_insert(Bucket {
            tokens: f64::from(limit.burst),
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.last = bucket.last.max(now);
        bucket.tokens =
            (bucket.tokens + elapsed * f64::from(limit.per_second)).min(f64::from(limit.burst));
        let granted = (bucket.tokens.floor() as usize).min(wanted);
        bucket.tokens -= granted as f64;
        granted
    }

    /// Drops the buckets that have refilled: a new bucket starts full, so forgetting them
    /// changes nothing. What stays is the peers active within one refill time, which the
    /// peer slots bound.
    fn forget_idle(&mut self, now: Instant) {
        let limit = self.limit;
        self.peers.retain(|_, b| {
            let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
            b.tokens + elapsed * f64::from(limit.per_second) < f64::from(limit.burst)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use echonet_test_utils::{open_dev_client, signed_transfer, DevClient};
    use sp_core::{sr25519, Pair as _};
    use sp_keyring::Sr25519Keyring;

    fn dev_pool() -> (DevClient, Arc<Pool>) {
        let dev = open_dev_client();
        let pool = Pool::new(Default::default(), dev.client.clone());
        (dev, pool)
    }

    /// A well-signed transfer from an account that exists nowhere on chain: it cannot pay.
    fn unfunded_transfer(dev: &DevClient, i: u64) -> Vec<u8> {
        let mut seed = [0x77; 32];
        seed[..8].copy_from_slice(&i.to_le_bytes());
        signed_transfer(
            dev.client.info().genesis_hash,
            &sr25519::Pair::from_seed(&seed),
            Sr25519Keyring::Bob.to_account_id(),
            echonet_runtime::UNITS,
            0,
            0,
        )
    }

    /// The attack: a peer gossips validly signed transfers from unfunded accounts. Each
    /// costs a runtime validation and none can ever be included; the peer pays for every
    /// one. A message that also holds a valid transaction is not penalised.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_peer_gossiping_unfunded_transfers_loses_reputation() {
        let (dev, pool) = dev_pool();
        let mut importer = Importer::new(pool.clone(), VALIDATION_BUDGET);
        let spammer = PeerId::random();
        let spam: Vec<Vec<u8>> = (0..16).map(|i| unfunded_transfer(&dev, i)).collect();
        let verdict = importer.import_message(spammer, spam, Instant::now()).await;
        assert_eq!(verdict.validity, MessageValidity::Ignore, "{verdict:?}");
        let change = verdict.reputation.expect("the spammer is penalised");
        assert_eq!(change.reason, rep::NO_VALID_TRANSACTION.reason);
        assert_eq!(change.value, 16 * rep::NO_VALID_TRANSACTION.value);
        assert_eq!(pool.status().ready, 0);

        // The same transfers again: banned now, and still the peer's cost.
        let again: Vec<Vec<u8>> = (0..4).map(|i| unfunded_transfer(&dev, i)).collect();
        let verdict = importer
            .import_message(spammer, again, Instant::now())
            .await;
        assert_eq!(
            verdict.reputation.map(|r| r.value),
            Some(4 * rep::NO_VALID_TRANSACTION.value)
        );

        // An honest peer's message with a valid transfer among stale junk is not.
        let honest = PeerId::random();
        let mut txs: Vec<Vec<u8>> = (100..104).map(|i| unfunded_transfer(&dev, i)).collect();
        txs.push(echonet_test_utils::transfer(
            &dev.client,
            Sr25519Keyring::Alice,
            Sr25519Keyring::Bob,
            0,
        ));
        let verdict = importer.import_message(honest, txs, Instant::now()).await;
        assert_eq!(
            verdict,
            Verdict {
                validity: MessageValidity::Accept,
                reputation: Some(rep::GOOD_TRANSACTION),
            }
        );
    }

    /// The attack: a peer sends message after message of transactions, each within the
    /// gossip rate; every transaction costs a validation. Past its budget the rest are not
    /// validated at all (the pool bans each unfunded transfer it validates, so the ban
    /// count tells how many were), while another peer keeps its own budget.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_peer_past_its_validation_budget_is_not_validated() {
        let (dev, pool) = dev_pool();
        let budget = RateLimit {
            per_second: 10,
            burst: 20,
        };
        let mut importer = Importer::new(pool.clone(), budget);
        let spammer = PeerId::random();
        let now = Instant::now();
        let first: Vec<Vec<u8>> = (0..30).map(|i| unfunded_transfer(&dev, i)).collect();
        importer.import_message(spammer, first, now).await;
        assert_eq!(pool.status().banned, 20, "only the burst is validated");
        let second: Vec<Vec<u8>> = (30..40).map(|i| unfunded_transfer(&dev, i)).collect();
        importer.import_message(spammer, second, now).await;
        assert_eq!(pool.status().banned, 20, "nothing left in the bucket");
        // Half a second later, five more.
        let later: Vec<Vec<u8>> = (40..50).map(|i| unfunded_transfer(&dev, i)).collect();
        importer
            .import_message(spammer, later, now + Duration::from_millis(500))
            .await;
        assert_eq!(pool.status().banned, 25);
        // Another peer has its own budget.
        let other: Vec<Vec<u8>> = (50..60).map(|i| unfunded_transfer(&dev, i)).collect();
        importer.import_message(PeerId::random(), other, now).await;
        assert_eq!(pool.status().banned, 35);
    }

    #[test]
    fn forgeries_are_bad_useless_transactions_cost_and_pool_limits_are_neutral() {
        assert_eq!(classify(&Ok(sp_core::H256::zero())), Import::Good);
        assert_eq!(classify(&Err(PoolError::AlreadyImported)), Import::Known);
        assert_eq!(
            classify(&Err(PoolError::Invalid(InvalidTransaction::BadProof))),
            Import::Bad
        );
        assert_eq!(
            classify(&Err(PoolError::BadFormat("junk".into()))),
            Import::Bad
        );
        // Issue 11: these cost a validation and can never be included; a message of
        // nothing else costs its sender (`judge`), one with a valid transaction does not.
        for useless in [
            PoolError::Invalid(InvalidTransaction::Stale),
            PoolError::Invalid(InvalidTransaction::Payment),
            PoolError::TemporarilyBanned,
        ] {
            assert_eq!(classify(&Err(useless)), Import::Useless);
        }
        for honest in [
            PoolError::ImmediatelyDropped,
            PoolError::TooManyFutureFromSender { limit: 64 },
            PoolError::Invalid(InvalidTransaction::ExhaustsResources),
        ] {
            assert_eq!(classify(&Err(honest)), Import::Neutral);
        }
        let peer = PeerId::random();
        assert_eq!(
            judge(peer, &[Import::Useless, Import::Known]).reputation,
            None,
            "a known valid transaction makes the message honest"
        );
        assert_eq!(
            judge(peer, &[Import::Useless, Import::Neutral, Import::Useless]).reputation,
            Some(ReputationChange::new(
                2 * rep::NO_VALID_TRANSACTION.value,
                rep::NO_VALID_TRANSACTION.reason
            ))
        );
    }

    #[test]
    fn idle_budgets_are_forgotten() {
        let mut budgets = Budgets::new(RateLimit {
            per_second: 10,
            burst: 10,
        });
        let t0 = Instant::now();
        for _ in 0..TRACKED_BUDGETS {
            assert_eq!(budgets.grant(PeerId::random(), 5, t0), 5);
        }
        assert_eq!(budgets.peers.len(), TRACKED_BUDGETS);
        // A second later every bucket has refilled: a newcomer makes room.
        assert_eq!(
            budgets.grant(PeerId::random(), 20, t0 + Duration::from_secs(1)),
            10
        );
        assert_eq!(budgets.peers.len(), 1);
    }
}
