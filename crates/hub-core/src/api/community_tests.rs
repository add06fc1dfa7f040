//! Wire-level tests of the community calls against a scripted axum server: exactly what is
//! sent (query filters, bodies or their absence, ids), page-numbered laziness, and the
//! 409/404 rules of the collection calls.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use test_support::MockServer;

use crate::repo::RepoId;
use crate::types_community::DiscussionStatus;
use crate::{Config, HubClient, RetryPolicy};

fn discussion(num: u64) -> Value {
    json!({"num": num, "title": format!("t{num}"), "status": "open", "createdAt": "2024-01-01T00:00:00Z",
        "isPullRequest": false, "author": {"name": "u"}, "repo": {"name": "ns/r", "type": "model"}})
}

fn event() -> Value {
    json!({"id": "e1", "type": "comment", "createdAt": "2024-01-01T00:00:00Z", "author": {"name": "u"},
        "data": {"edited": false, "hidden": false, "latest": {"raw": "x", "html": "x"}, "history": []}})
}

fn collection(slug: &str) -> Value {
    json!({"slug": slug, "title": "T", "owner": {"name": "me"}, "items": [], "lastUpdated": "2024-01-01T00:00:00Z",
        "position": 0, "private": false, "theme": "default", "upvotes": 0})
}

fn answer(status: u16, v: Value) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .body(Body::from(v.to_string()))
        .unwrap()
}

/// The scripted Hub. Page `p` of the listing has 2 items but claims a total of 10, and page 2
/// is empty: a client must stop there instead of asking forever.
async fn hub(method: Method, uri: Uri) -> Response {
    let q = uri.query().unwrap_or("");
    match (method.as_str(), uri.path()) {
        ("GET", "/api/models/ns/r/discussions") => {
            let p: u64 = q
                .split('&')
                .find_map(|kv| kv.strip_prefix("p="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            let items: Vec<Value> = if p < 2 {
                vec![discussion(10 - 2 * p), discussion(9 - 2 * p)]
            } else {
                vec![]
            };
            answer(
                200,
                json!({"discussions": items, "count": 10, "start": p * 2}),
            )
        }
        ("POST", p) if p.starts_with("/api/models/ns/r/discussions/3/") => answer(
            200,
            json!({"newMessage": event(), "newStatus": event(), "updatedComment": event(), "newTitle": event()}),
        ),
        ("GET", "/api/whoami-v2") => answer(200, json!({"name": "me"})),
        ("POST", "/api/collections") => {
            answer(409, json!({"error": "exists", "slug": "me/t-0123"}))
        }
        ("GET", "/api/collections/me/t-0123") => answer(200, collection("me/t-0123")),
        ("DELETE", _) => answer(404, json!({"error": "Collection not found"})),
        _ => answer(404, json!({"error": "unexpected"})),
    }
}

async fn setup() -> (MockServer, crate::HfApi) {
    let server = MockServer::start(Router::new().fallback(hub))
        .await
        .unwrap();
    let api = HubClient::builder()
        .config(Config::builder().endpoint(server.url()).build())
        .retry_policy(RetryPolicy::none())
        .token("hf_test")
        .build()
        .unwrap()
        .api();
    (server, api)
}

fn rid() -> RepoId {
    RepoId::new("ns/r").unwrap()
}

#[tokio::test]
async fn listing_sends_only_given_filters_is_lazy_and_stops_on_an_empty_page() {
    let (server, api) = setup().await;
    let first = api.get_repo_discussions(&rid()).send().next().await;
    assert_eq!(first.unwrap().unwrap().num, 10);
    assert_eq!(server.hits(), 1, "one page for one item");
    assert_eq!(
        server.last_request().path,
        "/api/models/ns/r/discussions?p=0"
    );

    let all: Vec<u64> = api
        .get_repo_discussions(&rid())
        .author("u")
        .discussion_type(super::discussions::DiscussionTypeFilter::PullRequest)
        .discussion_status(super::discussions::DiscussionStatusFilter::Closed)
        .send()
        .map_ok(|d| d.num)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all, vec![10, 9, 8, 7]);
    let paths: Vec<String> = server.requests()[1..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        paths,
        [0, 1, 2].map(|p| format!(
            "/api/models/ns/r/discussions?type=pull_request&status=closed&author=u&p={p}"
        ))
    );
}

#[tokio::test]
async fn change_bodies_are_the_protocols() {
    let (server, api) = setup().await;
    api.merge_pull_request(&rid(), 3).send().await.unwrap();
    let r = server.last_request();
    assert_eq!(r.uri_path(), "/api/models/ns/r/discussions/3/merge");
    assert!(r.body.is_empty(), "no body without a comment");
    api.merge_pull_request(&rid(), 3)
        .comment("  ok  ")
        .send()
        .await
        .unwrap();
    assert_eq!(server.last_request().json(), json!({"comment": "ok"}));
    api.change_discussion_status(&rid(), 3, DiscussionStatus::Closed)
        .comment("   ")
        .send()
        .await
        .unwrap();
    assert_eq!(server.last_request().json(), json!({"status": "closed"}));
    api.edit_discussion_comment(&rid(), 3, "ABCdef", "new")
        .send()
        .await
        .unwrap();
    let r = server.last_request();
    assert_eq!(
        r.uri_path(),
        "/api/models/ns/r/discussions/3/comment/abcdef/edit"
    );
    assert_eq!(r.json(), json!({"content": "new"}));
    api.hide_discussion_comment(&rid(), 3, "abc")
        .send()
        .await
        .unwrap();
    assert!(server.last_request().body.is_empty());
    let before = server.hits();
    let err = api
        .change_discussion_status(&rid(), 3, DiscussionStatus::Draft)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
    assert_eq!(server.hits(), before, "nothing sent for an invalid status");
}

#[tokio::test]
async fn collection_conflicts_and_missing_deletes() {
    let (server, api) = setup().await;
    let err = api.create_collection("T").send().await.unwrap_err();
    assert_eq!(err.status(), Some(409));
    let reqs = server.requests();
    assert_eq!(
        reqs[0].uri_path(),
        "/api/whoami-v2",
        "namespace defaults to the caller"
    );
    assert_eq!(
        reqs[1].json(),
        json!({"title": "T", "namespace": "me", "private": false})
    );
    let c = api
        .create_collection("T")
        .exists_ok(true)
        .send()
        .await
        .unwrap();
    assert_eq!(c.slug, "me/t-0123");
    assert_eq!(c.url, format!("{}/collections/me/t-0123", server.url()));
    assert_eq!(
        server.last_request().uri_path(),
        "/api/collections/me/t-0123"
    );

    let err = api.delete_collection("me/t-0123").send().await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    api.delete_collection("me/t-0123")
        .missing_ok(true)
        .send()
        .await
        .unwrap();
    api.delete_collection_item("me/t-0123", "item1")
        .missing_ok(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.last_request().uri_path(),
        "/api/collections/me/t-0123/items/item1"
    );
}
