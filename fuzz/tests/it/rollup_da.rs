//! Target `rollup_da`: the rollup's data-availability payload decoder
//! (`echonet_rollup_primitives::da::decode` and the DA hash over it), which the bridge runs
//! on the bytes an operator posts.
//!
//! Seeds: payloads of valid records (transfers, withdrawals, deposits, no-ops) for batch
//! sizes 1 to 64. Properties: no panic; bounded allocation; a payload that decodes has
//! exactly `batch_size` records, its posted records re-encode to the very bytes posted
//! (one payload per batch), the rest are no-ops; posting a trailing no-op explicitly
//! changes neither the records nor the DA hash.

use crate::common::bounded;
use echonet_fuzz::{fuzz, mutate};
use echonet_rollup_primitives::{
    da::{self, DaRecord, HEADER_BYTES, RECORD_BYTES},
    float::{Amount40, Fee8},
    tree::RESERVED_INDEX,
};
use proptest::{collection::vec, prelude::*};

fn index() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..16, 0u32..RESERVED_INDEX]
}

fn record() -> impl Strategy<Value = DaRecord> {
    let amount = (0u64..(1 << 40)).prop_map(|c| Amount40::from_code(c).expect("40 bits"));
    prop_oneof![
        (index(), index(), amount.clone(), any::<u8>())
            .prop_filter("no self-transfers", |(from, to, _, _)| from != to)
            .prop_map(|(from, to, amount, fee)| DaRecord::Transfer {
                from,
                to,
                amount,
                fee: Fee8(fee),
            }),
        (index(), amount, any::<u8>()).prop_map(|(from, amount, fee)| DaRecord::Withdraw {
            from,
            amount,
            fee: Fee8(fee),
        }),
        index().prop_map(|to| DaRecord::Deposit { to }),
        Just(DaRecord::Noop),
    ]
}

fn payload(operator: u32, records: &[DaRecord]) -> Vec<u8> {
    let mut out = operator.to_be_bytes()[1..].to_vec();
    for r in records {
        out.extend_from_slice(&r.to_bytes());
    }
    out
}

fn case() -> impl Strategy<Value = (mutate::Input, usize)> {
    (1usize..=64).prop_flat_map(|batch_size| {
        let valid = (0u32..(1 << 24), vec(record(), 0..=batch_size))
            .prop_map(|(operator, records)| payload(operator, &records));
        (mutate::input(valid), Just(batch_size))
    })
}

#[test]
fn rollup_da() {
    fuzz("rollup_da", case(), |(input, batch_size)| {
        let bytes = &input.bytes[..];
        let decoded = bounded(bytes, |b| da::decode(b, batch_size))?;
        if input.original.as_deref() == Some(bytes) {
            prop_assert!(
                decoded.is_ok(),
                "a valid payload does not decode: {:?}",
                decoded
            );
        }
        let Ok(batch) = decoded else {
            prop_assert!(da::hash(bytes, batch_size).is_err());
            return Ok(());
        };
        prop_assert_eq!(batch.records.len(), batch_size);
        let posted = (bytes.len() - HEADER_BYTES) / RECORD_BYTES;
        prop_assert_eq!(payload(batch.operator, &batch.records[..posted]), bytes);
        prop_assert!(batch.records[posted..].iter().all(|r| *r == DaRecord::Noop));
        let hash = da::hash(bytes, batch_size).expect("it decoded");
        prop_assert_eq!(hash, da::hash_records(batch.operator, &batch.records));
        if posted < batch_size {
            let mut padded = bytes.to_vec();
            padded.extend_from_slice(&DaRecord::Noop.to_bytes());
            let again = da::decode(&padded, batch_size).expect("one more no-op fits");
            prop_assert_eq!(&again, &batch);
            prop_assert_eq!(da::hash(&padded, batch_size).expect("it decodes"), hash);
        }
        Ok(())
    });
}
