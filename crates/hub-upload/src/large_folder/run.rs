//! The workers: scanning and recovering the folder, then hashing, asking upload modes,
//! uploading LFS content and committing, each step saved to the metadata files.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hub_core::fnmatch::PatternFilter;
use hub_core::{Error, Result};
use tokio::sync::Notify;

use super::metadata::{UploadMetadata, ensure_cache_gitignore, read_metadata, save_metadata};
use super::queue::{Item, Job, Queues, State};
use super::status::LargeFolderStatus;
use super::{COMMIT_MESSAGE, UploadLargeFolder};
use crate::commit::{CommitSettings, GIT_SHA1_INLINE_LIMIT, finish_commit};
use crate::folder::{DEFAULT_IGNORE_PATTERNS, list_folder_blocking};
use crate::hash::{SAMPLE_SIZE, hash_file};
use crate::lfs::{LfsJob, upload_lfs};
use crate::ops::{CommitOperation, CommitOperationAdd, Content, Source, UploadInfo, UploadMode};
use crate::preupload::fetch_upload_modes;
use crate::remote::{self, RepoCtx};

struct Shared {
    ctx: RepoCtx,
    settings: CommitSettings,
    folder: PathBuf,
    state: Mutex<State>,
    changed: Notify,
    started: Instant,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether an error will not go away by retrying.
fn is_permanent(e: &Error) -> bool {
    match e {
        Error::TokenRequired(_)
        | Error::Unauthenticated(_)
        | Error::RepositoryNotFound(_)
        | Error::RevisionNotFound(_)
        | Error::GatedRepo(_)
        | Error::DisabledRepo(_)
        | Error::OfflineModeIsEnabled(_)
        | Error::InvalidArgument(_) => true,
        other => matches!(other.status(), Some(400 | 401 | 403 | 404 | 413 | 422)),
    }
}

pub(super) async fn run(b: UploadLargeFolder) -> Result<LargeFolderStatus> {
    let folder = tokio::fs::canonicalize(&b.folder)
        .await
        .map_err(|e| Error::io(format!("opening {}", b.folder.display()), e))?;
    if !tokio::fs::metadata(&folder)
        .await
        .map(|m| m.is_dir())
        .unwrap_or(false)
    {
        return Err(Error::invalid_argument(format!(
            "Provided path: '{}' is not a directory",
            folder.display()
        )));
    }
    let ctx = RepoCtx {
        client: b.client,
        repo_id: b.repo_id,
        repo_type: b.repo_type,
    };
    remote::create_repo(&ctx, b.private).await?;
    let settings = CommitSettings {
        repo_type: b.repo_type,
        revision: b.revision,
        lfs_concurrency: 1,
        progress: b.progress,
        ..CommitSettings::default()
    };

    // Scan and recover (blocking: many small reads).
    let mut ignore = b.ignore;
    ignore.extend(DEFAULT_IGNORE_PATTERNS.iter().map(|s| s.to_string()));
    let filter = PatternFilter::new(b.allow, ignore);
    let f2 = folder.clone();
    let items = tokio::task::spawn_blocking(move || -> Result<Vec<Item>> {
        ensure_cache_gitignore(&f2)?;
        let files = list_folder_blocking(&f2, &filter)?;
        files
            .into_iter()
            .map(|(rel, abs)| {
                let meta = read_metadata(&f2, &rel, &abs)?;
                Ok(Item {
                    rel,
                    abs,
                    meta,
                    sample: None,
                    git_sha1: None,
                    remote_oid: None,
                    failures: 0,
                })
            })
            .collect()
    })
    .await
    .map_err(|e| Error::io("scanning folder", std::io::Error::other(e)))??;
    tracing::info!("Found {} candidate files to upload", items.len());

    let mut state = State {
        items,
        q: Queues::default(),
        w_hash: 0,
        w_mode: 0,
        w_lfs: 0,
        w_commit: 0,
        w_wait: 0,
        last_commit_attempt: None,
        fatal: None,
        hashed_this_run: 0,
        uploaded_this_run: 0,
        commits_this_run: 0,
    };
    for i in 0..state.items.len() {
        state.route(i);
    }
    let shared = Arc::new(Shared {
        ctx,
        settings,
        folder,
        state: Mutex::new(state),
        changed: Notify::new(),
        started: Instant::now(),
    });
    let workers = b.num_workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .saturating_sub(2)
            .max(2)
    });
    let reporter = b.on_report.map(|f| {
        let shared = shared.clone();
        let every = b.report_every;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let status = shared.lock().status(shared.started);
                f(&status);
            }
        })
    });
    let handles: Vec<_> = (0..workers)
        .map(|_| tokio::spawn(worker(shared.clone())))
        .collect();
    for h in handles {
        let _ = h.await;
    }
    if let Some(r) = reporter {
        r.abort();
    }
    let mut st = shared.lock();
    if let Some(e) = st.fatal.take() {
        return Err(e);
    }
    Ok(st.status(shared.started))
}

async fn worker(shared: Arc<Shared>) {
    loop {
        let job = {
            let mut st = shared.lock();
            if st.fatal.is_some() {
                return;
            }
            let job = st.next_job();
            if matches!(job, Job::Wait) {
                st.w_wait += 1;
            }
            job
        };
        match job {
            Job::Done => {
                shared.changed.notify_waiters();
                return;
            }
            Job::Wait => {
                // Woken by any finished job; the timeout re-checks the time-based commit rules.
                let _ =
                    tokio::time::timeout(Duration::from_secs(1), shared.changed.notified()).await;
                shared.lock().w_wait -= 1;
                continue;
            }
            Job::Hash(i) => {
                let r = do_hash(&shared, i).await;
                finish(&shared, vec![i], r, |st| st.w_hash -= 1).await;
            }
            Job::GetUploadMode(ix) => {
                let r = do_get_upload_mode(&shared, &ix).await;
                finish(&shared, ix, r, |st| st.w_mode -= 1).await;
            }
            Job::Preupload(i) => {
                let r = do_preupload(&shared, i).await;
                finish(&shared, vec![i], r, |st| st.w_lfs -= 1).await;
            }
            Job::Commit(ix) => {
                shared.lock().last_commit_attempt = Some(Instant::now());
                let r = do_commit(&shared, &ix).await;
                finish(&shared, ix, r, |st| st.w_commit -= 1).await;
            }
        }
        shared.changed.notify_waiters();
    }
}

/// Routes the items of a finished job; on failure waits (backoff) and re-queues them, or
/// records a permanent error that stops every worker.
async fn finish(
    shared: &Shared,
    items: Vec<usize>,
    r: Result<()>,
    release: impl FnOnce(&mut State),
) {
    match r {
        Ok(()) => {
            let mut st = shared.lock();
            release(&mut st);
            for i in items {
                st.items[i].failures = 0;
                st.route(i);
            }
        }
        Err(e) if is_permanent(&e) => {
            let mut st = shared.lock();
            release(&mut st);
            tracing::error!("upload_large_folder stopped: {e}");
            st.fatal.get_or_insert(e);
        }
        Err(e) => {
            let failures = {
                let mut st = shared.lock();
                items
                    .iter()
                    .map(|&i| {
                        st.items[i].failures += 1;
                        st.items[i].failures
                    })
                    .max()
                    .unwrap_or(1)
            };
            // Local trouble (a file deleted or rewritten meanwhile) does not heal by waiting
            // forever, unlike the network: give up after a few attempts.
            if matches!(e, Error::Io { .. } | Error::Corrupted(_)) && failures >= 5 {
                let mut st = shared.lock();
                release(&mut st);
                tracing::error!("upload_large_folder stopped: {e}");
                st.fatal.get_or_insert(e);
                return;
            }
            let delay = Duration::from_millis(500u64.saturating_mul(1 << failures.min(7)))
                .min(Duration::from_secs(60));
            tracing::warn!("upload_large_folder: {e}; retrying in {delay:?}");
            tokio::time::sleep(delay).await;
            let mut st = shared.lock();
            release(&mut st);
            for i in items {
                st.route(i);
            }
        }
    }
}

fn snapshot(shared: &Shared, i: usize) -> (String, PathBuf, UploadMetadata) {
    let st = shared.lock();
    let it = &st.items[i];
    (it.rel.clone(), it.abs.clone(), it.meta.clone())
}

async fn save(shared: &Shared, rel: &str, mut meta: UploadMetadata) -> Result<UploadMetadata> {
    let folder = shared.folder.clone();
    let rel = rel.to_owned();
    tokio::task::spawn_blocking(move || save_metadata(&folder, &rel, &mut meta).map(|_| meta))
        .await
        .map_err(|e| Error::io("saving metadata", std::io::Error::other(e)))?
}

async fn do_hash(shared: &Shared, i: usize) -> Result<()> {
    let (rel, abs, mut meta) = snapshot(shared, i);
    let size = tokio::fs::metadata(&abs)
        .await
        .map_err(|e| Error::io(format!("reading {}", abs.display()), e))?
        .len();
    let info = hash_file(&abs, size <= GIT_SHA1_INLINE_LIMIT).await?;
    meta.size = info.size;
    meta.sha256 = Some(info.sha256);
    let meta = save(shared, &rel, meta).await?;
    let mut st = shared.lock();
    st.hashed_this_run += 1;
    let it = &mut st.items[i];
    it.meta = meta;
    it.sample = Some(info.sample);
    it.git_sha1 = info.git_sha1;
    Ok(())
}

fn read_sample(abs: &Path) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let mut f =
        std::fs::File::open(abs).map_err(|e| Error::io(format!("reading {}", abs.display()), e))?;
    let mut buf = Vec::with_capacity(SAMPLE_SIZE);
    f.by_ref()
        .take(SAMPLE_SIZE as u64)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(format!("reading {}", abs.display()), e))?;
    Ok(buf)
}

/// An addition carrying what is known about item `i` (no content is read here).
fn addition_for(it: &Item) -> Result<CommitOperationAdd> {
    let mut op = CommitOperationAdd::from_path(&it.rel, it.abs.clone())?;
    op.info = Some(UploadInfo {
        size: it.meta.size,
        sha256: it.meta.sha256.clone().unwrap_or_default(),
        sample: it.sample.clone().unwrap_or_default(),
        git_sha1: it.git_sha1.clone(),
    });
    op.upload_mode = it.meta.upload_mode;
    op.remote_oid = it.remote_oid.clone();
    op.is_uploaded = it.meta.is_uploaded;
    Ok(op)
}

async fn do_get_upload_mode(shared: &Shared, ix: &[usize]) -> Result<()> {
    // Files recovered from metadata have no sample in memory: read their first bytes.
    let missing: Vec<(usize, PathBuf)> = {
        let st = shared.lock();
        ix.iter()
            .filter(|&&i| st.items[i].sample.is_none())
            .map(|&i| (i, st.items[i].abs.clone()))
            .collect()
    };
    if !missing.is_empty() {
        let samples = tokio::task::spawn_blocking(move || {
            missing
                .into_iter()
                .map(|(i, p)| read_sample(&p).map(|s| (i, s)))
                .collect::<Result<Vec<_>>>()
        })
        .await
        .map_err(|e| Error::io("reading samples", std::io::Error::other(e)))??;
        let mut st = shared.lock();
        for (i, s) in samples {
            st.items[i].sample = Some(s);
        }
    }
    let mut ops: Vec<CommitOperationAdd> = {
        let st = shared.lock();
        ix.iter()
            .map(|&i| addition_for(&st.items[i]))
            .collect::<Result<_>>()?
    };
    let mut refs: Vec<&mut CommitOperationAdd> = ops.iter_mut().collect();
    fetch_upload_modes(
        &shared.ctx,
        shared.settings.revision(),
        false,
        &mut refs,
        None,
    )
    .await?;
    for (op, &i) in ops.iter().zip(ix) {
        let (rel, _, mut meta) = snapshot(shared, i);
        meta.upload_mode = op.upload_mode;
        meta.should_ignore = Some(op.should_ignore);
        let meta = save(shared, &rel, meta).await?;
        let mut st = shared.lock();
        st.items[i].meta = meta;
        st.items[i].remote_oid = op.remote_oid.clone();
    }
    Ok(())
}

async fn do_preupload(shared: &Shared, i: usize) -> Result<()> {
    let (rel, abs, mut meta) = snapshot(shared, i);
    let job = LfsJob {
        path_in_repo: rel.clone(),
        sha256: meta.sha256.clone().unwrap_or_default(),
        size: meta.size,
        source: Source::File(abs),
    };
    upload_lfs(
        &shared.ctx,
        shared.settings.revision(),
        false,
        vec![job],
        1,
        shared.settings.progress.clone(),
    )
    .await?;
    meta.is_uploaded = true;
    let meta = save(shared, &rel, meta).await?;
    let mut st = shared.lock();
    st.uploaded_this_run += 1;
    st.items[i].meta = meta;
    Ok(())
}

async fn do_commit(shared: &Shared, ix: &[usize]) -> Result<()> {
    if ix.is_empty() {
        return Ok(());
    }
    let ops: Vec<CommitOperation> = {
        let st = shared.lock();
        ix.iter()
            .map(|&i| {
                let mut op = addition_for(&st.items[i])?;
                // Uploaded LFS content is referenced by hash only.
                if op.upload_mode == Some(UploadMode::Lfs) {
                    op.content = Content::Dropped;
                }
                Ok(CommitOperation::Add(op))
            })
            .collect::<Result<_>>()?
    };
    finish_commit(&shared.ctx, ops, COMMIT_MESSAGE, &shared.settings).await?;
    for &i in ix {
        let (rel, _, mut meta) = snapshot(shared, i);
        meta.is_committed = true;
        let meta = save(shared, &rel, meta).await?;
        shared.lock().items[i].meta = meta;
    }
    shared.lock().commits_this_run += 1;
    Ok(())
}
