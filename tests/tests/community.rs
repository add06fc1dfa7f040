//! hub-core's community API (discussions and pull requests) against a real local hub-server,
//! and the Python 0.26.5 client doing the same operations on the same server.
//!
//! Assertions read back what the server holds (details, listings, refs, files) through a second
//! call, not just the `Ok` of the call under test.

#![allow(clippy::unwrap_used)]

use futures::{StreamExt, TryStreamExt};
use hub_core::api::{DiscussionStatusFilter, DiscussionTypeFilter};
use hub_core::types::Gated;
use hub_core::types_community::{
    CollectionItemType, ConflictingFiles, DiscussionEventKind, DiscussionStatus,
    DiscussionWithDetails, WatchedType, WebhookDomain, WebhookWatchedItem,
};
use hub_core::{Config, ErrorKind, HfApi, HubClient, RepoId, RepoType, RetryPolicy};
use hub_tests::python::Version;
use hub_tests::{ALICE, BOB, TestServer, unique_name};
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// helpers

fn api_as(server: &TestServer, token: &str) -> HfApi {
    HubClient::builder()
        .config(Config::builder().endpoint(server.url()).build())
        .retry_policy(RetryPolicy::none())
        .token(token)
        .build()
        .unwrap()
        .api()
}

fn alice(server: &TestServer) -> HfApi {
    api_as(server, &server.tokens().write)
}

fn bob(server: &TestServer) -> HfApi {
    api_as(server, &server.tokens().bob)
}

/// Commits one regular file to `revision` with the NDJSON commit endpoint (no hub-upload).
async fn commit_file(server: &TestServer, repo: &RepoId, revision: &str, path: &str, text: &str) {
    let header =
        json!({"key": "header", "value": {"summary": format!("add {path}"), "description": ""}});
    let file =
        json!({"key": "file", "value": {"content": text, "path": path, "encoding": "utf-8"}});
    let url = format!(
        "{}/api/models/{repo}/commit/{}",
        server.url(),
        hub_core::urls::quote_segment(revision)
    );
    let resp = reqwest::Client::new()
        .post(url)
        .bearer_auth(&server.tokens().write)
        .header("content-type", "application/x-ndjson")
        .body(format!("{header}\n{file}\n"))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    assert!(
        status.is_success(),
        "commit: {status} {}",
        resp.text().await.unwrap()
    );
}

/// A fresh model repo of alice with one file on main.
async fn repo(server: &TestServer, prefix: &str) -> RepoId {
    let id = RepoId::new(format!("{ALICE}/{}", unique_name(prefix))).unwrap();
    alice(server).create_repo(&id).send().await.unwrap();
    commit_file(server, &id, "main", "base.txt", "base\n").await;
    id
}

async fn files_on_main(api: &HfApi, id: &RepoId) -> Vec<String> {
    api.list_repo_files(id)
        .send()
        .map_ok(|e| e.path().to_owned())
        .try_collect()
        .await
        .unwrap()
}

fn comments(d: &DiscussionWithDetails) -> Vec<(String, String)> {
    d.events
        .iter()
        .filter_map(|e| {
            e.as_comment()
                .map(|c| (e.author.clone(), c.content.clone()))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// discussions

#[tokio::test]
async fn create_list_filter_and_details() {
    let server = TestServer::start();
    let id = repo(&server, "disc").await;
    let a = alice(&server);

    let q = a
        .create_discussion(&id, "  A question  ")
        .description("Is this right?")
        .send()
        .await
        .unwrap();
    assert_eq!(q.title, "A question");
    assert_eq!((q.author.as_str(), q.is_pull_request), (ALICE, false));
    assert_eq!(q.status, DiscussionStatus::Open);
    assert_eq!(q.repo_id, id.as_str());
    assert_eq!(q.repo_type, RepoType::Model);
    assert_eq!(
        comments(&q),
        vec![(ALICE.to_owned(), "Is this right?".to_owned())]
    );
    assert_eq!(
        q.url(),
        format!("{}/{id}/discussions/{}", server.url(), q.num)
    );
    assert_eq!(q.git_reference(), None);
    assert_eq!(q.target_branch, None);
    assert!(q.created_at.is_some());

    // Anyone signed in may open a discussion on a public repo; the default description says who.
    let by_bob = bob(&server)
        .create_discussion(&id, "From bob")
        .send()
        .await
        .unwrap();
    assert_eq!(by_bob.author, BOB);
    assert_eq!(
        comments(&by_bob)[0].1,
        "Discussion opened with the [huggingface_hub Python library](https://huggingface.co/docs/huggingface_hub)"
    );

    let pr = a.create_pull_request(&id, "A change").send().await.unwrap();
    assert!(pr.is_pull_request);
    assert_eq!(pr.status, DiscussionStatus::Draft);
    assert_eq!(pr.git_reference(), Some(format!("refs/pr/{}", pr.num)));
    assert_eq!(pr.target_branch.as_deref(), Some("refs/heads/main"));
    assert!(comments(&pr)[0].1.starts_with("Pull Request opened with"));

    // The listing: newest first, and each filter is applied by the server.
    let all: Vec<_> = a
        .get_repo_discussions(&id)
        .send()
        .try_collect()
        .await
        .unwrap();
    let nums: Vec<u64> = all.iter().map(|d| d.num).collect();
    assert_eq!(nums, vec![pr.num, by_bob.num, q.num]);
    assert_eq!(all[0].git_reference(), pr.git_reference());
    let list = |b: hub_core::api::DiscussionListBuilder| async move {
        b.send()
            .map_ok(|d| d.num)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
    };
    assert_eq!(
        list(
            a.get_repo_discussions(&id)
                .discussion_type(DiscussionTypeFilter::PullRequest)
        )
        .await,
        vec![pr.num]
    );
    assert_eq!(
        list(
            a.get_repo_discussions(&id)
                .discussion_type(DiscussionTypeFilter::Discussion)
        )
        .await,
        vec![by_bob.num, q.num]
    );
    assert_eq!(
        list(a.get_repo_discussions(&id).author(BOB)).await,
        vec![by_bob.num]
    );
    a.change_discussion_status(&id, q.num, DiscussionStatus::Closed)
        .send()
        .await
        .unwrap();
    assert_eq!(
        list(
            a.get_repo_discussions(&id)
                .discussion_status(DiscussionStatusFilter::Closed)
        )
        .await,
        vec![q.num]
    );
    assert_eq!(
        list(
            a.get_repo_discussions(&id)
                .discussion_status(DiscussionStatusFilter::Open)
                .discussion_type(DiscussionTypeFilter::Discussion)
        )
        .await,
        vec![by_bob.num]
    );

    // Missing things are typed errors.
    let missing = a.get_discussion_details(&id, 999).send().await.unwrap_err();
    assert_eq!(missing.status(), Some(404), "{missing:?}");
    let zero = a.get_discussion_details(&id, 0).send().await.unwrap_err();
    assert_eq!(zero.kind(), ErrorKind::InvalidArgument);
    let no_repo = RepoId::new(format!("{ALICE}/{}", unique_name("none"))).unwrap();
    let err = a
        .get_repo_discussions(&no_repo)
        .send()
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn listing_follows_page_numbers_lazily() {
    let server = TestServer::start();
    let id = repo(&server, "pages").await;
    let a = alice(&server);
    // The server's page is 50: 53 threads need two pages.
    let mut created = Vec::new();
    for i in 0..53 {
        let d = a
            .create_discussion(&id, &format!("thread {i}"))
            .send()
            .await
            .unwrap();
        created.push(d.num);
    }
    created.reverse();
    let listed: Vec<u64> = a
        .get_repo_discussions(&id)
        .send()
        .map_ok(|d| d.num)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, created);
    // Taking a few only reads the first page and stops.
    let first: Vec<u64> = a
        .get_repo_discussions(&id)
        .send()
        .take(2)
        .map(|r| r.unwrap().num)
        .collect()
        .await;
    assert_eq!(first, created[..2]);
}

#[tokio::test]
async fn comment_edit_hide_rename_and_status() {
    let server = TestServer::start();
    let id = repo(&server, "edit").await;
    let (a, b) = (alice(&server), bob(&server));
    let d = b
        .create_discussion(&id, "Typo")
        .description("first")
        .send()
        .await
        .unwrap();

    let c = b
        .comment_discussion(&id, d.num, "second")
        .send()
        .await
        .unwrap();
    assert_eq!(c.author, BOB);
    assert_eq!(c.as_comment().unwrap().content, "second");

    // Edit: the author may, with the old text kept in the history; others may not.
    let edited = b
        .edit_discussion_comment(&id, d.num, &c.id.to_uppercase(), "second, fixed")
        .send()
        .await
        .unwrap();
    let ec = edited.as_comment().unwrap();
    assert_eq!(edited.id, c.id);
    assert_eq!(
        (ec.content.as_str(), ec.edited, ec.number_of_edits()),
        ("second, fixed", true, 1)
    );
    assert_eq!(ec.edit_history[0].raw, "second");
    assert_eq!(ec.last_edited_by, BOB);
    let err = a
        .edit_discussion_comment(&id, d.num, &c.id, "not mine")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");
    let err = b
        .edit_discussion_comment(&id, d.num, "0123456789abcdef01234567", "x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");

    // Hide: the repo owner may hide bob's comment; its text is gone and it cannot be edited.
    let hidden = a
        .hide_discussion_comment(&id, d.num, &c.id)
        .send()
        .await
        .unwrap();
    let hc = hidden.as_comment().unwrap();
    assert!(hc.hidden);
    assert!(!hc.content.contains("second"), "{hc:?}");
    assert_eq!(hc.number_of_edits(), 0);
    let err = b
        .edit_discussion_comment(&id, d.num, &c.id, "again")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");

    // Rename (writers only) and status changes with a comment.
    let err = b
        .rename_discussion(&id, d.num, "Mine")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");
    let t = a
        .rename_discussion(&id, d.num, "Typo in README")
        .send()
        .await
        .unwrap();
    match &t.kind {
        DiscussionEventKind::TitleChange(tc) => {
            assert_eq!(
                (tc.old_title.as_str(), tc.new_title.as_str()),
                ("Typo", "Typo in README")
            )
        }
        other => panic!("not a title change: {other:?}"),
    }
    let s = a
        .change_discussion_status(&id, d.num, DiscussionStatus::Closed)
        .comment("Fixed, thanks")
        .send()
        .await
        .unwrap();
    assert!(matches!(&s.kind,
        DiscussionEventKind::StatusChange(sc) if sc.new_status == DiscussionStatus::Closed));
    let err = a
        .change_discussion_status(&id, d.num, DiscussionStatus::Merged)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);

    // Everything above is what the server now holds, in order.
    let details = a.get_discussion_details(&id, d.num).send().await.unwrap();
    assert_eq!(details.title, "Typo in README");
    assert_eq!(details.status, DiscussionStatus::Closed);
    let kinds: Vec<&str> = details
        .events
        .iter()
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "comment",
            "comment",
            "title-change",
            "status-change",
            "comment"
        ]
    );
    assert!(details.events[1].as_comment().unwrap().hidden);
    assert_eq!(
        comments(&details)[2],
        (ALICE.to_owned(), "Fixed, thanks".to_owned())
    );
    a.change_discussion_status(&id, d.num, DiscussionStatus::Open)
        .send()
        .await
        .unwrap();
    let reopened = a.get_discussion_details(&id, d.num).await.unwrap();
    assert_eq!(reopened.status, DiscussionStatus::Open);
}

#[tokio::test]
async fn pull_request_commit_and_merge() {
    let server = TestServer::start();
    let id = repo(&server, "merge").await;
    let a = alice(&server);
    let pr = a
        .create_pull_request(&id, "Add a file")
        .description("please merge")
        .send()
        .await
        .unwrap();
    let git_ref = pr.git_reference().unwrap();
    commit_file(&server, &id, &git_ref, "new.txt", "from the pr\n").await;

    let before = a.get_discussion_details(&id, pr.num).send().await.unwrap();
    assert_eq!(before.merge_commit_oid, None);
    assert_eq!(
        before.conflicting_files,
        Some(ConflictingFiles::Files(vec![]))
    );
    assert!(before.diff.is_some());
    let files = files_on_main(&a, &id).await;
    assert!(!files.contains(&"new.txt".to_owned()));

    // Bob cannot merge alice's PR.
    let err = bob(&server)
        .merge_pull_request(&id, pr.num)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");

    a.merge_pull_request(&id, pr.num)
        .comment("merging")
        .send()
        .await
        .unwrap();
    let after = a.get_discussion_details(&id, pr.num).send().await.unwrap();
    assert_eq!(after.status, DiscussionStatus::Merged);
    let main = a.list_repo_refs(&id).send().await.unwrap();
    let head = &main
        .branches
        .iter()
        .find(|b| b.name == "main")
        .unwrap()
        .target_commit;
    assert_eq!(after.merge_commit_oid.as_ref(), Some(head));
    assert!(matches!(&after.events.last().unwrap().kind,
        DiscussionEventKind::StatusChange(s) if s.new_status == DiscussionStatus::Merged));
    assert_eq!(comments(&after).last().unwrap().1, "merging");
    let files = files_on_main(&a, &id).await;
    assert!(files.contains(&"new.txt".to_owned()), "{files:?}");
    let merged_prs: Vec<u64> = a
        .get_repo_discussions(&id)
        .discussion_type(DiscussionTypeFilter::PullRequest)
        .discussion_status(DiscussionStatusFilter::Closed)
        .send()
        .map_ok(|d| d.num)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(merged_prs, vec![pr.num]);
}

// ---------------------------------------------------------------------------------------------
// Python 0.26.5 on the same server

/// Python edits, hides and renames what Rust created; Rust reads back what Python did, and
/// Python reads what Rust did.
#[tokio::test]
async fn python_026_and_rust_share_discussions() {
    let server = TestServer::start();
    let id = repo(&server, "py").await;
    let a = alice(&server);
    let d = a
        .create_discussion(&id, "Shared")
        .description("opened by rust")
        .send()
        .await
        .unwrap();
    let c = a
        .comment_discussion(&id, d.num, "rust comment")
        .send()
        .await
        .unwrap();
    let script = format!(
        r#"import json
from huggingface_hub import HfApi
api = HfApi()
r, n, cid = {repo:?}, {num}, {cid:?}
d = api.get_discussion_details(r, n)
seen = [e.content for e in d.events if e.type == "comment"]
e = api.edit_discussion_comment(r, n, cid, "edited by python")
p = api.comment_discussion(r, n, "python comment")
h = api.hide_discussion_comment(r, n, p.id)
t = api.rename_discussion(r, n, "Renamed by python")
s = api.change_discussion_status(r, n, "closed", comment="closing")
pr = api.create_pull_request(r, "Python PR")
api.merge_pull_request(r, pr.num)
m = api.get_discussion_details(r, pr.num)
print(json.dumps({{"seen": seen, "edit": [e.content, e.edited, e.number_of_edits, e.edit_history[0]["raw"]],
  "hidden": h.hidden, "title": [t.old_title, t.new_title], "status": s.new_status,
  "pr": pr.num, "merged": [m.status, m.merge_commit_oid, m.target_branch],
  "listed": [x.num for x in api.get_repo_discussions(r)]}}))
"#,
        repo = id.as_str(),
        num = d.num,
        cid = c.id,
    );
    let py = server.python_json(Version::V026, &script);
    assert_eq!(py["seen"], json!(["opened by rust", "rust comment"]));
    assert_eq!(
        py["edit"],
        json!(["edited by python", true, 1, "rust comment"])
    );
    assert_eq!(py["hidden"], json!(true));
    assert_eq!(py["title"], json!(["Shared", "Renamed by python"]));
    assert_eq!(py["status"], json!("closed"));

    let rd = a.get_discussion_details(&id, d.num).send().await.unwrap();
    assert_eq!(rd.title, "Renamed by python");
    assert_eq!(rd.status, DiscussionStatus::Closed);
    let texts = comments(&rd);
    assert_eq!(texts[1], (ALICE.to_owned(), "edited by python".to_owned()));
    assert!(rd.events[2].as_comment().unwrap().hidden);
    assert_eq!(texts.last().unwrap().1, "closing");

    let pr_num = py["pr"].as_u64().unwrap();
    let pr = a.get_discussion_details(&id, pr_num).send().await.unwrap();
    assert_eq!(pr.status, DiscussionStatus::Merged);
    assert_eq!(
        py["merged"],
        json!(["merged", pr.merge_commit_oid, "refs/heads/main"])
    );
    assert!(pr.merge_commit_oid.is_some());
    let listed: Vec<u64> = a
        .get_repo_discussions(&id)
        .send()
        .map_ok(|x| x.num)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(py["listed"], json!(listed));
}

// ---------------------------------------------------------------------------------------------
// collections

#[tokio::test]
async fn collections_create_items_update_list_and_delete() {
    let server = TestServer::start();
    let model = repo(&server, "cm").await;
    let a = alice(&server);
    let c = a
        .create_collection("My Models!")
        .description("the good ones")
        .send()
        .await
        .unwrap();
    assert!(c.slug.starts_with("alice/my-models-"), "{}", c.slug);
    assert_eq!(c.url, format!("{}/collections/{}", server.url(), c.slug));
    assert_eq!(
        (c.title.as_str(), c.private, c.position),
        ("My Models!", false, 0)
    );
    assert_eq!(c.description.as_deref(), Some("the good ones"));
    assert_eq!(c.owner["name"], ALICE);
    // Same title again: 409, or the existing one with exists_ok.
    let err = a.create_collection("My Models!").send().await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err:?}");
    let again = a
        .create_collection("My Models!")
        .exists_ok(true)
        .send()
        .await
        .unwrap();
    assert_eq!(again.slug, c.slug);

    // Items: a repo with a note, a paper; duplicates and missing repos are errors.
    let c1 = a
        .add_collection_item(&c.slug, model.as_str(), RepoType::Model)
        .note("start here")
        .send()
        .await
        .unwrap();
    assert_eq!(c1.items.len(), 1);
    assert_eq!(c1.items[0].item_id, model.as_str());
    assert_eq!(c1.items[0].note.as_deref(), Some("start here"));
    let c2 = a
        .add_collection_item(&c.slug, "2310.01234", CollectionItemType::Paper)
        .send()
        .await
        .unwrap();
    assert_eq!(c2.items[1].item_type, CollectionItemType::Paper);
    let err = a
        .add_collection_item(&c.slug, model.as_str(), RepoType::Model)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409), "{err:?}");
    let same = a
        .add_collection_item(&c.slug, model.as_str(), RepoType::Model)
        .exists_ok(true)
        .send()
        .await
        .unwrap();
    assert_eq!(same.items.len(), 2);
    let err = a
        .add_collection_item(&c.slug, &format!("{ALICE}/nope"), RepoType::Dataset)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    // Move the paper first and change the repo's note.
    let paper = c2.items[1].item_object_id.clone();
    let repo_item = c2.items[0].item_object_id.clone();
    a.update_collection_item(&c.slug, &paper)
        .position(0)
        .send()
        .await
        .unwrap();
    a.update_collection_item(&c.slug, &repo_item)
        .note("updated note")
        .send()
        .await
        .unwrap();
    let got = a.get_collection(&c.slug).await.unwrap();
    let order: Vec<(&str, u64)> = got
        .items
        .iter()
        .map(|i| (i.item_id.as_str(), i.position))
        .collect();
    assert_eq!(order, vec![("2310.01234", 0), (model.as_str(), 1)]);
    assert_eq!(got.items[1].note.as_deref(), Some("updated note"));

    // Delete an item; again is a 404 unless missing_ok.
    a.delete_collection_item(&c.slug, &paper)
        .send()
        .await
        .unwrap();
    let err = a
        .delete_collection_item(&c.slug, &paper)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    a.delete_collection_item(&c.slug, &paper)
        .missing_ok(true)
        .send()
        .await
        .unwrap();
    assert_eq!(a.get_collection(&c.slug).await.unwrap().items.len(), 1);

    // Rename: the slug's title part changes, the old slug still resolves; then make it private.
    let renamed = a
        .update_collection_metadata(&c.slug)
        .title("Renamed")
        .private(true)
        .send()
        .await
        .unwrap();
    assert!(
        renamed.slug.starts_with("alice/renamed-"),
        "{}",
        renamed.slug
    );
    assert_eq!(
        renamed.slug.rsplit('-').next(),
        c.slug.rsplit('-').next(),
        "the id part stays"
    );
    assert!(renamed.private);
    assert_eq!(a.get_collection(&c.slug).await.unwrap().title, "Renamed");
    let err = bob(&server)
        .get_collection(&renamed.slug)
        .await
        .unwrap_err();
    assert_eq!(
        err.status(),
        Some(404),
        "private collections do not exist for others: {err:?}"
    );
    let err = bob(&server)
        .update_collection_metadata(&renamed.slug)
        .title("hijack")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");

    // Listings: filters by owner and item, limit, and positions are listing indexes.
    let org_c = a
        .create_collection("Team picks")
        .namespace(hub_tests::ORG)
        .send()
        .await
        .unwrap();
    assert_eq!(org_c.owner["type"], "org");
    let err = bob(&server)
        .create_collection("Not mine")
        .namespace(hub_tests::ORG)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");
    a.add_collection_item(&org_c.slug, model.as_str(), RepoType::Model)
        .send()
        .await
        .unwrap();
    let slugs = |s: Vec<hub_core::types_community::Collection>| {
        s.into_iter()
            .map(|c| (c.slug, c.position))
            .collect::<Vec<_>>()
    };
    let mine = a
        .list_collections()
        .owner(ALICE)
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(slugs(mine), vec![(renamed.slug.clone(), 0)]);
    let with_model = a
        .list_collections()
        .item(format!("models/{model}"))
        .send()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(with_model.len(), 2);
    assert_eq!(with_model[1].position, 1);
    let as_bob = bob(&server)
        .list_collections()
        .item(format!("models/{model}"))
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        slugs(as_bob),
        vec![(org_c.slug.clone(), 0)],
        "bob sees only the public one"
    );
    let one = a
        .list_collections()
        .limit(1)
        .send()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(one.len(), 1);

    // Delete: then 404, and missing_ok.
    a.delete_collection(&renamed.slug).send().await.unwrap();
    let err = a.get_collection(&renamed.slug).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    let err = a.delete_collection(&renamed.slug).send().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    a.delete_collection(&renamed.slug)
        .missing_ok(true)
        .send()
        .await
        .unwrap();
}

/// Python 0.26.5 creates and fills a collection; Rust reads and changes it; Python reads back.
#[tokio::test]
async fn python_026_and_rust_share_collections() {
    let server = TestServer::start();
    let model = repo(&server, "pyc").await;
    let script = format!(
        r#"import json
from huggingface_hub import HfApi
api = HfApi()
c = api.create_collection("From Python", description="py")
c = api.add_collection_item(c.slug, {m:?}, "model", note="a note")
c = api.add_collection_item(c.slug, "2310.01234", "paper")
again = api.create_collection("From Python", exists_ok=True)
print(json.dumps({{"slug": c.slug, "again": again.slug, "items": [[i.item_id, i.item_type, i.position, i.note] for i in c.items]}}))
"#,
        m = model.as_str()
    );
    let py = server.python_json(Version::V026, &script);
    let slug = py["slug"].as_str().unwrap().to_owned();
    assert_eq!(py["again"], json!(slug));
    assert_eq!(
        py["items"],
        json!([
            [model.as_str(), "model", 0, "a note"],
            ["2310.01234", "paper", 1, null]
        ])
    );
    let a = alice(&server);
    let c = a.get_collection(&slug).await.unwrap();
    assert_eq!(c.title, "From Python");
    assert_eq!(c.items[0].note.as_deref(), Some("a note"));
    let paper = c.items[1].item_object_id.clone();
    a.update_collection_item(&slug, &paper)
        .position(0)
        .note("first")
        .send()
        .await
        .unwrap();
    a.update_collection_metadata(&slug)
        .description("changed by rust")
        .send()
        .await
        .unwrap();
    let script = format!(
        r#"import json
from huggingface_hub import HfApi
api = HfApi()
c = api.get_collection({slug:?})
listed = [x.slug for x in api.list_collections(owner="alice")]
api.delete_collection_item({slug:?}, c.items[1].item_object_id)
api.delete_collection_item({slug:?}, c.items[1].item_object_id, missing_ok=True)
after = api.get_collection({slug:?})
api.delete_collection({slug:?})
api.delete_collection({slug:?}, missing_ok=True)
print(json.dumps({{"description": c.description, "items": [[i.item_id, i.note] for i in c.items],
  "listed": listed, "after": [i.item_id for i in after.items]}}))
"#
    );
    let py = server.python_json(Version::V026, &script);
    assert_eq!(py["description"], "changed by rust");
    assert_eq!(
        py["items"],
        json!([["2310.01234", "first"], [model.as_str(), "a note"]])
    );
    assert_eq!(py["listed"], json!([slug]));
    assert_eq!(py["after"], json!(["2310.01234"]));
    let err = a.get_collection(&slug).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// likes, users, organizations

/// Raw `POST|DELETE /api/users/{user}/follow` (the Python client has no follow call).
async fn follow(server: &TestServer, token: &str, user: &str, yes: bool) {
    let url = format!("{}/api/users/{user}/follow", server.url());
    let c = reqwest::Client::new();
    let rb = if yes { c.post(url) } else { c.delete(url) };
    let resp = rb.bearer_auth(token).send().await.unwrap();
    assert!(resp.status().is_success(), "follow: {}", resp.status());
}

#[tokio::test]
async fn likes_users_orgs_and_follows() {
    let server = TestServer::start();
    let model = repo(&server, "liked").await;
    let (a, b) = (alice(&server), bob(&server));
    let ds = RepoId::new(format!("{ALICE}/{}", unique_name("ds"))).unwrap();
    a.create_repo(&ds)
        .repo_type(RepoType::Dataset)
        .send()
        .await
        .unwrap();

    b.like(&model, RepoType::Model).await.unwrap();
    b.like(&model, RepoType::Model).await.unwrap(); // twice is still one like
    b.like(&ds, RepoType::Dataset).await.unwrap();
    a.like(&model, RepoType::Model).await.unwrap();
    let likes = b.list_liked_repos(None).await.unwrap();
    assert_eq!(likes.user, BOB);
    assert_eq!(likes.total, 2);
    assert_eq!(likes.models, vec![model.as_str().to_owned()]);
    assert_eq!(likes.datasets, vec![ds.as_str().to_owned()]);
    assert!(likes.spaces.is_empty());
    let likers: Vec<String> = a
        .list_repo_likers(&model)
        .send()
        .map_ok(|u| u.username)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(likers, vec![BOB.to_owned(), ALICE.to_owned()]);
    b.unlike(&ds, RepoType::Dataset).await.unwrap();
    let likes = a.list_liked_repos(Some(BOB)).await.unwrap();
    assert_eq!((likes.total, likes.datasets.len()), (1, 0));
    let ds_likers: Vec<_> = a
        .list_repo_likers(&ds)
        .repo_type(RepoType::Dataset)
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(ds_likers.is_empty());
    let err = b
        .like(&RepoId::new("alice/none-such").unwrap(), RepoType::Model)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    let me = a.get_user_overview(ALICE).await.unwrap();
    assert_eq!(me.username, ALICE);
    assert!(me.orgs.iter().any(|o| o.name == hub_tests::ORG), "{me:?}");
    let err = a.get_user_overview("no-such-user").await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    let members: Vec<String> = a
        .list_organization_members(hub_tests::ORG)
        .map_ok(|u| u.username)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(members, vec![ALICE.to_owned()]);

    // Follows: bob follows alice and the org; alice follows bob; then bob unfollows the org.
    follow(&server, &server.tokens().bob, ALICE, true).await;
    follow(&server, &server.tokens().bob, hub_tests::ORG, true).await;
    follow(&server, &server.tokens().write, BOB, true).await;
    let names = |s: BoxedUsers| async move {
        s.map_ok(|u| u.username)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
    };
    assert_eq!(
        names(a.list_user_followers(ALICE)).await,
        vec![BOB.to_owned()]
    );
    assert_eq!(
        names(a.list_user_following(BOB)).await,
        vec![ALICE.to_owned(), hub_tests::ORG.to_owned()]
    );
    follow(&server, &server.tokens().bob, hub_tests::ORG, false).await;
    assert_eq!(
        names(a.list_user_following(BOB)).await,
        vec![ALICE.to_owned()]
    );
    assert_eq!(
        names(a.list_user_followers(BOB)).await,
        vec![ALICE.to_owned()]
    );
    assert!(
        names(a.list_user_followers(hub_tests::ORG))
            .await
            .is_empty()
    );
    let err = a
        .list_user_followers("no-such-user")
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}

type BoxedUsers =
    futures::stream::BoxStream<'static, hub_core::Result<hub_core::types_community::User>>;

// ---------------------------------------------------------------------------------------------
// gated repos: access requests

/// Raw `POST .../ask-access` as `token` (the gate form on the Hub); returns the status.
async fn ask_access(server: &TestServer, token: &str, repo: &RepoId) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/models/{repo}/ask-access", server.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "ask-access: {}", resp.status());
    let v: serde_json::Value = resp.json().await.unwrap();
    v["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn access_requests_follow_the_gate_mode() {
    let server = TestServer::start();
    let id = repo(&server, "gated").await;
    let a = alice(&server);
    // Not gated: listing is a 400.
    let err = a
        .list_pending_access_requests(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");

    a.update_repo_settings(&id)
        .gated(Gated::Manual)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ask_access(&server, &server.tokens().bob, &id).await,
        "pending"
    );
    let pending = a.list_pending_access_requests(&id).send().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].username, BOB);
    assert_eq!(pending[0].status, "pending");
    assert!(pending[0].timestamp.is_some());
    // Only the owner may list.
    let err = bob(&server)
        .list_pending_access_requests(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");

    a.accept_access_request(&id, BOB).send().await.unwrap();
    assert!(
        a.list_pending_access_requests(&id)
            .send()
            .await
            .unwrap()
            .is_empty()
    );
    let accepted = a.list_accepted_access_requests(&id).send().await.unwrap();
    assert_eq!(
        accepted
            .iter()
            .map(|r| r.username.as_str())
            .collect::<Vec<_>>(),
        [BOB]
    );
    a.reject_access_request(&id, BOB).send().await.unwrap();
    assert_eq!(
        a.list_rejected_access_requests(&id)
            .send()
            .await
            .unwrap()
            .len(),
        1
    );
    // Asking again does not undo the owner's answer.
    assert_eq!(
        ask_access(&server, &server.tokens().bob, &id).await,
        "rejected"
    );
    a.cancel_access_request(&id, BOB).send().await.unwrap();
    assert_eq!(
        a.list_pending_access_requests(&id)
            .send()
            .await
            .unwrap()
            .len(),
        1
    );
    let err = a
        .accept_access_request(&id, ALICE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "no request from alice: {err:?}");

    // Grant without a request; granting again is a 409.
    server.add_user("carol", false);
    a.grant_access(&id, "carol").send().await.unwrap();
    let accepted = a.list_accepted_access_requests(&id).send().await.unwrap();
    assert_eq!(
        accepted
            .iter()
            .map(|r| r.username.as_str())
            .collect::<Vec<_>>(),
        ["carol"]
    );
    let err = a.grant_access(&id, "carol").send().await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err:?}");

    // Auto mode accepts at once.
    let auto = repo(&server, "auto").await;
    a.update_repo_settings(&auto)
        .gated(Gated::Auto)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ask_access(&server, &server.tokens().bob, &auto).await,
        "accepted"
    );
    assert_eq!(
        a.list_accepted_access_requests(&auto).send().await.unwrap()[0].username,
        BOB
    );
}

/// Python 0.26.5 performs likes, users and access-request calls against hub-server, and agrees
/// with what the Rust client reads.
#[tokio::test]
async fn python_026_likes_users_and_access_requests() {
    let server = TestServer::start();
    let id = repo(&server, "pysoc").await;
    let a = alice(&server);
    a.update_repo_settings(&id)
        .gated(Gated::Manual)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ask_access(&server, &server.tokens().bob, &id).await,
        "pending"
    );
    follow(&server, &server.tokens().bob, ALICE, true).await;
    bob(&server).like(&id, RepoType::Model).await.unwrap();
    // 0.26 sends access requests and user overviews to the global endpoint: HF_ENDPOINT.
    let script = format!(
        r#"import json
from huggingface_hub import HfApi
api = HfApi()
r = {r:?}
api.like(r)
pending = [[x.username, x.status] for x in api.list_pending_access_requests(r)]
api.accept_access_request(r, "bob")
accepted = [x.username for x in api.list_accepted_access_requests(r)]
api.reject_access_request(r, "bob")
rejected = [x.username for x in api.list_rejected_access_requests(r)]
api.cancel_access_request(r, "bob")
likes = api.list_liked_repos("bob")
print(json.dumps({{"pending": pending, "accepted": accepted, "rejected": rejected,
  "after_cancel": [x.username for x in api.list_pending_access_requests(r)],
  "likers": [u.username for u in api.list_repo_likers(r)],
  "bob_likes": [likes.total, likes.models],
  "overview": api.get_user_overview("alice").username,
  "members": [u.username for u in api.list_organization_members("acme")],
  "followers": [u.username for u in api.list_user_followers("alice")],
  "following": [u.username for u in api.list_user_following("bob")]}}))
"#,
        r = id.as_str()
    );
    let py = server.python_json(Version::V026, &script);
    assert_eq!(py["pending"], json!([["bob", "pending"]]));
    assert_eq!(py["accepted"], json!(["bob"]));
    assert_eq!(py["rejected"], json!(["bob"]));
    assert_eq!(py["after_cancel"], json!(["bob"]));
    assert_eq!(py["overview"], json!(ALICE));
    assert_eq!(py["members"], json!([ALICE]));
    assert_eq!(py["followers"], json!([BOB]));
    assert_eq!(py["following"], json!([ALICE]));
    // What Rust reads is what Python saw.
    let likers: Vec<String> = a
        .list_repo_likers(&id)
        .send()
        .map_ok(|u| u.username)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(py["likers"], json!(likers));
    assert_eq!(likers, vec![BOB.to_owned(), ALICE.to_owned()]);
    let bob_likes = a.list_liked_repos(Some(BOB)).await.unwrap();
    assert_eq!(py["bob_likes"], json!([bob_likes.total, bob_likes.models]));
    let pending = a.list_pending_access_requests(&id).send().await.unwrap();
    assert_eq!(pending[0].username, BOB);
}

// ---------------------------------------------------------------------------------------------
// webhooks (settings; delivery is not implemented)

#[tokio::test]
async fn webhooks_crud_enable_disable_and_ownership() {
    let server = TestServer::start();
    let (a, b) = (alice(&server), bob(&server));
    let hook = a
        .create_webhook()
        .url("https://example.invalid/hook")
        .watch(WebhookWatchedItem::new(WatchedType::Model, "alice/m"))
        .watch(WebhookWatchedItem::new(WatchedType::Org, hub_tests::ORG))
        .domains([WebhookDomain::Repo])
        .secret("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(hook.url, "https://example.invalid/hook");
    assert_eq!(hook.watched.len(), 2);
    assert_eq!(hook.watched[1].item_type, WatchedType::Org);
    assert_eq!(hook.domains, vec![WebhookDomain::Repo]);
    assert_eq!(hook.secret.as_deref(), Some("s3cret"));
    assert!(!hook.disabled);
    // Defaults: every domain, no secret.
    let second = a
        .create_webhook()
        .url("http://127.0.0.1:9/other")
        .watch(WebhookWatchedItem::new(WatchedType::User, BOB))
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.domains,
        vec![WebhookDomain::Repo, WebhookDomain::Discussion]
    );
    assert_eq!(second.secret, None);
    // Invalid input is a 400.
    let err = a
        .create_webhook()
        .url("ftp://x")
        .watch(WebhookWatchedItem::new(WatchedType::User, BOB))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    let err = a
        .create_webhook()
        .url("https://x.invalid")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");

    assert_eq!(a.get_webhook(&hook.id).await.unwrap(), hook);
    let ids: Vec<String> = a
        .list_webhooks()
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(ids, vec![hook.id.clone(), second.id.clone()]);
    // Bob sees none of them and cannot touch them.
    assert!(b.list_webhooks().await.unwrap().is_empty());
    let err = b.get_webhook(&hook.id).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    let err = b.delete_webhook(&hook.id).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");

    let updated = a
        .update_webhook(&hook.id)
        .url("https://example.invalid/new")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.url, "https://example.invalid/new");
    assert_eq!(updated.watched, hook.watched, "watched kept when not given");
    let updated = a
        .update_webhook(&hook.id)
        .watch(WebhookWatchedItem::new(WatchedType::Dataset, "alice/d"))
        .domains([WebhookDomain::Discussion])
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated.watched,
        vec![WebhookWatchedItem::new(WatchedType::Dataset, "alice/d")]
    );
    assert_eq!(updated.domains, vec![WebhookDomain::Discussion]);
    assert!(a.disable_webhook(&hook.id).await.unwrap().disabled);
    assert!(a.get_webhook(&hook.id).await.unwrap().disabled);
    assert!(!a.enable_webhook(&hook.id).await.unwrap().disabled);

    a.delete_webhook(&hook.id).await.unwrap();
    let err = a.get_webhook(&hook.id).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert_eq!(a.list_webhooks().await.unwrap().len(), 1);
    // A read-only token may read but not change.
    let ro = api_as(&server, &server.tokens().read);
    assert_eq!(ro.list_webhooks().await.unwrap().len(), 1);
    let err = ro.disable_webhook(&second.id).await.unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");
}

/// Python 0.26.5's webhook calls against hub-server, read back by Rust.
#[tokio::test]
async fn python_026_webhooks() {
    let server = TestServer::start();
    let script = r#"import json
from huggingface_hub import HfApi, WebhookWatchedItem
api = HfApi()
h = api.create_webhook(url="https://example.invalid/py", watched=[WebhookWatchedItem(type="user", name="alice")], domains=["repo"], secret="py-secret")
d = api.disable_webhook(h.id)
u = api.update_webhook(h.id, url="https://example.invalid/py2", watched=[{"type": "model", "name": "alice/x"}], domains=["repo", "discussion"])
e = api.enable_webhook(h.id)
other = api.create_webhook(url="https://example.invalid/gone", watched=[{"type": "org", "name": "acme"}])
api.delete_webhook(other.id)
print(json.dumps({"id": h.id, "secret": h.secret, "disabled": [d.disabled, e.disabled],
  "updated": [u.url, [[w.type, w.name] for w in u.watched], u.domains],
  "listed": [x.id for x in api.list_webhooks()], "got": api.get_webhook(h.id).url}))
"#;
    let py = server.python_json(Version::V026, script);
    assert_eq!(py["secret"], "py-secret");
    assert_eq!(py["disabled"], json!([true, false]));
    assert_eq!(
        py["updated"],
        json!([
            "https://example.invalid/py2",
            [["model", "alice/x"]],
            ["repo", "discussion"]
        ])
    );
    let id = py["id"].as_str().unwrap();
    assert_eq!(py["listed"], json!([id]));
    assert_eq!(py["got"], "https://example.invalid/py2");
    let h = alice(&server).get_webhook(id).await.unwrap();
    assert_eq!(h.url, "https://example.invalid/py2");
    assert_eq!(h.secret.as_deref(), Some("py-secret"));
    assert_eq!(
        h.watched,
        vec![WebhookWatchedItem::new(WatchedType::Model, "alice/x")]
    );
}

// ---------------------------------------------------------------------------------------------
// webhook delivery of discussion events

type Received = std::sync::Arc<std::sync::Mutex<Vec<(Option<String>, serde_json::Value)>>>;

/// A local receiver recording `(X-Webhook-Secret, payload)`; it answers 500 to the first
/// `fail_first` requests, 200 after.
async fn receiver(fail_first: usize) -> (String, Received) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let got: Received = Default::default();
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let g = got.clone();
    let app = axum::Router::new().fallback(
        move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let (g, seen) = (g.clone(), seen.clone());
            async move {
                let secret = headers
                    .get("x-webhook-secret")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                g.lock()
                    .unwrap()
                    .push((secret, serde_json::from_slice(&body).unwrap()));
                if seen.fetch_add(1, Ordering::SeqCst) < fail_first {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::OK
                }
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

async fn wait_for(got: &Received, n: usize) -> Vec<(Option<String>, serde_json::Value)> {
    for _ in 0..100 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    got.lock().unwrap().clone()
}

#[tokio::test]
async fn discussion_events_are_delivered_in_order_with_the_secret_and_retries() {
    let server = TestServer::start();
    let id = repo(&server, "hooked").await;
    let a = alice(&server);
    let (url, got) = receiver(1).await;
    let (quiet_url, quiet) = receiver(0).await;
    a.create_webhook()
        .url(&url)
        .watch(WebhookWatchedItem::new(WatchedType::Model, id.as_str()))
        .domains([WebhookDomain::Discussion])
        .secret("hook-secret")
        .send()
        .await
        .unwrap();
    // Disabled, repo-domain-only and unreachable hooks: nothing arrives, and writes still work.
    let off = a
        .create_webhook()
        .url(&quiet_url)
        .watch(WebhookWatchedItem::new(WatchedType::User, ALICE))
        .send()
        .await
        .unwrap();
    a.disable_webhook(&off.id).await.unwrap();
    a.create_webhook()
        .url(&quiet_url)
        .watch(WebhookWatchedItem::new(WatchedType::User, ALICE))
        .domains([WebhookDomain::Repo])
        .send()
        .await
        .unwrap();
    a.create_webhook()
        .url("http://127.0.0.1:1/nobody")
        .watch(WebhookWatchedItem::new(WatchedType::Org, ALICE))
        .send()
        .await
        .unwrap();

    let d = a
        .create_discussion(&id, "Hooked")
        .description("first")
        .send()
        .await
        .unwrap();
    a.comment_discussion(&id, d.num, "a comment")
        .send()
        .await
        .unwrap();

    // The create is refused once (500) and retried; the comment comes after it.
    let events = wait_for(&got, 3).await;
    assert_eq!(events.len(), 3, "{events:?}");
    for (secret, _) in &events {
        assert_eq!(secret.as_deref(), Some("hook-secret"));
    }
    let scopes: Vec<(&str, &str)> = events
        .iter()
        .map(|(_, p)| {
            (
                p["event"]["scope"].as_str().unwrap(),
                p["event"]["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        scopes,
        [
            ("discussion", "create"),
            ("discussion", "create"),
            ("discussion.comment", "create")
        ]
    );
    let (_, comment) = &events[2];
    assert_eq!(comment["repo"]["name"], id.as_str());
    assert_eq!(comment["repo"]["type"], "model");
    assert_eq!(comment["discussion"]["num"], d.num);
    assert_eq!(comment["comment"]["content"], "a comment");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        quiet.lock().unwrap().is_empty(),
        "disabled or other-domain hooks got events"
    );
}

/// hub-server delivering to the `hub-webhooks` receiver: typed payloads, in order, and a
/// webhook with the wrong secret is refused by the receiver (401) and never reaches a handler.
#[tokio::test]
async fn hub_webhooks_receiver_gets_typed_discussion_events() {
    use hub_webhooks::{WebhookPayload, WebhooksServer};
    let server = TestServer::start();
    let id = repo(&server, "recv").await;
    let a = alice(&server);
    let got: std::sync::Arc<std::sync::Mutex<Vec<WebhookPayload>>> = Default::default();
    let g = got.clone();
    let receiver =
        WebhooksServer::new()
            .secret("right")
            .route("/events", move |p: WebhookPayload| {
                let g = g.clone();
                async move { g.lock().unwrap().push(p) }
            });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(receiver.serve(listener, async {
        let _ = stopped.await;
    }));
    for secret in ["right", "wrong"] {
        a.create_webhook()
            .url(format!("{base}/events"))
            .watch(WebhookWatchedItem::new(WatchedType::User, ALICE))
            .secret(secret)
            .send()
            .await
            .unwrap();
    }
    let d = a.create_pull_request(&id, "Typed").send().await.unwrap();
    a.comment_discussion(&id, d.num, "looks good")
        .send()
        .await
        .unwrap();
    a.change_discussion_status(&id, d.num, DiscussionStatus::Closed)
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        if got.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Let the wrong-secret webhook's retries run out: none of them may get through.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let got = got.lock().unwrap().clone();
    let seen: Vec<(String, String)> = got
        .iter()
        .map(|p| (p.event.scope.clone(), p.event.action.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("discussion".to_owned(), "create".to_owned()),
            ("discussion.comment".to_owned(), "create".to_owned()),
            ("discussion".to_owned(), "update".to_owned())
        ]
    );
    let first = got[0].discussion.as_ref().unwrap();
    assert_eq!(
        (first.num, first.is_pull_request),
        (Some(d.num), Some(true))
    );
    assert_eq!(got[0].repo.as_ref().unwrap().name, id.as_str());
    assert_eq!(
        got[1].comment.as_ref().unwrap().content.as_deref(),
        Some("looks good")
    );
    assert_eq!(
        got[2].discussion.as_ref().unwrap().status.as_deref(),
        Some("closed")
    );
    let _ = stop.send(());
    serving.await.unwrap().unwrap();
}

/// A commit and a comment on a watched repo reach the `hub-webhooks` receiver in order, with the
/// secret, while the commit itself is answered before the (slow) receiver is done.
#[tokio::test]
async fn commit_and_comment_are_delivered_after_the_commit_is_acknowledged() {
    use hub_webhooks::{WebhookPayload, WebhooksServer};
    let server = TestServer::start();
    let id = repo(&server, "commits").await;
    let a = alice(&server);
    let d = a
        .create_discussion(&id, "Before the hook")
        .send()
        .await
        .unwrap();
    let got: std::sync::Arc<std::sync::Mutex<Vec<WebhookPayload>>> = Default::default();
    let got_all = got.clone();
    let g = got.clone();
    let receiver = WebhooksServer::new()
        .secret("c-secret")
        .route("/h", move |p| {
            let g = g.clone();
            async move {
                // A slow receiver: the commit must not wait for it.
                tokio::time::sleep(std::time::Duration::from_millis(800)).await;
                g.lock().unwrap().push(p)
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/h", listener.local_addr().unwrap());
    tokio::spawn(receiver.serve(listener, std::future::pending()));
    a.create_webhook()
        .url(url)
        .watch(WebhookWatchedItem::new(WatchedType::Model, id.as_str()))
        .secret("c-secret")
        .send()
        .await
        .unwrap();

    let started = std::time::Instant::now();
    commit_file(&server, &id, "main", "new.txt", "hello\n").await;
    let commit_took = started.elapsed();
    a.comment_discussion(&id, d.num, "after the commit")
        .send()
        .await
        .unwrap();
    assert!(
        commit_took < std::time::Duration::from_millis(700),
        "the commit waited for delivery: {commit_took:?}"
    );
    assert!(
        got.lock().unwrap().is_empty(),
        "delivered before the receiver finished?"
    );
    for _ in 0..100 {
        if got.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    let head = a
        .list_repo_refs(&id)
        .send()
        .await
        .unwrap()
        .branches
        .into_iter()
        .find(|b| b.name == "main")
        .unwrap()
        .target_commit;
    assert_eq!(got[0].event.scope, "repo.content");
    assert_eq!(
        got[0].repo.as_ref().unwrap().head_sha.as_deref(),
        Some(head.as_str())
    );
    let refs = got[0].updated_refs.clone().unwrap();
    assert_eq!(refs.len(), 1, "{refs:?}");
    assert_eq!(refs[0].git_ref, "refs/heads/main");
    assert_eq!(refs[0].new_sha.as_deref(), Some(head.as_str()));
    assert!(refs[0].old_sha.is_some() && refs[0].old_sha != refs[0].new_sha);
    assert_eq!(got[1].event.scope, "discussion.comment");
    assert_eq!(
        got[1].comment.as_ref().unwrap().content.as_deref(),
        Some("after the commit")
    );

    // A new branch is a ref creation.
    a.create_branch(&id, "dev").send().await.unwrap();
    let events = loop_until(&got_all, 3).await;
    assert_eq!(
        (
            events[2].event.scope.as_str(),
            events[2].event.action.as_str()
        ),
        ("repo.content", "create")
    );
    assert_eq!(
        events[2].updated_refs,
        Some(vec![hub_webhooks::WebhookUpdatedRef {
            git_ref: "refs/heads/dev".into(),
            old_sha: None,
            new_sha: Some(head.clone())
        }])
    );
}

async fn loop_until(
    got: &std::sync::Arc<std::sync::Mutex<Vec<hub_webhooks::WebhookPayload>>>,
    n: usize,
) -> Vec<hub_webhooks::WebhookPayload> {
    for _ in 0..100 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    got.lock().unwrap().clone()
}

// ---------------------------------------------------------------------------------------------
// every event a watched namespace gets: repo lifecycle, config, refs (API and git push),
// discussions and comment edits/hides

/// Checks a raw payload against the fields Python 0.26.5's `_webhooks_payload.py` requires
/// (`WebhookPayload` and its parts), so Python receivers can parse what hub-server sends.
fn assert_python_payload_shape(p: &serde_json::Value) {
    let s = |v: &serde_json::Value, what: &str| {
        assert!(v.is_string(), "{what} must be a string in {p}");
    };
    assert!(
        ["create", "delete", "move", "update"].contains(&p["event"]["action"].as_str().unwrap()),
        "{p}"
    );
    s(&p["event"]["scope"], "event.scope");
    let r = &p["repo"];
    for k in ["id", "name"] {
        s(&r[k], k);
    }
    s(&r["owner"]["id"], "repo.owner.id");
    s(&r["url"]["web"], "repo.url.web");
    assert!(r["private"].is_boolean(), "{p}");
    assert!(["model", "dataset", "space"].contains(&r["type"].as_str().unwrap()));
    s(&p["webhook"]["id"], "webhook.id");
    assert_eq!(p["webhook"]["version"], 3);
    if let Some(d) = p.get("discussion") {
        for k in ["id", "title"] {
            s(&d[k], k);
        }
        s(&d["author"]["id"], "discussion.author.id");
        s(&d["url"]["web"], "discussion.url.web");
        assert!(d["num"].is_u64() && d["isPullRequest"].is_boolean(), "{p}");
        assert!(["open", "closed", "draft", "merged"].contains(&d["status"].as_str().unwrap()));
    }
    if let Some(c) = p.get("comment") {
        s(&c["id"], "comment.id");
        s(&c["author"]["id"], "comment.author.id");
        s(&c["url"]["web"], "comment.url.web");
        assert!(c["hidden"].is_boolean(), "{p}");
    }
    if let Some(m) = p.get("movedTo") {
        s(&m["name"], "movedTo.name");
        s(&m["owner"]["id"], "movedTo.owner.id");
    }
    if let Some(refs) = p.get("updatedRefs") {
        for u in refs.as_array().unwrap() {
            s(&u["ref"], "updatedRefs.ref");
        }
    }
}

/// Runs git in `dir` with a private HOME (no user config leaks in).
fn git_in(dir: &std::path::Path, home: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_watched_namespace_gets_every_repo_and_discussion_event_in_order() {
    use hub_webhooks::{WebhookPayload, WebhooksServer};
    let server = TestServer::start();
    let a = alice(&server);
    let (raw_url, raw) = receiver(0).await;
    let typed: std::sync::Arc<std::sync::Mutex<Vec<WebhookPayload>>> = Default::default();
    let g = typed.clone();
    let app = WebhooksServer::new()
        .secret("ns-secret")
        .route("/all", move |p| {
            let g = g.clone();
            async move { g.lock().unwrap().push(p) }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let typed_url = format!("http://{}/all", listener.local_addr().unwrap());
    tokio::spawn(app.serve(listener, std::future::pending()));
    for url in [&raw_url, &typed_url] {
        a.create_webhook()
            .url(url.as_str())
            .watch(WebhookWatchedItem::new(WatchedType::User, ALICE))
            .secret("ns-secret")
            .send()
            .await
            .unwrap();
    }

    let id = RepoId::new(format!("{ALICE}/{}", unique_name("events"))).unwrap();
    a.create_repo(&id).send().await.unwrap();
    commit_file(&server, &id, "main", "a.txt", "a\n").await;
    a.create_tag(&id, "v1").send().await.unwrap();
    a.delete_tag(&id, "v1", RepoType::Model).await.unwrap();
    a.create_branch(&id, "dev").send().await.unwrap();
    a.delete_branch(&id, "dev", RepoType::Model).await.unwrap();
    a.update_repo_settings(&id)
        .private(true)
        .send()
        .await
        .unwrap();
    a.update_repo_settings(&id)
        .gated(Gated::Manual)
        .send()
        .await
        .unwrap();
    // Changes nothing: no event.
    a.update_repo_settings(&id)
        .private(true)
        .send()
        .await
        .unwrap();
    let d = a.create_discussion(&id, "Events").send().await.unwrap();
    let c = a
        .comment_discussion(&id, d.num, "first words")
        .send()
        .await
        .unwrap();
    a.edit_discussion_comment(&id, d.num, &c.id, "better words")
        .send()
        .await
        .unwrap();
    a.hide_discussion_comment(&id, d.num, &c.id)
        .send()
        .await
        .unwrap();
    a.rename_discussion(&id, d.num, "Renamed")
        .send()
        .await
        .unwrap();
    a.change_discussion_status(&id, d.num, DiscussionStatus::Closed)
        .send()
        .await
        .unwrap();

    // A git push moving main and creating a tag is one event with both refs.
    let work = tempfile::tempdir().unwrap();
    let (home, clone) = (work.path().join("home"), work.path().join("clone"));
    std::fs::create_dir_all(&home).unwrap();
    let host = server.url().trim_start_matches("http://").to_owned();
    let remote = format!("http://{ALICE}:{}@{host}/{id}", server.tokens().write);
    let (h, cl) = (home.clone(), clone.clone());
    tokio::task::spawn_blocking(move || {
        git_in(&h, &h, &["clone", "-q", &remote, cl.to_str().unwrap()]);
        git_in(&cl, &h, &["config", "user.email", "alice@example.com"]);
        git_in(&cl, &h, &["config", "user.name", "alice"]);
        std::fs::write(cl.join("pushed.txt"), "pushed\n").unwrap();
        git_in(&cl, &h, &["add", "pushed.txt"]);
        git_in(&cl, &h, &["commit", "-qm", "pushed"]);
        git_in(&cl, &h, &["tag", "v2"]);
        git_in(&cl, &h, &["push", "-q", "origin", "main", "v2"]);
    })
    .await
    .unwrap();
    let pushed_head = a
        .list_repo_refs(&id)
        .send()
        .await
        .unwrap()
        .branches
        .into_iter()
        .find(|b| b.name == "main")
        .unwrap()
        .target_commit;

    let moved = RepoId::new(format!("{ALICE}/{}", unique_name("moved"))).unwrap();
    a.move_repo(&id, &moved).send().await.unwrap();
    a.delete_repo(&moved).send().await.unwrap();

    let expected = [
        ("repo", "create"),
        ("repo.content", "update"),
        ("repo.content", "create"),
        ("repo.content", "delete"),
        ("repo.content", "create"),
        ("repo.content", "delete"),
        ("repo.config", "update"),
        ("repo.config", "update"),
        ("discussion", "create"),
        ("discussion.comment", "create"),
        ("discussion.comment", "update"),
        ("discussion.comment", "update"),
        ("discussion", "update"),
        ("discussion", "update"),
        ("repo.content", "update"),
        ("repo", "move"),
        ("repo", "delete"),
    ];
    let events = loop_until(&typed, expected.len()).await;
    let raw_events = wait_for(&raw, expected.len()).await;
    // Nothing more arrives (the settings call that changed nothing stayed quiet).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let events_now = typed.lock().unwrap().clone();
    assert_eq!(events_now.len(), expected.len(), "{events_now:#?}");
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|p| (p.event.scope.as_str(), p.event.action.as_str()))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(raw_events.len(), expected.len());
    for (secret, p) in &raw_events {
        assert_eq!(secret.as_deref(), Some("ns-secret"));
        assert_python_payload_shape(p);
    }
    // Same order and same repo object ids for both receivers.
    let raw_scopes: Vec<&str> = raw_events
        .iter()
        .map(|(_, p)| p["event"]["scope"].as_str().unwrap())
        .collect();
    assert_eq!(raw_scopes, expected.map(|e| e.0));
    let repo_ids: std::collections::BTreeSet<_> = events
        .iter()
        .map(|p| p.repo.as_ref().unwrap().id.clone().unwrap())
        .collect();
    assert_eq!(repo_ids.len(), 1, "one repo, one object id: {repo_ids:?}");

    let refs = |i: usize| events[i].updated_refs.clone().unwrap();
    assert_eq!(refs(2)[0].git_ref, "refs/tags/v1");
    assert!(refs(2)[0].old_sha.is_none() && refs(2)[0].new_sha.is_some());
    assert_eq!(refs(3)[0].git_ref, "refs/tags/v1");
    assert!(refs(3)[0].new_sha.is_none() && refs(3)[0].old_sha.is_some());
    assert_eq!(refs(4)[0].git_ref, "refs/heads/dev");
    assert_eq!(refs(5)[0].git_ref, "refs/heads/dev");
    assert!(refs(5)[0].new_sha.is_none());

    assert_eq!(
        events[6].updated_config.clone().unwrap(),
        json!({"private": true}).as_object().unwrap().clone()
    );
    assert_eq!(events[6].repo.as_ref().unwrap().private, Some(true));
    assert_eq!(
        events[7].updated_config.clone().unwrap(),
        serde_json::Map::new(),
        "gated is not a key the Hub reports"
    );

    let comment = |i: usize| events[i].comment.clone().unwrap();
    assert_eq!(comment(9).content.as_deref(), Some("first words"));
    assert_eq!(comment(10).content.as_deref(), Some("better words"));
    assert_eq!(comment(10).id.as_deref(), Some(c.id.as_str()));
    assert_eq!(
        (comment(11).hidden, comment(11).content),
        (Some(true), None)
    );
    assert_eq!(comment(11).author.unwrap().name.as_deref(), Some(ALICE));
    let disc = |i: usize| events[i].discussion.clone().unwrap();
    assert_eq!(disc(12).title.as_deref(), Some("Renamed"));
    assert_eq!(disc(13).status.as_deref(), Some("closed"));
    assert_eq!(disc(8).id, disc(13).id, "a discussion keeps its id");
    assert!(
        disc(8)
            .url
            .unwrap()
            .web
            .unwrap()
            .ends_with(&format!("/{id}/discussions/{}", d.num))
    );

    let mut pushed = refs(14);
    pushed.sort_by(|x, y| x.git_ref.cmp(&y.git_ref));
    assert_eq!(pushed.len(), 2, "{pushed:?}");
    assert_eq!(
        (pushed[0].git_ref.as_str(), pushed[0].new_sha.as_deref()),
        ("refs/heads/main", Some(pushed_head.as_str()))
    );
    assert!(pushed[0].old_sha.is_some());
    assert_eq!(
        (pushed[1].git_ref.as_str(), pushed[1].old_sha.as_deref()),
        ("refs/tags/v2", None)
    );
    assert_eq!(
        events[14].repo.as_ref().unwrap().head_sha.as_deref(),
        Some(pushed_head.as_str())
    );

    let moved_to = events[15].moved_to.clone().unwrap();
    assert_eq!(moved_to.name, moved.as_str());
    assert_eq!(events[15].repo.as_ref().unwrap().name, id.as_str());
    assert_eq!(events[16].repo.as_ref().unwrap().name, moved.as_str());
}

// ---------------------------------------------------------------------------------------------
// delivery over https

/// Serves `app` over TLS with `cert` on 127.0.0.1; returns its base URL and the number of TLS
/// connections attempted (handshakes that fail count too: that is how retries are seen).
async fn https_receiver(
    cert: &rcgen::CertifiedKey<rcgen::KeyPair>,
    app: axum::Router,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::Ordering;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let attempts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = attempts.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            seen.fetch_add(1, Ordering::SeqCst);
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
            });
        }
    });
    (url, attempts)
}

/// A receiver whose self-signed certificate is in the server's `webhook_ca_file` gets the
/// payload over https; one whose certificate nobody trusts is tried three times, then given up,
/// and the commit that caused both events is not slowed down or failed by either.
#[tokio::test]
async fn webhooks_are_delivered_over_https_to_trusted_receivers_only() {
    use hub_webhooks::{WebhookPayload, WebhooksServer};
    use std::sync::atomic::Ordering;
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let trusted = rcgen::generate_simple_self_signed(names.clone()).unwrap();
    let untrusted = rcgen::generate_simple_self_signed(names).unwrap();
    let pem_dir = tempfile::tempdir().unwrap();
    let pem = pem_dir.path().join("webhook-ca.pem");
    std::fs::write(&pem, trusted.cert.pem()).unwrap();
    let server = TestServer::builder().webhook_ca_file(&pem).start();
    let id = repo(&server, "tls").await;
    let a = alice(&server);

    let got: std::sync::Arc<std::sync::Mutex<Vec<WebhookPayload>>> = Default::default();
    let g = got.clone();
    let app = WebhooksServer::new()
        .secret("tls-secret")
        .route("/hook", move |p| {
            let g = g.clone();
            async move { g.lock().unwrap().push(p) }
        })
        .into_router();
    let (good_url, _) = https_receiver(&trusted, app.clone()).await;
    let (bad_url, bad_attempts) = https_receiver(&untrusted, app).await;
    for url in [&good_url, &bad_url] {
        a.create_webhook()
            .url(format!("{url}/hook"))
            .watch(WebhookWatchedItem::new(WatchedType::Model, id.as_str()))
            .domains([WebhookDomain::Repo])
            .secret("tls-secret")
            .send()
            .await
            .unwrap();
    }

    let started = std::time::Instant::now();
    commit_file(&server, &id, "main", "tls.txt", "over tls\n").await;
    assert!(
        started.elapsed() < std::time::Duration::from_millis(500),
        "the commit waited for delivery: {:?}",
        started.elapsed()
    );
    let events = loop_until(&got, 1).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event.scope, "repo.content");
    assert_eq!(events[0].repo.as_ref().unwrap().name, id.as_str());
    // Attempts at 0, +300 ms, +600 ms (backoff 300 ms × attempt), then nothing more.
    for _ in 0..60 {
        if bad_attempts.load(Ordering::SeqCst) >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(
        bad_attempts.load(Ordering::SeqCst),
        3,
        "retried, then given up"
    );
    assert_eq!(
        got.lock().unwrap().len(),
        1,
        "the untrusted receiver got nothing"
    );
    // The repo took the commit regardless.
    assert!(files_on_main(&a, &id).await.contains(&"tls.txt".to_owned()));
}

/// A `webhook_ca_file` that is not a PEM bundle stops the server from starting, with the
/// file named in the error.
#[test]
fn a_bad_webhook_ca_file_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("not.pem");
    std::fs::write(&pem, "no certificate here\n").unwrap();
    let mut config = hub_server::ServerConfig::new(dir.path().join("data"));
    config.webhook_ca_file = Some(pem);
    let err = hub_server::AppState::open_with(&config, "http://127.0.0.1:1").unwrap_err();
    assert!(err.to_string().contains("not.pem"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// access requests: the gate form's fields and the requester's e-mail

/// A user with an e-mail address on file; returns its write token.
fn user_with_email(server: &TestServer, name: &str, email: &str) -> String {
    let token = format!("hf_{name}_{}", unique_name("t").replace('-', ""));
    hub_server::admin::add_user(server.data_dir(), name, &token, false, None, Some(email)).unwrap();
    token
}

/// The gate form's extra fields (JSON or urlencoded) are kept with the request and listed with
/// the e-mail the requester had when asking; access granted without a request has no e-mail
/// (as on the Hub), and the owner's answers keep both. Python 0.26.5 reads the same.
#[tokio::test]
async fn access_requests_carry_gate_form_fields_and_email() {
    let server = TestServer::start();
    let id = repo(&server, "form").await;
    let a = alice(&server);
    a.update_repo_settings(&id)
        .gated(Gated::Manual)
        .send()
        .await
        .unwrap();
    let dave = user_with_email(&server, "dave", "dave@example.com");
    user_with_email(&server, "carol", "carol@example.com");
    let url = format!("{}/api/models/{id}/ask-access", server.url());
    let http = reqwest::Client::new();
    let resp = http
        .post(&url)
        .bearer_auth(&dave)
        .json(&json!({"company": "Acme", "use_case": "research", "consent": true}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let resp = http
        .post(&url)
        .bearer_auth(&server.tokens().bob)
        .form(&[("country", "FR")])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    // A form that is not an object of fields is refused.
    let resp = http
        .post(&url)
        .bearer_auth(&server.tokens().bob)
        .json(&json!(["not", "fields"]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    let pending = a.list_pending_access_requests(&id).send().await.unwrap();
    let by = |name: &str| pending.iter().find(|r| r.username == name).unwrap().clone();
    let d = by("dave");
    assert_eq!(d.email.as_deref(), Some("dave@example.com"));
    assert_eq!(
        serde_json::Value::Object(d.fields.unwrap()),
        json!({"company": "Acme", "use_case": "research", "consent": true})
    );
    let b = by(BOB);
    assert_eq!(b.email, None, "bob has no e-mail on file");
    assert_eq!(
        serde_json::Value::Object(b.fields.unwrap()),
        json!({"country": "FR"})
    );

    a.accept_access_request(&id, "dave").send().await.unwrap();
    a.grant_access(&id, "carol").send().await.unwrap();
    let script = format!(
        r#"import json
from huggingface_hub import HfApi
api = HfApi()
r = {r:?}
row = lambda x: [x.username, x.email, x.fields, x.status]
print(json.dumps({{"pending": [row(x) for x in api.list_pending_access_requests(r)],
  "accepted": sorted(row(x) for x in api.list_accepted_access_requests(r))}}))
"#,
        r = id.as_str()
    );
    let py = server.python_json(Version::V026, &script);
    assert_eq!(
        py["pending"],
        json!([[BOB, null, {"country": "FR"}, "pending"]])
    );
    assert_eq!(
        py["accepted"],
        json!([
            ["carol", null, null, "accepted"],
            ["dave", "dave@example.com", {"company": "Acme", "use_case": "research", "consent": true}, "accepted"]
        ])
    );
    // Rust reads the same accepted list.
    let accepted = a.list_accepted_access_requests(&id).send().await.unwrap();
    let carol = accepted.iter().find(|r| r.username == "carol").unwrap();
    assert_eq!(
        (carol.email.as_deref(), carol.fields.is_none()),
        (None, true)
    );
}

// ---------------------------------------------------------------------------------------------
// collections: sort orders

/// `sort=lastModified` puts the last changed first; `trending` the most changes recently (here
/// the busy one, changed earlier); `upvotes` (all at the stored 0) keeps the last-changed order.
/// Python 0.26.5's `list_collections(sort=...)` sees the same orders.
#[tokio::test]
async fn collections_sort_by_last_change_trending_activity_and_upvotes() {
    use hub_core::api::CollectionSort;
    let server = TestServer::start();
    let model = repo(&server, "sorted").await;
    let a = alice(&server);
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(20));
    // busy: created, 3 items added, one edited = 5 changes; quiet: created + 1 item = 2, later.
    let busy = a.create_collection("Busy").send().await.unwrap();
    for paper in ["2310.00001", "2310.00002"] {
        a.add_collection_item(&busy.slug, paper, CollectionItemType::Paper)
            .send()
            .await
            .unwrap();
        pause().await;
    }
    let c = a
        .add_collection_item(&busy.slug, model.as_str(), RepoType::Model)
        .send()
        .await
        .unwrap();
    a.update_collection_item(&busy.slug, &c.items[0].item_object_id)
        .note("busy note")
        .send()
        .await
        .unwrap();
    pause().await;
    let quiet = a.create_collection("Quiet").send().await.unwrap();
    pause().await;
    a.add_collection_item(&quiet.slug, "2310.00003", CollectionItemType::Paper)
        .send()
        .await
        .unwrap();

    let order = |sort: CollectionSort| {
        let a = a.clone();
        async move {
            a.list_collections()
                .owner(ALICE)
                .sort(sort)
                .send()
                .map_ok(|c| c.title)
                .try_collect::<Vec<_>>()
                .await
                .unwrap()
        }
    };
    assert_eq!(order(CollectionSort::LastModified).await, ["Quiet", "Busy"]);
    assert_eq!(order(CollectionSort::Trending).await, ["Busy", "Quiet"]);
    assert_eq!(order(CollectionSort::Upvotes).await, ["Quiet", "Busy"]);

    // A burst of changes on quiet (7 in all) outdoes busy's 6 (its 5 and a later edit).
    for paper in [
        "2310.00004",
        "2310.00005",
        "2310.00006",
        "2310.00007",
        "2310.00008",
    ] {
        a.add_collection_item(&quiet.slug, paper, CollectionItemType::Paper)
            .send()
            .await
            .unwrap();
    }
    pause().await;
    a.update_collection_metadata(&busy.slug)
        .description("touched last")
        .send()
        .await
        .unwrap();
    assert_eq!(order(CollectionSort::Trending).await, ["Quiet", "Busy"]);
    assert_eq!(order(CollectionSort::LastModified).await, ["Busy", "Quiet"]);

    let py = server.python_json(
        Version::V026,
        r#"import json
from huggingface_hub import HfApi
api = HfApi()
t = lambda s: [c.title for c in api.list_collections(owner="alice", sort=s)]
print(json.dumps({"trending": t("trending"), "last_modified": t("lastModified"), "upvotes": [[c.title, c.upvotes] for c in api.list_collections(owner="alice", sort="upvotes")]}))
"#,
    );
    assert_eq!(py["trending"], json!(["Quiet", "Busy"]));
    assert_eq!(py["last_modified"], json!(["Busy", "Quiet"]));
    assert_eq!(py["upvotes"], json!([["Busy", 0], ["Quiet", 0]]));
}

// ---------------------------------------------------------------------------------------------
// discussions switched off in the settings

/// `PUT .../settings {"discussionsDisabled": true}` is a `repo.config` event, refuses new
/// discussions and comments (403) while off, and switching back on restores them.
#[tokio::test]
async fn disabling_discussions_is_a_config_event_and_refuses_new_ones() {
    let server = TestServer::start();
    let id = repo(&server, "nodisc").await;
    let a = alice(&server);
    let d = a.create_discussion(&id, "Before").send().await.unwrap();
    let (url, got) = receiver(0).await;
    a.create_webhook()
        .url(&url)
        .watch(WebhookWatchedItem::new(WatchedType::Model, id.as_str()))
        .domains([WebhookDomain::Repo])
        .send()
        .await
        .unwrap();
    let settings = |off: bool| {
        let (url, token) = (
            format!("{}/api/models/{id}/settings", server.url()),
            server.tokens().write.clone(),
        );
        async move {
            let resp = reqwest::Client::new()
                .put(url)
                .bearer_auth(token)
                .json(&json!({ "discussionsDisabled": off }))
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success(), "{}", resp.status());
            resp.json::<serde_json::Value>().await.unwrap()
        }
    };
    assert_eq!(settings(true).await["discussionsDisabled"], true);
    let err = a.create_discussion(&id, "During").send().await.unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");
    let err = bob(&server)
        .comment_discussion(&id, d.num, "during")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");
    assert_eq!(settings(false).await["discussionsDisabled"], false);
    a.create_discussion(&id, "After").send().await.unwrap();

    let events = wait_for(&got, 2).await;
    let changes: Vec<_> = events
        .iter()
        .map(|(_, p)| {
            (
                p["event"]["scope"].clone(),
                p["event"]["action"].clone(),
                p["updatedConfig"].clone(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (json!("repo.config"), json!("update"), json!({})),
            (json!("repo.config"), json!("update"), json!({}))
        ]
    );
}

/// Merging a pull request is a `discussion` update carrying `changes.mergeCommitId`, then a
/// `repo.content` update of `main` to that merge commit; the commit to the PR's ref before it
/// is a `repo.content` update of `refs/pr/N`.
#[tokio::test]
async fn a_pr_merge_is_a_discussion_update_and_a_main_ref_update() {
    let server = TestServer::start();
    let id = repo(&server, "merged").await;
    let a = alice(&server);
    let (url, got) = receiver(0).await;
    a.create_webhook()
        .url(&url)
        .watch(WebhookWatchedItem::new(WatchedType::Model, id.as_str()))
        .send()
        .await
        .unwrap();
    let pr = a.create_pull_request(&id, "To merge").send().await.unwrap();
    let pr_ref = format!("refs/pr/{}", pr.num);
    commit_file(&server, &id, &pr_ref, "pr.txt", "from the PR\n").await;
    a.merge_pull_request(&id, pr.num).send().await.unwrap();
    let details = a.get_discussion_details(&id, pr.num).send().await.unwrap();
    let merge = details.merge_commit_oid.clone().unwrap();

    let events = wait_for(&got, 4).await;
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|(_, p)| {
            (
                p["event"]["scope"].as_str().unwrap(),
                p["event"]["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("discussion", "create"),
            ("repo.content", "update"),
            ("discussion", "update"),
            ("repo.content", "update")
        ]
    );
    assert_eq!(events[1].1["updatedRefs"][0]["ref"], pr_ref.as_str());
    let d = &events[2].1["discussion"];
    assert_eq!(
        (d["status"].clone(), d["changes"].clone()),
        (
            json!("merged"),
            json!({"base": "refs/heads/main", "mergeCommitId": merge})
        )
    );
    let main = &events[3].1["updatedRefs"];
    assert_eq!(main.as_array().unwrap().len(), 1, "{main}");
    assert_eq!(
        (main[0]["ref"].clone(), main[0]["newSha"].clone()),
        (json!("refs/heads/main"), json!(merge))
    );
    assert_eq!(events[3].1["repo"]["headSha"], json!(merge));
}

// ---------------------------------------------------------------------------------------------
// huggingface-cli webhooks / collections

/// Runs `huggingface-cli ARGS` against `server` as alice (stdin empty: see [`hf_cli_in`]).
async fn hf_cli(server: &TestServer, args: &[&str]) -> (i32, String, String) {
    hf_cli_in(server, args, "").await
}

/// Runs `huggingface-cli ARGS` as alice with `input` on stdin (answers to prompts).
async fn hf_cli_in(server: &TestServer, args: &[&str], input: &str) -> (i32, String, String) {
    use std::io::Write;
    let home = tempfile::tempdir().unwrap();
    let mut cmd = hub_tests::cli_command(home.path());
    cmd.env("HF_ENDPOINT", server.url())
        .env("HF_TOKEN", &server.tokens().write)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let input = input.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The CLI's webhook and collection commands do what the API does, read back through the API.
#[tokio::test]
async fn cli_manages_webhooks_and_lists_collections() {
    let server = TestServer::start();
    let a = alice(&server);
    let (code, out, err) = hf_cli(&server, &["webhooks", "list"]).await;
    assert_eq!((code, out.as_str()), (0, "No webhooks found\n"), "{err}");

    let (code, out, err) = hf_cli(
        &server,
        &[
            "webhooks",
            "create",
            "--url",
            "https://example.invalid/cli",
            "--watch",
            "model:alice/x",
            "--watch",
            "org:acme",
            "--domain",
            "repo",
            "--secret",
            "s3cr3t",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let hooks = a.list_webhooks().await.unwrap();
    assert_eq!(hooks.len(), 1);
    let hook = &hooks[0];
    assert_eq!(
        out,
        format!(
            "Webhook {} created: events go to https://example.invalid/cli\n",
            hook.id
        )
    );
    assert_eq!(
        hook.watched,
        vec![
            WebhookWatchedItem::new(WatchedType::Model, "alice/x"),
            WebhookWatchedItem::new(WatchedType::Org, "acme")
        ]
    );
    assert_eq!(hook.domains, vec![WebhookDomain::Repo]);
    assert_eq!(hook.secret.as_deref(), Some("s3cr3t"));

    let (code, out, _) = hf_cli(&server, &["webhooks", "list"]).await;
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("ID "), "{out}");
    assert!(
        lines[2].starts_with(&hook.id)
            && lines[2].contains("model:alice/x,org:acme")
            && lines[2].contains(" repo ")
            && lines[2].contains("enabled"),
        "{out}"
    );

    // A bad --watch is refused before any request, with what to write instead.
    let (code, _, err) = hf_cli(
        &server,
        &[
            "webhooks",
            "create",
            "--url",
            "http://x",
            "--watch",
            "repo:alice/x",
        ],
    )
    .await;
    assert_ne!(code, 0);
    assert!(
        err.contains("use one of model, dataset, space, user, org"),
        "{err}"
    );

    // Delete: answering no keeps it, then -y deletes; a second delete is a clear error.
    let (code, out, _) = hf_cli_in(&server, &["webhooks", "delete", &hook.id], "n\n").await;
    assert_eq!(code, 0);
    assert!(out.ends_with("Abort\n"), "{out}");
    assert_eq!(a.list_webhooks().await.unwrap().len(), 1);
    let (code, out, err) = hf_cli(&server, &["webhooks", "delete", &hook.id, "-y"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.ends_with(&format!("Webhook {} deleted\n", hook.id)),
        "{out}"
    );
    assert!(a.list_webhooks().await.unwrap().is_empty());
    let (code, _, err) = hf_cli(&server, &["webhooks", "delete", &hook.id, "-y"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("not found"), "{err}");

    // collections list
    let (code, out, _) = hf_cli(&server, &["collections", "list", "--owner", ALICE]).await;
    assert_eq!((code, out.as_str()), (0, "No collections found\n"));
    let model = repo(&server, "clicoll").await;
    let one = a.create_collection("One").send().await.unwrap();
    a.add_collection_item(&one.slug, model.as_str(), RepoType::Model)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let two = a
        .create_collection("Two")
        .private(true)
        .send()
        .await
        .unwrap();
    let (code, out, err) = hf_cli(
        &server,
        &[
            "collections",
            "list",
            "--owner",
            ALICE,
            "--sort",
            "last-modified",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec![two.slug.as_str(), "Two", "0", "0", "private"],
            vec![one.slug.as_str(), "One", "1", "0", "public"]
        ],
        "{out}"
    );
    let item = format!("models/{model}");
    let (code, out, _) = hf_cli(
        &server,
        &["collections", "list", "--item", &item, "--limit", "1"],
    )
    .await;
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.lines().nth(2).unwrap().starts_with(&one.slug), "{out}");
}

/// Duplicating a Space creates a repo: a `repo` `create` event for the copy (a Space, private
/// as asked) reaches a webhook watching the owner.
#[tokio::test]
async fn a_duplicated_space_is_a_repo_create_event() {
    let server = TestServer::start();
    let a = alice(&server);
    let from = RepoId::new(format!("{ALICE}/{}", unique_name("src"))).unwrap();
    a.create_repo(&from)
        .repo_type(RepoType::Space)
        .space_sdk(hub_core::types::SpaceSdk::Gradio)
        .send()
        .await
        .unwrap();
    let (url, got) = receiver(0).await;
    a.create_webhook()
        .url(&url)
        .watch(WebhookWatchedItem::new(WatchedType::User, ALICE))
        .send()
        .await
        .unwrap();
    let copy = format!("{ALICE}/{}", unique_name("copy"));
    a.duplicate_space(&from)
        .to_id(copy.clone())
        .private(true)
        .send()
        .await
        .unwrap();
    let events = wait_for(&got, 1).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let p = &events[0].1;
    assert_eq!(
        (p["event"]["scope"].clone(), p["event"]["action"].clone()),
        (json!("repo"), json!("create"))
    );
    assert_eq!(
        (
            p["repo"]["name"].clone(),
            p["repo"]["type"].clone(),
            p["repo"]["private"].clone()
        ),
        (json!(copy), json!("space"), json!(true))
    );
    assert_python_payload_shape(p);
}

#[tokio::test]
async fn space_hardware_and_storage_are_typed_and_reflected_in_the_runtime() {
    use hub_endpoints::{SpaceHardware, SpaceStage, SpaceStorage, Spaces};
    let server = TestServer::start();
    let a = alice(&server);
    let id = RepoId::new(format!("{ALICE}/{}", unique_name("hw"))).unwrap();
    a.create_repo(&id)
        .repo_type(RepoType::Space)
        .space_sdk(hub_core::types::SpaceSdk::Gradio)
        .space_hardware(SpaceHardware::CpuUpgrade)
        .space_storage(SpaceStorage::Small)
        .send()
        .await
        .unwrap();
    let spaces = Spaces::new(a.client().clone());
    let rt = spaces.get_space_runtime(&id).await.unwrap();
    assert_eq!(rt.requested_hardware, Some(SpaceHardware::CpuUpgrade));
    assert_eq!(rt.storage.as_deref(), Some("small"));

    let rt = spaces
        .request_space_hardware(&id, SpaceHardware::T4Medium, Some(3600))
        .await
        .unwrap();
    assert_eq!(rt.requested_hardware, Some(SpaceHardware::T4Medium));
    assert_eq!(rt.sleep_time, Some(3600));
    // A flavor this version does not name goes through verbatim and comes back as `Other`.
    let rt = spaces
        .request_space_hardware(&id, "h100x8", None)
        .await
        .unwrap();
    assert_eq!(
        rt.requested_hardware,
        Some(SpaceHardware::Other("h100x8".into()))
    );
    let rt = spaces
        .request_space_storage(&id, SpaceStorage::Large)
        .await
        .unwrap();
    assert_eq!(rt.storage.as_deref(), Some("large"));
    let rt = spaces.delete_space_storage(&id).await.unwrap();
    assert_eq!(rt.storage, None);
    let rt = spaces.pause_space(&id).await.unwrap();
    assert_eq!((rt.stage, rt.hardware), (SpaceStage::Paused, None));

    // Duplicates take their own hardware, storage and sleep time.
    let copy = RepoId::new(format!("{ALICE}/{}", unique_name("hw-copy"))).unwrap();
    a.duplicate_space(&id)
        .to_id(copy.as_str())
        .hardware(SpaceHardware::T4Small)
        .storage(SpaceStorage::Medium)
        .sleep_time(7200)
        .send()
        .await
        .unwrap();
    let rt = spaces.get_space_runtime(&copy).await.unwrap();
    assert_eq!(
        (rt.requested_hardware, rt.storage.as_deref(), rt.sleep_time),
        (Some(SpaceHardware::T4Small), Some("medium"), Some(7200))
    );

    // Someone without write access is refused, and nothing changes.
    let b = Spaces::new(bob(&server).client().clone());
    let err = b
        .request_space_hardware(&id, SpaceHardware::A100Large, None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    let rt = spaces.get_space_runtime(&id).await.unwrap();
    assert_eq!(
        rt.requested_hardware,
        Some(SpaceHardware::Other("h100x8".into()))
    );
}
