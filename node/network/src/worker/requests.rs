//! Request-response: the one path every inbound request takes, the answers read from the
//! chain, and our own requests.
//!
//! Every protocol is a [`Protocol`]; an inbound request goes through
//! [`Worker::on_inbound_request`], whatever the protocol, in this order:
//! 1. a peer we blocked since it sent the request gets no answer and no penalty;
//! 2. an oversized or undecodable request (the codec caps the size and delivers it as
//!    [`Incoming::Malformed`]) costs the peer [`rep::MALFORMED_MESSAGE`] and closes the
//!    stream unanswered;
//! 3. a request over the peer's rate costs [`rep::TOO_MANY_REQUESTS`] and is refused;
//! 4. the protocol answers it. The protocols answered from the chain ([`ChainServed`]) are
//!    refused as busy when [`MAX_SERVING`] reads are in progress, and otherwise read on a
//!    blocking thread; the answer comes back to the task ([`Served`]) and is held to the
//!    protocol's limits before it is sent, since the provider is ours but the limits are
//!    the wire's.

use super::{BlockTransactionsReply, BlocksReply, JustificationReply, Worker};
use crate::{
    behaviour::Behaviour,
    chain::ChainProvider,
    codec::Incoming,
    peerset::rep,
    protocol::{
        BlockData, BlockFields, BlockId, BlockRequest, BlockResponse, BlockTransactionsRequest,
        BlockTransactionsResponse, Direction, JustificationResponse, Refusal,
        MAX_BLOCK_RESPONSE_SIZE, MAX_BLOCK_TRANSACTIONS_RESPONSE_SIZE,
        MAX_JUSTIFICATION_RESPONSE_SIZE,
    },
    RequestError,
};
use codec::{Decode, Encode};
use libp2p::{
    request_response::{self, InboundFailure, OutboundFailure, OutboundRequestId, ResponseChannel},
    PeerId,
};
use sp_core::H256;
use sp_runtime::{Justifications, OpaqueExtrinsic};
use std::{fmt::Debug, io, panic::AssertUnwindSafe};
use tokio::sync::mpsc;

/// Most [`ChainProvider`] calls in progress at once; more requests are refused as busy.
const MAX_SERVING: usize = 8;

/// The libp2p behaviour that runs protocol `P`.
pub(super) type RequestBehaviour<P> = request_response::Behaviour<<P as Protocol>::Codec>;

/// A request-response protocol as the worker runs it. The checks every inbound request
/// goes through are not here but in [`Worker::on_inbound_request`], so that no protocol
/// can skip one.
pub(super) trait Protocol: Sized + 'static {
    type Request: Encode + Decode + Debug + Send + 'static;
    type Response: Encode + Decode + Send + 'static;
    /// How requests and answers are read and written: a
    /// [`ScaleCodec`](crate::codec::ScaleCodec) for all but the data store's.
    type Codec: request_response::Codec<
            Protocol = libp2p::StreamProtocol,
            Request = crate::codec::Incoming<Self::Request>,
            Response = Self::Response,
        > + Clone
        + Send
        + 'static;
    /// The protocol in logs and in the `protocol` label of metrics.
    const LABEL: &'static str;
    /// Whether inbound requests count against the per-peer request rate (`request_rate`).
    /// The data store's do not: it meters peers by bytes itself, and a get makes hundreds
    /// of small requests a second.
    const RATE_LIMITED: bool = true;

    fn behaviour(b: &mut Behaviour) -> &mut RequestBehaviour<Self>;
    /// The response that refuses a request, or `None` when the protocol has none (the
    /// stream is then closed unanswered).
    fn refusal(refusal: Refusal) -> Option<Self::Response>;
    /// Answers a request that passed the common checks.
    fn answer(
        w: &mut Worker,
        peer: PeerId,
        request: Self::Request,
        channel: ResponseChannel<Self::Response>,
    );
    /// A peer answered one of our requests.
    fn on_response(w: &mut Worker, peer: PeerId, id: OutboundRequestId, response: Self::Response);
    /// One of our requests failed.
    fn on_outbound_failure(
        w: &mut Worker,
        peer: PeerId,
        id: OutboundRequestId,
        error: OutboundFailure,
    );
}

/// A protocol answered by reading the chain through the [`ChainProvider`], on a blocking
/// thread (the provider may read the database).
pub(super) trait ChainServed: Protocol {
    /// What the provider returns. Its `Default` ("nothing there") stands in for the answer
    /// of a provider that panicked.
    type Answer: Default + Send + 'static;
    /// The provider's method, for the log line when it panics.
    const PROVIDER_METHOD: &'static str;

    fn read(chain: &dyn ChainProvider, request: &Self::Request) -> Self::Answer;
    /// The response that carries `answer`, within the protocol's limits.
    fn response(peer: &PeerId, request: &Self::Request, answer: Self::Answer) -> Self::Response;
}

/// A chain read that finished on its blocking thread: what is left to do on the task (send
/// the response). Type-erased so that one channel carries every protocol's answers.
pub(super) struct Served(pub(super) Box<dyn FnOnce(&mut Worker) + Send>);

/// The channel that brings [`Served`] answers back to the task. Every read in progress
/// holds a slot, so the bound is never what stops a read.
pub(super) fn served_channel() -> (mpsc::Sender<Served>, mpsc::Receiver<Served>) {
    mpsc::channel(MAX_SERVING)
}

/// Block requests: [`BlockRequest`] → [`BlockResponse`].
pub(super) struct BlocksProtocol;

impl Protocol for BlocksProtocol {
    type Request = BlockRequest;
    type Response = BlockResponse;
    type Codec = crate::codec::ScaleCodec<Self::Request, Self::Response>;
    const LABEL: &'static str = "blocks";

    fn behaviour(b: &mut Behaviour) -> &mut RequestBehaviour<Self> {
        &mut b.blocks
    }

    fn refusal(refusal: Refusal) -> Option<BlockResponse> {
        Some(Err(refusal))
    }

    fn answer(
        w: &mut Worker,
        peer: PeerId,
        request: BlockRequest,
        channel: ResponseChannel<BlockResponse>,
    ) {
        w.serve_from_chain::<Self>(peer, request, channel)
    }

    fn on_response(w: &mut Worker, peer: PeerId, id: OutboundRequestId, response: BlockResponse) {
        let Some((max, reply)) = w.pending_blocks.remove(&id) else {
            return;
        };
        let result = match response {
            Ok(blocks) if blocks.len() > max as usize => {
                w.report(peer, rep::MALFORMED_MESSAGE);
                Err(RequestError::InvalidResponse(format!(
                    "{} blocks for a request of at most {max}",
                    blocks.len()
                )))
            }
            Ok(blocks) => Ok(blocks),
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
        if let Some((_, reply)) = w.pending_blocks.remove(&id) {
            let _ = reply.send(Err(error));
        }
    }
}

impl ChainServed for BlocksProtocol {
    type Answer = Vec<BlockData>;
    const PROVIDER_METHOD: &'static str = "blocks";

    fn read(chain: &dyn ChainProvider, request: &BlockRequest) -> Vec<BlockData> {
        chain.blocks(request)
    }

    fn response(_: &PeerId, request: &BlockRequest, mut blocks: Vec<BlockData>) -> BlockResponse {
        blocks.truncate(request.effective_max() as usize);
        // Result tag and the vector's compact length: at most 6 bytes.
        let mut size = 6 + blocks.iter().map(Encode::encoded_size).sum::<usize>();
        while size > MAX_BLOCK_RESPONSE_SIZE {
            match blocks.pop() {
                Some(block) => size -= block.encoded_size(),
                None => break,
            }
        }
        Ok(blocks)
    }
}

/// Justification requests: a block hash → [`JustificationResponse`].
pub(super) struct JustificationsProtocol;

impl Protocol for JustificationsProtocol {
    type Request = H256;
    type Response = JustificationResponse;
    type Codec = crate::codec::ScaleCodec<Self::Request, Self::Response>;
    const LABEL: &'static str = "justifications";

    fn behaviour(b: &mut Behaviour) -> &mut RequestBehaviour<Self> {
        &mut b.justifications
    }

    fn refusal(refusal: Refusal) -> Option<JustificationResponse> {
        Some(Err(refusal))
    }

    fn answer(
        w: &mut Worker,
        peer: PeerId,
        request: H256,
        channel: ResponseChannel<JustificationResponse>,
    ) {
        w.serve_from_chain::<Self>(peer, request, channel)
    }

    fn on_response(
        w: &mut Worker,
        _: PeerId,
        id: OutboundRequestId,
        response: JustificationResponse,
    ) {
        if let Some(m) = w.metrics() {
            m.request(
                Self::LABEL,
                false,
                if response.is_ok() { "ok" } else { "refused" },
            );
        }
        if let Some(reply) = w.pending_justifications.remove(&id) {
            let _ = reply.send(response.map_err(RequestError::Refused));
        }
    }

    fn on_outbound_failure(
        w: &mut Worker,
        peer: PeerId,
        id: OutboundRequestId,
        error: OutboundFailure,
    ) {
        let error = w.outbound_error(peer, Self::LABEL, error);
        if let Some(reply) = w.pending_justifications.remove(&id) {
            let _ = reply.send(Err(error));
        }
    }
}

impl ChainServed for JustificationsProtocol {
    type Answer = Option<Justifications>;
    const PROVIDER_METHOD: &'static str = "justification";

    fn read(chain: &dyn ChainProvider, hash: &H256) -> Option<Justifications> {
        chain.justification(*hash)
    }

    fn response(
        peer: &PeerId,
        _: &H256,
        justifications: Option<Justifications>,
    ) -> JustificationResponse {
        let response: JustificationResponse = Ok(justifications);
        if response.encoded_size() > MAX_JUSTIFICATION_RESPONSE_SIZE {
            tracing::warn!(target: "network", "Justifications too large to serve to {peer}");
            return Ok(None);
        }
        response
    }
}

/// Requests for some extrinsics of a block (compact relay): [`BlockTransactionsRequest`] →
/// [`BlockTransactionsResponse`]. Positions that are not strictly increasing make the
/// request malformed (the requester pays [`rep::MALFORMED_MESSAGE`]); positions past the
/// block's end, or a block we lack, get `None`.
pub(super) struct BlockTransactionsProtocol;

impl Protocol for BlockTransactionsProtocol {
    type Request = BlockTransactionsRequest;
    type Response = BlockTransactionsResponse;
    type Codec = crate::codec::ScaleCodec<Self::Request, Self::Response>;
    const LABEL: &'static str = crate::metrics::BLOCK_TRANSACTIONS_LABEL;

    fn behaviour(b: &mut Behaviour) -> &mut RequestBehaviour<Self> {
        &mut b.block_transactions
    }

    fn refusal(refusal: Refusal) -> Option<BlockTransactionsResponse> {
        Some(Err(refusal))
    }

    fn answer(
        w: &mut Worker,
        peer: PeerId,
        request: BlockTransactionsRequest,
        channel: ResponseChannel<BlockTransactionsResponse>,
    ) {
        if !request.is_well_formed() {
            // Dropping the channel closes the stream without an answer.
            w.malformed_request(peer, Self::LABEL, "positions not strictly increasing");
            return;
        }
        w.serve_from_chain::<Self>(peer, request, channel)
    }

    fn on_response(
        w: &mut Worker,
        peer: PeerId,
        id: OutboundRequestId,
        response: BlockTransactionsResponse,
    ) {
        let Some((asked, reply)) = w.pending_block_transactions.remove(&id) else {
            return;
        };
        let result = match response {
            Ok(Some(txs)) if txs.len() != asked => {
                w.report(peer, rep::MALFORMED_MESSAGE);
                Err(RequestError::InvalidResponse(format!(
                    "{} extrinsics for a request of {asked}",
                    txs.len()
                )))
            }
            Ok(txs) => Ok(txs),
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
        if let Some((_, reply)) = w.pending_block_transactions.remove(&id) {
            let _ = reply.send(Err(error));
        }
    }
}

impl ChainServed for BlockTransactionsProtocol {
    type Answer = Option<Vec<OpaqueExtrinsic>>;
    const PROVIDER_METHOD: &'static str = "blocks";

    fn read(
        chain: &dyn ChainProvider,
        request: &BlockTransactionsRequest,
    ) -> Option<Vec<OpaqueExtrinsic>> {
        let body_only = BlockRequest {
            from: BlockId::Hash(request.block),
            direction: Direction::Descending,
            max: 1,
            fields: BlockFields {
                header: false,
                body: true,
                justification: false,
            },
        };
        let mut body = chain
            .blocks(&body_only)
            .into_iter()
            .find(|b| b.hash == request.block)?
            .body?;
        let mut picked = Vec::with_capacity(request.positions.len());
        for &position in &request.positions {
            let xt = body.get_mut(position as usize)?;
            picked.push(std::mem::take(xt));
        }
        Some(picked)
    }

    fn response(
        peer: &PeerId,
        _: &BlockTransactionsRequest,
        answer: Option<Vec<OpaqueExtrinsic>>,
    ) -> BlockTransactionsResponse {
        let response: BlockTransactionsResponse = Ok(answer);
        if response.encoded_size() > MAX_BLOCK_TRANSACTIONS_RESPONSE_SIZE {
            tracing::warn!(target: "network", "Extrinsics too large to serve to {peer}");
            return Ok(None);
        }
        response
    }
}

impl Worker {
    /// Every event of a request-response protocol, inbound and outbound.
    pub(super) fn on_request_event<P: Protocol>(
        &mut self,
        event: request_response::Event<Incoming<P::Request>, P::Response>,
    ) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => self.on_inbound_request::<P>(peer, request, channel),
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => P::on_response(self, peer, request_id, response),
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => P::on_outbound_failure(self, peer, request_id, error),
            request_response::Event::InboundFailure { peer, error, .. } => {
                self.on_inbound_failure(peer, P::LABEL, error)
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    /// The one inbound-request path (see the module documentation for its steps).
    fn on_inbound_request<P: Protocol>(
        &mut self,
        peer: PeerId,
        request: Incoming<P::Request>,
        channel: ResponseChannel<P::Response>,
    ) {
        if let Some(m) = self.metrics() {
            m.request(P::LABEL, true, "received");
        }
        if self.swarm.behaviour().peerset.is_blocked(&peer) {
            // In flight when the peer was blocked: no answer, no penalty.
            return;
        }
        let request = match request {
            Incoming::Valid(request) => request,
            Incoming::Malformed(reason) => {
                // Dropping the channel closes the stream without an answer.
                self.malformed_request(peer, P::LABEL, &reason);
                return;
            }
        };
        if P::RATE_LIMITED && !self.admit_request(&peer, P::LABEL) {
            self.refuse::<P>(channel, Refusal::TooManyRequests);
            return;
        }
        P::answer(self, peer, request, channel);
    }

    fn refuse<P: Protocol>(&mut self, channel: ResponseChannel<P::Response>, refusal: Refusal) {
        // Without a refusal response, dropping the channel closes the stream unanswered.
        if let Some(response) = P::refusal(refusal) {
            let _ = P::behaviour(self.swarm.behaviour_mut()).send_response(channel, response);
        }
    }

    /// Takes a request token from `peer`; refuses (and penalises) a peer over its rate.
    fn admit_request(&mut self, peer: &PeerId, protocol: &'static str) -> bool {
        let now = std::time::Instant::now();
        let admitted = self
            .peers
            .get_mut(peer)
            .is_some_and(|p| p.requests.try_take(now));
        if !admitted {
            if let Some(m) = self.metrics() {
                m.request(protocol, true, "refused");
            }
            tracing::debug!(target: "network", "Refusing a {protocol} request of {peer}: over its rate");
            self.report(*peer, rep::TOO_MANY_REQUESTS);
        }
        admitted
    }

    fn malformed_request(&mut self, peer: PeerId, protocol: &'static str, reason: &str) {
        tracing::debug!(target: "network", "Malformed {protocol} request from {peer}: {reason}");
        if let Some(m) = self.metrics() {
            m.request(protocol, true, "malformed");
        }
        self.report(peer, rep::MALFORMED_MESSAGE);
    }

    fn on_inbound_failure(&mut self, peer: PeerId, protocol: &'static str, error: InboundFailure) {
        if let Some(m) = self.metrics() {
            m.request(protocol, true, "failed");
        }
        match error {
            InboundFailure::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
                tracing::debug!(target: "network", "Bad {protocol} request from {peer}: {e}");
                self.report(peer, rep::MALFORMED_MESSAGE);
            }
            e => tracing::debug!(target: "network", "Inbound {protocol} request from {peer}: {e}"),
        }
    }

    /// Reads the answer to an admitted request on a blocking thread, unless too many reads
    /// are in progress already.
    pub(super) fn serve_from_chain<P: ChainServed>(
        &mut self,
        peer: PeerId,
        request: P::Request,
        channel: ResponseChannel<P::Response>,
    ) {
        if self.serving >= MAX_SERVING {
            if let Some(m) = self.metrics() {
                m.request(P::LABEL, true, "busy");
            }
            self.refuse::<P>(channel, Refusal::Busy);
            return;
        }
        self.serving += 1;
        let chain = self.chain.clone();
        let tx = self.served_tx.clone();
        tokio::task::spawn_blocking(move || {
            let answer = std::panic::catch_unwind(AssertUnwindSafe(|| P::read(&*chain, &request)))
                .unwrap_or_else(|_| {
                    tracing::error!(
                        target: "network",
                        "ChainProvider::{} panicked on {request:?}",
                        P::PROVIDER_METHOD
                    );
                    P::Answer::default()
                });
            let served = Served(Box::new(move |w: &mut Worker| {
                w.send_served::<P>(peer, &request, channel, answer)
            }));
            let _ = tx.blocking_send(served);
        });
    }

    pub(super) fn on_served(&mut self, served: Served) {
        self.serving = self.serving.saturating_sub(1);
        (served.0)(self);
    }

    fn send_served<P: ChainServed>(
        &mut self,
        peer: PeerId,
        request: &P::Request,
        channel: ResponseChannel<P::Response>,
        answer: P::Answer,
    ) {
        let response = P::response(&peer, request, answer);
        let sent = P::behaviour(self.swarm.behaviour_mut())
            .send_response(channel, response)
            .is_ok();
        if let Some(m) = self.metrics() {
            m.request(P::LABEL, true, if sent { "served" } else { "failed" });
        }
        if !sent {
            tracing::debug!(target: "network", "{peer} left before its {} were ready", P::LABEL);
        }
    }

    /// Sends one of our requests, to a ready peer only (`None`: the peer is not one).
    pub(super) fn send_request<P: Protocol>(
        &mut self,
        peer: &PeerId,
        request: P::Request,
    ) -> Option<OutboundRequestId> {
        self.is_ready(peer).then(|| {
            P::behaviour(self.swarm.behaviour_mut()).send_request(peer, Incoming::Valid(request))
        })
    }

    pub(super) fn request_blocks(
        &mut self,
        peer: PeerId,
        request: BlockRequest,
        reply: BlocksReply,
    ) {
        match self.send_request::<BlocksProtocol>(&peer, request) {
            Some(id) => {
                self.pending_blocks
                    .insert(id, (request.effective_max(), reply));
            }
            None => {
                let _ = reply.send(Err(RequestError::NotConnected));
            }
        }
    }

    pub(super) fn request_justification(
        &mut self,
        peer: PeerId,
        hash: H256,
        reply: JustificationReply,
    ) {
        match self.send_request::<JustificationsProtocol>(&peer, hash) {
            Some(id) => {
                self.pending_justifications.insert(id, reply);
            }
            None => {
                let _ = reply.send(Err(RequestError::NotConnected));
            }
        }
    }

    pub(super) fn request_block_transactions(
        &mut self,
        peer: PeerId,
        request: BlockTransactionsRequest,
        reply: BlockTransactionsReply,
    ) {
        let asked = request.positions.len();
        match self.send_request::<BlockTransactionsProtocol>(&peer, request) {
            Some(id) => {
                self.pending_block_transactions.insert(id, (asked, reply));
            }
            None => {
                let _ = reply.send(Err(RequestError::NotConnected));
            }
        }
    }

    /// Counts a peer's answer to a request of ours (ok, or refused by the peer or by our
    /// checks of it) and hands the outcome to whoever asked.
    pub(super) fn settle<T>(
        &self,
        protocol: &'static str,
        result: Result<T, RequestError>,
        reply: tokio::sync::oneshot::Sender<Result<T, RequestError>>,
    ) {
        if let Some(m) = self.metrics() {
            m.request(
                protocol,
                false,
                if result.is_ok() { "ok" } else { "refused" },
            );
        }
        let _ = reply.send(result);
    }

    /// What a failed request of ours means for the caller, and for the peer's reputation.
    pub(super) fn outbound_error(
        &mut self,
        peer: PeerId,
        protocol: &'static str,
        e: OutboundFailure,
    ) -> RequestError {
        if let Some(m) = self.metrics() {
            m.request(protocol, false, "failed");
        }
        match e {
            OutboundFailure::DialFailure | OutboundFailure::ConnectionClosed => {
                RequestError::Disconnected
            }
            OutboundFailure::Timeout => {
                self.report(peer, rep::REQUEST_TIMEOUT);
                RequestError::Timeout
            }
            OutboundFailure::UnsupportedProtocols => RequestError::UnsupportedProtocol,
            OutboundFailure::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
                self.report(peer, rep::MALFORMED_MESSAGE);
                RequestError::InvalidResponse(e.to_string())
            }
            OutboundFailure::Io(e) => RequestError::Io(e.to_string()),
        }
    }
}
