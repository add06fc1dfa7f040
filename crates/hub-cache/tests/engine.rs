//! Protocol edge cases of the download engine against the in-crate fixture server.
#![allow(clippy::unwrap_used)]

mod fixture;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use bytes::Bytes;
use fixture::{COMMIT, Fixture, etag_of, pseudo_random};
use hub_cache::{CacheExt, CacheLookup, Error, Tuning};
use hub_core::{Config, HubClient, RepoId, RepoType};

fn client(fx: &Fixture, home: &Path) -> HubClient {
    let config = Config::builder().home(home).endpoint(fx.url()).build();
    HubClient::builder()
        .config(config)
        .token("hf_secret_token")
        .build()
        .unwrap()
}

fn repo() -> RepoId {
    RepoId::new("ns/repo").unwrap()
}

fn small_parallel() -> Tuning {
    Tuning::default()
        .with_parallel_threshold(2 * 1024 * 1024)
        .with_connections(4)
        .with_chunk_size(1024 * 1024)
        .with_max_stalls(5)
        // Exercise direct I/O (where the filesystem offers it) on small test files.
        .with_direct_io_threshold(1024 * 1024)
}

fn no_temp_files(dir: &Path) -> Vec<PathBuf> {
    walk(dir)
        .into_iter()
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".incomplete")
                || n.ends_with(".tmp")
                || n.ends_with(".tmplink")
                || n.ends_with(".tmpcopy")
        })
        .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn regular_and_lfs_files_land_in_the_python_layout() {
    let small = Bytes::from_static(b"{\"a\": 1}\n");
    let big = pseudo_random(300_000, 1);
    let fx = Fixture::start(vec![
        ("config.json", small.clone(), false),
        ("sub/dir/model.bin", big.clone(), true),
    ])
    .await;
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    let p = c.download(&repo(), "config.json").send().await.unwrap();
    let cache = home.path().join("hub/models--ns--repo");
    assert_eq!(p, cache.join("snapshots").join(COMMIT).join("config.json"));
    assert_eq!(std::fs::read(&p).unwrap(), small);
    assert_eq!(
        std::fs::read_link(&p).unwrap(),
        PathBuf::from(format!("../../blobs/{}", fixture::git_sha1(&small)))
    );
    assert_eq!(
        std::fs::read_to_string(cache.join("refs/main")).unwrap(),
        COMMIT
    );

    let p = c
        .download(&repo(), "model.bin")
        .subfolder("sub/dir")
        .send()
        .await
        .unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), big);
    let sha = fixture::sha256_hex(&big);
    assert_eq!(
        std::fs::read_link(&p).unwrap(),
        PathBuf::from(format!("../../../../blobs/{sha}"))
    );
    assert!(
        home.path()
            .join(format!("hub/.locks/models--ns--repo/{sha}.lock"))
            .exists()
    );
    // Authorization went to the resolve URL but never to the other host.
    assert!(fx.c().resolve_auth_seen.load(Ordering::SeqCst) > 0);
    assert_eq!(fx.c().blob_auth_seen.load(Ordering::SeqCst), 0);
    assert!(no_temp_files(home.path()).is_empty());

    // A commit-hash revision that is cached is served without any request.
    let heads = fx.c().heads.load(Ordering::SeqCst);
    let p2 = c
        .download(&repo(), "config.json")
        .revision(COMMIT)
        .send()
        .await
        .unwrap();
    assert_eq!(p2, cache.join("snapshots").join(COMMIT).join("config.json"));
    assert_eq!(fx.c().heads.load(Ordering::SeqCst), heads);

    assert_eq!(
        hub_cache::try_to_load_from_cache(
            &home.path().join("hub"),
            &repo(),
            "sub/dir/model.bin",
            None,
            RepoType::Model
        ),
        CacheLookup::Found(p)
    );
}

#[tokio::test]
async fn pr_revision_writes_nested_ref() {
    let fx = Fixture::start(vec![("a.txt", Bytes::from_static(b"hello"), false)]).await;
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    c.download(&repo(), "a.txt")
        .revision("refs/pr/1")
        .send()
        .await
        .unwrap();
    let r = home.path().join("hub/models--ns--repo/refs/refs/pr/1");
    assert_eq!(std::fs::read(r).unwrap(), COMMIT.as_bytes());
}

#[tokio::test]
async fn missing_file_leaves_no_exist_marker() {
    let fx = Fixture::start(vec![("a.txt", Bytes::from_static(b"hello"), false)]).await;
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    let err = c.download(&repo(), "nope.txt").send().await.unwrap_err();
    assert!(matches!(err, Error::EntryNotFound(_)), "{err}");
    let marker = home
        .path()
        .join("hub/models--ns--repo/.no_exist")
        .join(COMMIT)
        .join("nope.txt");
    assert!(marker.is_file());
    assert_eq!(
        hub_cache::try_to_load_from_cache(
            &home.path().join("hub"),
            &repo(),
            "nope.txt",
            None,
            RepoType::Model
        ),
        CacheLookup::KnownMissing
    );
}

#[tokio::test]
async fn falls_back_to_cache_when_the_hub_is_unreachable() {
    let fx = Fixture::start(vec![("a.txt", Bytes::from_static(b"hello"), false)]).await;
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    let p = c.download(&repo(), "a.txt").send().await.unwrap();

    // Server errors: served from cache.
    fx.b().fail_all.store(true, Ordering::SeqCst);
    let no_retry = Config::builder()
        .home(home.path())
        .endpoint(fx.url())
        .build();
    let no_retry = HubClient::builder()
        .config(no_retry)
        .retry_policy(hub_core::RetryPolicy::none())
        .build()
        .unwrap();
    let cached = no_retry.download(&repo(), "a.txt").send().await.unwrap();
    assert_eq!(cached, p);
    // Nothing listening: served from cache.
    let dead = Config::builder()
        .home(home.path())
        .endpoint("http://127.0.0.1:9")
        .build();
    let dead = HubClient::builder()
        .config(dead)
        .retry_policy(hub_core::RetryPolicy::none())
        .build()
        .unwrap();
    assert_eq!(dead.download(&repo(), "a.txt").send().await.unwrap(), p);
    // Offline mode: served from cache; uncached file → typed LocalEntryNotFound.
    let off = Config::builder()
        .home(home.path())
        .endpoint(fx.url())
        .offline(true)
        .build();
    let off = HubClient::builder().config(off).build().unwrap();
    assert_eq!(off.download(&repo(), "a.txt").send().await.unwrap(), p);
    let err = off.download(&repo(), "b.txt").send().await.unwrap_err();
    assert!(err.is_local_entry_not_found(), "{err}");
    let err = dead.download(&repo(), "b.txt").send().await.unwrap_err();
    assert!(err.is_local_entry_not_found(), "{err}");
    assert!(err.to_string().contains("connection"), "{err}");
    let err = c
        .download(&repo(), "b.txt")
        .local_files_only(true)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_local_entry_not_found());
}

#[tokio::test]
async fn resumes_a_partial_blob_with_a_range_request() {
    let content = pseudo_random(1_000_000, 2);
    let fx = Fixture::start(vec![("w.bin", content.clone(), true)]).await;
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    let etag = fixture::sha256_hex(&content);
    let blobs = home.path().join("hub/models--ns--repo/blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(
        blobs.join(format!("{etag}.incomplete")),
        &content[..400_000],
    )
    .unwrap();
    let out = c.download(&repo(), "w.bin").send_detailed().await.unwrap();
    assert_eq!(std::fs::read(&out.path).unwrap(), content);
    let stats = out.transfer.unwrap();
    assert_eq!(stats.resumed_from, 400_000);
    assert_eq!(stats.received, 600_000);
    assert_eq!(
        fx.c().body_bytes.load(Ordering::SeqCst),
        600_000,
        "only the missing bytes were sent"
    );
    assert_eq!(fx.c().ranges.lock().unwrap().as_slice(), ["400000-"]);
    assert!(no_temp_files(home.path()).is_empty());
}

#[tokio::test]
async fn resumes_within_a_call_after_a_cut_connection() {
    let content = pseudo_random(800_000, 3);
    let fx = Fixture::start(vec![("w.bin", content.clone(), false)]).await;
    fx.b().truncate_next.store(2, Ordering::SeqCst);
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    let p = c.download(&repo(), "w.bin").send().await.unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), content);
    let ranges = fx.c().ranges.lock().unwrap().clone();
    assert_eq!(ranges.len(), 2, "two resumptions: {ranges:?}");
    assert!(fx.c().body_bytes.load(Ordering::SeqCst) < 2 * 800_000);
}

#[tokio::test]
async fn restart_when_server_ignores_range() {
    let content = pseudo_random(500_000, 4);
    let fx = Fixture::start(vec![("w.bin", content.clone(), true)]).await;
    fx.b().ignore_range.store(true, Ordering::SeqCst);
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    let etag = fixture::sha256_hex(&content);
    let blobs = home.path().join("hub/models--ns--repo/blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(format!("{etag}.incomplete")), &content[..1000]).unwrap();
    let p = c.download(&repo(), "w.bin").send().await.unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), content);
}

#[tokio::test]
async fn corrupted_body_is_refused_and_nothing_cached() {
    for lfs in [true, false] {
        let content = pseudo_random(100_000, 5);
        let fx = Fixture::start(vec![("w.bin", content.clone(), lfs)]).await;
        fx.b().corrupt.store(true, Ordering::SeqCst);
        let home = tempfile::tempdir().unwrap();
        let c = client(&fx, home.path());
        let err = c.download(&repo(), "w.bin").send().await.unwrap_err();
        assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
        let repo_dir = home.path().join("hub/models--ns--repo");
        assert!(
            walk(&repo_dir.join("blobs")).is_empty(),
            "no blob, no partial file"
        );
        assert!(walk(&repo_dir.join("snapshots")).is_empty());
    }
}

#[tokio::test]
async fn parallel_ranges_keep_the_partial_file_a_prefix() {
    let content = pseudo_random(6 * 1024 * 1024 + 123, 6);
    let fx = Fixture::start(vec![("big.bin", content.clone(), true)]).await;
    // The first chunk arrives last, so later chunks must wait in memory, not on disk.
    fx.b().delay_first_chunk_ms.store(400, Ordering::SeqCst);
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    let etag = fixture::sha256_hex(&content);
    let partial = home
        .path()
        .join(format!("hub/models--ns--repo/blobs/{etag}.incomplete"));
    let task = tokio::spawn({
        let c = c.clone();
        async move {
            c.download(&repo(), "big.bin")
                .tuning(small_parallel())
                .send()
                .await
        }
    });
    let mut samples = 0;
    while !task.is_finished() {
        if let Ok(bytes) = std::fs::read(&partial) {
            assert_eq!(
                &bytes[..],
                &content[..bytes.len()],
                "partial file must be a prefix"
            );
            samples += 1;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let p = task.await.unwrap().unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), content);
    assert!(
        fx.c().ranged_gets.load(Ordering::SeqCst) >= 7,
        "used parallel ranges"
    );
    assert!(samples > 0);
}

#[tokio::test]
async fn parallel_falls_back_to_one_stream() {
    for (ignore, status) in [(true, 0u64), (false, 403), (false, 416)] {
        let content = pseudo_random(3 * 1024 * 1024 + 7, 7);
        let fx = Fixture::start(vec![("big.bin", content.clone(), true)]).await;
        fx.b().ignore_range.store(ignore, Ordering::SeqCst);
        fx.b().range_status.store(status, Ordering::SeqCst);
        let home = tempfile::tempdir().unwrap();
        let c = client(&fx, home.path());
        let p = c
            .download(&repo(), "big.bin")
            .tuning(small_parallel())
            .send()
            .await
            .unwrap();
        assert_eq!(
            std::fs::read(&p).unwrap(),
            content,
            "ignore={ignore} status={status}"
        );
        assert!(no_temp_files(home.path()).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_downloads_share_one_blob() {
    let content = pseudo_random(2_000_000, 8);
    let fx = Fixture::start(vec![("w.bin", content.clone(), true)]).await;
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.download(&repo(), "w.bin").send().await })
        })
        .collect();
    let mut paths = Vec::new();
    for t in tasks {
        paths.push(t.await.unwrap().unwrap());
    }
    assert!(paths.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(std::fs::read(&paths[0]).unwrap(), content);
    let blobs = walk(&home.path().join("hub/models--ns--repo/blobs"));
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    assert_eq!(
        fx.c().gets.load(Ordering::SeqCst),
        1,
        "the lock let one task download"
    );
    assert!(no_temp_files(home.path()).is_empty());
}

#[tokio::test]
async fn snapshot_filters_and_rejects_unsafe_names() {
    let fx = Fixture::start(vec![
        ("config.json", Bytes::from_static(b"{}"), false),
        ("sub/a.bin", pseudo_random(1000, 9), true),
        ("sub/b.txt", Bytes::from_static(b"b"), false),
        ("other/c.txt", Bytes::from_static(b"c"), false),
    ])
    .await;
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    let dir = c
        .snapshot_download(&repo())
        .allow_patterns(["*.json", "sub/"])
        .ignore_patterns(["*.txt"])
        .send()
        .await
        .unwrap();
    assert_eq!(
        dir,
        home.path()
            .join("hub/models--ns--repo/snapshots")
            .join(COMMIT)
    );
    let mut got: Vec<String> = walk(&dir)
        .iter()
        .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
        .collect();
    got.sort();
    assert_eq!(got, vec!["config.json", "sub/a.bin"]);
    // Listed files are fetched at the commit without a HEAD each.
    assert_eq!(fx.c().heads.load(Ordering::SeqCst), 0);

    // A listing with unsafe names fails those files, names them, and writes nothing outside.
    fx.inner.files.lock().unwrap().insert(
        "../../escape.txt".into(),
        fixture::FileSpec {
            content: Bytes::from_static(b"x"),
            lfs: false,
        },
    );
    fx.inner.files.lock().unwrap().insert(
        "/abs.txt".into(),
        fixture::FileSpec {
            content: Bytes::from_static(b"x"),
            lfs: false,
        },
    );
    let err = c.snapshot_download(&repo()).send().await.unwrap_err();
    match &err {
        Error::Snapshot { failures, total } => {
            assert_eq!(*total, 6);
            let names: Vec<&str> = failures.iter().map(|f| f.0.as_str()).collect();
            assert_eq!(names, vec!["../../escape.txt", "/abs.txt"]);
        }
        other => panic!("{other}"),
    }
    assert!(!home.path().join("hub/escape.txt").exists());
    assert!(!home.path().join("escape.txt").exists());

    // Offline: the snapshot of the ref is returned from the cache.
    let off = Config::builder()
        .home(home.path())
        .endpoint(fx.url())
        .offline(true)
        .build();
    let off = HubClient::builder().config(off).build().unwrap();
    assert_eq!(off.snapshot_download(&repo()).send().await.unwrap(), dir);
    let err = off
        .snapshot_download(&repo())
        .revision("v2")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_local_entry_not_found(), "{err}");
}

#[tokio::test]
async fn local_dir_mode_writes_python_metadata_and_skips_up_to_date_files() {
    let content = Bytes::from_static(b"hello local");
    let lfs = pseudo_random(5000, 10);
    let fx = Fixture::start(vec![
        ("d/a.txt", content.clone(), false),
        ("w.bin", lfs.clone(), true),
    ])
    .await;
    let home = tempfile::tempdir().unwrap();
    let ld = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    let p = c
        .download(&repo(), "d/a.txt")
        .local_dir(ld.path())
        .send()
        .await
        .unwrap();
    assert_eq!(p, ld.path().join("d/a.txt"));
    assert_eq!(std::fs::read(&p).unwrap(), content);
    assert!(
        !std::fs::symlink_metadata(&p)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let meta = std::fs::read_to_string(
        ld.path()
            .join(".cache/huggingface/download/d/a.txt.metadata"),
    )
    .unwrap();
    let lines: Vec<&str> = meta.split('\n').collect();
    assert_eq!(lines.len(), 4, "{meta:?}");
    assert_eq!(lines[0], COMMIT);
    assert_eq!(lines[1], fixture::git_sha1(&content));
    assert!(lines[2].parse::<f64>().unwrap() > 1.7e9);
    assert_eq!(
        std::fs::read_to_string(ld.path().join(".cache/huggingface/.gitignore")).unwrap(),
        "*"
    );
    assert!(
        !home.path().join("hub/models--ns--repo/blobs").exists(),
        "local_dir mode does not fill the cache"
    );

    let gets = fx.c().gets.load(Ordering::SeqCst);
    c.download(&repo(), "d/a.txt")
        .local_dir(ld.path())
        .send()
        .await
        .unwrap();
    c.download(&repo(), "d/a.txt")
        .local_dir(ld.path())
        .revision(COMMIT)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fx.c().gets.load(Ordering::SeqCst),
        gets,
        "up to date: no download"
    );

    // LFS file present without metadata: hashed and accepted, not downloaded.
    std::fs::write(ld.path().join("w.bin"), &lfs).unwrap();
    let out = c
        .download(&repo(), "w.bin")
        .local_dir(ld.path())
        .send_detailed()
        .await
        .unwrap();
    assert!(out.transfer.is_none());
    assert!(
        ld.path()
            .join(".cache/huggingface/download/w.bin.metadata")
            .exists()
    );
    // Edited file with stale metadata: downloaded again.
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    std::fs::write(
        ld.path()
            .join(".cache/huggingface/download/d/a.txt.metadata"),
        format!("{COMMIT}\nother\n1.0\n"),
    )
    .unwrap();
    let out = c
        .download(&repo(), "d/a.txt")
        .local_dir(ld.path())
        .send_detailed()
        .await
        .unwrap();
    assert!(out.transfer.is_some());
    assert_eq!(std::fs::read(ld.path().join("d/a.txt")).unwrap(), content);
    let _ = etag_of;
}

#[tokio::test]
async fn scan_and_delete_agree_with_the_layout() {
    let shared = Bytes::from_static(b"shared content");
    let fx = Fixture::start(vec![
        ("s.txt", shared.clone(), false),
        ("only1.txt", Bytes::from_static(b"one"), false),
    ])
    .await;
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    c.snapshot_download(&repo()).send().await.unwrap();
    let second = "fedcba9876543210fedcba9876543210fedcba98";
    *fx.inner.commit.lock().unwrap() = second.to_owned();
    fx.inner.files.lock().unwrap().remove("only1.txt");
    c.snapshot_download(&repo()).send().await.unwrap();
    let cache = home.path().join("hub");
    let info = hub_cache::scan_cache_dir(&cache).await.unwrap();
    assert!(info.warnings.is_empty(), "{:?}", info.warnings);
    assert_eq!(info.repos.len(), 1);
    let r = &info.repos[0];
    assert_eq!(r.repo_id, "ns/repo");
    assert_eq!(r.nb_files, 2);
    assert_eq!(r.size_on_disk, (shared.len() + 3) as u64);
    assert_eq!(r.revisions.len(), 2);
    assert_eq!(r.refs().get("main").unwrap().commit_hash, second);
    let strategy = info.delete_revisions(&[COMMIT, "unknown"]);
    assert_eq!(strategy.expected_freed_size, 3, "the shared blob survives");
    assert_eq!(strategy.not_found, vec!["unknown"]);
    let report = strategy.execute().await;
    assert!(report.failures.is_empty());
    let info = hub_cache::scan_cache_dir(&cache).await.unwrap();
    assert_eq!(info.repos[0].revisions.len(), 1);
    assert_eq!(info.repos[0].size_on_disk, shared.len() as u64);
    // A ref to a missing commit makes the repo a warning with Python's message.
    std::fs::write(cache.join("models--ns--repo/refs/dangling"), COMMIT).unwrap();
    std::fs::create_dir_all(cache.join("not-a-repo")).unwrap();
    let info = hub_cache::scan_cache_dir(&cache).await.unwrap();
    assert!(info.repos.is_empty());
    let msgs: Vec<String> = info.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("Reference(s) refer to missing commit hashes: {'0123")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("Repo path is not a valid HuggingFace cache directory")),
        "{msgs:?}"
    );
}

#[derive(Debug, Default)]
struct Recorder(std::sync::Mutex<Vec<String>>);

impl hub_core::ProgressSink for Recorder {
    fn event(&self, e: hub_core::ProgressEvent<'_>) {
        let s = match e {
            hub_core::ProgressEvent::Started { file, total } => format!("start {file} {total:?}"),
            hub_core::ProgressEvent::Advanced { bytes, .. } => format!("adv {bytes}"),
            hub_core::ProgressEvent::Finished { file } => format!("done {file}"),
            hub_core::ProgressEvent::Failed { file, .. } => format!("fail {file}"),
            other => format!("unknown {other:?}"),
        };
        self.0.lock().unwrap().push(s);
    }
}

#[tokio::test]
async fn progress_events_follow_the_sink_contract() {
    let content = pseudo_random(3 * 1024 * 1024, 15);
    let fx = Fixture::start(vec![("p.bin", content.clone(), true)]).await;
    fx.b().truncate_next.store(1, Ordering::SeqCst);
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    let rec = std::sync::Arc::new(Recorder::default());
    c.download(&repo(), "p.bin")
        .tuning(small_parallel())
        .progress(rec.clone())
        .send()
        .await
        .unwrap();
    let ev = rec.0.lock().unwrap().clone();
    assert_eq!(
        ev.first().unwrap(),
        &format!("start p.bin Some({})", content.len())
    );
    assert_eq!(ev.last().unwrap(), "done p.bin");
    let advanced: u64 = ev
        .iter()
        .filter_map(|e| e.strip_prefix("adv "))
        .map(|n| n.parse::<u64>().unwrap())
        .sum();
    assert_eq!(advanced, content.len() as u64);
    assert_eq!(
        ev.iter()
            .filter(|e| e.starts_with("start") || e.starts_with("done"))
            .count(),
        2
    );

    fx.b().corrupt.store(true, Ordering::SeqCst);
    let rec = std::sync::Arc::new(Recorder::default());
    let home = tempfile::tempdir().unwrap();
    let c = client(&fx, home.path());
    assert!(
        c.download(&repo(), "p.bin")
            .progress(rec.clone())
            .send()
            .await
            .is_err()
    );
    let ev = rec.0.lock().unwrap().clone();
    assert!(ev.first().unwrap().starts_with("start"));
    assert_eq!(ev.last().unwrap(), "fail p.bin");
}
