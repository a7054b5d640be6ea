//! The request-response codec: one SCALE-encoded value per stream direction, read to the
//! end of the stream with a size cap.
//!
//! An oversized or undecodable *request* is delivered as [`Incoming::Malformed`] rather than
//! as an error, because libp2p's request-response drops read errors of inbound requests
//! without telling the behaviour, and the worker must penalise the sender. An oversized or
//! undecodable *response* is an `InvalidData` error, which libp2p does report.

use crate::{metrics::Metrics, protocol::decode_all};
use async_trait::async_trait;
use codec::{Decode, Encode};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{request_response, StreamProtocol};
use std::{io, marker::PhantomData, sync::Arc};

/// A request as read from a peer.
#[derive(Debug)]
pub enum Incoming<T> {
    /// Within the size limit and decoded.
    Valid(T),
    /// Oversized or undecodable; the reason, for logs.
    Malformed(String),
}

/// The codec of one request-response protocol: `Req` one way, `Resp` the other, each at
/// most its size limit.
pub struct ScaleCodec<Req, Resp> {
    max_request: usize,
    max_response: usize,
    /// Label of the protocol in the bytes metric.
    label: &'static str,
    metrics: Option<Arc<Metrics>>,
    _types: PhantomData<fn() -> (Req, Resp)>,
}

impl<Req, Resp> Clone for ScaleCodec<Req, Resp> {
    fn clone(&self) -> Self {
        Self {
            max_request: self.max_request,
            max_response: self.max_response,
            label: self.label,
            metrics: self.metrics.clone(),
            _types: PhantomData,
        }
    }
}

impl<Req, Resp> ScaleCodec<Req, Resp> {
    pub(crate) fn new(
        label: &'static str,
        max_request: usize,
        max_response: usize,
        metrics: Option<Arc<Metrics>>,
    ) -> Self {
        Self {
            max_request,
            max_response,
            label,
            metrics,
            _types: PhantomData,
        }
    }

    /// A codec without metrics, for the fuzz targets.
    #[cfg(feature = "fuzzing")]
    pub fn without_metrics(max_request: usize, max_response: usize) -> Self {
        Self::new("fuzz", max_request, max_response, None)
    }

    fn count_in(&self, bytes: usize) {
        if let Some(m) = &self.metrics {
            m.bytes_in(self.label, bytes);
        }
    }

    fn count_out(&self, bytes: usize) {
        if let Some(m) = &self.metrics {
            m.bytes_out(self.label, bytes);
        }
    }
}

/// Reads the rest of the stream, refusing more than `max` bytes.
async fn read_capped<T: AsyncRead + Unpin + Send>(io: &mut T, max: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    io.take(max as u64 + 1).read_to_end(&mut buf).await?;
    if buf.len() > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("message larger than {max} bytes"),
        ));
    }
    Ok(buf)
}

fn decode<T: Decode>(bytes: &[u8]) -> io::Result<T> {
    decode_all(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
}

async fn write_capped<T: AsyncWrite + Unpin + Send>(
    io: &mut T,
    bytes: &[u8],
    max: usize,
) -> io::Result<()> {
    // Our own messages are bounded by construction; refusing here keeps a bug on our side
    // from looking like a misbehaving peer on theirs.
    if bytes.len() > max {
        return Err(io::Error::other(format!(
            "refusing to send {} bytes (limit {max})",
            bytes.len()
        )));
    }
    // The request-response handler closes the stream after this.
    io.write_all(bytes).await
}

#[async_trait]
impl<Req, Resp> request_response::Codec for ScaleCodec<Req, Resp>
where
    Req: Encode + Decode + Send + 'static,
    Resp: Encode + Decode + Send + 'static,
{
    type Protocol = StreamProtocol;
    type Request = Incoming<Req>;
    type Response = Resp;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Incoming<Req>>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = match read_capped(io, self.max_request).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                self.count_in(self.max_request + 1);
                return Ok(Incoming::Malformed(e.to_string()));
            }
            Err(e) => return Err(e),
        };
        self.count_in(bytes.len());
        Ok(match decode(&bytes) {
            Ok(request) => Incoming::Valid(request),
            Err(e) => Incoming::Malformed(e.to_string()),
        })
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Resp>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_capped(io, self.max_response).await?;
        if bytes.is_empty() {
            // The server dropped the request without answering: no data, not bad data.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the stream without answering",
            ));
        }
        self.count_in(bytes.len());
        decode(&bytes)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Incoming<Req>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let Incoming::Valid(req) = req else {
            return Err(io::Error::other("refusing to send a malformed request"));
        };
        let bytes = req.encode();
        write_capped(io, &bytes, self.max_request).await?;
        self.count_out(bytes.len());
        Ok(())
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Resp,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let bytes = res.encode();
        write_capped(io, &bytes, self.max_response).await?;
        self.count_out(bytes.len());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::io::Cursor;
    use request_response::Codec as _;

    fn codec() -> ScaleCodec<Vec<u8>, u32> {
        ScaleCodec::new("test", 16, 8, None)
    }

    #[tokio::test]
    async fn round_trip_and_limits() {
        let proto = StreamProtocol::new("/test/1");
        let mut c = codec();
        let mut out = Cursor::new(Vec::new());
        c.write_request(&proto, &mut out, Incoming::Valid(vec![1, 2, 3]))
            .await
            .unwrap();
        let mut input = Cursor::new(out.into_inner());
        let read = c.read_request(&proto, &mut input).await.unwrap();
        assert!(matches!(read, Incoming::Valid(v) if v == vec![1, 2, 3]));

        // 17 bytes: over the request limit.
        let mut big = Cursor::new(vec![0u8; 17]);
        let read = c.read_request(&proto, &mut big).await.unwrap();
        assert!(matches!(read, Incoming::Malformed(_)));

        // Undecodable: a compact length that promises more than there is.
        let mut bad = Cursor::new(vec![0xff, 0xff]);
        let read = c.read_request(&proto, &mut bad).await.unwrap();
        assert!(matches!(read, Incoming::Malformed(_)));

        // Trailing bytes after a valid response.
        let mut trailing = Cursor::new(vec![1, 0, 0, 0, 9]);
        let err = c.read_response(&proto, &mut trailing).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);

        // We never send more than the limit.
        let mut out = Cursor::new(Vec::new());
        let big = Incoming::Valid(vec![0; 40]);
        assert!(c.write_request(&proto, &mut out, big).await.is_err());
    }
}
