//! The warp sync protocols as the worker runs them: hand-off proofs and state chunks, both
//! answered from the chain on blocking threads (through the common inbound path of
//! [`super::requests`], so the per-peer request rate and the cap on reads in progress
//! apply), and held to their byte limits before they are sent.

use super::{
    requests::{ChainServed, Protocol, RequestBehaviour},
    Worker,
};
use crate::{
    behaviour::Behaviour,
    chain::ChainProvider,
    peerset::rep,
    protocol::Refusal,
    warp::{
        StateChunk, StateRequest, StateResponse, WarpProof, WarpProofRequest, WarpProofResponse,
        MAX_STATE_RESPONSE_SIZE, MAX_WARP_FRAGMENT_HEADERS, MAX_WARP_PROOF_RESPONSE_SIZE,
    },
    RequestError,
};
use codec::Encode;
use libp2p::{
    request_response::{OutboundFailure, OutboundRequestId, ResponseChannel},
    PeerId,
};
use tokio::sync::oneshot;

pub(crate) type WarpProofReply = oneshot::Sender<Result<Option<WarpProof>, RequestError>>;
pub(crate) type StateReply = oneshot::Sender<Result<Option<StateChunk>, RequestError>>;

/// Label of the warp proof protocol in logs and metrics.
pub(crate) const WARP_PROOF_LABEL: &str = "warp-proof";
/// Label of the state protocol in logs and metrics.
pub(crate) const STATE_LABEL: &str = "state";

/// Hand-off proofs: [`WarpProofRequest`] → [`WarpProofResponse`].
pub(super) struct WarpProofProtocol;

impl Protocol for WarpProofProtocol {
    type Request = WarpProofRequest;
    type Response = WarpProofResponse;
    type Codec = crate::codec::ScaleCodec<Self::Request, Self::Response>;
    const LABEL: &'static str = WARP_PROOF_LABEL;

    fn behaviour(b: &mut Behaviour) -> &mut RequestBehaviour<Self> {
        &mut b.warp_proof
    }

    fn refusal(refusal: Refusal) -> Option<WarpProofResponse> {
        Some(Err(refusal))
    }

    fn answer(
        w: &mut Worker,
        peer: PeerId,
        request: WarpProofRequest,
        channel: ResponseChannel<WarpProofResponse>,
    ) {
        w.serve_from_chain::<Self>(peer, request, channel)
    }

    fn on_response(
        w: &mut Worker,
        peer: PeerId,
        id: OutboundRequestId,
        response: WarpProofResponse,
    ) {
        let Some(reply) = w.pending_warp_proofs.remove(&id) else {
            return;
        };
        let result = match response {
            Ok(Some(proof))
                if proof.fragments.iter().any(|f| {
                    f.headers.is_empty() || f.headers.len() > MAX_WARP_FRAGMENT_HEADERS
                }) =>
            {
                w.report(peer, rep::MALFORMED_MESSAGE);
                Err(RequestError::InvalidResponse(
                    "a warp fragment without headers or with too many".into(),
                ))
            }
            Ok(proof) => Ok(proof),
            Err(refusal) => Err(RequestError::Refused(refusal)),
        };
        w.settle(Self::LABEL, result, reply);
    }

    fn on_outbound_failure(
        w: &mut Worker,
        peer: PeerId,
        id: OutboundRequestId,
        error: OutboundFailure,
    ) {
        let error = w.outbound_error(peer, Self::LABEL, error);
        if let Some(reply) = w.pending_warp_proofs.remove(&id) {
            let _ = reply.send(Err(error));
        }
    }
}

impl ChainServed for WarpProofProtocol {
    type Answer = Option<WarpProof>;
    const PROVIDER_METHOD: &'static str = "warp_proof";

    fn read(chain: &dyn ChainProvider, request: &WarpProofRequest) -> Option<WarpProof> {
        chain.warp_proof(request)
    }

    fn response(
        peer: &PeerId,
        _: &WarpProofRequest,
        proof: Option<WarpProof>,
    ) -> WarpProofResponse {
        let Some(mut proof) = proof else {
            return Ok(None);
        };
        // The provider keeps to the budget; the wire's limit is enforced here whatever it
        // did: drop fragments from the end (the proof is then unfinished).
        while Ok::<_, Refusal>(Some(&proof)).encoded_size() > MAX_WARP_PROOF_RESPONSE_SIZE {
            if proof.fragments.pop().is_none() {
                tracing::warn!(target: "network", "Warp proof too large to serve to {peer}");
                return Ok(None);
            }
            proof.is_finished = false;
            proof.target = None;
        }
        Ok(Some(proof))
    }
}

/// State chunks: [`StateRequest`] → [`StateResponse`].
pub(super) struct StateProtocol;

impl Protocol for StateProtocol {
    type Request = StateRequest;
    type Response = StateResponse;
    type Codec = crate::codec::ScaleCodec<Self::Request, Self::Response>;
    const LABEL: &'static str = STATE_LABEL;

    fn behaviour(b: &mut Behaviour) -> &mut RequestBehaviour<Self> {
        &mut b.state
    }

    fn refusal(refusal: Refusal) -> Option<StateResponse> {
        Some(Err(refusal))
    }

    fn answer(
        w: &mut Worker,
        peer: PeerId,
        request: StateRequest,
        channel: ResponseChannel<StateResponse>,
    ) {
        w.serve_from_chain::<Self>(peer, request, channel)
    }

    fn on_response(w: &mut Worker, _: PeerId, id: OutboundRequestId, response: StateResponse) {
        let Some(reply) = w.pending_state.remove(&id) else {
            return;
        };
        w.settle(Self::LABEL, response.map_err(RequestError::Refused), reply);
    }

    fn on_outbound_failure(
        w: &mut Worker,
        peer: PeerId,
        id: OutboundRequestId,
        error: OutboundFailure,
    ) {
        let error = w.outbound_error(peer, Self::LABEL, error);
        if let Some(reply) = w.pending_state.remove(&id) {
            let _ = reply.send(Err(error));
        }
    }
}

impl ChainServed for StateProtocol {
    type Answer = Option<StateChunk>;
    const PROVIDER_METHOD: &'static str = "state_chunk";

    fn read(chain: &dyn ChainProvider, request: &StateRequest) -> Option<StateChunk> {
        chain.state_chunk(request)
    }

    fn response(peer: &PeerId, _: &StateRequest, chunk: Option<StateChunk>) -> StateResponse {
        let response: StateResponse = Ok(chunk);
        if response.encoded_size() > MAX_STATE_RESPONSE_SIZE {
            tracing::warn!(target: "network", "State chunk too large to serve to {peer}");
            return Ok(None);
        }
        response
    }
}

impl Worker {
    pub(super) fn request_warp_proof(
        &mut self,
        peer: PeerId,
        request: WarpProofRequest,
        reply: WarpProofReply,
    ) {
        match self.send_request::<WarpProofProtocol>(&peer, request) {
            Some(id) => {
                self.pending_warp_proofs.insert(id, reply);
            }
            None => {
                let _ = reply.send(Err(RequestError::NotConnected));
            }
        }
    }

    pub(super) fn request_state(&mut self, peer: PeerId, request: StateRequest, reply: StateReply) {
        match self.send_request::<StateProtocol>(&peer, request) {
            Some(id) => {
                self.pending_state.insert(id, reply);
            }
            None => {
                let _ = reply.send(Err(RequestError::NotConnected));
            }
        }
    }
}
