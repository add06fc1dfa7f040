//! Lazy pagination over `Link: <url>; rel="next"` headers.

use futures::Stream;
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::client::{HubClient, decode_json};
use crate::error::{Error, Result};

/// Extracts the `rel="next"` URL of a `Link` header (comma-separated entries, GitHub style).
pub fn next_link(link: &str) -> Option<String> {
    for entry in split_links(link) {
        let mut parts = entry.split(';');
        let target = parts.next()?.trim();
        let url = target.strip_prefix('<')?.strip_suffix('>')?;
        let is_next = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=")
                .map(|v| v.trim_matches('"').split_whitespace().any(|r| r == "next"))
                .unwrap_or(false)
        });
        if is_next {
            return Some(url.to_owned());
        }
    }
    None
}

/// Splits on commas that are outside `<...>` (URLs may contain commas).
fn split_links(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth <= 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

struct State {
    client: HubClient,
    /// URL of the page the buffered items came from (for error messages).
    page_url: String,
    next: Option<(String, Vec<(String, String)>)>,
    buffer: std::vec::IntoIter<serde_json::Value>,
}

/// Streams the items of every page; the query is sent on the first page only, later pages use
/// the server's `next` URL verbatim.
pub(crate) fn paginate<T: DeserializeOwned + Send + 'static>(
    client: HubClient,
    url: String,
    query: Vec<(String, String)>,
) -> impl Stream<Item = Result<T>> + Send + 'static {
    let state = State {
        client,
        page_url: url.clone(),
        next: Some((url, query)),
        buffer: Vec::new().into_iter(),
    };
    futures::stream::try_unfold(state, |mut st| async move {
        loop {
            if let Some(v) = st.buffer.next() {
                let item = serde_json::from_value::<T>(v)
                    .map_err(|e| Error::decode(&st.page_url, format!("bad listing item: {e}")))?;
                return Ok(Some((item, st)));
            }
            let Some((url, query)) = st.next.take() else {
                return Ok(None);
            };
            let resp = st
                .client
                .send_read(
                    st.client.request(Method::GET, &url).query(&query),
                    crate::client::SendOptions::new(),
                )
                .await?;
            st.next = resp
                .headers
                .get_all("link")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(next_link)
                .map(|u| (u, Vec::new()));
            st.page_url = resp.url.clone();
            let page: Vec<serde_json::Value> = decode_json(&resp.url, &resp.body)?;
            st.buffer = page.into_iter();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_link_headers() {
        assert_eq!(
            next_link(r#"<https://h/api/models?cursor=a,b&limit=2>; rel="next""#).as_deref(),
            Some("https://h/api/models?cursor=a,b&limit=2")
        );
        assert_eq!(
            next_link(r#"<https://h/p1>; rel="prev", <https://h/p3>; rel="next""#).as_deref(),
            Some("https://h/p3")
        );
        assert_eq!(next_link(r#"<https://h/p1>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
        assert_eq!(
            next_link(r#"<https://h/x>; rel=next"#).as_deref(),
            Some("https://h/x")
        );
    }
}
