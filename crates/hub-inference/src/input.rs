//! Binary inputs (images, audio) from bytes, a file, a reader or a URL.

use std::path::PathBuf;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::client::{InferenceClient, is_url};
use crate::error::{Error, Result};

/// An image or audio input.
///
/// `&str`/`String` inputs starting with `http://` or `https://` are URLs (downloaded by the
/// client first, without the token); other strings are file paths, as in Python.
///
/// ```
/// use hub_inference::BinaryInput;
/// let from_bytes = BinaryInput::from(vec![0u8, 1, 2]);
/// let from_path = BinaryInput::from("cat.png");
/// let from_url = BinaryInput::from("https://example.com/cat.png");
/// assert!(matches!(from_path, BinaryInput::Path(_)));
/// assert!(matches!(from_url, BinaryInput::Url(_)));
/// # let _ = from_bytes;
/// ```
pub enum BinaryInput {
    /// The content itself.
    Bytes(Bytes),
    /// A local file (read with `tokio::fs`).
    Path(PathBuf),
    /// An http(s) URL to download.
    Url(String),
    /// Any async reader, read to the end.
    Reader(Box<dyn AsyncRead + Send + Unpin>),
}

impl std::fmt::Debug for BinaryInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BinaryInput::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            BinaryInput::Path(p) => f.debug_tuple("Path").field(p).finish(),
            BinaryInput::Url(u) => f.debug_tuple("Url").field(u).finish(),
            BinaryInput::Reader(_) => f.write_str("Reader(..)"),
        }
    }
}

impl BinaryInput {
    /// An input read from `reader`.
    pub fn reader(reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        BinaryInput::Reader(Box::new(reader))
    }

    /// Loads the content.
    pub(crate) async fn load(self, client: &InferenceClient) -> Result<Bytes> {
        match self {
            BinaryInput::Bytes(b) => Ok(b),
            BinaryInput::Path(path) => match tokio::fs::read(&path).await {
                Ok(data) => Ok(Bytes::from(data)),
                Err(source) => Err(Error::Io {
                    path: Some(path),
                    source,
                }),
            },
            BinaryInput::Reader(mut reader) => {
                let mut data = Vec::new();
                reader
                    .read_to_end(&mut data)
                    .await
                    .map_err(|source| Error::Io { path: None, source })?;
                Ok(Bytes::from(data))
            }
            BinaryInput::Url(url) => {
                // An input URL belongs to whoever hosts the file: no Hub token goes there.
                let hub = client.hub_client();
                let rb = hub.request_without_token(reqwest::Method::GET, &url);
                let resp = hub.send_read(rb, hub_core::SendOptions::new()).await?;
                Ok(resp.body)
            }
        }
    }
}

impl From<Bytes> for BinaryInput {
    fn from(b: Bytes) -> Self {
        BinaryInput::Bytes(b)
    }
}

impl From<Vec<u8>> for BinaryInput {
    fn from(b: Vec<u8>) -> Self {
        BinaryInput::Bytes(Bytes::from(b))
    }
}

impl From<&[u8]> for BinaryInput {
    fn from(b: &[u8]) -> Self {
        BinaryInput::Bytes(Bytes::copy_from_slice(b))
    }
}

impl From<PathBuf> for BinaryInput {
    fn from(p: PathBuf) -> Self {
        BinaryInput::Path(p)
    }
}

impl From<&std::path::Path> for BinaryInput {
    fn from(p: &std::path::Path) -> Self {
        BinaryInput::Path(p.to_path_buf())
    }
}

impl From<String> for BinaryInput {
    fn from(s: String) -> Self {
        if is_url(&s) {
            BinaryInput::Url(s)
        } else {
            BinaryInput::Path(PathBuf::from(s))
        }
    }
}

impl From<&str> for BinaryInput {
    fn from(s: &str) -> Self {
        BinaryInput::from(s.to_owned())
    }
}
