//! HTTP/1.1 and WebSocket spoken by hand over a `TcpStream`.
//!
//! Client libraries refuse to send what these tests must send: bodies over their own size
//! limits, bytes that are not JSON, a thousand upgrade requests held open at once. Only
//! what the tests need is implemented: one request per HTTP connection
//! (`Connection: close`), and unfragmented text frames out, text frames in.

use rand::RngCore;
use serde_json::Value;
use std::{io, net::SocketAddr, time::Duration};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Largest response header block we accept.
const MAX_HEAD: usize = 64 * 1024;

/// A parsed HTTP response.
#[derive(Debug)]
pub struct HttpResponse {
    /// The status code of the status line (200, 413, 429, ...).
    pub status: u16,
    /// Names are lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body as received, de-chunked if the server sent it chunked.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name`, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text, invalid UTF-8 replaced, for assertions and failure messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; fails the test if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "HTTP {} body is not JSON ({e}): {:.300}",
                self.status,
                self.text()
            )
        })
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_string())
}

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Sends one request on a fresh connection and reads the whole response, within `limit`.
///
/// The body is written from a separate task while the response is read, because a server
/// may answer (e.g. 413) before it has read a large body; the writer is then abandoned.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    limit: Duration,
) -> io::Result<HttpResponse> {
    let exchange = async {
        let stream = TcpStream::connect(addr).await?;
        let (mut reader, mut writer) = stream.into_split();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        let write = tokio::spawn(async move {
            let written = writer.write_all(&bytes).await;
            // Keep the write half open until the reader is done: dropping it would send
            // FIN, which some servers take as the client going away.
            if written.is_ok() {
                std::future::pending::<()>().await;
            }
            written
        });
        let response = read_response(&mut reader).await;
        write.abort();
        response
    };
    tokio::time::timeout(limit, exchange)
        .await
        .map_err(|_| timed_out("HTTP exchange"))?
}

/// `GET path` on `addr`.
pub async fn http_get(addr: SocketAddr, path: &str, limit: Duration) -> io::Result<HttpResponse> {
    http_request(addr, "GET", path, &[], &[], limit).await
}

/// `POST /` with a JSON content type: a JSON-RPC request over HTTP, however malformed.
pub async fn post_json(addr: SocketAddr, body: &[u8], limit: Duration) -> io::Result<HttpResponse> {
    http_request(
        addr,
        "POST",
        "/",
        &[("Content-Type", "application/json")],
        body,
        limit,
    )
    .await
}

/// Reads up to the end of the header block; returns it and whatever followed it.
async fn read_head<R: AsyncReadExt + Unpin>(reader: &mut R) -> io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let rest = buf[end + 4..].to_vec();
            return Ok((head, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("response header block too large"));
        }
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the end of the response headers",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn parse_head(head: &str) -> io::Result<(u16, Vec<(String, String)>)> {
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers))
}

async fn read_response<R: AsyncReadExt + Unpin>(reader: &mut R) -> io::Result<HttpResponse> {
    let (head, mut rest) = read_head(reader).await?;
    let (status, headers) = parse_head(&head)?;
    let mut response = HttpResponse {
        status,
        headers,
        body: Vec::new(),
    };
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let length = response
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    let mut raw = std::mem::take(&mut rest);
    match (chunked, length) {
        (false, Some(len)) => {
            while raw.len() < len {
                let mut chunk = vec![0u8; (len - raw.len()).min(1 << 16)];
                let n = reader.read(&mut chunk).await?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed inside the body",
                    ));
                }
                raw.extend_from_slice(&chunk[..n]);
            }
            raw.truncate(len);
            response.body = raw;
        }
        _ => {
            // Chunked or delimited by the end of the connection (we asked it to close).
            reader.read_to_end(&mut raw).await?;
            response.body = if chunked { dechunk(&raw)? } else { raw };
        }
    }
    Ok(response)
}

fn dechunk(mut raw: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| invalid("truncated chunk size"))?;
        let size_text = String::from_utf8_lossy(&raw[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| invalid(format!("bad chunk size {size_text:?}")))?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if raw.len() < size + 2 {
            return Err(invalid("truncated chunk"));
        }
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// A WebSocket connection after a successful (101) handshake.
pub struct RawWs {
    stream: TcpStream,
    /// Bytes read past the handshake or the last frame.
    pending: Vec<u8>,
}

/// The outcome of an upgrade request.
pub enum Handshake {
    /// 101: the connection is now a WebSocket.
    Accepted(RawWs),
    /// Any other status, e.g. 429 when the server is at its connection limit.
    Refused(HttpResponse),
}

/// Opens a TCP connection to `addr` and asks to upgrade it to a WebSocket.
pub async fn ws_handshake(addr: SocketAddr) -> io::Result<Handshake> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let (head, rest) = read_head(&mut stream).await?;
    let (status, headers) = parse_head(&head)?;
    if status == 101 {
        return Ok(Handshake::Accepted(RawWs {
            stream,
            pending: rest,
        }));
    }
    let mut response = HttpResponse {
        status,
        headers,
        body: rest,
    };
    if let Some(len) = response
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        while response.body.len() < len {
            let mut chunk = vec![0u8; len - response.body.len()];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            response.body.extend_from_slice(&chunk[..n]);
        }
    }
    Ok(Handshake::Refused(response))
}

impl RawWs {
    /// Sends one masked text frame (clients must mask).
    pub async fn send_text(&mut self, payload: &[u8]) -> io::Result<()> {
        let mut frame = Vec::with_capacity(payload.len() + 14);
        frame.push(0x81); // FIN, text
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= u16::MAX as usize => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mut mask = [0u8; 4];
        rand::thread_rng().fill_bytes(&mut mask);
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).await
    }

    async fn fill(&mut self, want: usize) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        while self.pending.len() < want {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the WebSocket",
                ));
            }
            self.pending.extend_from_slice(&chunk[..n]);
        }
        Ok(())
    }

    async fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        self.fill(n).await?;
        let rest = self.pending.split_off(n);
        Ok(std::mem::replace(&mut self.pending, rest))
    }

    /// Receives the next text message, skipping pings and pongs.
    pub async fn recv_text(&mut self) -> io::Result<Vec<u8>> {
        let mut message = Vec::new();
        loop {
            let head = self.take(2).await?;
            let (fin, opcode) = (head[0] & 0x80 != 0, head[0] & 0x0f);
            let masked = head[1] & 0x80 != 0;
            let len = match head[1] & 0x7f {
                126 => u16::from_be_bytes(self.take(2).await?.try_into().expect("2 bytes")) as u64,
                127 => u64::from_be_bytes(self.take(8).await?.try_into().expect("8 bytes")),
                n => n as u64,
            };
            let mask = if masked {
                Some(self.take(4).await?)
            } else {
                None
            };
            let len = usize::try_from(len).map_err(|_| invalid("frame too long"))?;
            let mut payload = self.take(len).await?;
            if let Some(mask) = mask {
                payload
                    .iter_mut()
                    .enumerate()
                    .for_each(|(i, b)| *b ^= mask[i % 4]);
            }
            match opcode {
                0x8 => {
                    return Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "the server sent a close frame",
                    ))
                }
                0x9 | 0xA => continue,
                _ => message.extend_from_slice(&payload),
            }
            if fin {
                return Ok(message);
            }
        }
    }

    /// Sends `request` and returns the next message as JSON, within `limit`.
    pub async fn exchange(&mut self, request: &[u8], limit: Duration) -> io::Result<Value> {
        tokio::time::timeout(limit, async {
            self.send_text(request).await?;
            let answer = self.recv_text().await?;
            serde_json::from_slice(&answer).map_err(|e| invalid(format!("not JSON: {e}")))
        })
        .await
        .map_err(|_| timed_out("WebSocket exchange"))?
    }
}
