//! The data store protocol (`/echo/<genesis>/dds/1`): opaque request bytes answered by the
//! node's [`DdsHandler`] on blocking threads, and our own requests.
//!
//! Inbound requests take the common path of [`requests`](super::requests) (blocked peers,
//! size cap) but not the per-peer request rate: a get makes hundreds of requests a second,
//! and the handler (echonet-dds) meters each peer itself, by requests in flight and by
//! bytes (every request costing at least 4 KiB). At most [`MAX_DDS_SERVING`] are answered
//! at once (more are refused as [`Refusal::Busy`], as they are before the node has set its
//! handler).

use super::{
    requests::{Protocol, RequestBehaviour, Served},
    Worker,
};
use crate::{
    behaviour::Behaviour,
    protocol::{DdsResponse, Refusal, MAX_DDS_RESPONSE_SIZE},
    RequestError,
};
use codec::Encode;
use libp2p::{
    request_response::{OutboundFailure, OutboundRequestId, ResponseChannel},
    PeerId,
};
use std::panic::AssertUnwindSafe;
use tokio::sync::{mpsc, oneshot};

/// The protocol in logs and metrics.
pub(crate) const DDS_LABEL: &str = "dds";
/// Data store requests answered at once (on blocking threads), all peers together.
pub const MAX_DDS_SERVING: usize = 16;

pub(crate) type DdsReply = oneshot::Sender<Result<Vec<u8>, RequestError>>;

/// The channel that brings the handler's answers back to the task; every answer in
/// progress holds a slot.
pub(super) fn dds_channel() -> (mpsc::Sender<Served>, mpsc::Receiver<Served>) {
    mpsc::channel(MAX_DDS_SERVING)
}

pub(super) struct DdsProtocol;

impl Protocol for DdsProtocol {
    type Request = Vec<u8>;
    type Response = DdsResponse;
    type Codec = crate::codec::DdsCodec;
    const LABEL: &'static str = DDS_LABEL;
    const RATE_LIMITED: bool = false;

    fn behaviour(b: &mut Behaviour) -> &mut RequestBehaviour<Self> {
        &mut b.dds
    }

    fn refusal(refusal: Refusal) -> Option<DdsResponse> {
        Some(Err(refusal))
    }

    fn answer(
        w: &mut Worker,
        peer: PeerId,
        request: Vec<u8>,
        channel: ResponseChannel<DdsResponse>,
    ) {
        let Some(handler) = w.dds_handler.clone() else {
            let _ = w
                .swarm
                .behaviour_mut()
                .dds
                .send_response(channel, Err(Refusal::Busy));
            return;
        };
        if w.dds_serving >= MAX_DDS_SERVING {
            if let Some(m) = w.metrics() {
                m.request(DDS_LABEL, true, "busy");
            }
            let _ = w
                .swarm
                .behaviour_mut()
                .dds
                .send_response(channel, Err(Refusal::Busy));
            return;
        }
        w.dds_serving += 1;
        let tx = w.dds_served_tx.clone();
        tokio::task::spawn_blocking(move || {
            let answer = std::panic::catch_unwind(AssertUnwindSafe(|| handler.handle(&peer, &request)))
                .map_err(|_| {
                    tracing::error!(target: "network", "The data store handler panicked on a request of {peer}");
                });
            let served = Served(Box::new(move |w: &mut Worker| {
                w.dds_serving = w.dds_serving.saturating_sub(1);
                let response: DdsResponse = match answer {
                    Ok(bytes) => Ok(bytes),
                    Err(()) => Err(Refusal::Busy),
                };
                if response.encoded_size() > MAX_DDS_RESPONSE_SIZE {
                    tracing::warn!(target: "network", "Data store answer too large to serve to {peer}");
                    return; // dropping the channel closes the stream
                }
                let sent = w
                    .swarm
                    .behaviour_mut()
                    .dds
                    .send_response(channel, response)
                    .is_ok();
                if let Some(m) = w.metrics() {
                    m.request(DDS_LABEL, true, if sent { "served" } else { "failed" });
                }
            }));
            let _ = tx.blocking_send(served);
        });
    }

    fn on_response(w: &mut Worker, _: PeerId, id: OutboundRequestId, response: DdsResponse) {
        if let Some(reply) = w.pending_dds.remove(&id) {
            w.settle(DDS_LABEL, response.map_err(RequestError::Refused), reply);
        }
    }

    fn on_outbound_failure(
        w: &mut Worker,
        peer: PeerId,
        id: OutboundRequestId,
        error: OutboundFailure,
    ) {
        let error = w.outbound_error(peer, DDS_LABEL, error);
        if let Some(reply) = w.pending_dds.remove(&id) {
            let _ = reply.send(Err(error));
        }
    }
}

impl Worker {
    pub(super) fn request_dds(&mut self, peer: PeerId, request: Vec<u8>, reply: DdsReply) {
        match self.send_request::<DdsProtocol>(&peer, request) {
            Some(id) => {
                self.pending_dds.insert(id, reply);
            }
            None => {
                let _ = reply.send(Err(RequestError::NotConnected));
            }
        }
    }
}
