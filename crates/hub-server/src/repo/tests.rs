use std::collections::BTreeMap;
use std::path::Path;

use super::types::gated_false;
use super::*;
use crate::git::Kind;
use crate::util;

/// Runs real git on the bare repository `dir`.
fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn meta() -> RepoMeta {
    RepoMeta {
        id: "x".into(),
        private: false,
        gated: gated_false(),
        sdk: None,
        created_at: util::now_date(),
        access: BTreeMap::new(),
        likers: vec![],
        owner: None,
        space: None,
        discussions_disabled: false,
    }
}

#[tokio::test]
async fn large_commits_go_into_one_pack_that_git_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("tmp")).unwrap();
    let store = RepoStore::new(tmp.path()).unwrap();
    let repo = store
        .create(RepoType::Model, "alice", "many", meta(), "alice")
        .await
        .unwrap();
    let reader = store.reader(&repo);
    let head = reader.resolve("main").unwrap().unwrap().commit;
    let changes: Vec<Change> = (0..200)
        .map(|i| Change::PutLfs {
            path: format!("d{}/f{i}.bin", i % 7),
            sha256: format!("{i:064x}"),
            size: i,
        })
        .collect();
    let meta = CommitMeta {
        author: "alice".into(),
        message: "many\n".into(),
    };
    let c = reader.build_commit(Some(&head), &changes, &meta).unwrap();
    repo.git
        .update_ref("refs/heads/main", Some(&head), Some(&c))
        .unwrap();
    let objects = repo.git.dir().join("objects");
    let packs: Vec<String> = std::fs::read_dir(objects.join("pack"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(packs.len(), 2, "{packs:?}"); // one .pack, one .idx
    // Everything reads back through the pack reader.
    let commit = reader.commit(&c).unwrap();
    let files = reader.flatten(&commit.tree).unwrap();
    assert_eq!(files.len(), 201); // + .gitattributes
    let e = reader.entry(&commit.tree, "d3/f10.bin").unwrap().unwrap();
    assert_eq!(reader.blob_info(&e.oid).unwrap().lfs.unwrap().size, 10);
    // A second commit reusing the trees writes nothing new for them.
    let again = reader.build_commit(Some(&c), &changes, &meta).unwrap();
    assert_ne!(again, c);
    let out = git(repo.git.dir(), &["fsck", "--strict", "--no-dangling"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ls = git(repo.git.dir(), &["ls-tree", "-r", "--name-only", &c]);
    assert_eq!(String::from_utf8_lossy(&ls.stdout).lines().count(), 201);
}

#[tokio::test]
async fn create_commit_log_and_fsck() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("tmp")).unwrap();
    let store = RepoStore::new(tmp.path()).unwrap();
    let repo = store
        .create(RepoType::Model, "alice", "r", meta(), "alice")
        .await
        .unwrap();
    assert!(matches!(
        store
            .create(RepoType::Model, "Alice", "R", meta(), "alice")
            .await,
        Err(StoreError::Exists)
    ));
    let found = store
        .find(RepoType::Model, "ALICE", "r")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id(), "alice/r");
    let reader = store.reader(&repo);
    let head = reader.resolve("main").unwrap().unwrap().commit;
    let blob = repo.git.write(Kind::Blob, b"hello").unwrap();
    let changes = vec![
        Change::Put {
            path: "dir/a.txt".into(),
            oid: blob.clone(),
        },
        Change::PutLfs {
            path: "big.dat".into(),
            sha256: "b".repeat(64),
            size: 10,
        },
    ];
    let meta = CommitMeta {
        author: "alice".into(),
        message: "add\n\nbody".into(),
    };
    let c = reader.build_commit(Some(&head), &changes, &meta).unwrap();
    repo.git
        .update_ref("refs/heads/main", Some(&head), Some(&c))
        .unwrap();
    let commit = reader.commit(&c).unwrap();
    let attrs = reader.file_text(&commit.tree, ".gitattributes").unwrap();
    assert!(attrs.ends_with("big.dat filter=lfs diff=lfs merge=lfs -text\n"));
    let e = reader.entry(&commit.tree, "dir/a.txt").unwrap().unwrap();
    assert_eq!(e.oid, blob);
    let info = reader
        .blob_info(&reader.entry(&commit.tree, "big.dat").unwrap().unwrap().oid)
        .unwrap();
    assert_eq!(info.lfs.unwrap().size, 10);
    let (log, more) = reader.log(&c, 0, 10).unwrap();
    assert_eq!(log.len(), 2);
    assert!(!more);
    assert_eq!(log[0].0, c);
    let lc = reader
        .last_commits(&c, &[".gitattributes".into(), "dir".into()])
        .unwrap();
    assert_eq!(lc["dir"].0, c);
    // Deleting a missing file fails and changes nothing.
    let err = reader.build_commit(
        Some(&c),
        &[Change::Delete {
            path: "nope".into(),
        }],
        &meta,
    );
    assert!(matches!(err, Err(ApplyError::Missing(_))));
    let err = reader.build_commit(
        Some(&c),
        &[Change::Put {
            path: "dir/a.txt/x".into(),
            oid: blob,
        }],
        &meta,
    );
    assert!(matches!(err, Err(ApplyError::Conflict(_))));
    let out = git(repo.git.dir(), &["fsck", "--strict"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn deleting_a_folder_path_deletes_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let store = RepoStore::new(tmp.path()).unwrap();
    let repo = store
        .create(RepoType::Model, "alice", "fold", meta(), "alice")
        .await
        .unwrap();
    let reader = store.reader(&repo);
    let head = reader.resolve("main").unwrap().unwrap().commit;
    let blob = repo.git.write(Kind::Blob, b"x").unwrap();
    let put = |path: &str| Change::Put {
        path: path.into(),
        oid: blob.clone(),
    };
    let meta = CommitMeta {
        author: "alice".into(),
        message: "m\n".into(),
    };
    let c = reader
        .build_commit(
            Some(&head),
            &[put("dir/a.txt"), put("dir/sub/b.txt"), put("dirt.txt")],
            &meta,
        )
        .unwrap();
    let d = reader
        .build_commit(Some(&c), &[Change::Delete { path: "dir".into() }], &meta)
        .unwrap();
    let files = reader.flatten(&reader.commit(&d).unwrap().tree).unwrap();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(names, [".gitattributes", "dirt.txt"]);
    // A path that is neither a file nor a folder is still an error.
    assert!(matches!(
        reader.build_commit(Some(&d), &[Change::Delete { path: "di".into() }], &meta),
        Err(ApplyError::Missing(_))
    ));
}

#[tokio::test]
async fn abbreviated_commit_ids_resolve_like_git() {
    let tmp = tempfile::tempdir().unwrap();
    let store = RepoStore::new(tmp.path()).unwrap();
    let repo = store
        .create(RepoType::Model, "alice", "abbrev", meta(), "alice")
        .await
        .unwrap();
    let reader = store.reader(&repo);
    let head = reader.resolve("main").unwrap().unwrap().commit;
    for n in [7, 12, 39] {
        let r = reader.resolve(&head[..n]).unwrap().unwrap();
        assert_eq!(r.commit, head);
        assert!(r.refname.is_none());
    }
    // Shorter than 7, or naming a blob rather than a commit: nothing.
    assert!(reader.resolve(&head[..6]).unwrap().is_none());
    let blob = repo.git.write(Kind::Blob, b"not a commit").unwrap();
    assert!(reader.resolve(&blob[..10]).unwrap().is_none());
    // Objects only in a pack are found too (git gc packs everything).
    let out = git(repo.git.dir(), &["gc", "-q"]);
    assert!(out.status.success());
    assert_eq!(reader.resolve(&head[..8]).unwrap().unwrap().commit, head);
}
