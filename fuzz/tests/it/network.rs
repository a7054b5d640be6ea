//! Target `network`: every message a peer sends over the wire, through the network's own
//! decoder (`decode_all`: depth limit, no trailing bytes) and, for the request-response
//! protocols, through the codec that reads it off the stream (size cap, then decode).
//!
//! Properties: no panic; bounded allocation; a message that decodes re-encodes to the
//! very bytes it came from (so two encodings never mean one message); the codec delivers
//! a request as valid exactly when it is within the cap and decodes, never errors on an
//! in-memory stream, and accepts a response exactly when it is non-empty, within the cap
//! and decodes.

use crate::common::{bounded, hash, header};
use codec::{Decode, Encode};
use echonet_fuzz::{fuzz, mutate};
use echonet_network::{
    fuzzing::{decode_all, DdsCodec, Incoming, ScaleCodec},
    BlockAnnounce, BlockData, BlockFields, BlockId, BlockRequest, BlockResponse, CompactBody,
    DdsResponse, Direction, Handshake, JustificationResponse, Refusal, Role, Status,
    TransactionsMessage, MAX_BLOCK_ANNOUNCE_SIZE, MAX_BLOCK_REQUEST_SIZE, MAX_BLOCK_RESPONSE_SIZE,
    MAX_DDS_REQUEST_SIZE, MAX_DDS_RESPONSE_SIZE, MAX_HANDSHAKE_SIZE,
    MAX_JUSTIFICATION_REQUEST_SIZE, MAX_JUSTIFICATION_RESPONSE_SIZE, MAX_TRANSACTIONS_SIZE,
};
use echonet_network::{
    StateChunk, StateRequest, StateResponse, WarpFragment, WarpProof, WarpProofRequest,
    WarpProofResponse, MAX_STATE_REQUEST_SIZE, MAX_STATE_RESPONSE_SIZE,
    MAX_WARP_PROOF_REQUEST_SIZE, MAX_WARP_PROOF_RESPONSE_SIZE,
};
use futures::{executor::block_on, io::Cursor};
use libp2p::StreamProtocol;
use proptest::{collection::vec, option, prelude::*, test_runner::TestCaseResult};
use sp_core::H256;
use sp_runtime::{Justifications, OpaqueExtrinsic};
use std::{fmt::Debug, io};

/// Which message the bytes are read as.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Handshake,
    BlockRequest,
    BlockResponse,
    JustificationRequest,
    JustificationResponse,
    BlockAnnounce,
    Transactions,
    WarpProofRequest,
    WarpProofResponse,
    StateRequest,
    StateResponse,
    /// A data store answer (and request: opaque bytes).
    Dds,
}

fn handshake() -> impl Strategy<Value = Handshake> {
    (
        prop_oneof![Just(Role::Full), Just(Role::Authority)],
        hash(),
        any::<u32>(),
        hash(),
        any::<u32>(),
        hash(),
    )
        .prop_map(
            |(role, genesis_hash, best_number, best_hash, finalized_number, finalized_hash)| {
                Handshake {
                    role,
                    status: Status {
                        genesis_hash,
                        best_number,
                        best_hash,
                        finalized_number,
                        finalized_hash,
                    },
                }
            },
        )
}

fn block_request() -> impl Strategy<Value = BlockRequest> {
    (
        prop_oneof![
            hash().prop_map(BlockId::Hash),
            any::<u32>().prop_map(BlockId::Number)
        ],
        prop_oneof![Just(Direction::Ascending), Just(Direction::Descending)],
        any::<u32>(),
        any::<[bool; 3]>(),
    )
        .prop_map(|(from, direction, max, [h, b, j])| BlockRequest {
            from,
            direction,
            max,
            fields: BlockFields {
                header: h,
                body: b,
                justification: j,
            },
        })
}

fn justifications() -> impl Strategy<Value = Justifications> {
    vec((any::<[u8; 4]>(), vec(any::<u8>(), 0..128)), 1..3).prop_map(Justifications::new)
}

fn extrinsic() -> impl Strategy<Value = OpaqueExtrinsic> {
    vec(any::<u8>(), 0..96).prop_map(|body| {
        OpaqueExtrinsic::try_from_encoded_extrinsic(&body.encode())
            .expect("a length-prefixed blob is an opaque extrinsic")
    })
}

fn dds_response() -> impl Strategy<Value = DdsResponse> {
    prop_oneof![
        vec(any::<u8>(), 0..600).prop_map(Ok),
        // Lengths whose compact prefix takes 2 and 4 bytes.
        (16_384usize..16_500).prop_map(|n| Ok(vec![7u8; n])),
        refusal().prop_map(Err),
    ]
}

fn refusal() -> impl Strategy<Value = Refusal> {
    prop_oneof![Just(Refusal::TooManyRequests), Just(Refusal::Busy)]
}

fn block_response() -> impl Strategy<Value = BlockResponse> {
    let block = (
        hash(),
        option::of(header()),
        option::of(vec(extrinsic(), 0..4)),
        option::of(justifications()),
    )
        .prop_map(|(hash, header, body, justifications)| BlockData {
            hash,
            header,
            body,
            justifications,
        });
    prop_oneof![
        3 => vec(block, 0..4).prop_map(Ok),
        1 => refusal().prop_map(Err),
    ]
}

fn justification_response() -> impl Strategy<Value = JustificationResponse> {
    prop_oneof![
        3 => option::of(justifications()).prop_map(Ok),
        1 => refusal().prop_map(Err),
    ]
}

fn warp_proof_response() -> impl Strategy<Value = WarpProofResponse> {
    let fragment =
        (vec(header(), 1..3), vec(any::<u8>(), 0..64)).prop_map(|(headers, justification)| {
            WarpFragment {
                headers,
                justification,
            }
        });
    let proof = (
        vec(fragment, 0..3),
        any::<bool>(),
        option::of((header(), vec(any::<u8>(), 0..64))),
    )
        .prop_map(|(fragments, is_finished, target)| WarpProof {
            fragments,
            is_finished,
            target,
        });
    prop_oneof![
        3 => option::of(proof).prop_map(Ok),
        1 => refusal().prop_map(Err),
    ]
}

fn state_request() -> impl Strategy<Value = StateRequest> {
    (hash(), vec(any::<u8>(), 0..48)).prop_map(|(block, start)| StateRequest { block, start })
}

fn state_response() -> impl Strategy<Value = StateResponse> {
    let chunk = vec(vec(any::<u8>(), 0..64), 0..4).prop_map(|proof| StateChunk { proof });
    prop_oneof![
        3 => option::of(chunk).prop_map(Ok),
        1 => refusal().prop_map(Err),
    ]
}

fn compact_body() -> impl Strategy<Value = CompactBody> {
    let prefilled = vec(
        (
            0u32..8,
            vec(any::<u8>(), 0..16).prop_map(OpaqueExtrinsic::from_blob),
        ),
        0..3,
    );
    (prefilled, vec(any::<[u8; 6]>(), 0..8)).prop_map(|(prefilled, short_ids)| CompactBody {
        prefilled,
        short_ids,
    })
}

fn block_announce() -> impl Strategy<Value = BlockAnnounce> {
    (header(), any::<bool>(), option::of(compact_body())).prop_map(|(header, is_best, compact)| {
        BlockAnnounce {
            header,
            is_best,
            compact,
        }
    })
}

fn transactions() -> impl Strategy<Value = TransactionsMessage> {
    vec(vec(any::<u8>(), 0..64), 0..6)
}

fn encoded<T: Encode>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Vec<u8>> {
    s.prop_map(|v| v.encode())
}

fn case() -> impl Strategy<Value = (Kind, mutate::Input)> {
    prop_oneof![
        mutate::input(encoded(handshake())).prop_map(|i| (Kind::Handshake, i)),
        mutate::input(encoded(block_request())).prop_map(|i| (Kind::BlockRequest, i)),
        mutate::input(encoded(block_response())).prop_map(|i| (Kind::BlockResponse, i)),
        mutate::input(encoded(hash())).prop_map(|i| (Kind::JustificationRequest, i)),
        mutate::input(encoded(justification_response()))
            .prop_map(|i| (Kind::JustificationResponse, i)),
        mutate::input(encoded(block_announce())).prop_map(|i| (Kind::BlockAnnounce, i)),
        mutate::input(encoded(transactions())).prop_map(|i| (Kind::Transactions, i)),
        mutate::input(encoded(
            any::<u64>().prop_map(|set_id| WarpProofRequest { set_id })
        ))
        .prop_map(|i| (Kind::WarpProofRequest, i)),
        mutate::input(encoded(warp_proof_response())).prop_map(|i| (Kind::WarpProofResponse, i)),
        mutate::input(encoded(state_request())).prop_map(|i| (Kind::StateRequest, i)),
        mutate::input(encoded(state_response())).prop_map(|i| (Kind::StateResponse, i)),
        mutate::input(encoded(dds_response())).prop_map(|i| (Kind::Dds, i)),
    ]
}

/// The network's decoder on `bytes` as a `T`: bounded, and canonical when it succeeds.
fn decodes_canonically<T: Decode + Encode + Debug>(bytes: &[u8]) -> Result<bool, TestCaseError> {
    match bounded(bytes, decode_all::<T>)? {
        Ok(value) => {
            prop_assert_eq!(
                value.encode(),
                bytes,
                "{:?} decoded from bytes it does not encode to",
                value
            );
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

/// The request-response codec on `bytes`, read as a request and as a response.
fn through_codec<Req, Resp>(bytes: &[u8], max_request: usize, max_response: usize) -> TestCaseResult
where
    Req: Encode + Decode + Send + Debug + 'static,
    Resp: Encode + Decode + Send + Debug + 'static,
{
    let codec = ScaleCodec::<Req, Resp>::without_metrics(max_request, max_response);
    through(codec, bytes, max_request, max_response)
}

/// `bytes` through `codec`, read as a request and as a response (see the module
/// documentation for what must hold).
fn through<Req, Resp, C>(
    mut codec: C,
    bytes: &[u8],
    max_request: usize,
    max_response: usize,
) -> TestCaseResult
where
    Req: Encode + Decode + Send + Debug + 'static,
    Resp: Encode + Decode + Send + Debug + 'static,
    C: libp2p::request_response::Codec<
        Protocol = StreamProtocol,
        Request = Incoming<Req>,
        Response = Resp,
    >,
{
    let protocol = StreamProtocol::new("/fuzz/1");
    let request_ok = bytes.len() <= max_request && decode_all::<Req>(bytes).is_ok();
    let read = bounded(bytes, |b| {
        block_on(codec.read_request(&protocol, &mut Cursor::new(b.to_vec())))
    })?;
    match read {
        Ok(Incoming::Valid(request)) => {
            prop_assert!(request_ok, "the codec accepted {:?}", request);
            prop_assert_eq!(request.encode(), bytes);
        }
        Ok(Incoming::Malformed(_)) => {
            prop_assert!(!request_ok, "the codec refused a valid request")
        }
        Err(e) => prop_assert!(false, "an in-memory request read failed: {}", e),
    }

    let response_ok =
        !bytes.is_empty() && bytes.len() <= max_response && decode_all::<Resp>(bytes).is_ok();
    let read = bounded(bytes, |b| {
        block_on(codec.read_response(&protocol, &mut Cursor::new(b.to_vec())))
    })?;
    match read {
        Ok(response) => {
            prop_assert!(response_ok, "the codec accepted {:?}", response);
            prop_assert_eq!(response.encode(), bytes);
        }
        Err(e) => {
            prop_assert!(!response_ok, "the codec refused a valid response: {}", e);
            let expected = if bytes.is_empty() {
                io::ErrorKind::UnexpectedEof
            } else {
                io::ErrorKind::InvalidData
            };
            prop_assert_eq!(e.kind(), expected);
        }
    }
    Ok(())
}

fn check(kind: Kind, bytes: &[u8]) -> TestCaseResult {
    match kind {
        Kind::Handshake => {
            decodes_canonically::<Handshake>(bytes)?;
            through_codec::<Handshake, Handshake>(bytes, MAX_HANDSHAKE_SIZE, MAX_HANDSHAKE_SIZE)
        }
        Kind::BlockRequest | Kind::BlockResponse => {
            decodes_canonically::<BlockRequest>(bytes)?;
            decodes_canonically::<BlockResponse>(bytes)?;
            through_codec::<BlockRequest, BlockResponse>(
                bytes,
                MAX_BLOCK_REQUEST_SIZE,
                MAX_BLOCK_RESPONSE_SIZE,
            )
        }
        Kind::JustificationRequest | Kind::JustificationResponse => {
            decodes_canonically::<H256>(bytes)?;
            decodes_canonically::<JustificationResponse>(bytes)?;
            through_codec::<H256, JustificationResponse>(
                bytes,
                MAX_JUSTIFICATION_REQUEST_SIZE,
                MAX_JUSTIFICATION_RESPONSE_SIZE,
            )
        }
        Kind::WarpProofRequest | Kind::WarpProofResponse => {
            decodes_canonically::<WarpProofRequest>(bytes)?;
            decodes_canonically::<WarpProofResponse>(bytes)?;
            through_codec::<WarpProofRequest, WarpProofResponse>(
                bytes,
                MAX_WARP_PROOF_REQUEST_SIZE,
                MAX_WARP_PROOF_RESPONSE_SIZE,
            )
        }
        Kind::StateRequest | Kind::StateResponse => {
            decodes_canonically::<StateRequest>(bytes)?;
            decodes_canonically::<StateResponse>(bytes)?;
            through_codec::<StateRequest, StateResponse>(
                bytes,
                MAX_STATE_REQUEST_SIZE,
                MAX_STATE_RESPONSE_SIZE,
            )
        }
        Kind::Dds => {
            decodes_canonically::<DdsResponse>(bytes)?;
            // The data store's own codec (a shard written and read without copies) must
            // accept and refuse exactly what the SCALE codec does, at the real caps and at
            // caps small enough for the answers here to exceed.
            for (max_request, max_response) in [
                (MAX_DDS_REQUEST_SIZE, MAX_DDS_RESPONSE_SIZE),
                (64, 300),
                (64, 16_400),
            ] {
                let codec = DdsCodec::without_metrics(max_request, max_response);
                through::<Vec<u8>, DdsResponse, _>(codec, bytes, max_request, max_response)?;
            }
            Ok(())
        }
        // Gossip: the network refuses a message over its topic's limit before decoding.
        Kind::BlockAnnounce => {
            if bytes.len() <= MAX_BLOCK_ANNOUNCE_SIZE {
                decodes_canonically::<BlockAnnounce>(bytes)?;
            }
            Ok(())
        }
        Kind::Transactions => {
            if bytes.len() <= MAX_TRANSACTIONS_SIZE {
                decodes_canonically::<TransactionsMessage>(bytes)?;
            }
            Ok(())
        }
    }
}

#[test]
fn network() {
    fuzz("network", case(), |(kind, input)| {
        // A valid message, unchanged, must decode as what it is.
        if input.original.as_deref() == Some(&input.bytes[..]) {
            let decoded = match kind {
                Kind::Handshake => decode_all::<Handshake>(&input.bytes).is_ok(),
                Kind::BlockRequest => decode_all::<BlockRequest>(&input.bytes).is_ok(),
                Kind::BlockResponse => decode_all::<BlockResponse>(&input.bytes).is_ok(),
                Kind::JustificationRequest => decode_all::<H256>(&input.bytes).is_ok(),
                Kind::JustificationResponse => {
                    decode_all::<JustificationResponse>(&input.bytes).is_ok()
                }
                Kind::BlockAnnounce => decode_all::<BlockAnnounce>(&input.bytes).is_ok(),
                Kind::Transactions => decode_all::<TransactionsMessage>(&input.bytes).is_ok(),
                Kind::WarpProofRequest => decode_all::<WarpProofRequest>(&input.bytes).is_ok(),
                Kind::WarpProofResponse => decode_all::<WarpProofResponse>(&input.bytes).is_ok(),
                Kind::StateRequest => decode_all::<StateRequest>(&input.bytes).is_ok(),
                Kind::StateResponse => decode_all::<StateResponse>(&input.bytes).is_ok(),
                Kind::Dds => decode_all::<DdsResponse>(&input.bytes).is_ok(),
            };
            prop_assert!(decoded, "a valid {:?} does not decode", kind);
        }
        check(kind, &input.bytes)
    });
}
