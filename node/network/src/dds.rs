//! The data store's side of the network: the [`DdsHandler`] that answers the
//! `/echo/<genesis>/dds/1` requests (echonet-dds implements it; the network only carries
//! bytes within [`MAX_DDS_REQUEST_SIZE`](crate::MAX_DDS_REQUEST_SIZE) and
//! [`MAX_DDS_RESPONSE_SIZE`](crate::MAX_DDS_RESPONSE_SIZE)).

use libp2p::PeerId;

/// Answers a peer's data store request. Called on a blocking thread (it reads and writes
/// the shard store), at most [`MAX_DDS_SERVING`](crate::MAX_DDS_SERVING) at once; a
/// request that finds them all taken is refused as busy without reaching the handler.
pub trait DdsHandler: Send + Sync + 'static {
    /// The answer to `request` (undecoded, at most
    /// [`MAX_DDS_REQUEST_SIZE`](crate::MAX_DDS_REQUEST_SIZE) bytes) from `peer`. An answer
    /// over [`MAX_DDS_RESPONSE_SIZE`](crate::MAX_DDS_RESPONSE_SIZE) is not sent (the
    /// stream is closed).
    fn handle(&self, peer: &PeerId, request: &[u8]) -> Vec<u8>;
}
