//! The request-response codec: one SCALE-encoded value per stream direction, read to the
//! end of the stream with a size cap.
//!
//! An oversized or undecodable *request* is delivered as [`Incoming::Malformed`] rather than
//! as an error, because libp2p's request-response drops read errors of inbound requests
//! without telling the behaviour, and the worker must penalise the sender. An oversized or
//! undecodable *response* is an `InvalidData` error, which libp2p does report.

use crate::{
    metrics::Metrics,
    protocol::{decode_all, DdsResponse},
};
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

/// The data store protocol's codec. Requests are [`ScaleCodec`]'s; an answer is a SCALE
/// [`DdsResponse`] too (the same bytes on the wire), but a shard of up to 1 MiB is written
/// without first being copied into an encoding buffer, and read into a buffer of exactly
/// its announced length (checked against the cap before anything is allocated) instead of
/// a growing, zero-filled one: at 200 MB/s of shards those copies were a tenth of a get's
/// CPU time.
#[derive(Clone)]
pub struct DdsCodec(pub(crate) ScaleCodec<Vec<u8>, DdsResponse>);

impl DdsCodec {
    /// A codec without metrics, for the fuzz targets.
    #[cfg(feature = "fuzzing")]
    pub fn without_metrics(max_request: usize, max_response: usize) -> Self {
        DdsCodec(ScaleCodec::without_metrics(max_request, max_response))
    }
}

fn invalid(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

/// Reads one byte; `None` at the end of the stream.
async fn read_byte<T: AsyncRead + Unpin + Send>(io: &mut T) -> io::Result<Option<u8>> {
    let mut b = [0u8; 1];
    loop {
        match io.read(&mut b).await {
            Ok(0) => return Ok(None),
            Ok(_) => return Ok(Some(b[0])),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Reads a SCALE compact `u32` (a length), byte by byte; returns it and its encoded size.
async fn read_compact_len<T: AsyncRead + Unpin + Send>(io: &mut T) -> io::Result<(usize, usize)> {
    let first = read_byte(io)
        .await?
        .ok_or_else(|| invalid("truncated length".into()))?;
    // The two low bits give the encoding's size: 1, 2 or 4 bytes, or a big integer whose
    // byte count follows (a u32 has at most 4).
    let size = match first & 0b11 {
        0 => 1,
        1 => 2,
        2 => 4,
        _ => 1 + usize::from(first >> 2) + 4,
    };
    if size > 5 {
        return Err(invalid("length prefix out of range".into()));
    }
    let mut buf = [0u8; 5];
    buf[0] = first;
    io.read_exact(&mut buf[1..size])
        .await
        .map_err(|_| invalid("truncated length".into()))?;
    let len = <codec::Compact<u32>>::decode(&mut &buf[..size])
        .map_err(|e| invalid(format!("bad length prefix: {e}")))?;
    Ok((len.0 as usize, size))
}

#[async_trait]
impl request_response::Codec for DdsCodec {
    type Protocol = StreamProtocol;
    type Request = Incoming<Vec<u8>>;
    type Response = DdsResponse;

    async fn read_request<T>(
        &mut self,
        p: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Incoming<Vec<u8>>>
    where
        T: AsyncRead + Unpin + Send,
    {
        self.0.read_request(p, io).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<DdsResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        let max = self.0.max_response;
        let Some(tag) = read_byte(io).await? else {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the stream without answering",
            ));
        };
        if tag != 0 {
            // A refusal (or garbage): a few bytes, decoded as a whole.
            let rest = read_capped(io, max.saturating_sub(1)).await?;
            let mut bytes = Vec::with_capacity(1 + rest.len());
            bytes.push(tag);
            bytes.extend_from_slice(&rest);
            self.0.count_in(bytes.len());
            return decode(&bytes);
        }
        let (len, prefix) = read_compact_len(io).await?;
        let total = 1 + prefix + len;
        if total > max {
            self.0.count_in(max + 1);
            return Err(invalid(format!("message larger than {max} bytes")));
        }
        let mut body = vec![0u8; len];
        io.read_exact(&mut body)
            .await
            .map_err(|_| invalid(format!("answer shorter than its {len} bytes")))?;
        if read_byte(io).await?.is_some() {
            return Err(invalid("trailing bytes after the answer".into()));
        }
        self.0.count_in(total);
        Ok(Ok(body))
    }

    async fn write_request<T>(
        &mut self,
        p: &StreamProtocol,
        io: &mut T,
        req: Incoming<Vec<u8>>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        self.0.write_request(p, io, req).await
    }

    async fn write_response<T>(
        &mut self,
        p: &StreamProtocol,
        io: &mut T,
        res: DdsResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let body = match res {
            Ok(body) => body,
            refusal @ Err(_) => return self.0.write_response(p, io, refusal).await,
        };
        let mut head = vec![0u8];
        codec::Compact(body.len() as u32).encode_to(&mut head);
        let total = head.len() + body.len();
        if total > self.0.max_response || u32::try_from(body.len()).is_err() {
            return Err(io::Error::other(format!(
                "refusing to send {total} bytes (limit {})",
                self.0.max_response
            )));
        }
        io.write_all(&head).await?;
        io.write_all(&body).await?;
        self.0.count_out(total);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Refusal;
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

    fn dds() -> DdsCodec {
        DdsCodec(ScaleCodec::new("test", 64, 400 * 1024, None))
    }

    /// The data store codec writes what the SCALE codec writes, reads it back, and reads
    /// what the SCALE codec writes.
    #[tokio::test]
    async fn dds_answers_are_scale_on_the_wire() {
        let proto = StreamProtocol::new("/test/1");
        let shard: Vec<u8> = (0..300 * 1024).map(|i| (i % 251) as u8).collect();
        for answer in [
            Ok(shard.clone()),
            Ok(vec![]),
            Ok(vec![5; 70]),
            Err(Refusal::Busy),
        ] {
            let mut out = Cursor::new(Vec::new());
            dds()
                .write_response(&proto, &mut out, answer.clone())
                .await
                .unwrap();
            let wire = out.into_inner();
            assert_eq!(wire, answer.encode());
            let read = dds()
                .read_response(&proto, &mut Cursor::new(wire))
                .await
                .unwrap();
            assert_eq!(read, answer);
        }
    }

    #[tokio::test]
    async fn dds_answers_that_lie_or_overflow_are_refused() {
        let proto = StreamProtocol::new("/test/1");
        let read = |bytes: Vec<u8>| {
            let proto = proto.clone();
            async move {
                dds()
                    .read_response(&proto, &mut Cursor::new(bytes))
                    .await
                    .unwrap_err()
                    .kind()
            }
        };
        // An announced 1 GiB: refused on the prefix, nothing allocated or read.
        let mut lying = vec![0u8];
        codec::Compact(1u32 << 30).encode_to(&mut lying);
        lying.extend_from_slice(&[1; 100]);
        assert_eq!(read(lying).await, io::ErrorKind::InvalidData);
        // Over the cap by one byte.
        let over = Ok::<_, Refusal>(vec![0u8; 400 * 1024]).encode();
        assert_eq!(read(over).await, io::ErrorKind::InvalidData);
        // Shorter than announced, longer than announced, a prefix cut short.
        let mut short = Ok::<_, Refusal>(vec![3u8; 1000]).encode();
        short.truncate(900);
        assert_eq!(read(short).await, io::ErrorKind::InvalidData);
        let mut long = Ok::<_, Refusal>(vec![3u8; 1000]).encode();
        long.push(0);
        assert_eq!(read(long).await, io::ErrorKind::InvalidData);
        assert_eq!(read(vec![0, 0b01]).await, io::ErrorKind::InvalidData);
        // A non-canonical length (3 in the two-byte mode).
        assert_eq!(
            read(vec![0, 0b1101, 0, 1, 2, 3]).await,
            io::ErrorKind::InvalidData
        );
        // An unknown tag, an unknown refusal, nothing at all.
        assert_eq!(read(vec![2, 0]).await, io::ErrorKind::InvalidData);
        assert_eq!(read(vec![1, 200]).await, io::ErrorKind::InvalidData);
        assert_eq!(read(vec![]).await, io::ErrorKind::UnexpectedEof);
        // And we never send more than the cap.
        let mut out = Cursor::new(Vec::new());
        let big = Ok(vec![0u8; 400 * 1024]);
        assert!(dds().write_response(&proto, &mut out, big).await.is_err());
    }
}
