//! Blocks authored the way the node's slot worker does it: the Aura pre-digest (slot and
//! VRF) of the slot's owner, the inherents with the slot's timestamp, the extrinsics, the
//! seal over the pre-seal hash, and the import.

use echonet_client::{BlockOrigin, Client, Error, ImportBlock, ImportResult};
use echonet_consensus::aura::{self, AuraClientExt as _};
use echonet_runtime::{Header, SLOT_DURATION};
use echonet_txpool::Pool;
use sp_consensus_aura::Slot;
use sp_core::{crypto::ByteArray, sr25519, Pair, H256};
use sp_runtime::{traits::BlakeTwo256, OpaqueExtrinsic};
use sp_state_machine::StorageChanges;

/// The slot `back` slots before the current one. Tests author in past slots so that their
/// blocks are never from the future and many can follow without waiting for the clock.
pub fn past_slot(back: u64) -> u64 {
    *aura::slot_now(SLOT_DURATION) - back
}

/// The current slot by the wall clock.
pub fn current_slot() -> u64 {
    *aura::slot_now(SLOT_DURATION)
}

/// The Aura slot of a block, from its pre-digest (`None` for genesis or a header without one).
pub fn slot_of(header: &Header) -> Option<u64> {
    aura::pre_digest(header).ok().map(|slot| *slot)
}

/// The dev keys (`//Alice`, `//Bob`, ...), which own every slot of the dev and local chains.
pub fn dev_keys() -> Vec<sr25519::Pair> {
    sp_keyring::Sr25519Keyring::iter()
        .map(|k| k.pair())
        .collect()
}

/// The key among `keys` of the Aura authority that owns `slot` on `parent`.
pub fn slot_owner(
    client: &Client,
    parent: H256,
    slot: u64,
    keys: &[sr25519::Pair],
) -> sr25519::Pair {
    let authorities = client
        .aura_authorities(parent)
        .expect("the runtime answers AuraApi_authorities");
    let owner =
        aura::slot_author(Slot::from(slot), &authorities).expect("the chain has Aura authorities");
    keys.iter()
        .find(|p| p.public().as_slice() == owner.as_slice())
        .unwrap_or_else(|| panic!("no key given for the Aura authority {owner}"))
        .clone()
}

/// Seals `header` with `key`'s signature over its pre-seal hash.
pub fn seal_header(header: &mut Header, key: &sr25519::Pair) {
    let signature = key.sign(header.hash().as_bytes());
    aura::seal(header, signature.into());
}

/// A block to author: on the best block unless [`NewBlock::on`] says otherwise, by the
/// slot's owner among the dev keys unless [`NewBlock::by`] or [`NewBlock::by_owner_among`]
/// says otherwise.
pub struct NewBlock<'a> {
    client: &'a Client,
    parent: Option<H256>,
    slot: u64,
    extrinsics: Vec<OpaqueExtrinsic>,
    /// The candidate keys: the slot owner's among them authors ([`NewBlock::by`] gives one).
    keys: Vec<sr25519::Pair>,
    /// Author with `keys[0]` whether or not it owns the slot.
    forced: bool,
}

impl<'a> NewBlock<'a> {
    /// A block of `slot` on `client`'s best block, with the inherents only.
    pub fn new(client: &'a Client, slot: u64) -> Self {
        Self {
            client,
            parent: None,
            slot,
            extrinsics: Vec::new(),
            keys: dev_keys(),
            forced: false,
        }
    }

    /// Builds on `parent` instead of the best block.
    pub fn on(mut self, parent: H256) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Adds extrinsics after the inherents.
    pub fn with(mut self, extrinsics: impl IntoIterator<Item = OpaqueExtrinsic>) -> Self {
        self.extrinsics.extend(extrinsics);
        self
    }

    /// Adds extrinsics given as SCALE bytes after the inherents.
    pub fn with_encoded<B: AsRef<[u8]>>(self, extrinsics: impl IntoIterator<Item = B>) -> Self {
        self.with(extrinsics.into_iter().map(|bytes| {
            OpaqueExtrinsic::try_from_encoded_extrinsic(bytes.as_ref())
                .expect("an extrinsic's SCALE bytes")
        }))
    }

    /// Authors (pre-digest and seal) with `key`, whether or not it owns the slot.
    pub fn by(mut self, key: &sr25519::Pair) -> Self {
        self.keys = vec![key.clone()];
        self.forced = true;
        self
    }

    /// Authors with the slot owner's key, found among `keys`.
    pub fn by_owner_among(mut self, keys: &[sr25519::Pair]) -> Self {
        self.keys = keys.to_vec();
        self.forced = false;
        self
    }

    /// Executes the block; the header is not sealed yet.
    pub fn build(self) -> UnsealedBlock {
        let client = self.client;
        let parent = self.parent.unwrap_or_else(|| client.info().best_hash);
        let author = if self.forced {
            self.keys[0].clone()
        } else {
            slot_owner(client, parent, self.slot, &self.keys)
        };
        let digest = client
            .pre_digest(parent, Slot::from(self.slot), &author)
            .expect("the parent's epoch randomness reads");
        let mut builder = client
            .new_block_builder(parent, digest)
            .expect("a block builder on the parent");
        let mut data = sp_inherents::InherentData::new();
        data.put_data(
            sp_timestamp::INHERENT_IDENTIFIER,
            &(self.slot * SLOT_DURATION),
        )
        .expect("the timestamp encodes");
        for xt in builder
            .create_inherents(&data)
            .expect("the runtime makes the inherents")
        {
            builder.push(xt).expect("an inherent applies");
        }
        for xt in self.extrinsics {
            builder.push(xt).expect("an extrinsic of the block applies");
        }
        let built = builder.build().expect("the block builds");
        UnsealedBlock {
            header: built.header,
            body: built.body,
            changes: built.changes,
            author,
        }
    }

    /// Builds the block and seals it by its author.
    pub fn seal(self) -> SealedBlock {
        self.build().seal()
    }

    /// Builds, seals and imports the block as the node's own, not finalized. Returns its hash.
    pub fn import(self) -> H256 {
        let client = self.client;
        self.seal().import_own(client, false)
    }

    /// Builds, seals and imports the block as the node's own, finalizing it at once.
    pub fn import_finalized(self) -> H256 {
        let client = self.client;
        self.seal().import_own(client, true)
    }
}

/// An executed block whose header is not sealed yet.
pub struct UnsealedBlock {
    /// The header as the runtime finalized it, with the slot and VRF pre-digests and no
    /// seal; a test may alter it before sealing to forge a bad block.
    pub header: Header,
    /// The inherents, then the extrinsics given to [`NewBlock::with`].
    pub body: Vec<OpaqueExtrinsic>,
    /// What importing it writes, as building it computed.
    pub changes: StorageChanges<BlakeTwo256>,
    /// The key of the pre-digest, which seals it by default.
    pub author: sr25519::Pair,
}

impl UnsealedBlock {
    /// Seals with the author's key.
    pub fn seal(self) -> SealedBlock {
        let key = self.author.clone();
        self.seal_with(&key)
    }

    /// Seals with `key` (a wrong author when it is not the pre-digest's).
    pub fn seal_with(self, key: &sr25519::Pair) -> SealedBlock {
        let mut header = self.header;
        seal_header(&mut header, key);
        SealedBlock {
            header,
            body: self.body,
            changes: self.changes,
        }
    }
}

/// A sealed block, not imported yet.
pub struct SealedBlock {
    /// The header, its Aura seal as the last digest item.
    pub header: Header,
    /// The inherents, then the block's extrinsics.
    pub body: Vec<OpaqueExtrinsic>,
    /// What importing it writes, as building it computed.
    pub changes: StorageChanges<BlakeTwo256>,
}

impl SealedBlock {
    /// The block's hash: that of the sealed header.
    pub fn hash(&self) -> H256 {
        self.header.hash()
    }

    /// Imports the block as the node's own, with the changes building it computed.
    pub fn import_own(self, client: &Client, finalize: bool) -> H256 {
        let hash = self.hash();
        client
            .import_block(ImportBlock {
                header: self.header,
                body: self.body,
                justifications: None,
                origin: BlockOrigin::Own,
                changes: Some(self.changes),
                finalize,
            })
            .expect("an authored block imports");
        hash
    }

    /// Imports the block into `client` from `origin`, which executes it.
    pub fn import_from(&self, client: &Client, origin: BlockOrigin) -> Result<ImportResult, Error> {
        client.import_block(ImportBlock {
            header: self.header.clone(),
            body: self.body.clone(),
            justifications: None,
            origin,
            changes: None,
            finalize: false,
        })
    }
}

/// Imports `from`'s best chain into `to` (which executes every block), from block 1 on.
pub fn copy_chain(from: &Client, to: &Client) {
    for number in 1..=from.info().best_number {
        let hash = from
            .hash(number)
            .expect("the source database reads")
            .expect("the source's canonical chain is complete");
        let block = from
            .block(hash)
            .expect("the source database reads")
            .expect("the source has the block");
        to.import_block(ImportBlock {
            header: block.header,
            body: block.extrinsics,
            justifications: None,
            origin: BlockOrigin::File,
            changes: None,
            finalize: false,
        })
        .expect("the copied block imports");
    }
}

/// The pool's ready transactions for the next block, taken once the pool has caught up
/// with `client`'s best block. Taken earlier, the ready set may still hold transactions
/// that the best block includes (the pool's maintenance task removes them after the
/// import), and pushing one again fails as `Stale`. Panics after [`crate::DEADLINE`].
pub async fn pool_ready_set(pool: &Pool, client: &Client) -> Vec<OpaqueExtrinsic> {
    let best = client.info().best_hash;
    let mut processed = pool.processed_best();
    crate::within(
        crate::DEADLINE,
        "the pool to process the best block's import (is its maintenance task running?)",
        processed.wait_for(|hash| *hash == best),
    )
    .await
    .expect("the pool is alive");
    pool.ready_for_block()
        .into_iter()
        .map(|t| t.extrinsic())
        .collect()
}
