//! Which job a worker takes next: the queues of files per step and Python's priority rules.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hub_core::Error;

use super::metadata::UploadMetadata;
use super::status::LargeFolderStatus;
use super::{MAX_LFS_PER_COMMIT, MAX_REGULAR_PER_COMMIT};
use crate::ops::UploadMode;

#[derive(Debug)]
pub(super) struct Item {
    pub(super) rel: String,
    pub(super) abs: PathBuf,
    pub(super) meta: UploadMetadata,
    pub(super) sample: Option<Vec<u8>>,
    pub(super) git_sha1: Option<String>,
    pub(super) remote_oid: Option<String>,
    pub(super) failures: u32,
}

#[derive(Debug)]
pub(super) enum Job {
    Hash(usize),
    GetUploadMode(Vec<usize>),
    Preupload(usize),
    Commit(Vec<usize>),
    Wait,
    Done,
}

#[derive(Debug, Default)]
pub(super) struct Queues {
    pub(super) hash: VecDeque<usize>,
    pub(super) mode: VecDeque<usize>,
    pub(super) lfs: VecDeque<usize>,
    pub(super) commit: VecDeque<usize>,
}

#[derive(Debug)]
pub(super) struct State {
    pub(super) items: Vec<Item>,
    pub(super) q: Queues,
    pub(super) w_hash: usize,
    pub(super) w_mode: usize,
    pub(super) w_lfs: usize,
    pub(super) w_commit: usize,
    pub(super) w_wait: usize,
    pub(super) last_commit_attempt: Option<Instant>,
    pub(super) fatal: Option<Error>,
    pub(super) hashed_this_run: usize,
    pub(super) uploaded_this_run: usize,
    pub(super) commits_this_run: usize,
}

impl State {
    pub(super) fn route(&mut self, i: usize) {
        let m = &self.items[i].meta;
        if m.is_committed || m.should_ignore == Some(true) {
        } else if m.sha256.is_none() {
            self.q.hash.push_back(i);
        } else if m.upload_mode.is_none() {
            self.q.mode.push_back(i);
        } else if m.upload_mode == Some(UploadMode::Lfs) && !m.is_uploaded {
            self.q.lfs.push_back(i);
        } else {
            self.q.commit.push_back(i);
        }
    }

    fn take_commit_batch(&mut self) -> Vec<usize> {
        let (mut lfs, mut regular) = (0, 0);
        let mut out = Vec::new();
        while lfs < MAX_LFS_PER_COMMIT && regular < MAX_REGULAR_PER_COMMIT {
            let Some(i) = self.q.commit.pop_front() else {
                break;
            };
            if self.items[i].meta.upload_mode == Some(UploadMode::Lfs) {
                lfs += 1;
            } else {
                regular += 1;
            }
            out.push(i);
        }
        out
    }

    fn take_n(q: &mut VecDeque<usize>, n: usize) -> Vec<usize> {
        let k = n.min(q.len());
        q.drain(..k).collect()
    }

    /// Python's `_determine_next_job`, rule for rule.
    pub(super) fn next_job(&mut self) -> Job {
        let since_commit = self.last_commit_attempt.map(|t| t.elapsed());
        let can_commit = self.w_commit == 0 && !self.q.commit.is_empty();
        if can_commit && since_commit.is_some_and(|d| d > Duration::from_secs(300)) {
            self.w_commit += 1;
            return Job::Commit(self.take_commit_batch());
        }
        if self.w_commit == 0 && self.q.commit.len() >= MAX_LFS_PER_COMMIT {
            self.w_commit += 1;
            return Job::Commit(self.take_commit_batch());
        }
        if self.q.mode.len() >= 10 {
            self.w_mode += 1;
            return Job::GetUploadMode(Self::take_n(&mut self.q.mode, 50));
        }
        if !self.q.lfs.is_empty() && self.w_lfs == 0 {
            self.w_lfs += 1;
            return Job::Preupload(self.q.lfs.pop_front().unwrap_or_default());
        }
        if !self.q.hash.is_empty() && self.w_hash == 0 {
            self.w_hash += 1;
            return Job::Hash(self.q.hash.pop_front().unwrap_or_default());
        }
        if !self.q.mode.is_empty() && self.w_mode == 0 {
            self.w_mode += 1;
            return Job::GetUploadMode(Self::take_n(&mut self.q.mode, 50));
        }
        if let Some(i) = self.q.lfs.pop_front() {
            self.w_lfs += 1;
            return Job::Preupload(i);
        }
        if let Some(i) = self.q.hash.pop_front() {
            self.w_hash += 1;
            return Job::Hash(i);
        }
        if !self.q.mode.is_empty() {
            self.w_mode += 1;
            return Job::GetUploadMode(Self::take_n(&mut self.q.mode, 50));
        }
        if can_commit && since_commit.is_some_and(|d| d > Duration::from_secs(60)) {
            self.w_commit += 1;
            return Job::Commit(self.take_commit_batch());
        }
        let others_idle = self.q.hash.is_empty()
            && self.q.mode.is_empty()
            && self.q.lfs.is_empty()
            && self.w_hash == 0
            && self.w_mode == 0
            && self.w_lfs == 0;
        if can_commit && others_idle {
            self.w_commit += 1;
            return Job::Commit(self.take_commit_batch());
        }
        if self
            .items
            .iter()
            .all(|it| it.meta.is_committed || it.meta.should_ignore == Some(true))
        {
            return Job::Done;
        }
        Job::Wait
    }

    pub(super) fn status(&self, started: Instant) -> LargeFolderStatus {
        let mut s = LargeFolderStatus {
            now: chrono::Local::now(),
            elapsed: started.elapsed(),
            total_files: 0,
            total_size: 0,
            hashed_files: 0,
            hashed_size: 0,
            lfs_files: 0,
            unsure_files: 0,
            preuploaded_files: 0,
            preuploaded_size: 0,
            committed_files: 0,
            committed_size: 0,
            ignored_files: 0,
            workers_hashing: self.w_hash,
            workers_get_upload_mode: self.w_mode,
            workers_preuploading: self.w_lfs,
            workers_committing: self.w_commit,
            workers_waiting: self.w_wait,
            hashed_this_run: self.hashed_this_run,
            uploaded_this_run: self.uploaded_this_run,
            commits_this_run: self.commits_this_run,
        };
        for it in &self.items {
            let m = &it.meta;
            if m.should_ignore == Some(true) {
                s.ignored_files += 1;
                continue;
            }
            s.total_files += 1;
            s.total_size += m.size;
            if m.sha256.is_some() {
                s.hashed_files += 1;
                s.hashed_size += m.size;
            }
            match m.upload_mode {
                Some(UploadMode::Lfs) => s.lfs_files += 1,
                None => s.unsure_files += 1,
                _ => {}
            }
            if m.is_uploaded {
                s.preuploaded_files += 1;
                s.preuploaded_size += m.size;
            }
            if m.is_committed {
                s.committed_files += 1;
                s.committed_size += m.size;
            }
        }
        s
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn item(mode: Option<UploadMode>, sha: bool, uploaded: bool, committed: bool) -> Item {
        let mut meta = UploadMetadata::new(1);
        meta.upload_mode = mode;
        meta.sha256 = sha.then(|| "x".into());
        meta.is_uploaded = uploaded;
        meta.is_committed = committed;
        Item {
            rel: "r".into(),
            abs: "a".into(),
            meta,
            sample: None,
            git_sha1: None,
            remote_oid: None,
            failures: 0,
        }
    }

    fn state(items: Vec<Item>) -> State {
        let mut st = State {
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
        for i in 0..st.items.len() {
            st.route(i);
        }
        st
    }

    #[test]
    fn routing_and_job_rules() {
        let st = state(vec![
            item(None, false, false, false),
            item(None, true, false, false),
            item(Some(UploadMode::Lfs), true, false, false),
            item(Some(UploadMode::Lfs), true, true, false),
            item(Some(UploadMode::Regular), true, false, true),
        ]);
        assert_eq!(st.q.hash, [0]);
        assert_eq!(st.q.mode, [1]);
        assert_eq!(st.q.lfs, [2]);
        assert_eq!(st.q.commit, [3]);
        let mut st = st;
        // One LFS upload first, then one hash, then the mode batch; commit waits for the rest.
        assert!(matches!(st.next_job(), Job::Preupload(2)));
        assert!(matches!(st.next_job(), Job::Hash(0)));
        assert!(matches!(st.next_job(), Job::GetUploadMode(ref v) if v == &[1]));
        assert!(matches!(st.next_job(), Job::Wait));
        st.w_lfs = 0;
        st.w_hash = 0;
        st.w_mode = 0;
        assert!(matches!(st.next_job(), Job::Commit(ref v) if v == &[3]));
        // Batches of regular files stop at 75.
        let many: Vec<Item> = (0..200)
            .map(|_| item(Some(UploadMode::Regular), true, false, false))
            .collect();
        let mut st = state(many);
        match st.next_job() {
            Job::Commit(v) => assert_eq!(v.len(), MAX_REGULAR_PER_COMMIT),
            other => panic!("{other:?}"),
        }
        let done = state(vec![item(None, true, false, true)]);
        let mut done = done;
        assert!(matches!(done.next_job(), Job::Done));
    }
}
