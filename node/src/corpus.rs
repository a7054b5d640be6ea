//! `echonet-node benchmark corpus`: a block corpus that exercises the runtime broadly, for
//! checking that two builds of the node reach the same state roots.
//!
//! The runtime runs natively, so its arithmetic and its `debug_assert!`s are those of the
//! node's build profile. A debug node and a release node that disagree on one block split
//! the chain. `scripts/cross-build-state-roots.sh` builds this corpus with one build and
//! imports it with the other (`import-blocks` executes every block and compares each
//! header's state root with its own), in both directions.
//!
//! The corpus is written as `spec.json` (the chain spec: the development genesis plus the
//! corpus's funded accounts, as a patch that the importing build turns into genesis state
//! itself) and `blocks.bin` (`export-blocks --binary` format). Its blocks hold:
//! - sudo shortening the session to [`SESSION_BLOCKS`] blocks, so that sessions, epochs
//!   (committee draws, VRF randomness) and eras (elections, rewards) turn over many times;
//! - balance transfers every block, including transfers that fail for lack of funds;
//! - staking: bond, nominate, bond_extra, unbond, rebond, chill, withdraw_unbonded, and
//!   validate-then-chill intentions;
//! - witness calls: bond and register as witnesses, events submitted every block and
//!   attested by the committee, duplicate events and attestations (dispatch errors).

use crate::benchmark::{base_slot, seal, start_block, Fixture};
use crate::cli::CorpusCmd;
use anyhow::{bail, Context};
use codec::Encode;
use echonet_client::{BlockOrigin, ImportBlock, PushError};
use echonet_runtime::{
    extrinsics, AccountId, BalancesCall, RuntimeCall, SudoCall, SystemCall, UNITS,
};
use pallet_witness::{EventClass, Verdict};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{
    generic::SignedBlock,
    traits::{BlakeTwo256, Hash as _},
    OpaqueExtrinsic, Perbill,
};
use std::io::Write;

/// Blocks per session in the corpus (an era is six sessions).
pub const SESSION_BLOCKS: u32 = 5;

/// Accounts 0..16 transfer every block.
const TRANSFERS: std::ops::Range<usize> = 0..16;
/// Accounts 16..24 nominate Alice and move their bonds around.
const NOMINATORS: std::ops::Range<usize> = 16..24;
/// Accounts 24..28 declare themselves validators and chill in the same block.
const CANDIDATES: std::ops::Range<usize> = 24..28;
/// Accounts 28..34 bond and register as witnesses of every event class.
const WITNESSES: std::ops::Range<usize> = 28..34;
/// Accounts 34..40 submit witness events.
const SUBMITTERS: std::ops::Range<usize> = 34..40;
/// How many accounts the corpus funds.
const ACCOUNTS: usize = 40;

/// Writes the corpus into `cmd.output`.
pub fn run(cmd: &CorpusCmd) -> anyhow::Result<()> {
    if cmd.blocks < 10 {
        bail!("--blocks must be at least 10: the staking schedule needs them");
    }
    std::fs::create_dir_all(&cmd.output)
        .with_context(|| format!("cannot create {}", cmd.output.display()))?;
    let mut fx = Fixture::new(ACCOUNTS)?;
    fx.spec.id = "corpus".into();
    fx.spec.name = "EchoNet build-comparison corpus".into();
    let client = fx.open("corpus", true)?;
    let genesis = client.info().genesis_hash;
    let alice = sp_keyring::Sr25519Keyring::Alice.pair();
    let mut alice_nonce = 0u32;
    let mut plan = Plan {
        submitted: Vec::new(),
    };
    let slot = base_slot();
    let mut pending = std::collections::VecDeque::new();
    let mut blocks = Vec::with_capacity(cmd.blocks);
    let mut tally = std::collections::BTreeMap::<String, u32>::new();
    for n in 1..=cmd.blocks as u32 {
        let mut txs = Vec::new();
        let mut alice_call = |call: RuntimeCall| {
            let xt = extrinsics::signed(call, &alice, alice_nonce, 0, genesis);
            alice_nonce += 1;
            opaque(&xt)
        };
        if n == 1 {
            let key = echonet_runtime::configs::SessionPeriod::key().to_vec();
            txs.push(alice_call(RuntimeCall::Sudo(SudoCall::sudo {
                call: Box::new(RuntimeCall::System(SystemCall::set_storage {
                    items: vec![(key, SESSION_BLOCKS.encode())],
                })),
            })));
        }
        // Alice is the dev chain's only genesis witness: it attests what was submitted in
        // the block before, and once more the block after (the second time is refused).
        let verdicts: Vec<_> = plan
            .submitted
            .iter()
            .map(|id| {
                (
                    *id,
                    if id.0[0] % 4 == 0 {
                        Verdict::Invalid
                    } else {
                        Verdict::Valid
                    },
                )
            })
            .collect();
        if !verdicts.is_empty() {
            txs.push(alice_call(RuntimeCall::Witness(
                pallet_witness::Call::attest {
                    verdicts: verdicts.clone().try_into().expect("at most 6 verdicts"),
                },
            )));
        }
        plan.submitted.clear();
        for (s, call) in plan.calls(n, &fx.senders) {
            txs.push(fx.signed_one(s, call, genesis));
        }
        for (s, payload) in SUBMITTERS.zip(0u8..) {
            let class = EventClass::ALL[(n as usize + s) % EventClass::ALL.len()];
            // Every tenth block resubmits the block before's payload: a duplicate.
            let round = if n % 10 == 0 { n - 1 } else { n };
            let payload_hash = BlakeTwo256::hash_of(&(b"corpus", round, payload));
            if round == n {
                plan.submitted
                    .push(pallet_witness::event_id(class, &payload_hash));
            }
            let call = RuntimeCall::Witness(pallet_witness::Call::submit_event {
                class,
                payload_hash,
            });
            txs.push(fx.signed_one(s, call, genesis));
        }
        // Blocks that open a session or an era may have little room left after the
        // runtime's own work: what does not fit waits for the next block, in order.
        pending.extend(txs);
        let built = build_fitting(&client, slot + n as u64, &mut pending)
            .with_context(|| format!("cannot build corpus block #{n}"))?;
        let header = seal(built.header);
        blocks.push(SignedBlock {
            block: echonet_runtime::Block {
                header: header.clone(),
                extrinsics: built
                    .body
                    .iter()
                    .map(|xt| codec::Decode::decode(&mut &xt.encode()[..]))
                    .collect::<Result<_, _>>()
                    .context("an extrinsic we built does not decode")?,
            },
            justifications: None,
        });
        let hash = header.hash();
        client.import_block(ImportBlock {
            header,
            body: built.body,
            justifications: None,
            origin: BlockOrigin::Own,
            changes: Some(built.changes),
            finalize: true,
        })?;
        tally_events(&client, hash, &mut tally)?;
    }
    if !pending.is_empty() {
        eprintln!(
            "corpus: {} transactions did not fit before the last block",
            pending.len()
        );
    }
    // What the corpus exercised, so that a change that makes its calls fail shows.
    eprintln!("corpus: events emitted (pallet and event: count):");
    for (event, count) in &tally {
        eprintln!("  {event}: {count}");
    }
    let info = client.info();
    let best = client
        .header(info.best_hash)?
        .context("the best header is missing")?;
    let spec_path = cmd.output.join("spec.json");
    std::fs::write(&spec_path, fx.spec.to_json(false)?)
        .with_context(|| format!("cannot write {}", spec_path.display()))?;
    let blocks_path = cmd.output.join("blocks.bin");
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&blocks_path)
            .with_context(|| format!("cannot create {}", blocks_path.display()))?,
    );
    out.write_all(&(blocks.len() as u64).to_le_bytes())?;
    for block in &blocks {
        out.write_all(&block.encode())?;
    }
    out.flush()?;
    println!(
        "corpus: {} blocks in {}; best #{} {:?} state root {:?}",
        blocks.len(),
        cmd.output.display(),
        info.best_number,
        info.best_hash,
        best.state_root
    );
    Ok(())
}

/// Adds the events of block `hash` to `tally`, by pallet and event name.
fn tally_events(
    client: &echonet_client::Client,
    hash: H256,
    tally: &mut std::collections::BTreeMap<String, u32>,
) -> anyhow::Result<()> {
    let key = [
        sp_io::hashing::twox_128(b"System"),
        sp_io::hashing::twox_128(b"Events"),
    ]
    .concat();
    let Some(raw) = client.storage(hash, &key)? else {
        return Ok(());
    };
    let records: Vec<frame_system::EventRecord<echonet_runtime::RuntimeEvent, H256>> =
        codec::Decode::decode(&mut &raw[..]).context("System::Events does not decode")?;
    for record in records {
        let name = format!("{:?}", record.event);
        let name: String = name
            .split([' ', '{'])
            .next()
            .unwrap_or_default()
            .trim_end_matches('(')
            .replace('(', "::");
        *tally.entry(name).or_default() += 1;
    }
    Ok(())
}

/// Builds a block on the best block of `client` at `slot` with the transactions at the
/// front of `pending` that fit, and leaves the rest there.
fn build_fitting(
    client: &echonet_client::Client,
    slot: u64,
    pending: &mut std::collections::VecDeque<OpaqueExtrinsic>,
) -> anyhow::Result<echonet_client::BuiltBlock> {
    use sp_runtime::transaction_validity::{InvalidTransaction, TransactionValidityError};
    let mut builder = start_block(client, slot)?;
    while let Some(xt) = pending.pop_front() {
        match builder.push(xt.clone()) {
            Ok(()) => {}
            Err(PushError::Invalid(TransactionValidityError::Invalid(
                InvalidTransaction::ExhaustsResources,
            ))) => {
                pending.push_front(xt);
                break;
            }
            Err(e) => bail!("a corpus transaction was refused: {e}"),
        }
    }
    Ok(builder.build()?)
}

fn opaque(xt: &echonet_runtime::UncheckedExtrinsic) -> OpaqueExtrinsic {
    OpaqueExtrinsic::try_from_encoded_extrinsic(&xt.encode())
        .expect("an extrinsic we just encoded decodes")
}

/// What the corpus's accounts do, block by block.
struct Plan {
    /// The events submitted in the block being built, attested in the next one.
    submitted: Vec<pallet_witness::EventId>,
}

impl Plan {
    /// The signed calls (sender index, call) of block `n`, besides Alice's and the
    /// event submissions.
    fn calls(&self, n: u32, senders: &[sr25519::Pair]) -> Vec<(usize, RuntimeCall)> {
        use pallet_witness::Call as W;
        let account = |s: usize| -> AccountId { senders[s].public().into() };
        let alice: AccountId = sp_keyring::Sr25519Keyring::Alice.to_account_id();
        let mut calls = Vec::new();
        for s in TRANSFERS {
            let dest = account(TRANSFERS.start + (s + 1 + n as usize) % TRANSFERS.len());
            // Every seventh block, one sender tries to send more than it has: the
            // transfer fails in dispatch, the fee is still paid.
            let value = if n.is_multiple_of(7) && s == TRANSFERS.start {
                u128::MAX / 2
            } else {
                UNITS + u128::from(n) * 1_000 + s as u128
            };
            calls.push((
                s,
                RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
                    dest: dest.into(),
                    value,
                }),
            ));
        }
        for s in NOMINATORS {
            let i = (s - NOMINATORS.start) as u32;
            let call = match n.checked_sub(i % 3) {
                Some(2) => W::bond {
                    value: 500 * UNITS + u128::from(i) * UNITS,
                },
                Some(3) => W::nominate {
                    targets: vec![alice.clone()].try_into().expect("one target"),
                },
                Some(m) if m % 17 == 0 => W::bond_extra { value: 7 * UNITS },
                Some(m) if m % 23 == 0 => W::unbond { value: 40 * UNITS },
                Some(m) if m % 29 == 0 => W::rebond { value: 15 * UNITS },
                Some(m) if m % 31 == 0 => W::withdraw_unbonded {},
                Some(m) if m % 37 == 0 && i.is_multiple_of(2) => W::chill {},
                Some(m) if m % 41 == 0 => W::nominate {
                    targets: vec![alice.clone(), account(CANDIDATES.start)]
                        .try_into()
                        .expect("two targets"),
                },
                _ => continue,
            };
            calls.push((s, RuntimeCall::Witness(call)));
        }
        for s in CANDIDATES {
            match n {
                2 => calls.push((
                    s,
                    RuntimeCall::Witness(W::bond {
                        value: 20_000 * UNITS,
                    }),
                )),
                m if m % 11 == 4 => {
                    calls.push((
                        s,
                        RuntimeCall::Witness(W::validate {
                            commission: Perbill::from_percent(5 + s as u32),
                        }),
                    ));
                    calls.push((s, RuntimeCall::Witness(W::chill {})));
                }
                _ => {}
            }
        }
        for s in WITNESSES {
            let call = match n {
                2 => W::bond {
                    value: 2_000 * UNITS,
                },
                3 => W::register_witness {
                    classes: EventClass::ALL.to_vec().try_into().expect("every class"),
                },
                m if m % 19 == 0 && s == WITNESSES.start => W::deregister_witness {},
                m if m % 19 == 1 && s == WITNESSES.start => W::register_witness {
                    classes: vec![EventClass::Interaction].try_into().expect("one class"),
                },
                _ => continue,
            };
            calls.push((s, RuntimeCall::Witness(call)));
        }
        calls
    }
}

impl Fixture {
    /// One extrinsic: `call` signed by sender `s` with its next nonce.
    fn signed_one(&mut self, s: usize, call: RuntimeCall, genesis: H256) -> OpaqueExtrinsic {
        let nonce = self.nonces[s];
        self.nonces[s] += 1;
        opaque(&extrinsics::signed(
            call,
            &self.senders[s],
            nonce,
            0,
            genesis,
        ))
    }
}
